"""The domain rules as data and small pure functions (spec: ../shared/spec/domain.md).

Each rule lives in one place and is named by its ID, so a reader can hold a function against
its article. Where the spec and an article disagree the article wins; the places are marked
"ARTICLE:" below.

    decide(kind, sub, caller, now, ...)  -> Decision   one subscription-level ticket kind
    decide_all(sub, caller, now)         -> every subscription-level kind, in TicketKind order
    decide_resource(res, caller, now)    -> Decision   unsubscribing one renewal resource (U)
    decide_batch(resources, caller, now) -> BatchDecision  (U-2: refuses only the ineligible)
    validate_filing(decision, confirmed=..., fields=..., now=...) -> what still blocks filing

Pure: no database, no Textual, no clock of its own. All dates are UTC calendar dates and are
written ISO (2027-01-04) in the texts agents read.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

from email_validator import EmailNotValidError, validate_email

from tickets.enums import (
    ACTIVE_STATUSES,
    CANCELLATION_KINDS,
    CampaignState,
    Channel,
    Platform,
    Product,
    ResourceState,
    Role,
    SubscriptionState,
    TicketKind,
)
from tickets.facts import (
    CallerFacts,
    CampaignFacts,
    ResourceFacts,
    SubscriptionFacts,
    TicketSummary,
)

__all__ = [
    "KIND_PRODUCTS",
    "RULES",
    "BatchDecision",
    "ChecklistItem",
    "Consequences",
    "Decision",
    "Reason",
    "Rule",
    "decide",
    "decide_all",
    "decide_batch",
    "decide_resource",
    "validate_filing",
]

# ---------------------------------------------------------------------------------------------
# The rules as data
# ---------------------------------------------------------------------------------------------

O365, INTUNE, D365, CLOUD = Product.O365, Product.INTUNE, Product.D365, Product.CLOUD


@dataclass(frozen=True)
class Rule:
    id: str
    scope: str  # "O365", "Intune", "D365", "Cloud", "all", "desk" (as the spec marks it)
    source: str  # seed file(s) the rule comes from, or "desk"
    summary: str


_SEED = {
    O365: "000 (Office 365 operated by 21Vianet)",
    INTUNE: "001 (Intune)",
    D365: "002 (Dynamics 365 online)",
    CLOUD: "003 (Cloud inactive resources)",
}

RULES: Mapping[str, Rule] = {
    r.id: r
    for r in (
        Rule("V-1", "all", "001, 002",
             "verify the caller; [D365] record the day the customer wants it terminated"),
        Rule("V-2", "all", "001, 002",
             "caller listed as admin; [D365] billing actions need the billing administrator"),
        Rule("V-6", "desk", "desk", "passwords are never asked for, typed or stored"),
        Rule("V-8", "desk", "desk",
             "X, R and early cancellation with refund need a callback to the number on file"),
        Rule("C-1", "Intune", _SEED[INTUNE],
             "end of term: turn auto-renew off; expires at term end, billing stops"),
        Rule("C-2", "Intune", _SEED[INTUNE],
             "Open and FPP expire at term end: no end-of-term cancellation needed"),
        Rule("C-3", "Intune", _SEED[INTUNE],
             "trials cannot be cancelled; they expire and their data is deleted"),
        Rule("C-4", "O365, Intune", "000, 001",
             "before end of term: early termination fees may apply (O365: or a refund owed)"),
        Rule("C-5", "Intune", _SEED[INTUNE],
             "product-key subscriptions: cancelled through support, not refunded by us"),
        Rule("C-6", "O365", _SEED[O365],
             "self-service with fewer than 25 licenses or within 30 days of purchase"),
        Rule("C-7", "O365, Intune, D365", "000, 001, 002",
             "before cancelling: domains, DNS, data; [D365] keep data, IMS campaigns"),
        Rule("C-8", "O365, Intune", "000, 001",
             "data deleted 90 days after cancellation; [O365] Cancelled state"),
        Rule("C-9", "desk", "desk",
             "at most one open cancellation-type ticket (C, X, M) per subscription"),
        Rule("X-1", "Intune", _SEED[INTUNE],
             "expedited deprovisioning: data deleted within 3 days, through support"),
        Rule("X-2", "desk", "desk",
             "explicit acknowledgement and four-eyes approval; 3 days count from approval"),
        Rule("X-3", "all", "desk", "nothing can be reversed once data is deleted"),
        Rule("M-1", "D365", _SEED[D365], "migrate the data first, then cancel"),
        Rule("M-2", "D365", _SEED[D365],
             "Online Services -> technical support; Commerce Transaction -> billing support"),
        Rule("M-3", "D365", _SEED[D365],
             "data transferred at the requested time; the IT department is told"),
        Rule("M-4", "D365", _SEED[D365],
             "the cancellation after a migration is filed once the migration is done"),
        Rule("R-1", "D365", _SEED[D365],
             "a cancellation can be reversed within 30 days, same identity information"),
        Rule("R-2", "D365", _SEED[D365],
             "a cancelled IMS campaign cannot be reinstated; sign up again"),
        Rule("R-3", "all", "desk",
             "nothing to reverse after expedited deprovisioning or data deletion"),
        Rule("I-1", "D365", _SEED[D365],
             "a campaign's billing admin can cancel IMS without being the org's"),
        Rule("I-2", "D365", _SEED[D365],
             "deleting/pausing all activities stops the ads and their billing"),
        Rule("U-1", "Cloud", _SEED[CLOUD],
             "inactive resource unsubscribable only when none of the blocks hold"),
        Rule("U-2", "Cloud", _SEED[CLOUD], "single or batch; a reason and a confirmation"),
        Rule("U-3", "Cloud", _SEED[CLOUD],
             "no handling fee; cash coupons returned; discount coupons not"),
        Rule("U-4", "Cloud", _SEED[CLOUD], "self-service path in the console"),
        Rule("T-1", "desk", "desk", "every ticket shows its computed dates"),
    )
}

# Where each ticket kind is offered, and the rule that says so. Elsewhere: refused with it.
KIND_PRODUCTS: Mapping[TicketKind, tuple[frozenset[Product], str]] = {
    TicketKind.CANCEL_END_OF_TERM: (frozenset({INTUNE}), "C-1"),
    # D365: the article's cancellation "on the day you want it terminated" (V-1, C-7).
    TicketKind.CANCEL_EARLY: (frozenset({O365, INTUNE, D365}), "C-4"),
    TicketKind.EXPEDITED_DEPROVISIONING: (frozenset({INTUNE}), "X-1"),
    TicketKind.MIGRATION: (frozenset({D365}), "M-1"),
    TicketKind.REVERSAL: (frozenset({D365}), "R-1"),
    TicketKind.IMS_CANCELLATION: (frozenset({D365}), "I-1"),
    TicketKind.UNSUBSCRIBE_RESOURCE: (frozenset({CLOUD}), "U-1"),
}

# How the kinds read inside a sentence.
KIND_PHRASES: Mapping[TicketKind, str] = {
    TicketKind.CANCEL_END_OF_TERM: "end-of-term cancellation",
    TicketKind.CANCEL_EARLY: "early cancellation",
    TicketKind.EXPEDITED_DEPROVISIONING: "expedited deprovisioning",
    TicketKind.MIGRATION: "migration to on-premises",
    TicketKind.REVERSAL: "30-day reversal",
    TicketKind.IMS_CANCELLATION: "Internet Marketing cancellation",
    TicketKind.UNSUBSCRIBE_RESOURCE: "unsubscription of a renewal resource",
}

CHANNEL_WORDS: Mapping[Channel, str] = {
    Channel.ONLINE: "online",
    Channel.PRODUCT_KEY: "product-key",
    Channel.OPEN: "Open",
    Channel.FPP: "FPP",
    Channel.TRIAL: "trial",
}

ADMIN_ROLES = frozenset({Role.ADMIN, Role.BILLING_ADMIN})
DATA_RETENTION_DAYS = 90  # C-8
EXPEDITED_DELETION_DAYS = 3  # X-1, counted from approval
REVERSAL_DAYS = 30
SELF_SERVICE_MAX_LICENSES = 24  # C-6: "fewer than 25 licenses assigned"
SELF_SERVICE_WINDOW_DAYS = 30  # C-6: "within the first 30 days after purchase"

ROUTE_CANCELLATIONS = "cancellations desk"
ROUTE_TECHNICAL = "technical support"  # M-2
ROUTE_BILLING = "billing support"  # M-2
MIGRATION_ROUTES: Mapping[Platform, str] = {
    Platform.ONLINE_SERVICES: ROUTE_TECHNICAL,
    Platform.COMMERCE_TRANSACTION: ROUTE_BILLING,
}

C1_PATH = "Subscriptions > Manage > {name} > Turn auto-renew off"
C6_PATH = (
    "admin center > Billing > Subscriptions > {name} > Cancel subscription, "
    "then review the dates and give feedback"
)
U4_PATH = (
    "Unsubscriptions and Returns/Exchanges > Cloud Service Unsubscriptions > "
    "Unsubscribe from Inactive Resources > Unsubscription Allowed"
)
I2_AD_CENTER = (
    "delete or pause all current campaign activities, then sign in to Microsoft Ad Center "
    "with its own credentials to cancel the account"
)

# ---------------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reason:
    rule: str  # "C-3"
    text: str  # plain words with the facts behind it

    def __str__(self) -> str:
        return f"{self.rule}: {self.text}"

    def as_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "text": self.text}


@dataclass(frozen=True)
class ChecklistItem:
    key: str  # stable id stored on the ticket
    rule: str
    text: str  # what the agent confirms with the caller, naming the facts

    def as_dict(self) -> dict[str, str]:
        return {"key": self.key, "rule": self.rule, "text": self.text}


@dataclass(frozen=True)
class Consequences:
    """T-1: computed before filing, shown to the agent, stored on the ticket."""

    effective_date: date | None
    early_termination_fee_may_apply: bool
    refund: str | None
    self_service: str | None
    data_deletion_date: date | None
    data_deletion_note: str | None
    reversal_deadline: date | None
    coupon_handling: str | None
    routing_queue: str | None
    notes: tuple[Reason, ...]

    def as_dict(self) -> dict[str, Any]:
        def iso(d: date | None) -> str | None:
            return d.isoformat() if d is not None else None

        return {
            "effective_date": iso(self.effective_date),
            "early_termination_fee_may_apply": self.early_termination_fee_may_apply,
            "refund": self.refund,
            "self_service": self.self_service,
            "data_deletion_date": iso(self.data_deletion_date),
            "data_deletion_note": self.data_deletion_note,
            "reversal_deadline": iso(self.reversal_deadline),
            "coupon_handling": self.coupon_handling,
            "routing_queue": self.routing_queue,
            "notes": [n.as_dict() for n in self.notes],
        }


@dataclass(frozen=True)
class Decision:
    kind: TicketKind
    allowed: bool
    reasons: tuple[Reason, ...]  # refused: every refusal reason; allowed: the rules granting it
    checklist: tuple[ChecklistItem, ...]
    consequences: Consequences | None  # None when refused
    needs_review: bool  # X always; early cancellation with a refund requested; reversal (V-8)
    needs_callback: bool  # V-8: X, R, early cancellation with refund
    required_fields: tuple[str, ...]
    # Context for validate_filing (additions to the brief's API):
    product: Product | None = None
    subject_ref: str = ""  # the subscription's or the resource's ref
    subject_name: str = ""
    # The range the requested date must fall in (V-1: today .. term end), when the kind has one.
    requested_date_range: tuple[date, date] | None = None
    refund_requested: bool = False
    # C-4/C-5: whether a refund may be asked for at all (the form offers the box only then).
    refund_offered: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "allowed": self.allowed,
            "reasons": [r.as_dict() for r in self.reasons],
            "checklist": [c.as_dict() for c in self.checklist],
            "consequences": self.consequences.as_dict() if self.consequences else None,
            "needs_review": self.needs_review,
            "needs_callback": self.needs_callback,
            "required_fields": list(self.required_fields),
            "refund_requested": self.refund_requested,
            "refund_offered": self.refund_offered,
        }


@dataclass(frozen=True)
class BatchDecision:
    allowed: tuple[tuple[ResourceFacts, Decision], ...]
    refused: tuple[tuple[ResourceFacts, Decision], ...]


# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------


def _utc(dt: datetime) -> datetime:
    """Aware UTC; a naive datetime is taken to be UTC already."""
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt.astimezone(timezone.utc)


def _day(dt: datetime) -> date:
    return _utc(dt).date()


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _and(items: Sequence[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _money(minor: int) -> str:
    """Minor units (cents) as 12.34."""
    sign = "-" if minor < 0 else ""
    minor = abs(minor)
    return f"{sign}{minor // 100}.{minor % 100:02d}"


def _roles(caller: CallerFacts) -> str:
    return ", ".join(sorted(r.value for r in caller.roles)) or "no role"


def _ticket_phrase(t: TicketSummary) -> str:
    return f"{t.ref} ({KIND_PHRASES[t.kind]}, {t.status.label})"


def _active(tickets: Sequence[TicketSummary], kinds: Collection[TicketKind]) -> list[TicketSummary]:
    return [t for t in tickets if t.kind in kinds and t.status in ACTIVE_STATUSES]


def _live_campaigns(sub: SubscriptionFacts) -> list[CampaignFacts]:
    return [c for c in sub.campaigns if c.state is not CampaignState.CANCELLED]


@dataclass
class _Ctx:
    kind: TicketKind
    sub: SubscriptionFacts
    caller: CallerFacts
    now: datetime
    requested_date: date | None
    refund_requested: bool
    approved_at: datetime | None

    @property
    def today(self) -> date:
        return self.now.date()

    @property
    def term_end(self) -> date:
        return _day(self.sub.term_end)

    @property
    def cancelled_on(self) -> date | None:
        return _day(self.sub.cancelled_at) if self.sub.cancelled_at is not None else None


@dataclass
class _Grant:
    """What an allowed decision carries besides its kind."""

    reasons: list[Reason]
    checklist: list[ChecklistItem]
    consequences: Consequences
    required_fields: tuple[str, ...] = ()
    requested_date_range: tuple[date, date] | None = None


def _flags(kind: TicketKind, refund_requested: bool) -> tuple[bool, bool]:
    """(needs_review, needs_callback): X-2 and V-8."""
    money_or_irreversible = (
        kind in (TicketKind.EXPEDITED_DEPROVISIONING, TicketKind.REVERSAL)
        or (kind is TicketKind.CANCEL_EARLY and refund_requested)
    )
    return money_or_irreversible, money_or_irreversible


def _decision(c: _Ctx, refusals: list[Reason], grant: Callable[[], _Grant]) -> Decision:
    review, callback = _flags(c.kind, c.refund_requested)
    common = dict(
        kind=c.kind,
        needs_review=review,
        needs_callback=callback,
        product=c.sub.product,
        subject_ref=c.sub.ref,
        subject_name=c.sub.name,
        refund_requested=c.refund_requested,
        refund_offered=(c.kind is TicketKind.CANCEL_EARLY
                        and not refund_request_refusals(dataclasses.replace(c, refund_requested=True))),
    )
    if refusals:
        return Decision(allowed=False, reasons=tuple(refusals), checklist=(), consequences=None,
                        required_fields=(), **common)
    g = grant()
    return Decision(allowed=True, reasons=tuple(g.reasons), checklist=tuple(g.checklist),
                    consequences=g.consequences, required_fields=g.required_fields,
                    requested_date_range=g.requested_date_range, **common)


def _refused(c: _Ctx, refusals: list[Reason]) -> Decision:
    def no_grant() -> _Grant:  # never called: there are refusals
        raise AssertionError("refused")

    return _decision(c, refusals, no_grant)


def _consequences(
    notes: list[Reason],
    *,
    effective_date: date | None = None,
    fee: bool = False,
    refund: Reason | None = None,
    self_service: Reason | None = None,
    data_deletion_date: date | None = None,
    data_deletion_note: Reason | None = None,
    reversal_deadline: date | None = None,
    coupon_handling: Reason | None = None,
    routing_queue: str | None = ROUTE_CANCELLATIONS,
) -> Consequences:
    def s(r: Reason | None) -> str | None:
        return str(r) if r is not None else None

    return Consequences(
        effective_date=effective_date,
        early_termination_fee_may_apply=fee,
        refund=s(refund),
        self_service=s(self_service),
        data_deletion_date=data_deletion_date,
        data_deletion_note=s(data_deletion_note),
        reversal_deadline=reversal_deadline,
        coupon_handling=s(coupon_handling),
        routing_queue=routing_queue,
        notes=tuple(notes),
    )


# ---------------------------------------------------------------------------------------------
# Rules shared by several kinds
# ---------------------------------------------------------------------------------------------


def offer_refusal(kind: TicketKind, product: Product) -> Reason | None:
    """Each kind only where an article offers it (KIND_PRODUCTS)."""
    products, rule = KIND_PRODUCTS[kind]
    if product in products:
        return None
    names = _and([p.label for p in Product if p in products])
    if kind is TicketKind.UNSUBSCRIBE_RESOURCE:
        return Reason(rule, f"unsubscription is offered for {names} renewal resources")
    return Reason(rule, f"{KIND_PHRASES[kind]} is offered for {names} subscriptions")


def v2_refusals(c: _Ctx) -> list[Reason]:
    """V-2: who may ask. [D365] billing actions need the billing administrator."""
    roles = c.caller.roles
    if c.sub.product is D365 and c.kind in (TicketKind.CANCEL_EARLY, TicketKind.REVERSAL):
        if Role.BILLING_ADMIN in roles:
            return []
        return [Reason("V-2", "Dynamics 365 billing actions need the billing administrator; "
                              f"the caller ({_roles(c.caller)}) must work with the billing "
                              "administrator, the person who signed up")]
    if roles & ADMIN_ROLES:
        return []
    return [Reason("V-2", f"the caller must be listed as an admin of {c.sub.name}; "
                          f"{c.caller.user_id} has {_roles(c.caller)}")]


def v2_grant(c: _Ctx) -> Reason:
    if c.sub.product is D365 and c.kind in (TicketKind.CANCEL_EARLY, TicketKind.REVERSAL):
        return Reason("V-2", f"the caller is the billing administrator of {c.sub.name}")
    held = "admin" if Role.ADMIN in c.caller.roles else "billing admin"
    return Reason("V-2", f"the caller is listed as {held} of {c.sub.name}")


def state_refusals(c: _Ctx) -> list[Reason]:
    """Deleted and expired subscriptions allow nothing; cancelled ones only R (D365) and X
    (Intune, while its data exists), which decide that themselves."""
    sub, kind = c.sub, c.kind
    if sub.state is SubscriptionState.DELETED:
        if kind is TicketKind.REVERSAL:
            return [Reason("R-3", f"{sub.name} is deleted and its data is gone: nothing to reverse")]
        return [Reason("X-3", f"{sub.name} is deleted and its data is gone: nothing can be done")]
    if sub.state is SubscriptionState.EXPIRED:
        rule = _home_rule(kind, sub.product)
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


def _home_rule(kind: TicketKind, product: Product) -> str:
    if kind is TicketKind.CANCEL_EARLY and product is D365:
        return "V-1"
    return KIND_PRODUCTS[kind][1]


def c3_refusal(c: _Ctx) -> list[Reason]:
    """C-3 [Intune]: trials cannot be cancelled (nor deprovisioned early)."""
    if c.sub.product is INTUNE and c.sub.channel is Channel.TRIAL:
        return [Reason("C-3", "Intune trial subscriptions cannot be cancelled; it expires on "
                              f"{c.term_end} and its data is deleted then")]
    return []


def c9_refusals(c: _Ctx) -> list[Reason]:
    """C-9 (desk): at most one open cancellation-type ticket per subscription."""
    return [Reason("C-9", f"{_ticket_phrase(t)} is already open for this subscription")
            for t in _active(c.sub.tickets, CANCELLATION_KINDS)]


def same_kind_refusals(c: _Ctx) -> list[Reason]:
    """Kinds outside C-9 (R, I) are not filed twice while one is active (T-3 spirit)."""
    return [Reason(_home_rule(c.kind, c.sub.product),
                   f"{_ticket_phrase(t)} is already open for this subscription")
            for t in _active(c.sub.tickets, {c.kind})]


def requested_date_refusals(c: _Ctx, rule: str) -> list[Reason]:
    d = c.requested_date
    if d is None:
        return []
    if d < c.today:
        return [Reason(rule, f"the requested date {d} is in the past (today is {c.today})")]
    if d > c.term_end:
        return [Reason(rule, f"the requested date {d} is after the term ends on {c.term_end}")]
    return []


def c6_self_service(sub: SubscriptionFacts, now: datetime) -> Reason:
    """C-6 [O365]: fewer than 25 licenses assigned, or within the first 30 days after purchase."""
    n = sub.licenses_assigned
    bought = _day(sub.purchased_at)
    window_end = _utc(sub.purchased_at) + timedelta(days=SELF_SERVICE_WINDOW_DAYS)
    few = n <= SELF_SERVICE_MAX_LICENSES
    recent = now < window_end
    licenses = _plural(n, "license") + " assigned"
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


def c7_checklist(c: _Ctx, effective: date | None) -> list[ChecklistItem]:
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


def c8_notes(c: _Ctx, effective: date) -> tuple[date, list[Reason]]:
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


def c4_refund(c: _Ctx) -> Reason | None:
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


def refund_request_refusals(c: _Ctx) -> list[Reason]:
    if not c.refund_requested:
        return []
    sub = c.sub
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


# ---------------------------------------------------------------------------------------------
# One function per ticket kind
# ---------------------------------------------------------------------------------------------


def _end_of_term(c: _Ctx) -> Decision:
    """C-1 [Intune]: turn auto-renew off; it expires at term end and billing stops."""
    sub = c.sub
    refusals = v2_refusals(c) + state_refusals(c)
    if sub.state is SubscriptionState.ACTIVE:
        if c3 := c3_refusal(c):
            refusals += c3
        elif sub.channel in (Channel.OPEN, Channel.FPP):
            refusals.append(Reason("C-2", f"{CHANNEL_WORDS[sub.channel]} subscriptions already expire at term "
                                          f"end: no end-of-term cancellation is needed; it expires "
                                          f"on {c.term_end}"))
        elif not sub.auto_renew:
            refusals.append(Reason("C-1", "nothing to do: auto-renew is already off; it expires on "
                                          f"{c.term_end}"))
    refusals += c9_refusals(c)

    def grant() -> _Grant:
        effective = c.term_end
        self_service = Reason("C-1", "the customer can do it themselves: "
                                     + C1_PATH.format(name=sub.name))
        # ARTICLE: the Intune article states the 90-day deletion (C-8) and the checklist (C-7)
        # for cancelling *before* the end of term; for expiry at term end it says only that the
        # subscription expires and is no longer billed. So no deletion date is claimed here.
        deletion_note = Reason("C-1", "the Intune article states no data-deletion date for a "
                                      "subscription that expires at term end")
        notes = [
            Reason("C-1", f"auto-renew is turned off: {sub.name} expires on {effective} and is no "
                          "longer billed"),
            self_service,
            deletion_note,
        ]
        return _Grant(
            reasons=[v2_grant(c), Reason("C-1", "an Intune subscription with auto-renew on is "
                                                "cancelled at the end of its term")],
            checklist=[ChecklistItem("turn_off_auto_renew", "C-1",
                                     f"auto-renew of {sub.name} is turned off: it expires on "
                                     f"{effective} and billing stops then")],
            consequences=_consequences(notes, effective_date=effective, self_service=self_service,
                                       data_deletion_note=deletion_note),
        )

    return _decision(c, refusals, grant)


def _cancel_early(c: _Ctx) -> Decision:
    """C-4 [O365, Intune] before the end of term; [D365] on the day the customer wants it
    terminated (V-1), after the C-7 decisions, not while a migration is open (M-4)."""
    sub = c.sub
    d365 = sub.product is D365
    date_rule = "V-1"
    refusals = v2_refusals(c) + state_refusals(c)
    if sub.state is SubscriptionState.ACTIVE:
        refusals += c3_refusal(c)
        if c.today > c.term_end:
            refusals.append(Reason(_home_rule(c.kind, sub.product),
                                   f"the term ended on {c.term_end}: nothing to cancel early"))
        else:
            refusals += requested_date_refusals(c, date_rule)
        refusals += refund_request_refusals(c)
    if d365:
        refusals += [Reason("M-4", f"the cancellation can only be filed once migration {t.ref} is "
                                   f"done ({t.status.label})")
                     for t in _active(sub.tickets, {TicketKind.MIGRATION})]
    refusals += c9_refusals(c)

    def grant() -> _Grant:
        return _grant_cancel_d365(c) if d365 else _grant_cancel_o365_intune(c)

    return _decision(c, refusals, grant)


def _grant_cancel_o365_intune(c: _Ctx) -> _Grant:
    sub = c.sub
    effective = c.requested_date or c.today
    trial = sub.channel is Channel.TRIAL
    fee = not trial and effective < c.term_end
    reasons = [v2_grant(c)]
    if trial:  # only O365 gets here: Intune trials are refused (C-3)
        reasons.append(Reason("C-6", "Office 365 trial subscriptions can be cancelled"))
    reasons.append(Reason("C-4", f"{sub.name} can be cancelled before its term ends on {c.term_end}"))
    notes: list[Reason] = [Reason("C-4", f"the cancellation takes effect on {effective}")]
    if fee:
        notes.append(Reason("C-4", f"early termination fees may apply: the term runs until {c.term_end}"))
    refund = c4_refund(c)
    if refund:
        notes.append(refund)
    if sub.product is O365:
        self_service = c6_self_service(sub, c.now)
    elif sub.channel is Channel.PRODUCT_KEY:
        self_service = Reason("C-5", "only through support: product-key subscriptions are "
                                     "cancelled by calling support")
    else:
        self_service = Reason("C-4", "only through support: the customer cannot cancel an Intune "
                                     "subscription before the end of term themselves")
    notes.append(self_service)
    deletion, c8 = c8_notes(c, effective)
    notes += c8
    if c.refund_requested:
        notes.append(Reason("C-4", "a refund is requested: it goes through support and review"))
        notes.append(v8_note(c.kind))
    return _Grant(
        reasons=reasons,
        checklist=c7_checklist(c, effective),
        consequences=_consequences(notes, effective_date=effective, fee=fee, refund=refund,
                                   self_service=self_service, data_deletion_date=deletion),
        requested_date_range=(c.today, c.term_end),
    )


def _grant_cancel_d365(c: _Ctx) -> _Grant:
    sub = c.sub
    effective = c.requested_date
    reasons = [v2_grant(c), Reason("V-1", f"{sub.name} is cancelled on the day the customer wants "
                                          "it terminated, recorded on the ticket")]
    notes: list[Reason] = []
    if effective:
        notes.append(Reason("V-1", f"the cancellation takes effect on {effective}"))
    else:
        notes.append(Reason("V-1", "the day the customer wants it terminated is still to be recorded"))
    # ARTICLE: the Dynamics 365 article says nothing of fees, refunds or a deletion date.
    notes.append(Reason("C-4", "early termination fees and refunds are stated for Office 365 and "
                               "Intune only; the Dynamics 365 article states neither (it refers "
                               "to section 4 of the Online Service Agreement)"))
    deletion_note = Reason("C-7", "the Dynamics 365 article states no data-deletion date: if the "
                                  "customer keeps the data, export it before the cancellation")
    notes.append(deletion_note)
    deadline = effective + timedelta(days=REVERSAL_DAYS) if effective else None
    if deadline:
        notes.append(Reason("R-1", f"the cancellation can be reversed until {deadline} with the "
                                   "same identity information"))
    else:
        notes.append(Reason("R-1", "the cancellation can be reversed within 30 days of taking effect"))
    live = _live_campaigns(sub)
    if live:
        notes.append(Reason("I-2", "Internet Marketing campaigns whose activities are not deleted "
                                   "keep running after the cancellation, and so do their "
                                   "search-engine ads; the customer then cancels or manages them "
                                   "in Microsoft Ad Center"))
    self_service = Reason("V-1", "not self-service: the Dynamics 365 article has the customer "
                                 "contact billing support")
    notes.append(self_service)
    if c.refund_requested:
        refund = Reason("V-8", "a refund is requested; the Dynamics 365 article promises none: it "
                               "goes to review and needs a callback")
        notes.append(refund)
        notes.append(v8_note(c.kind))
    else:
        refund = None
    checklist = [ChecklistItem(
        "keep_data_decision", "C-7",
        "decide whether to keep the data: if so, export it first (Export Data to Excel)"
        + (f" before {effective}" if effective else ""))]
    if live:
        names = _and([c_.name for c_ in live])
        owners = sorted({c_.billing_admin_user_id for c_ in live
                         if c_.billing_admin_user_id != c.caller.user_id})
        text = (f"for the Internet Marketing campaigns {names}: keep their activities to keep the "
                "search-engine ads running, or delete or pause all their activities to stop the "
                "ads and their billing")
        if owners:
            text += (f"; the caller must work with the campaign billing admin "
                     f"({', '.join(owners)}) who signed up for it")
        checklist.append(ChecklistItem("ims_campaigns_decision", "C-7", text))
    return _Grant(
        reasons=reasons,
        checklist=checklist,
        consequences=_consequences(notes, effective_date=effective, refund=refund,
                                   self_service=self_service, data_deletion_note=deletion_note,
                                   reversal_deadline=deadline),
        required_fields=("requested_date",),
        requested_date_range=(c.today, c.term_end),
    )


def _expedited(c: _Ctx) -> Decision:
    """X-1 [Intune]: cancel and delete all data within 3 days of approval (X-2); X-3."""
    sub = c.sub
    refusals = v2_refusals(c) + state_refusals(c) + c3_refusal(c)
    if sub.expedited_at is not None:
        refusals.append(Reason("X-3", f"{sub.name} was already deprovisioned on "
                                      f"{_day(sub.expedited_at)}: nothing can be reversed"))
    elif sub.data_deleted_at is not None:
        refusals.append(Reason("X-3", f"the data of {sub.name} was deleted on "
                                      f"{_day(sub.data_deleted_at)}: nothing left to deprovision"))
    elif sub.state is SubscriptionState.CANCELLED:
        if c.cancelled_on is None:
            refusals.append(Reason("C-8", "the cancellation date is not recorded: cannot tell "
                                          "whether the data still exists"))
        else:
            gone = c.cancelled_on + timedelta(days=DATA_RETENTION_DAYS)
            if c.today >= gone:
                refusals.append(Reason("X-3", f"the data was permanently deleted on {gone}, 90 days "
                                              f"after the cancellation on {c.cancelled_on} (C-8)"))
    refusals += c9_refusals(c)

    def grant() -> _Grant:
        active = sub.state is SubscriptionState.ACTIVE
        approved = _day(c.approved_at) if c.approved_at is not None else None
        effective = approved if active else c.cancelled_on
        deletion = approved + timedelta(days=EXPEDITED_DELETION_DAYS) if approved else None
        when = f"by {deletion}" if deletion else "within 3 days after approval"
        deletion_note = Reason("X-2", f"all data is deleted within 3 days after approval ({when})"
                               if deletion else "all data is deleted within 3 days after approval")
        notes = [
            Reason("X-1", f"{sub.name} is cancelled and all its data deleted {when}, instead of "
                          "after 90 days"),
            Reason("X-2", "a supervisor other than the filing agent approves it; the 3 days "
                          "count from approval"),
            Reason("X-3", "nothing can be reversed once the data is deleted"),
        ]
        fee = False
        refund = None
        if active:
            fee = (approved or c.today) < c.term_end and sub.channel is not Channel.TRIAL
            if fee:
                notes.append(Reason("C-4", f"early termination fees may apply: the term runs until "
                                           f"{c.term_end}"))
            refund = c4_refund(c)
            if refund:
                notes.append(refund)
        self_service = Reason("X-1", "only through support")
        notes += [self_service, v8_note(c.kind)]
        checklist = [ChecklistItem(
            "acknowledge_data_loss", "X-2",
            f"the caller explicitly acknowledges that all data of {sub.name} is deleted within 3 "
            "days of approval and that nothing can be reversed (X-3)")]
        if active:
            checklist += c7_checklist(c, effective)
        else:
            checklist.append(ChecklistItem("save_data", "C-7", f"save any data of {sub.name} "
                                           "elsewhere now: it is deleted within 3 days of approval"))
        return _Grant(
            reasons=[v2_grant(c), Reason("X-1", "expedited deprovisioning of an Intune subscription, "
                                                "through support")],
            checklist=checklist,
            consequences=_consequences(notes, effective_date=effective, fee=fee, refund=refund,
                                       self_service=self_service, data_deletion_date=deletion,
                                       data_deletion_note=deletion_note),
        )

    return _decision(c, refusals, grant)


def _migration(c: _Ctx) -> Decision:
    """M-1..M-4 [D365]: migrate first, route by platform, transfer at a future time."""
    sub = c.sub
    refusals = v2_refusals(c) + state_refusals(c)
    if sub.platform is None:
        refusals.append(Reason("M-2", "determine the platform first (Online Services or Commerce "
                                      "Transaction): the Dynamics 365 tab of the Billing and "
                                      "subscription support page helps"))
    refusals += c9_refusals(c)

    def grant() -> _Grant:
        assert sub.platform is not None
        queue = MIGRATION_ROUTES[sub.platform]
        route = Reason("M-2", f"on the {sub.platform.name.replace('_', ' ').title()} platform: "
                              f"routed to {queue}")
        notes = [
            Reason("M-1", "the data is migrated first; the online subscription is cancelled after"),
            route,
            Reason("M-3", "the data is transferred to a secure site at the requested time and the "
                          "customer's IT department is told it is ready to download"),
            Reason("M-4", "the cancellation can only be filed once the migration is done"),
        ]
        return _Grant(
            reasons=[v2_grant(c), Reason("M-1", "migration of a Dynamics 365 (online) subscription "
                                                "to on-premises")],
            checklist=[
                ChecklistItem("migrate_first", "M-1",
                              f"the data of {sub.name} is migrated first; the online subscription "
                              "is cancelled only after the migration is done (M-4)"),
                ChecklistItem("it_contact_confirmed", "M-3",
                              "the IT contact who is told the data is ready to download, and the "
                              "transfer time, are confirmed with the caller"),
            ],
            consequences=_consequences(notes, self_service=route, routing_queue=queue),
            required_fields=("transfer_at", "it_contact"),
        )

    return _decision(c, refusals, grant)


def _reversal(c: _Ctx) -> Decision:
    """R-1..R-3 [D365]: within 30 days of the cancellation, nothing after deletion."""
    sub = c.sub
    refusals = v2_refusals(c) + state_refusals(c)
    if sub.state is SubscriptionState.CANCELLED:
        if sub.expedited_at is not None or sub.data_deleted_at is not None:
            gone = _day(sub.data_deleted_at or sub.expedited_at)  # type: ignore[arg-type]
            refusals.append(Reason("R-3", f"the data of {sub.name} was deleted ({gone}): nothing "
                                          "to reverse (X-3)"))
        elif c.cancelled_on is None:
            refusals.append(Reason("R-1", "the cancellation date is not recorded: cannot tell "
                                          "whether the 30 days have passed"))
        elif c.today > c.cancelled_on + timedelta(days=REVERSAL_DAYS):
            refusals.append(Reason("R-1", f"the cancellation took effect on {c.cancelled_on}; it "
                                          "could be reversed until "
                                          f"{c.cancelled_on + timedelta(days=REVERSAL_DAYS)}"))
    refusals += same_kind_refusals(c)

    def grant() -> _Grant:
        assert c.cancelled_on is not None
        deadline = c.cancelled_on + timedelta(days=REVERSAL_DAYS)
        notes = [
            Reason("R-1", f"the cancellation of {c.cancelled_on} can be reversed until {deadline}, "
                          "with the same identity information used to cancel (a fresh verification)"),
            Reason("R-2", "cancelled Internet Marketing campaigns are not reinstated; the customer "
                          "must sign up again"),
            v8_note(c.kind),
        ]
        checklist = [ChecklistItem("same_identity", "R-1",
                                   "the caller gave the same identity information used to cancel, "
                                   "verified afresh on this call")]
        gone = [x.name for x in sub.campaigns if x.state is CampaignState.CANCELLED]
        if gone:
            checklist.append(ChecklistItem("campaigns_not_reinstated", "R-2",
                                           f"the cancelled campaigns {_and(gone)} are not "
                                           "reinstated; the customer must sign up again"))
        return _Grant(
            reasons=[v2_grant(c), Reason("R-1", f"cancelled on {c.cancelled_on}, within 30 days "
                                                f"(until {deadline})")],
            checklist=checklist,
            consequences=_consequences(notes, reversal_deadline=deadline),
        )

    return _decision(c, refusals, grant)


def _ims(c: _Ctx) -> Decision:
    """I-1, I-2 [D365]: the org's or a campaign's billing admin cancels the campaigns."""
    sub = c.sub
    refusals = state_refusals(c)
    live = _live_campaigns(sub)
    org_wide = bool(c.caller.roles & {Role.BILLING_ADMIN, Role.IMS_BILLING_ADMIN})
    mine = [x for x in live if x.billing_admin_user_id == c.caller.user_id]
    scope = live if org_wide else mine
    if not live:
        had = _and([x.name for x in sub.campaigns])
        refusals.append(Reason("I-1", f"{sub.name} has no Internet Marketing campaign to cancel"
                                      + (f": {had} already cancelled" if had else "")))
    elif not scope:
        refusals.append(Reason("I-1", "the Internet Marketing service is cancelled by the billing "
                                      "admin of the organization or of a campaign; "
                                      f"{c.caller.user_id} ({_roles(c.caller)}) is neither"))
    refusals += same_kind_refusals(c)

    def grant() -> _Grant:
        names = _and([x.name for x in scope])
        if Role.BILLING_ADMIN in c.caller.roles:
            who = Reason("V-2", f"the caller is the billing administrator of {sub.name}")
        elif Role.IMS_BILLING_ADMIN in c.caller.roles:
            who = Reason("I-1", "the caller is the Internet Marketing billing admin")
        else:
            who = Reason("I-1", f"the caller is the billing admin of the campaign {names}, so can "
                                "cancel it without being the organization's billing admin")
        self_service = Reason("I-2", "the customer can do it themselves: " + I2_AD_CENTER)
        notes = [
            Reason("I-2", f"cancelling {names} stops their search-engine ads and their billing "
                          "from Microsoft Ad Center"),
            Reason("R-2", "a cancelled campaign cannot be reinstated; the customer must sign up again"),
            self_service,
            Reason("I-2", f"the {sub.name} subscription itself stays as it is"),
        ]
        return _Grant(
            reasons=[who],
            checklist=[
                ChecklistItem("stop_campaign_activities", "I-2",
                              f"all current activities of {names} are deleted or paused, which "
                              "stops the search-engine ads and their billing"),
                ChecklistItem("no_reinstatement", "R-2",
                              "once cancelled the campaigns cannot be reinstated; the customer "
                              "would have to sign up again"),
            ],
            consequences=_consequences(notes, effective_date=c.today, self_service=self_service),
        )

    return _decision(c, refusals, grant)


_KIND_FUNCTIONS: Mapping[TicketKind, Callable[[_Ctx], Decision]] = {
    TicketKind.CANCEL_END_OF_TERM: _end_of_term,
    TicketKind.CANCEL_EARLY: _cancel_early,
    TicketKind.EXPEDITED_DEPROVISIONING: _expedited,
    TicketKind.MIGRATION: _migration,
    TicketKind.REVERSAL: _reversal,
    TicketKind.IMS_CANCELLATION: _ims,
}

# ---------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------


def decide(
    kind: TicketKind,
    sub: SubscriptionFacts,
    caller: CallerFacts,
    now: datetime,
    *,
    requested_date: date | None = None,
    refund_requested: bool = False,
    approved_at: datetime | None = None,
) -> Decision:
    """Whether a ticket of `kind` may be filed for `sub` by `caller` at `now`, and what follows."""
    c = _Ctx(kind, sub, caller, _utc(now), requested_date, refund_requested, approved_at)
    offer = offer_refusal(kind, sub.product)
    if offer is not None:
        return _refused(c, [offer])
    if kind is TicketKind.UNSUBSCRIBE_RESOURCE:
        return _refused(c, [Reason("U-2", "unsubscription is decided for each renewal resource "
                                          f"of {sub.name}: choose them (single or batch)")])
    return _KIND_FUNCTIONS[kind](c)


def decide_all(sub: SubscriptionFacts, caller: CallerFacts, now: datetime) -> tuple[Decision, ...]:
    """Every subscription-level kind, in TicketKind order."""
    return tuple(decide(k, sub, caller, now) for k in TicketKind
                 if k is not TicketKind.UNSUBSCRIBE_RESOURCE)


def decide_resource(res: ResourceFacts, caller: CallerFacts, now: datetime) -> Decision:
    """U-1..U-4 [Cloud]: unsubscribe one inactive renewal resource."""
    now = _utc(now)
    kind = TicketKind.UNSUBSCRIBE_RESOURCE
    refusals: list[Reason] = []
    if not caller.roles & ADMIN_ROLES:
        refusals.append(Reason("V-2", f"the caller must be listed as an admin of "
                                      f"{res.subscription_ref}; {caller.user_id} has {_roles(caller)}"))
    if res.state is not ResourceState.INACTIVE:
        refusals.append(Reason("U-1", f"{res.ref} is already unsubscribed"))
    elif _utc(res.effective_at) <= now:
        refusals.append(Reason("U-1", f"{res.ref} took effect on {_day(res.effective_at)}: it is no "
                                      "longer an inactive resource bought for a future time"))
    # U-1: each blocking condition the article lists, every one that holds.
    if res.transaction_in_progress:
        refusals.append(Reason("U-1", f"another transaction for {res.ref} is in progress"))
    if res.special_unsubscription_pending:
        refusals.append(Reason("U-1", f"a special unsubscription from {res.ref} is being applied for"))
    if res.in_promotion:
        refusals.append(Reason("U-1", f"the renewal order of {res.ref} has been in a promotion activity"))
    if res.invoice_issued:
        refusals.append(Reason("U-1", f"an invoice has been issued for the renewal order of {res.ref}"))
    refusals += [Reason("U-2", f"{_ticket_phrase(t)} is already filed for {res.ref}")
                 for t in _active(res.tickets, {kind})]
    common = dict(kind=kind, needs_review=False, needs_callback=False, product=CLOUD,
                  subject_ref=res.ref, subject_name=res.description)
    if refusals:
        return Decision(allowed=False, reasons=tuple(refusals), checklist=(), consequences=None,
                        required_fields=(), **common)
    coupons = Reason("U-3", f"no handling fee; {_money(res.cash_coupons_used)} of cash coupons "
                            f"returned; {_money(res.discount_coupons_used)} of discount coupons "
                            "not returned")
    self_service = Reason("U-4", "the customer can do it themselves: " + U4_PATH)
    notes = [
        Reason("U-1", f"{res.description} ({res.ref}) was bought for {_day(res.effective_at)} and "
                      "none of the blocking conditions holds"),
        coupons,
        self_service,
    ]
    return Decision(
        allowed=True,
        reasons=(Reason("U-1", f"{res.ref} is an inactive renewal resource and none of the U-1 "
                               "conditions blocks it"),),
        checklist=(ChecklistItem("confirm_unsubscription", "U-2",
                                 f"the caller confirms unsubscribing from {res.description} "
                                 f"({res.ref}, effective {_day(res.effective_at)}) for the reason "
                                 "given"),),
        consequences=_consequences(notes, effective_date=now.date(), self_service=self_service,
                                   coupon_handling=coupons),
        required_fields=("reason",),
        **common,
    )


def decide_batch(resources: Sequence[ResourceFacts], caller: CallerFacts,
                 now: datetime) -> BatchDecision:
    """U-2: each resource's outcome; only the ineligible ones are refused."""
    decided = [(r, decide_resource(r, caller, now)) for r in resources]
    return BatchDecision(
        allowed=tuple((r, d) for r, d in decided if d.allowed),
        refused=tuple((r, d) for r, d in decided if not d.allowed),
    )


# ---------------------------------------------------------------------------------------------
# Filing
# ---------------------------------------------------------------------------------------------

# V-6: free text that looks like someone is typing a credential.
_CREDENTIAL = re.compile(
    r"(?i)(\b(pass(word|wd|code|phrase)?|pwd|kennwort|mot de passe|contrase[nñ]a)\b\s*(is\b|[:=])"
    r"|密码|口令)"
)


def _as_date(value: object) -> date | None:
    if isinstance(value, datetime):
        return _day(value)
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value.strip():
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _as_datetime(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return _utc(value)
    if isinstance(value, str) and value.strip():
        try:
            return _utc(datetime.fromisoformat(value.strip()))
        except ValueError:
            return None
    return None


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def validate_filing(
    decision: Decision,
    *,
    confirmed: Collection[str],
    fields: Mapping[str, object],
    now: datetime,
) -> list[Reason]:
    """What still blocks filing: an empty list means the ticket can be filed."""
    if not decision.allowed:
        return list(decision.reasons)
    now = _utc(now)
    today = now.date()
    out: list[Reason] = []
    done = set(confirmed)
    out += [Reason(item.rule, f"not yet confirmed with the caller: {item.text}")
            for item in decision.checklist if item.key not in done]
    required = decision.required_fields

    raw = fields.get("requested_date")
    if "requested_date" in required or not _missing(raw):
        out += _check_requested_date(decision, raw, today)
    if "transfer_at" in required:
        raw = fields.get("transfer_at")
        when = _as_datetime(raw)
        if _missing(raw):
            out.append(Reason("M-3", "the transfer time is required"))
        elif when is None:
            out.append(Reason("M-3", f"the transfer time {raw!r} is not a date and time"))
        elif when <= now:
            out.append(Reason("M-3", f"the transfer time must be in the future: "
                                     f"{when.isoformat(timespec='minutes')} is not"))
    if "it_contact" in required:
        raw = fields.get("it_contact")
        if _missing(raw):
            out.append(Reason("M-3", "the IT contact's e-mail address is required"))
        else:
            try:
                validate_email(str(raw).strip(), check_deliverability=False)
            except EmailNotValidError as exc:
                out.append(Reason("M-3", f"the IT contact must be an e-mail address: {exc}"))
    if "reason" in required and _missing(fields.get("reason")):
        out.append(Reason("U-2", "the unsubscription reason is required"))
    for name, value in fields.items():
        if isinstance(value, str) and _CREDENTIAL.search(value):
            out.append(Reason("V-6", f"the {name.replace('_', ' ')} looks like it holds a password: "
                                     "never take a password; remove it"))
    return out


def _check_requested_date(decision: Decision, raw: object, today: date) -> list[Reason]:
    if _missing(raw):
        return [Reason("V-1", f"the day the customer wants {decision.subject_name or 'it'} "
                              "terminated is required")]
    d = _as_date(raw)
    if d is None:
        return [Reason("V-1", f"the requested date {raw!r} is not a date")]
    out: list[Reason] = []
    if d < today:
        out.append(Reason("V-1", f"the requested date {d} is in the past (today is {today})"))
    if decision.requested_date_range is not None and d > decision.requested_date_range[1]:
        out.append(Reason("V-1", f"the requested date {d} is after the term ends on "
                                 f"{decision.requested_date_range[1]}"))
    c = decision.consequences
    if c is not None and decision.kind is TicketKind.CANCEL_EARLY and c.effective_date != d:
        computed = c.effective_date.isoformat() if c.effective_date else "no date"
        out.append(Reason("T-1", f"the consequences were computed for {computed}, not {d}: "
                                 "decide again with the requested date before filing"))
    return out
