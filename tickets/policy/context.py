"""What every kind's decision is built from: the facts in context, small wording helpers,
and the one way a decision is assembled (refused with every reason, or granted)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from functools import lru_cache
from typing import Any, Generic, TypeVar

from tickets.desk_time import desk_zone, local_day
from tickets.enums import ACTIVE_STATUSES, CampaignState, Channel, Product, Role, TicketKind
from tickets.facts import CallerFacts, CampaignFacts, SubscriptionFacts, TicketSummary
from tickets.i18n import _, catalog, ngettext
from tickets.kinds import kind_spec, review_flags  # X-2, V-8: one definition, the audit re-derives them
from tickets.policy.results import ChecklistItem, Consequences, Decision, Reason, built
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
_new = object.__new__


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
        return self.now.astimezone(self.zone).date()  # local_day's: now is aware UTC (decide's as_utc)

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

    def for_kind(self, kind: TicketKind) -> Ctx:
        """The same facts and the days counted so far (none depends on the kind), for `kind`:
        decide_all's next decision counts no day an earlier one has counted."""
        other = _new(Ctx)
        other.__dict__.update(self.__dict__)
        other.kind = kind
        return other


@dataclass
class Grant:
    """What an allowed decision carries besides its kind."""

    reasons: Sequence[Reason]
    checklist: Sequence[ChecklistItem]
    consequences: Consequences
    required_fields: tuple[str, ...] = ()
    requested_date_range: tuple[date, date] | None = None


# C-4: whether each kind takes a refund request, as its registry entry says, read once.
_REFUND_REQUEST: dict[TicketKind, bool] = {kind: kind_spec(kind).refund_request for kind in TicketKind}


def make_decision(c: Ctx, refusals: list[Reason], grant: Callable[[], Grant]) -> Decision:
    refund_requested = c.refund_requested
    review, callback = review_flags(c.kind, refund_requested)
    sub = c.sub
    refund_offered = _REFUND_REQUEST[c.kind] and not _refund_refusals(sub.product, sub.channel, catalog())
    if refusals:
        return built(Decision, c.kind, False, tuple(refusals), (), None, review, callback, (), sub.product,
                     sub.ref, sub.name, None, refund_requested, refund_offered)
    g = grant()
    return built(Decision, c.kind, True, tuple(g.reasons), tuple(g.checklist), g.consequences, review, callback,
                 g.required_fields, sub.product, sub.ref, sub.name, g.requested_date_range, refund_requested,
                 refund_offered)


def refund_refusals(sub: SubscriptionFacts) -> list[Reason]:
    """C-4, C-5: why this subscription could not be refunded, were a refund requested (the
    decision says whether the Refund box is offered at all)."""
    return list(_refund_refusals(sub.product, sub.channel, catalog()))


@lru_cache(maxsize=64, typed=True)  # by product and channel, a few: asked at every decision of a refundable kind
def _refund_refusals(product: Product, channel: Channel, _catalog: object) -> tuple[Reason, ...]:
    if product is INTUNE and channel is Channel.PRODUCT_KEY:
        return (Reason("C-5", _("Intune product-key subscriptions can be cancelled through support but not "
                                "refunded by us; the partner that sold the key may refund: file it without a "
                                "refund request")),)
    if channel is Channel.TRIAL and product is not D365:
        return (Reason("C-4", _("a trial subscription is not paid for: there is nothing to refund; file it "
                                "without a refund request")),)
    return ()


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

    return built(
        Consequences,
        effective_date,
        fee,
        str(refund) if refund is not None else None,
        str(self_service) if self_service is not None else None,
        data_deletion_date,
        str(data_deletion_note) if data_deletion_note is not None else None,
        reversal_deadline,
        str(coupon_handling) if coupon_handling is not None else None,
        routing_queue,
        tuple(notes),
    )

