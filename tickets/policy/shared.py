"""The rules several ticket kinds share: who may ask (V-2), what the subscription's state
allows, C-3, C-4/C-5 money, C-6 self-service, C-7 checklist, C-8 deletion, C-9, V-8."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import cache

from identity import SUBSCRIPTION_ADMIN_ROLES
from tickets.dates import as_utc, utc_day
from tickets.enums import Channel, Product, Role, SubscriptionState, TicketKind
from tickets.facts import SubscriptionFacts
from tickets.kinds import CANCELLATION_KINDS, kind_spec
from tickets.policy.context import Ctx, active, and_list, plural, roles_text, ticket_phrase
from tickets.policy.results import ChecklistItem, Reason
from tickets.policy.rules import (
    C6_PATH,
    D365,
    DATA_RETENTION_DAYS,
    INTUNE,
    KIND_PHRASES,
    KIND_PRODUCTS,
    O365,
    REVERSAL_DAYS,
    SELF_SERVICE_MAX_LICENSES,
    SELF_SERVICE_WINDOW_DAYS,
)


@cache  # pure in its two enums: each answer (an immutable Reason or None) is worked out once
def offer_refusal(kind: TicketKind, product: Product) -> Reason | None:
    """Each kind only where an article offers it (KIND_PRODUCTS). The account view
    decides every kind for every subscription."""
    products, rule = KIND_PRODUCTS[kind]
    if product in products:
        return None
    names = and_list([p.label for p in Product if p in products])
    if kind is TicketKind.UNSUBSCRIBE_RESOURCE:
        return Reason(rule, f"unsubscription is offered for {names} renewal resources")
    return Reason(rule, f"{KIND_PHRASES[kind]} is offered for {names} subscriptions")


def v2_refusals(c: Ctx) -> list[Reason]:
    """V-2: who may ask. [D365] billing actions need the billing administrator."""
    roles = c.caller.roles
    if d365_billing_action(c):
        if Role.BILLING_ADMIN in roles:
            return []
        return [Reason("V-2", "Dynamics 365 billing actions need the billing administrator; "
                              f"the caller ({roles_text(c.caller)}) must work with the billing "
                              "administrator, the person who signed up")]
    if roles & SUBSCRIPTION_ADMIN_ROLES:
        return []
    return [Reason("V-2", f"the caller must be listed as an admin of {c.sub.name}; "
                          f"{c.caller.user_id} has {roles_text(c.caller)}")]


def d365_billing_action(c: Ctx) -> bool:
    """V-2 [D365]: a billing action (the kind's registry entry says which) on Dynamics 365."""
    return c.sub.product is D365 and kind_spec(c.kind).billing_action


def v2_grant(c: Ctx) -> Reason:
    if d365_billing_action(c):
        return Reason("V-2", f"the caller is the billing administrator of {c.sub.name}")
    held = "admin" if Role.ADMIN in c.caller.roles else "billing admin"
    return Reason("V-2", f"the caller is listed as {held} of {c.sub.name}")


def state_refusals(c: Ctx) -> list[Reason]:
    """Deleted and expired subscriptions allow nothing; cancelled ones only R (D365) and X
    (Intune, while its data exists), which decide that themselves."""
    sub, kind = c.sub, c.kind
    if sub.state is SubscriptionState.DELETED:
        if kind is TicketKind.REVERSAL:
            return [Reason("R-3", f"{sub.name} is deleted and its data is gone: nothing to reverse")]
        return [Reason("X-3", f"{sub.name} is deleted and its data is gone: nothing can be done")]
    if sub.state is SubscriptionState.EXPIRED:
        rule = home_rule(kind, sub.product)
        what = {
            TicketKind.REVERSAL: "only a cancellation can be reversed",
            TicketKind.MIGRATION: "there is no online subscription left to migrate and cancel",
            TicketKind.IMS_CANCELLATION: "campaigns still running are managed in Microsoft Ad Center",
        }.get(kind, "billing has stopped and there is nothing to cancel")
        return [Reason(rule, f"{sub.name} expired on {c.term_end}: {what}")]
    if sub.state is SubscriptionState.CANCELLED:
        if kind in (TicketKind.REVERSAL, TicketKind.EXPEDITED_DEPROVISIONING):
            return []
        on = c.cancelled_on.isoformat() if c.cancelled_on else "(date not recorded)"
        if kind is TicketKind.MIGRATION:
            return [Reason("M-1", f"the data is migrated first and the subscription cancelled after; "
                                  f"{sub.name} was already cancelled on {on}")]
        if kind is TicketKind.IMS_CANCELLATION:
            return [Reason("I-2", f"{sub.name} was cancelled on {on}; campaigns kept running are "
                                  "cancelled or managed by the customer in Microsoft Ad Center")]
        if sub.product is D365:
            if c.cancelled_on is None:
                return [Reason("R-1", f"{sub.name} was already cancelled")]
            until = c.cancelled_on + timedelta(days=REVERSAL_DAYS)
            can = "can be reversed" if c.today <= until else "could be reversed"
            return [Reason("R-1", f"{sub.name} was already cancelled on {on}; it {can} until {until}")]
        text = f"{sub.name} was already cancelled on {on}"
        if c.cancelled_on is not None:
            deletion = c.cancelled_on + timedelta(days=DATA_RETENTION_DAYS)
            if sub.product is O365:
                text += (" and is in the Cancelled state with reduced functionality until its data "
                         f"is deleted on {deletion}")
            else:
                text += f"; its data is deleted on {deletion}"
        return [Reason("C-8", text)]
    if kind is TicketKind.REVERSAL:  # ACTIVE
        return [Reason("R-1", f"nothing to reverse: {sub.name} is active, not cancelled")]
    return []


def home_rule(kind: TicketKind, product: Product) -> str:
    if kind is TicketKind.CANCEL_EARLY and product is D365:
        return "V-1"
    return KIND_PRODUCTS[kind][1]


def c3_refusal(c: Ctx) -> list[Reason]:
    """C-3 [Intune]: trials cannot be cancelled (nor deprovisioned early)."""
    if c.sub.product is INTUNE and c.sub.channel is Channel.TRIAL:
        return [Reason("C-3", "Intune trial subscriptions cannot be cancelled; it expires on "
                              f"{c.term_end} and its data is deleted then")]
    return []


def c9_refusals(c: Ctx) -> list[Reason]:
    """C-9 (desk): at most one open cancellation-type ticket per subscription."""
    return [Reason("C-9", f"{ticket_phrase(t)} is already open for this subscription")
            for t in active(c.sub.tickets, CANCELLATION_KINDS)]


def same_kind_refusals(c: Ctx) -> list[Reason]:
    """Kinds outside C-9 (R, I) are not filed twice while one is active (T-3 spirit)."""
    return [Reason(home_rule(c.kind, c.sub.product),
                   f"{ticket_phrase(t)} is already open for this subscription")
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
        out.append(Reason(rule, f"the requested date {requested} is in the past (today is {today})"))
    if term_end is not None and requested > term_end:
        out.append(Reason(rule, f"the requested date {requested} is after the term ends on {term_end}"))
    return out


def c6_self_service(sub: SubscriptionFacts, now: datetime) -> Reason:
    """C-6 [O365]: fewer than 25 licenses assigned, or within the first 30 days after purchase."""
    n = sub.licenses_assigned
    bought = utc_day(sub.purchased_at)
    window_end = as_utc(sub.purchased_at) + timedelta(days=SELF_SERVICE_WINDOW_DAYS)
    few = n <= SELF_SERVICE_MAX_LICENSES
    recent = now < window_end
    licenses = plural(n, "license") + " assigned"
    if few and recent:
        why = f"{licenses}, fewer than 25, and bought {bought}, within the first 30 days"
    elif few:
        why = f"{licenses}, fewer than 25"
    elif recent:
        why = f"bought {bought}, within the first 30 days (until {window_end.date()})"
    else:
        return Reason("C-6", f"only through support: {licenses} and bought {bought}, "
                             "more than 30 days ago")
    return Reason("C-6", f"the customer can cancel it themselves ({why}): "
                         f"{C6_PATH.format(name=sub.name)}; if Cancel subscription is not "
                         "offered there, only through support")


def c7_checklist(c: Ctx, effective: date | None) -> list[ChecklistItem]:
    """C-7 [O365, Intune]: remove domains, update DNS, save data."""
    sub = c.sub
    product = sub.product.label
    items: list[ChecklistItem] = []
    if sub.custom_domains:
        domains = ", ".join(sub.custom_domains)
        items.append(ChecklistItem("remove_domains", "C-7",
                                   f"remove the custom domains {domains} from {product}"))
        dns = (f"update the DNS records of {domains} that point to {product} (e.g. change the "
               "NS records at the registrar to a different server)")
    else:
        dns = (f"update any DNS records the customer created that point to {product} (e.g. the "
               "NS records at the registrar)")
    items.append(ChecklistItem("update_dns", "C-7", dns))
    when = f"on {effective}" if effective else "when the cancellation takes effect"
    items.append(ChecklistItem("save_data", "C-7",
                               f"save the data elsewhere: access to the {product} data ends {when}"))
    return items


def c8_notes(c: Ctx, effective: date) -> tuple[date, list[Reason]]:
    """C-8: data deleted 90 days after the cancellation takes effect.
    ARTICLE: only the Office 365 article names a Cancelled state with reduced functionality."""
    deletion = effective + timedelta(days=DATA_RETENTION_DAYS)
    product = c.sub.product.label
    if c.sub.product is O365:
        text = (f"from {effective} the subscription is in the Cancelled state with reduced "
                f"functionality; data left behind is permanently deleted on {deletion}")
    else:
        text = (f"access to the {product} data ends on {effective}; data left behind is "
                f"permanently deleted on {deletion}")
    return deletion, [Reason("C-8", text)]


def c4_refund(c: Ctx) -> Reason | None:
    """C-4 / C-5: what the caller may expect about money on an early cancellation."""
    sub = c.sub
    if sub.product is INTUNE and sub.channel is Channel.PRODUCT_KEY:
        return Reason("C-5", "cancelled through support but not refunded by us; the partner "
                             "that sold the key may refund")
    if sub.channel is Channel.TRIAL:
        return Reason("C-4", "none: a trial subscription is not paid for")
    if sub.product is O365:
        return Reason("C-4", "a refund may be owed; refunds go through support")
    if sub.product is INTUNE:
        # ARTICLE: the Intune article names only fees; it rules out refunds for product keys
        # only, so other subscriptions may be refunded, through support.
        return Reason("C-4", "a refund may be owed (only product-key subscriptions are never "
                             "refunded, C-5); refunds go through support")
    return None


def refund_request_refusals(c: Ctx) -> list[Reason]:
    """C-4, C-5: why a refund, if one is requested, cannot be."""
    return refund_refusals(c.sub) if c.refund_requested else []


def refund_refusals(sub: SubscriptionFacts) -> list[Reason]:
    """C-4, C-5: why this subscription could not be refunded, were a refund requested (the
    decision says whether the Refund box is offered at all)."""
    if sub.product is INTUNE and sub.channel is Channel.PRODUCT_KEY:
        return [Reason("C-5", "Intune product-key subscriptions can be cancelled through support "
                              "but not refunded by us; the partner that sold the key may refund: "
                              "file it without a refund request")]
    if sub.channel is Channel.TRIAL and sub.product is not D365:
        return [Reason("C-4", "a trial subscription is not paid for: there is nothing to refund; "
                              "file it without a refund request")]
    return []


def v8_note(kind: TicketKind) -> Reason:
    return Reason("V-8", f"{KIND_PHRASES[kind]} moves money or cannot be undone: a callback to the "
                         "phone number on file is recorded on the ticket before it can be approved")

