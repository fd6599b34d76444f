"""What every kind's decision is built from: the facts in context, small wording helpers,
and the one way a decision is assembled (refused with every reason, or granted)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from typing import Any, Generic, TypeVar

from tickets.desk_time import desk_zone, local_day
from tickets.enums import ACTIVE_STATUSES, CampaignState, Channel, Role, TicketKind
from tickets.facts import CallerFacts, CampaignFacts, SubscriptionFacts, TicketSummary
from tickets.i18n import _, ngettext
from tickets.kinds import kind_spec, review_flags  # X-2, V-8: one definition, the audit re-derives them
from tickets.policy.results import ChecklistItem, Consequences, Decision, Reason
from tickets.policy.rules import D365, INTUNE, KIND_PHRASES, ROUTE_CANCELLATIONS


def licenses_text(n: int) -> str:
    """C-6: "1 license assigned", "40 licenses assigned"."""
    return ngettext("{n} license assigned", "{n} licenses assigned", n).format(n=n)


def and_list(items: Sequence[str]) -> str:
    """ "a, b and c" ("a、b和c" in Chinese)."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return _("{items} and {last}").format(items=_(", ").join(items[:-1]), last=items[-1])


def money(minor: int) -> str:
    """Minor units (cents) as 12.34."""
    sign = "-" if minor < 0 else ""
    minor = abs(minor)
    return f"{sign}{minor // 100}.{minor % 100:02d}"


def roles_text(caller: CallerFacts) -> str:
    """The caller's roles as the desk says them ("Internet Marketing billing admin", not the
    stored "ims_billing_admin"): reasons are read out to callers."""
    return _(", ").join(sorted(Role(r).label for r in caller.roles)) or _("no admin role")


def ticket_phrase(t: TicketSummary) -> str:
    return _("{ref} ({kind}, {status})").format(ref=t.ref, kind=_(KIND_PHRASES[t.kind]), status=t.status.label)


def active(tickets: Sequence[TicketSummary], kinds: Collection[TicketKind]) -> list[TicketSummary]:
    return [t for t in tickets if t.kind in kinds and t.status in ACTIVE_STATUSES]


def live_campaigns(sub: SubscriptionFacts) -> list[CampaignFacts]:
    return [c for c in sub.campaigns if c.state is not CampaignState.CANCELLED]


_T = TypeVar("_T")


class _once(Generic[_T]):  # noqa: N801 - read as a decorator, as cached_property is
    """functools.cached_property without its lock (3.11's takes an RLock at every first read,
    and a decision reads four of them): the value is put in the instance's dict, which later
    reads find first. A Ctx belongs to the one decision being made."""

    def __init__(self, compute: Callable[[Any], _T]) -> None:
        self._compute, self._name = compute, compute.__name__

    def __get__(self, instance: Any, owner: type | None = None) -> _T:
        if instance is None:  # read on the class: the descriptor itself, as cached_property
            return self  # type: ignore[return-value]
        value = instance.__dict__[self._name] = self._compute(instance)
        return value


@dataclass
class Ctx:
    kind: TicketKind
    sub: SubscriptionFacts
    caller: CallerFacts
    now: datetime
    requested_date: date | None
    refund_requested: bool
    approved_at: datetime | None
    # The desk's time zone: every day the rules count is a day at the desk (tickets.desk_time).
    zone: tzinfo = UTC

    @_once
    def today(self) -> date:
        return local_day(self.now, self.zone)

    def day(self, moment: datetime) -> date:
        """An instant's calendar day at the desk."""
        return local_day(moment, self.zone)

    @_once  # asked for several times a decision; nothing in a Ctx changes after it is made
    def term_end(self) -> date:
        return local_day(self.sub.term_end, self.zone)

    @_once
    def cancel_zone(self) -> tzinfo:
        """The zone the cancellation was counted in when it was filed (so a later change of the
        desk's setting cannot move a deadline already told to the caller), else the desk's."""
        return desk_zone(self.sub.cancelled_zone) if self.sub.cancelled_zone else self.zone

    @_once
    def cancelled_on(self) -> date | None:
        if self.sub.cancelled_at is None:
            return None
        return local_day(self.sub.cancelled_at, self.cancel_zone)


@dataclass
class Grant:
    """What an allowed decision carries besides its kind."""

    reasons: list[Reason]
    checklist: list[ChecklistItem]
    consequences: Consequences
    required_fields: tuple[str, ...] = ()
    requested_date_range: tuple[date, date] | None = None


def make_decision(c: Ctx, refusals: list[Reason], grant: Callable[[], Grant]) -> Decision:
    review, callback = review_flags(c.kind, c.refund_requested)
    sub = c.sub
    refund_offered = kind_spec(c.kind).refund_request and not refund_refusals(sub)
    if refusals:
        return Decision(kind=c.kind, allowed=False, reasons=tuple(refusals), checklist=(), consequences=None,
                        needs_review=review, needs_callback=callback, required_fields=(), product=sub.product,
                        subject_ref=sub.ref, subject_name=sub.name, refund_requested=c.refund_requested,
                        refund_offered=refund_offered)
    g = grant()
    return Decision(kind=c.kind, allowed=True, reasons=tuple(g.reasons), checklist=tuple(g.checklist),
                    consequences=g.consequences, needs_review=review, needs_callback=callback,
                    required_fields=g.required_fields, product=sub.product, subject_ref=sub.ref,
                    subject_name=sub.name, requested_date_range=g.requested_date_range,
                    refund_requested=c.refund_requested, refund_offered=refund_offered)


def refund_refusals(sub: SubscriptionFacts) -> list[Reason]:
    """C-4, C-5: why this subscription could not be refunded, were a refund requested (the
    decision says whether the Refund box is offered at all)."""
    if sub.product is INTUNE and sub.channel is Channel.PRODUCT_KEY:
        return [Reason("C-5", _("Intune product-key subscriptions can be cancelled through support but not "
                                "refunded by us; the partner that sold the key may refund: file it without a "
                                "refund request"))]
    if sub.channel is Channel.TRIAL and sub.product is not D365:
        return [Reason("C-4", _("a trial subscription is not paid for: there is nothing to refund; file it "
                                "without a refund request"))]
    return []


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

    return Consequences(
        effective_date=effective_date,
        early_termination_fee_may_apply=fee,
        refund=str(refund) if refund is not None else None,
        self_service=str(self_service) if self_service is not None else None,
        data_deletion_date=data_deletion_date,
        data_deletion_note=str(data_deletion_note) if data_deletion_note is not None else None,
        reversal_deadline=reversal_deadline,
        coupon_handling=str(coupon_handling) if coupon_handling is not None else None,
        routing_queue=routing_queue,
        notes=tuple(notes),
    )

