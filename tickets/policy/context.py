"""What every kind's decision is built from: the facts in context, small wording helpers,
and the one way a decision is assembled (refused with every reason, or granted)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property, partial

from tickets.dates import utc_day
from tickets.enums import ACTIVE_STATUSES, CampaignState, Role, TicketKind
from tickets.facts import CallerFacts, CampaignFacts, SubscriptionFacts, TicketSummary
from tickets.kinds import kind_spec, review_flags  # X-2, V-8: one definition, the audit re-derives them
from tickets.policy.results import ChecklistItem, Consequences, Decision, Reason
from tickets.policy.rules import KIND_PHRASES, ROUTE_CANCELLATIONS


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def and_list(items: Sequence[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def money(minor: int) -> str:
    """Minor units (cents) as 12.34."""
    sign = "-" if minor < 0 else ""
    minor = abs(minor)
    return f"{sign}{minor // 100}.{minor % 100:02d}"


def roles_text(caller: CallerFacts) -> str:
    """The caller's roles as the desk says them ("Internet Marketing billing admin", not the
    stored "ims_billing_admin"): reasons are read out to callers."""
    return ", ".join(sorted(Role(r).label for r in caller.roles)) or "no admin role"


def ticket_phrase(t: TicketSummary) -> str:
    return f"{t.ref} ({KIND_PHRASES[t.kind]}, {t.status.label})"


def active(tickets: Sequence[TicketSummary], kinds: Collection[TicketKind]) -> list[TicketSummary]:
    return [t for t in tickets if t.kind in kinds and t.status in ACTIVE_STATUSES]


def live_campaigns(sub: SubscriptionFacts) -> list[CampaignFacts]:
    return [c for c in sub.campaigns if c.state is not CampaignState.CANCELLED]


@dataclass
class Ctx:
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

    @cached_property  # asked for several times a decision; nothing in a Ctx changes after it is made
    def term_end(self) -> date:
        return utc_day(self.sub.term_end)

    @property
    def cancelled_on(self) -> date | None:
        return utc_day(self.sub.cancelled_at) if self.sub.cancelled_at is not None else None


@dataclass
class Grant:
    """What an allowed decision carries besides its kind."""

    reasons: list[Reason]
    checklist: list[ChecklistItem]
    consequences: Consequences
    required_fields: tuple[str, ...] = ()
    requested_date_range: tuple[date, date] | None = None


def make_decision(c: Ctx, refusals: list[Reason], grant: Callable[[], Grant]) -> Decision:
    from tickets.policy.shared import refund_refusals  # shared builds on this module

    review, callback = review_flags(c.kind, c.refund_requested)
    decision = partial(
        Decision,
        kind=c.kind,
        needs_review=review,
        needs_callback=callback,
        product=c.sub.product,
        subject_ref=c.sub.ref,
        subject_name=c.sub.name,
        refund_requested=c.refund_requested,
        refund_offered=kind_spec(c.kind).refund_request and not refund_refusals(c.sub),
    )
    if refusals:
        return decision(allowed=False, reasons=tuple(refusals), checklist=(), consequences=None,
                        required_fields=())
    g = grant()
    return decision(allowed=True, reasons=tuple(g.reasons), checklist=tuple(g.checklist),
                    consequences=g.consequences, required_fields=g.required_fields,
                    requested_date_range=g.requested_date_range)


def refused(c: Ctx, refusals: list[Reason]) -> Decision:
    def no_grant() -> Grant:  # never called: there are refusals
        raise AssertionError("refused")

    return make_decision(c, refusals, no_grant)


def make_consequences(
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
    """T-1: the computed dates and what follows, as the ticket shows and stores them."""

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

