"""The supervisors' dashboard: a handful of GROUP BY queries for an injected `now`.

Every figure is one aggregate query over an indexed range (ticket.created_at,
call.started_at, ticket.status + created_at), so the dashboard costs the same on a thousand
tickets as on a million: no query reads rows outside its time window, and no Python loop
runs over tickets (only over the 14 days of the calls chart, to fill in days without calls).

Days are the desk's days: `zone` (the desk's time zone, UTC by default) decides where each day
starts, so a desk in Shanghai or Seattle counts its own "today"; stored times stay UTC. "Today"
is from 00:00 of `now`'s day in that zone up to `now`; "this week" is the last 7 days: today
and the 6 days before it. Nothing after `now` is counted, so the figures for a moment in the
past are what the dashboard showed then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from itertools import pairwise

from sqlalchemy import String, case, cast, func, literal
from sqlmodel import Session, col, select

from tickets.enums import TicketKind, TicketStatus
from tickets.i18n import _
from tickets.store.database import Store
from tickets.store.handoff_models import HandoffOutbox
from tickets.store.models import Agent, AuditEvent, Call, Ticket, VerificationAttempt, ticket_ref

WEEK_DAYS = 7
CALL_CHART_DAYS = 14
LOCKED_ACTION = "organization.locked"  # appended by tickets.verification (V-5)


@dataclass(frozen=True)
class KindStatusCount:
    kind: TicketKind
    status: TicketStatus
    today: int
    week: int


@dataclass(frozen=True)
class AgentCount:
    name: str
    display_name: str
    tickets: int


@dataclass(frozen=True)
class OldestWaiting:
    ref: str
    created_at: datetime
    age: timedelta


@dataclass(frozen=True)
class DayCount:
    day: date
    calls: int


@dataclass(frozen=True)
class Dashboard:
    now: datetime
    today_start: datetime
    week_start: datetime
    tickets: tuple[KindStatusCount, ...]  # by kind then status; only pairs seen this week
    tickets_today: int
    tickets_week: int
    verification_attempts_today: int
    verification_attempts_week: int
    verification_failures_today: int
    verification_failures_week: int
    lockouts_today: int
    lockouts_week: int
    oldest_waiting: OldestWaiting | None  # the ticket waiting longest for review
    waiting_review: int
    tickets_per_agent_week: tuple[AgentCount, ...]  # most tickets first
    calls_per_day: tuple[DayCount, ...]  # the desk's last 14 days, oldest first, today last
    zone: tzinfo = UTC  # the desk's time zone the days are counted in
    handoff_parked: int = 0  # outbox rows `deskapp relay` gave up on (`deskapp relay status` lists them)

    @property
    def call_counts(self) -> list[int]:
        """The calls chart's values, oldest day first (for a Sparkline)."""
        return [d.calls for d in self.calls_per_day]


def day_start(moment: datetime, zone: tzinfo = UTC) -> datetime:
    """00:00 in `zone` of the day `moment` falls in there, as an aware UTC datetime."""
    return local_midnight(moment.astimezone(zone).date(), zone)


def local_midnight(day: date, zone: tzinfo) -> datetime:
    """The instant `day` starts in `zone` (zoneinfo resolves a DST gap at midnight), in UTC."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def _one_in(column, since: datetime, now: datetime):
    """1 when the column falls in [since, now], else 0 (to SUM inside one ranged scan)."""
    return func.coalesce(func.sum(case(((column >= since) & (column <= now), 1), else_=0)), 0)


def compute_dashboard(store: Store, now: datetime | None = None, zone: tzinfo = UTC) -> Dashboard:
    """The dashboard's figures as of `now` (default: the store's clock), days as `zone` has them."""
    now = (now or store.clock.now()).astimezone(UTC)
    local_today = now.astimezone(zone).date()
    today = local_midnight(local_today, zone)
    # Days back by the calendar, not by 24 hours: a day with a DST change has 23 or 25 hours.
    week = local_midnight(local_today - timedelta(days=WEEK_DAYS - 1), zone)
    days = [local_today - timedelta(days=CALL_CHART_DAYS - 1 - i) for i in range(CALL_CHART_DAYS)]
    with store.read() as session:
        tickets = _tickets_by_kind_status(session, today, week, now)
        attempts = _verification(session, today, week, now)
        lockouts = _lockouts(session, today, week, now)
        oldest, waiting = _oldest_waiting(session, now)
        per_agent = _tickets_per_agent(session, week, now)
        calls = _calls_per_day(session, [local_midnight(d, zone) for d in days], now)
        parked = session.exec(select(func.count()).select_from(HandoffOutbox)
                              .where(HandoffOutbox.state == "parked")).one()
    return Dashboard(
        now=now,
        today_start=today,
        week_start=week,
        tickets=tickets,
        tickets_today=sum(t.today for t in tickets),
        tickets_week=sum(t.week for t in tickets),
        verification_attempts_today=attempts[0],
        verification_attempts_week=attempts[1],
        verification_failures_today=attempts[2],
        verification_failures_week=attempts[3],
        lockouts_today=lockouts[0],
        lockouts_week=lockouts[1],
        oldest_waiting=oldest,
        waiting_review=waiting,
        tickets_per_agent_week=per_agent,
        calls_per_day=tuple(DayCount(d, n) for d, n in zip(days, calls, strict=True)),
        zone=zone,
        handoff_parked=int(parked or 0),
    )


def _tickets_by_kind_status(
    session: Session, today: datetime, week: datetime, now: datetime
) -> tuple[KindStatusCount, ...]:
    # One range scan of ix_ticket_created for the week; today is a SUM inside it.
    created = col(Ticket.created_at)
    rows = session.exec(
        select(Ticket.kind, Ticket.status, _one_in(created, today, now), func.count())
        .where(created >= week, created <= now)
        .group_by(Ticket.kind, Ticket.status)
        .order_by(Ticket.kind, Ticket.status)
    ).all()
    return tuple(
        KindStatusCount(TicketKind(kind), TicketStatus(status), int(n_today), int(n_week))
        for kind, status, n_today, n_week in rows
    )


def _verification(session: Session, today: datetime, week: datetime, now: datetime) -> tuple[int, int, int, int]:
    at = col(VerificationAttempt.at)
    failed = col(VerificationAttempt.passed) == False  # noqa: E712 - SQL comparison
    today_n, week_n, failed_today, failed_week = session.exec(
        select(
            _one_in(at, today, now),
            func.count(),
            func.coalesce(func.sum(case(((at >= today) & failed, 1), else_=0)), 0),
            func.coalesce(func.sum(case((failed, 1), else_=0)), 0),
        ).where(at >= week, at <= now)
    ).one()
    return int(today_n or 0), int(week_n or 0), int(failed_today or 0), int(failed_week or 0)


def _lockouts(session: Session, today: datetime, week: datetime, now: datetime) -> tuple[int, int]:
    """`organization.locked` events in the window. A lock is appended in the same transaction
    as the failed attempt that caused it, at the same moment (tickets.verification), so only
    the organizations with a failure in the window need looking at: the audit trail is read
    through its subject index for those, never scanned whole."""
    at = col(AuditEvent.at)
    attempt_at = col(VerificationAttempt.at)
    failing = (
        select(literal("organization:") + cast(VerificationAttempt.organization_id, String))
        .where(VerificationAttempt.passed == False, attempt_at >= week, attempt_at <= now)  # noqa: E712
        .distinct()
    )
    locked_today, locked_week = session.exec(
        select(_one_in(at, today, now).label("today"), func.count().label("week")).where(
            col(AuditEvent.subject).in_(failing), AuditEvent.action == LOCKED_ACTION, at >= week, at <= now
        )
    ).one()
    return int(locked_today or 0), int(locked_week or 0)


def _oldest_waiting(session: Session, now: datetime) -> tuple[OldestWaiting | None, int]:
    # ix_ticket_status_created: the first entry of the pending-review range is the oldest.
    pending = Ticket.status == TicketStatus.PENDING_REVIEW.value
    first = session.exec(
        select(Ticket.id, Ticket.created_at)
        .where(pending)
        .order_by(col(Ticket.created_at), col(Ticket.id))
        .limit(1)
    ).first()
    waiting = session.exec(select(func.count()).select_from(Ticket).where(pending)).one()
    if first is None:
        return None, int(waiting or 0)
    ticket_id, created_at = first
    return OldestWaiting(ticket_ref(ticket_id), created_at, max(now - created_at, timedelta(0))), int(waiting or 0)


def _tickets_per_agent(session: Session, week: datetime, now: datetime) -> tuple[AgentCount, ...]:
    created = col(Ticket.created_at)
    per_agent = (
        select(col(Ticket.filed_by_id).label("agent_id"), func.count().label("n"))
        .where(created >= week, created <= now)
        .group_by(col(Ticket.filed_by_id))
        .subquery()
    )
    rows = session.exec(
        select(Agent.name, Agent.display_name, per_agent.c.n)
        .join(per_agent, per_agent.c.agent_id == Agent.id)
        .order_by(per_agent.c.n.desc(), Agent.name)
    ).all()
    return tuple(AgentCount(name, display, int(n)) for name, display, n in rows)


def _calls_per_day(session: Session, starts: list[datetime], now: datetime) -> list[int]:
    """Calls in each day that starts at `starts[i]` (today runs to `now`), in one ranged scan:
    day boundaries are instants, so the same query is right in any zone, on either engine."""
    started = col(Call.started_at)
    sums = [
        func.coalesce(func.sum(case(((started >= start) & (started < end), 1), else_=0)), 0)
        for start, end in pairwise(starts)
    ]
    sums.append(_one_in(started, starts[-1], now))
    row = session.exec(select(*sums).where(started >= starts[0], started <= now)).one()
    return [int(n) for n in row]


def format_age(age: timedelta) -> str:
    """'2 d 3 h', '5 h 12 min', '4 min' - how long a ticket has waited."""
    minutes = int(age.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return _("{days} d {hours} h").format(days=days, hours=hours)
    if hours:
        return _("{hours} h {minutes} min").format(hours=hours, minutes=mins)
    return _("{minutes} min").format(minutes=mins)


def count_tickets(
    store: Store,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    kinds: tuple[TicketKind, ...] = (),
    statuses: tuple[TicketStatus, ...] = (),
) -> int:
    """How many tickets were created in [since, until) with these kinds and statuses (empty:
    all) - the same selection as tickets.export.records.ExportFilter, so an export can show progress."""
    created = col(Ticket.created_at)
    query = select(func.count()).select_from(Ticket)
    if since is not None:
        query = query.where(created >= since)
    if until is not None:
        query = query.where(created < until)
    if kinds:
        query = query.where(col(Ticket.kind).in_([TicketKind(k).value for k in kinds]))
    if statuses:
        query = query.where(col(Ticket.status).in_([TicketStatus(s).value for s in statuses]))
    with store.read() as session:
        return int(session.exec(query).one())
