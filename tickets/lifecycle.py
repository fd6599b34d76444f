"""T-2: the ticket lifecycle as an explicit state machine, with review (X-2 four eyes, V-8
callbacks) and what resolving a ticket does to the directory.

    open ──────────────► in progress ──► resolved
      │                      ▲
      │  pending review ──► approved
      │        │
      ▼        ▼
   withdrawn  rejected          (withdrawn also from pending review and approved)

Every change is a conditional UPDATE on the status the actor saw, so two supervisors deciding
the same ticket at once cannot both win: the second is told who did and what they decided.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo

from sqlalchemy import text, update
from sqlmodel import Session, col, select

from tickets.agents import AgentInfo
from tickets.audit.chain import append_event
from tickets.audit.record import callback_record
from tickets.dates import read_date
from tickets.desk_time import day_start, desk_zone, zone_key
from tickets.enums import (
    CampaignState,
    ResourceState,
    SubscriptionState,
    TicketStatus,
)
from tickets.errors import Conflict, InvalidInput, NotAllowed, NotFound
from tickets.i18n import _
from tickets.kinds import Resolution, kind_spec
from tickets.masking import scrub_stored
from tickets.sessions import check_actor
from tickets.store.calls import call
from tickets.store.database import Store
from tickets.store.models import Agent, ImsCampaign, RenewalResource, Subscription, Ticket, ticket_ref
from tickets.store.rawsql import Sql, read_time
from tickets.text import check_text

S = TicketStatus
TRANSITIONS: dict[TicketStatus, frozenset[TicketStatus]] = {
    S.OPEN: frozenset({S.IN_PROGRESS, S.WITHDRAWN}),
    S.PENDING_REVIEW: frozenset({S.APPROVED, S.REJECTED, S.WITHDRAWN}),
    S.APPROVED: frozenset({S.IN_PROGRESS, S.WITHDRAWN}),
    S.IN_PROGRESS: frozenset({S.RESOLVED}),
    S.REJECTED: frozenset(),
    S.RESOLVED: frozenset(),
    S.WITHDRAWN: frozenset(),
}
NEEDS_REASON = frozenset({S.REJECTED, S.WITHDRAWN})


@dataclass(frozen=True)
class TransitionResult:
    ref: str
    status: TicketStatus
    at: datetime


def transition_problems(ticket: Ticket, target: TicketStatus, actor: AgentInfo) -> list[str]:
    """Every reason this actor cannot move this ticket to `target` now (empty: allowed)."""
    current = TicketStatus(ticket.status)
    problems: list[str] = []
    if target not in TRANSITIONS[current]:
        allowed = _(", ").join(sorted(s.label for s in TRANSITIONS[current])) or _("nothing (final)")
        problems.append("T-2: " + _("a {current} ticket cannot become {target}; it can become {allowed}").format(
            current=current.label, target=target.label, allowed=allowed))
        return problems
    if target in (S.APPROVED, S.REJECTED):
        if not actor.is_supervisor:
            problems.append("X-2: " + _("only a supervisor can approve or reject"))
        if actor.id == ticket.filed_by_id:
            problems.append("X-2: " + _("four eyes: the agent who filed a ticket cannot decide it"))
        if target is S.APPROVED and ticket.needs_callback and ticket.callback_at is None:
            problems.append("V-8: " + _("record the callback to the phone number on file before approving"))
    if target is S.WITHDRAWN and not (actor.is_supervisor or actor.id == ticket.filed_by_id):
        problems.append("T-2: " + _("only the filing agent or a supervisor can withdraw a ticket"))
    return problems


def _clean_reason(reason: str | None, target: TicketStatus) -> str | None:
    reason = (reason or "").strip()
    if target in NEEDS_REASON and not reason:
        reason = _("a reason is required to mark a ticket {status}").format(status=target.label)
        raise InvalidInput({"reason": reason + " (T-2)"})
    check_text({"reason": reason})
    return reason or None


def transition(
    store: Store,
    *,
    actor: AgentInfo,
    ticket_id: int,
    to: TicketStatus,
    reason: str | None = None,
) -> TransitionResult:
    """Move a ticket along the lifecycle (T-2), or raise NotAllowed / Conflict saying why not."""
    reason = _clean_reason(reason, to)
    if store.postgres:
        return _transition_pg(store, actor, ticket_id, to, reason)

    def work(session: Session) -> TransitionResult:
        ticket = session.exec(select(Ticket).where(Ticket.id == ticket_id).with_for_update(key_share=True)).first()
        now = store.clock.now()
        check_actor(session, actor, now)
        if ticket is None:
            raise NotFound(_("ticket {ref} does not exist").format(ref=ticket_ref(ticket_id)))
        seen = ticket.status
        if to in (S.APPROVED, S.REJECTED) and ticket.decided_by_id is not None:
            raise _lost_race(session, ticket_id, already=True)
        problems = transition_problems(ticket, to, actor)
        if problems:
            raise NotAllowed("; ".join(problems), rule=problems[0].split(":")[0])
        values: dict = {"status": to.value, "updated_at": now}
        details: dict = {"from": seen, "to": to.value}
        if to in (S.APPROVED, S.REJECTED):
            values.update(decided_by_id=actor.id, decided_at=now, decision_reason=reason)
            deletion = (kind_spec(ticket.kind).deletion_date(now, ticket_zone(ticket, store.zone))
                        if to is S.APPROVED else None)
            if deletion is not None:  # approval starts the data's deletion
                values["data_deletion_date"] = deletion.isoformat()
                details["data_deletion_date"] = deletion.isoformat()
        if to is S.RESOLVED:
            values["resolved_at"] = now
        if reason:
            details["reason"] = reason
        # Conditional on the status we read: a concurrent decision makes this match nothing.
        result = session.execute(
            update(Ticket).where(col(Ticket.id) == ticket_id, col(Ticket.status) == seen).values(**values)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]  # an UPDATE's Result is a CursorResult
            raise _lost_race(session, ticket_id)
        if "decision_reason" in values:  # what a masked export shows (migration 0008)
            session.execute(text("UPDATE ticket SET decision_reason_scrubbed = :s WHERE id = :i"),
                            {"s": scrub_stored(reason), "i": ticket_id})
        if to is S.RESOLVED:
            _apply_resolution(session, ticket, now, ticket_zone(ticket, store.zone))
        session.flush()  # every other write first, the append last 
        append_event(
            session, at=now, actor=actor.name, action=f"ticket.{to.value}", subject=f"ticket:{ticket_id}",
            details=details,
        )
        return TransitionResult(ticket_ref(ticket_id), to, now)

    return store.transaction(work)


_TRANSITION = Sql("SELECT deskapp_api_transition(:token, :agent, :ticket, :to, :reason, :scrubbed, :at)")
_CALLBACK = Sql("SELECT deskapp_api_record_callback(:token, :agent, :ticket, :note, :at)")


def _transition_pg(
    store: Store, actor: AgentInfo, ticket_id: int, to: TicketStatus, reason: str | None
) -> TransitionResult:
    """PostgreSQL: one call of the database's function, which checks T-2, X-2 and V-8 on the
    locked row with the session's agent as the actor (migration 0011)."""
    params = {"token": actor.session, "agent": actor.id, "ticket": ticket_id, "to": to.value, "reason": reason,
              "scrubbed": scrub_stored(reason) if to in (S.APPROVED, S.REJECTED) else None, "at": store.clock.now()}
    try:
        ((at,),) = call(store, _TRANSITION, params)
    except Conflict:
        with store.read() as session:  # who decided, in the console's words
            raise _lost_race(session, ticket_id, already=True) from None
    except NotAllowed as error:
        if error.rule is None and error.message.startswith("T-2"):
            error.rule = "T-2"
        raise
    return TransitionResult(ticket_ref(ticket_id), to, read_time(at))


def _lost_race(session: Session, ticket_id: int, *, already: bool = False) -> Conflict:
    """Someone else decided or moved the ticket first: say who, and what it is now."""
    session.expire_all()
    current = session.get_one(Ticket, ticket_id)
    # The name only: on PostgreSQL the application role may not read an agent's PIN hash.
    who = (session.exec(select(Agent.display_name).where(Agent.id == current.decided_by_id)).first()
           if current.decided_by_id else None) or _("someone")
    sentence = (_("{ref} was already decided by {who}: it is now {status}") if already
                else _("{ref} was just changed by {who}: it is now {status}"))
    return Conflict(sentence.format(ref=ticket_ref(ticket_id), who=who, status=TicketStatus(current.status).label))


def approve(store: Store, *, supervisor: AgentInfo, ticket_id: int, reason: str | None = None) -> TransitionResult:
    return transition(store, actor=supervisor, ticket_id=ticket_id, to=S.APPROVED, reason=reason)


def reject(store: Store, *, supervisor: AgentInfo, ticket_id: int, reason: str) -> TransitionResult:
    return transition(store, actor=supervisor, ticket_id=ticket_id, to=S.REJECTED, reason=reason)


def record_callback(store: Store, *, agent: AgentInfo, ticket_id: int, note: str = "") -> datetime:
    """V-8: someone at the desk called back the phone number on file and the caller confirmed."""
    note = (note or "").strip()
    check_text({"callback_note": note}, max_length=500)
    if store.postgres:
        ((at,),) = call(store, _CALLBACK, {"token": agent.session, "agent": agent.id, "ticket": ticket_id,
                                           "note": note[:500], "at": store.clock.now()})
        return read_time(at)

    def work(session: Session) -> datetime:
        # Locked as read, so a decision committed meanwhile cannot slip in between the check
        # and the write (found by the race drill on PostgreSQL).
        ticket = session.exec(select(Ticket).where(Ticket.id == ticket_id).with_for_update(key_share=True)).first()
        now = store.clock.now()
        check_actor(session, agent, now)
        if ticket is None:
            raise NotFound(_("ticket {ref} does not exist").format(ref=ticket_ref(ticket_id)))
        if not ticket.needs_callback:
            raise NotAllowed("V-8: " + _("this kind of ticket needs no callback"))

        if TicketStatus(ticket.status) not in (S.OPEN, S.PENDING_REVIEW):
            raise NotAllowed(
                "V-8: " + _("the ticket is {status}; callbacks are recorded before the decision").format(
                    status=TicketStatus(ticket.status).label
                )
            )
        ticket.callback_at, ticket.callback_by_id = now, agent.id
        ticket.callback_note, ticket.updated_at = note[:500] or None, now
        session.add(ticket)
        session.flush()  # the ticket's row first, the append last
        append_event(
            session, at=now, actor=agent.name, action="ticket.callback_recorded", subject=f"ticket:{ticket_id}",
            details=callback_record(ticket.callback_note),
        )
        return now

    return store.transaction(work)


def _auto_renew_off(session: Session, ticket: Ticket, sub: Subscription, now: datetime, zone: tzinfo) -> None:
    sub.auto_renew = False  # C-1: it expires at term end


def _cancel(session: Session, ticket: Ticket, sub: Subscription, now: datetime, zone: tzinfo) -> None:
    # From the start of its effective day at the desk, in the zone it was told in (R-1, C-8).
    sub.state, sub.cancelled_at = SubscriptionState.CANCELLED.value, _at(ticket.effective_date, now, zone)
    sub.cancelled_zone = zone_key(zone)


def _deprovision(session: Session, ticket: Ticket, sub: Subscription, now: datetime, zone: tzinfo) -> None:
    sub.state = SubscriptionState.CANCELLED.value
    if sub.cancelled_at is None:
        sub.cancelled_at, sub.cancelled_zone = now, zone_key(zone)
    sub.expedited_at = now


def _reinstate(session: Session, ticket: Ticket, sub: Subscription, now: datetime, zone: tzinfo) -> None:
    sub.state, sub.cancelled_at, sub.cancelled_zone = SubscriptionState.ACTIVE.value, None, None


def _cancel_campaigns(session: Session, ticket: Ticket, sub: Subscription, now: datetime, zone: tzinfo) -> None:
    for campaign in session.exec(select(ImsCampaign).where(ImsCampaign.subscription_id == sub.id)):
        if campaign.state != CampaignState.CANCELLED.value:
            campaign.state = CampaignState.CANCELLED.value  # I-2, R-2
            session.add(campaign)


def _unsubscribe_resource(session: Session, ticket: Ticket, sub: Subscription, now: datetime, zone: tzinfo) -> None:
    if ticket.resource_id is not None:
        resource = session.get(RenewalResource, ticket.resource_id)
        if resource is not None:
            resource.state = ResourceState.UNSUBSCRIBED.value
            session.add(resource)


def _nothing(session: Session, ticket: Ticket, sub: Subscription, now: datetime, zone: tzinfo) -> None:
    """M-1: the migration changes no subscription state."""


# What resolving a ticket does to the directory, for each Resolution a kind may name
# (tests/unit/policy/test_kinds_registry.py: every kind's resolution is here).
RESOLVERS: Mapping[Resolution, Callable[[Session, Ticket, Subscription, datetime, tzinfo], None]] = {
    Resolution.AUTO_RENEW_OFF: _auto_renew_off,
    Resolution.CANCEL: _cancel,
    Resolution.DEPROVISION: _deprovision,
    Resolution.REINSTATE: _reinstate,
    Resolution.CANCEL_CAMPAIGNS: _cancel_campaigns,
    Resolution.UNSUBSCRIBE_RESOURCE: _unsubscribe_resource,
    Resolution.NOTHING: _nothing,
}


def ticket_zone(ticket: Ticket, desk: tzinfo) -> tzinfo:
    """The zone the ticket's days were counted and told in (its filing recorded it), else the desk's."""
    recorded = (ticket.consequences or {}).get("time_zone") if isinstance(ticket.consequences, dict) else None
    return desk_zone(recorded) if recorded else desk


def _apply_resolution(session: Session, ticket: Ticket, now: datetime, zone: tzinfo) -> None:
    """What the finished work did, so the directory and the next call's rules agree with it."""
    resolution = kind_spec(ticket.kind).resolution  # what the registry of kinds says it does
    sub = session.get(Subscription, ticket.subscription_id)
    if sub is None:  # the foreign key forbids it
        raise NotFound(
            _("ticket {id} has no subscription {subscription}").format(
                id=ticket.id, subscription=ticket.subscription_id
            )
        )

    RESOLVERS[resolution](session, ticket, sub, now, zone)
    session.add(sub)


def _at(iso_date: str | None, fallback: datetime, zone: tzinfo) -> datetime:
    """The instant a local effective day starts at the desk (tickets.desk_time.day_start)."""
    d = read_date(iso_date) if iso_date else None
    return fallback if d is None else day_start(d, zone)
