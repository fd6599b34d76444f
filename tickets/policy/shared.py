"""The rules several ticket kinds share: who may ask (V-2), what the subscription's state
allows, C-3, C-4/C-5 money, C-6 self-service, C-7 checklist, C-8 deletion, C-9, V-8."""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from functools import cache, lru_cache

from identity import SUBSCRIPTION_ADMIN_ROLES
from tickets.desk_time import local_day
from tickets.enums import Channel, Product, Role, SubscriptionState, TicketKind
from tickets.facts import SubscriptionFacts
from tickets.i18n import _, catalog, current_language
from tickets.kinds import CANCELLATION_KINDS, kind_spec
from tickets.policy.context import (
    Ctx,
    active,
    and_list,
    licenses_text,
    refund_refusals,
    roles_text,
    ticket_phrase,
)
from tickets.policy.deadlines import (
    data_deletion_day,
    reversal_deadline,
    reversal_open,
    self_service_last_day,
    self_service_open,
)
from tickets.policy.results import ChecklistItem, Reason
from tickets.policy.rules import (
    C6_PATH,
    D365,
    INTUNE,
    KIND_PHRASES,
    KIND_PRODUCTS,
    O365,
    SELF_SERVICE_MAX_LICENSES,
)

# Sentences kept, each function's: made once per catalog and the facts they name (a day, a
# plan's name, its domains), not at every decision; bounded, as a desk's plans and days are few.
SENTENCES_KEPT = 1024
# A kind's whole grant kept (its reasons, checklist and consequences), by the facts it names:
# fewer, each holding a decision's sentences.
GRANTS_KEPT = 512


def offer_refusal(kind: TicketKind, product: Product) -> Reason | None:
    """Each kind only where an article offers it (KIND_PRODUCTS). The account view
    decides every kind for every subscription."""
    return _offer_refusal(kind, product, current_language())


@cache  # pure in its enums and the language: each answer (an immutable Reason or None) is made once
def _offer_refusal(kind: TicketKind, product: Product, language: str) -> Reason | None:
    products, rule = KIND_PRODUCTS[kind]
    if product in products:
        return None
    names = and_list([p.label for p in Product if p in products])
    if kind is TicketKind.UNSUBSCRIBE_RESOURCE:
        return Reason(rule, _("unsubscription is offered for {names} renewal resources").format(names=names))
    return Reason(rule, _("{kind} is offered for {names} subscriptions").format(
                            kind=_(KIND_PHRASES[kind]), names=names))


def v2_refusals(c: Ctx) -> list[Reason]:
    """V-2: who may ask. [D365] billing actions need the billing administrator."""
    roles = c.caller.roles
    if d365_billing_action(c):
        if Role.BILLING_ADMIN in roles:
            return []
        return [Reason("V-2", _("Dynamics 365 billing actions need the billing administrator; the caller "
                                "({roles}) must work with the billing administrator, the person who signed up").format(
                                  roles=roles_text(c.caller)))]
    if roles & SUBSCRIPTION_ADMIN_ROLES:
        return []
    return [Reason("V-2", _("the caller must be listed as an admin of {name}; {user_id} has {roles}").format(
                              name=c.sub.name, user_id=c.caller.user_id, roles=roles_text(c.caller)))]


def d365_billing_action(c: Ctx) -> bool:
    """V-2 [D365]: a billing action (the kind's registry entry says which) on Dynamics 365."""
    return c.sub.product is D365 and kind_spec(c.kind).billing_action


def v2_grant(c: Ctx) -> Reason:
    return _v2_grant(d365_billing_action(c), Role.ADMIN in c.caller.roles, c.sub.name, catalog())


@lru_cache(maxsize=SENTENCES_KEPT, typed=True)
def _v2_grant(billing_action: bool, admin: bool, name: str, _catalog: object) -> Reason:
    if billing_action:
        return Reason("V-2", _("the caller is the billing administrator of {name}").format(name=name))
    held = Role.ADMIN.label if admin else Role.BILLING_ADMIN.label
    return Reason("V-2", _("the caller is listed as {held} of {name}").format(held=held, name=name))


def state_refusals(c: Ctx) -> list[Reason]:
    """Deleted and expired subscriptions allow nothing; cancelled ones only R (D365) and X
    (Intune, while its data exists), which decide that themselves."""
    sub, kind = c.sub, c.kind
    if sub.state is SubscriptionState.DELETED:
        if kind is TicketKind.REVERSAL:
            return [Reason("R-3", _("{name} is deleted and its data is gone: nothing to reverse").format(
                                      name=sub.name))]
        return [Reason("X-3", _("{name} is deleted and its data is gone: nothing can be done").format(name=sub.name))]
    if sub.state is SubscriptionState.EXPIRED:
        rule = home_rule(kind, sub.product)
        what = {
            TicketKind.REVERSAL: _("only a cancellation can be reversed"),
            TicketKind.MIGRATION: _("there is no online subscription left to migrate and cancel"),
            TicketKind.IMS_CANCELLATION: _("campaigns still running are managed in Microsoft Ad Center"),
        }.get(kind, _("billing has stopped and there is nothing to cancel"))
        return [Reason(rule, _("{name} expired on {term_end}: {what}").format(
                                 name=sub.name, term_end=c.term_end, what=what))]
    if sub.state is SubscriptionState.CANCELLED:
        if kind in (TicketKind.REVERSAL, TicketKind.EXPEDITED_DEPROVISIONING):
            return []
        on = c.cancelled_on.isoformat() if c.cancelled_on else _("(date not recorded)")
        if kind is TicketKind.MIGRATION:
            return [Reason("M-1", _("the data is migrated first and the subscription cancelled after; {name} "
                                    "was already cancelled on {on}").format(name=sub.name, on=on))]
        if kind is TicketKind.IMS_CANCELLATION:
            return [Reason("I-2", _("{name} was cancelled on {on}; campaigns kept running are cancelled or "
                                    "managed by the customer in Microsoft Ad Center").format(name=sub.name, on=on))]
        if sub.product is D365:
            if c.cancelled_on is None:
                return [Reason("R-1", _("{name} was already cancelled").format(name=sub.name))]
            until = reversal_deadline(c.cancelled_on, c.cancel_zone)
            can = _("can be reversed") if reversal_open(c.now, c.cancelled_on, c.cancel_zone) else _("could be "
                                    "reversed")
            return [Reason("R-1", _("{name} was already cancelled on {on}; it {can} until {until}").format(
                                      name=sub.name, on=on, can=can, until=until))]
        text = _("{name} was already cancelled on {on}").format(name=sub.name, on=on)
        if c.cancelled_on is not None:
            deletion = data_deletion_day(c.cancelled_on)
            if sub.product is O365:
                text = _("{name} was already cancelled on {on} and is in the Cancelled state with reduced "
                         "functionality until its data is deleted on {deletion}").format(
                             name=sub.name, on=on, deletion=deletion)
            else:
                text = _("{name} was already cancelled on {on}; its data is deleted on {deletion}").format(
                    name=sub.name, on=on, deletion=deletion)
        return [Reason("C-8", text)]
    if kind is TicketKind.REVERSAL:  # ACTIVE
        return [Reason("R-1", _("nothing to reverse: {name} is active, not cancelled").format(name=sub.name))]
    return []


def home_rule(kind: TicketKind, product: Product) -> str:
    if kind is TicketKind.CANCEL_EARLY and product is D365:
        return "V-1"
    return KIND_PRODUCTS[kind][1]


def c3_refusal(c: Ctx) -> list[Reason]:
    """C-3 [Intune]: trials cannot be cancelled (nor deprovisioned early)."""
    if c.sub.product is INTUNE and c.sub.channel is Channel.TRIAL:
        return [Reason("C-3", _("Intune trial subscriptions cannot be cancelled; it expires on {term_end} and "
                                "its data is deleted then").format(term_end=c.term_end))]
    return []


def c9_refusals(c: Ctx) -> list[Reason]:
    """C-9 (desk): at most one open cancellation-type ticket per subscription."""
    return [Reason("C-9", _("{ticket} is already open for this subscription").format(ticket=ticket_phrase(t)))
            for t in active(c.sub.tickets, CANCELLATION_KINDS)]


def same_kind_refusals(c: Ctx) -> list[Reason]:
    """Kinds outside C-9 (R, I) are not filed twice while one is active (T-3 spirit)."""
    return [Reason(home_rule(c.kind, c.sub.product),
                   _("{ticket} is already open for this subscription").format(ticket=ticket_phrase(t)))
            for t in active(c.sub.tickets, {c.kind})]


def requested_date_refusals(c: Ctx, rule: str) -> list[Reason]:
    if c.requested_date is None:
        return []
    return requested_date_problems(c.requested_date, c.today, c.term_end, rule)


def requested_date_problems(requested: date, today: date, term_end: date | None,
                            rule: str = "V-1") -> list[Reason]:
    """V-1: the day the customer wants it terminated is not in the past nor after the term ends
    (checked when deciding and again when filing, by this one function)."""
    out: list[Reason] = []
    if requested < today:
        out.append(Reason(rule, _("the requested date {requested} is in the past (today is {today})").format(
                                    requested=requested, today=today)))
    if term_end is not None and requested > term_end:
        out.append(Reason(rule, _("the requested date {requested} is after the term ends on {term_end}").format(
                                    requested=requested, term_end=term_end)))
    return out


def c6_self_service(sub: SubscriptionFacts, now: datetime, zone: tzinfo = UTC) -> Reason:
    """C-6 [O365]: fewer than 25 licenses assigned, or within the first 30 days after purchase
    (counted in the desk's days, through the last of them)."""
    n = sub.licenses_assigned
    few = n <= SELF_SERVICE_MAX_LICENSES
    recent = self_service_open(now, sub.purchased_at, zone)
    return _c6_sentence(n, local_day(sub.purchased_at, zone), self_service_last_day(sub.purchased_at, zone), few,
                        recent, sub.name, catalog())


@lru_cache(maxsize=SENTENCES_KEPT, typed=True)  # by the facts it names
def _c6_sentence(n: int, bought: date, window_last: date, few: bool, recent: bool, name: str,
                 _catalog: object) -> Reason:
    licenses = licenses_text(n)
    if few and recent:
        why = _("{licenses}, fewer than 25, and bought {bought}, within the first 30 days").format(
            licenses=licenses, bought=bought)
    elif few:
        why = _("{licenses}, fewer than 25").format(licenses=licenses)
    elif recent:
        why = _("bought {bought}, within the first 30 days (until {last})").format(bought=bought, last=window_last)
    else:
        return Reason("C-6", _("only through support: {licenses} and bought {bought}, more than 30 days ago").format(
                                 licenses=licenses, bought=bought))
    return Reason("C-6", _("the customer can cancel it themselves ({why}): {format}; if Cancel subscription is "
                           "not offered there, only through support").format(
                             why=why, format=_(C6_PATH).format(name=name)))


def c7_checklist(c: Ctx, effective: date | None) -> list[ChecklistItem]:
    """C-7 [O365, Intune]: remove domains, update DNS, save data."""
    return list(c7_checklist_of(c.sub.product, tuple(c.sub.custom_domains), effective, catalog()))


@lru_cache(maxsize=SENTENCES_KEPT, typed=True)
def c7_checklist_of(product_: Product, custom_domains: tuple[str, ...], effective: date | None,
                  _catalog: object) -> tuple[ChecklistItem, ...]:
    product = product_.label
    items: list[ChecklistItem] = []
    if custom_domains:
        domains = ", ".join(custom_domains)
        items.append(ChecklistItem("remove_domains", "C-7",
                                   _("remove the custom domains {domains} from {product}").format(
                                       domains=domains, product=product)))
        dns = _("update the DNS records of {domains} that point to {product} (e.g. change the "
                "NS records at the registrar to a different server)").format(domains=domains, product=product)
    else:
        dns = _("update any DNS records the customer created that point to {product} (e.g. the "
                "NS records at the registrar)").format(product=product)
    items.append(ChecklistItem("update_dns", "C-7", dns))
    when = _("on {day}").format(day=effective) if effective else _("when the cancellation takes effect")
    items.append(ChecklistItem("save_data", "C-7",
                               _("save the data elsewhere: access to the {product} data ends {when}").format(
                                   product=product, when=when)))
    return tuple(items)


def c8_notes(c: Ctx, effective: date) -> tuple[date, list[Reason]]:
    """C-8: data deleted 90 days after the cancellation takes effect.
    ARTICLE: only the Office 365 article names a Cancelled state with reduced functionality."""
    deletion, note = _c8_note(c.sub.product, effective, catalog())
    return deletion, [note]


@lru_cache(maxsize=SENTENCES_KEPT, typed=True)
def _c8_note(product_: Product, effective: date, _catalog: object) -> tuple[date, Reason]:
    deletion = data_deletion_day(effective)
    product = product_.label
    if product_ is O365:
        text = _("from {effective} the subscription is in the Cancelled state with reduced "
                 "functionality; data left behind is permanently deleted on {deletion}").format(
                     effective=effective, deletion=deletion)
    else:
        text = _("access to the {product} data ends on {effective}; data left behind is "
                 "permanently deleted on {deletion}").format(product=product, effective=effective, deletion=deletion)
    return deletion, Reason("C-8", text)


def c4_refund(c: Ctx) -> Reason | None:
    """C-4 / C-5: what the caller may expect about money on an early cancellation."""
    return c4_refund_of(c.sub.product, c.sub.channel, catalog())


@lru_cache(maxsize=SENTENCES_KEPT, typed=True)
def c4_refund_of(product: Product, channel: Channel, _catalog: object) -> Reason | None:
    if product is INTUNE and channel is Channel.PRODUCT_KEY:
        return Reason("C-5", _("cancelled through support but not refunded by us; the partner that sold the "
                               "key may refund"))
    if channel is Channel.TRIAL:
        return Reason("C-4", _("none: a trial subscription is not paid for"))
    if product is O365:
        return Reason("C-4", _("a refund may be owed; refunds go through support"))
    if product is INTUNE:
        # ARTICLE: the Intune article names only fees; it rules out refunds for product keys
        # only, so other subscriptions may be refunded, through support.
        return Reason("C-4", _("a refund may be owed (only product-key subscriptions are never refunded, C-5); "
                               "refunds go through support"))
    return None


def refund_request_refusals(c: Ctx) -> list[Reason]:
    """C-4, C-5: why a refund, if one is requested, cannot be."""
    return refund_refusals(c.sub) if c.refund_requested else []


def v8_note(kind: TicketKind) -> Reason:
    return v8_note_of(kind, catalog())


@lru_cache(maxsize=SENTENCES_KEPT, typed=True)
def v8_note_of(kind: TicketKind, _catalog: object) -> Reason:
    return Reason("V-8", _("{kind} moves money or cannot be undone: a callback to the phone number on "
                           "file is recorded on the ticket before it can be approved").format(
                             kind=_(KIND_PHRASES[kind])))

