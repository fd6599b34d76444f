"""tickets.dashboard: figures for a small hand-made set of tickets, calls and verification
attempts at known times, on each configured engine (the clock is moved, never slept)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import count

import pytest

from tickets.audit.chain import append_event
from tickets.dashboard import compute_dashboard, day_start, format_age
from tickets.enums import TicketKind, TicketStatus
from tickets.store.models import Agent, Call, Organization, Subscription, Ticket, VerificationAttempt

# "Now" for these tests: Sunday 2026-11-22, 12:00 UTC (testkit.T0).
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
TODAY = day_start(NOW)
K = TicketKind
S = TicketStatus
_keys = count(1)


def at(days: float = 0, hours: float = 0, minutes: float = 0) -> datetime:
    """A moment relative to NOW (negative: in the past)."""
    return NOW + timedelta(days=days, hours=hours, minutes=minutes)


@pytest.fixture
def desk(store):
    """Two agents, one supervisor and two organizations (each ticket gets a subscription of its own)."""
    with store.write() as session:
        agents = [
            Agent(name=n, display_name=d, role=r, pin_hash="x", created_at=at(-30))
            for n, d, r in (("ana", "Ana A", "agent"), ("ben", "Ben B", "agent"), ("sue", "Sue S", "supervisor"))
        ]
        session.add_all(agents)
        orgs = [
            Organization(ref=f"ORG-{i}", name=f"Org {i}", country="US", street_lines=["1 Main St"], city="X",
                         name_key=f"org {i}", updated_at=at(-30))
            for i in (1, 2)
        ]
        session.add_all(orgs)
        session.flush()
        return {"agents": {a.name: a.id for a in agents}, "orgs": [o.id for o in orgs]}


def add_ticket(store, desk, *, agent: str, kind: TicketKind, status: TicketStatus, when: datetime, org: int = 0) -> int:
    """A ticket on a subscription of its own (C-9 allows one open cancellation per subscription)."""
    n = next(_keys)
    with store.write() as session:
        org_id = desk["orgs"][org]
        subscription = Subscription(
            ref=f"SUB-T{n}", organization_id=org_id, name="Intune", product="intune", channel="online",
            state="active", purchased_at=at(-200), term_start=at(-200), term_end=at(165),
        )
        session.add(subscription)
        session.flush()
        sub_id = subscription.id
        ticket = Ticket(
            kind=kind.value, status=status.value, organization_id=org_id, subscription_id=sub_id,
            filed_by_id=desk["agents"][agent], created_at=when, updated_at=when,
            idempotency_key=f"k{n}", content_hash="h", needs_review=status is S.PENDING_REVIEW,
        )
        session.add(ticket)
        session.flush()
        return ticket.id


def add_call(store, desk, when: datetime, agent: str = "ana") -> None:
    with store.write() as session:
        session.add(Call(agent_id=desk["agents"][agent], started_at=when))


def add_attempt(store, desk, when: datetime, *, passed: bool, org: int = 0) -> None:
    with store.write() as session:
        session.add(VerificationAttempt(
            organization_id=desk["orgs"][org], agent_id=desk["agents"]["ana"], at=when, passed=passed,
            failed_factors=[] if passed else ["phone"],
        ))


def add_lock_event(store, desk, when: datetime, org: int = 0) -> None:
    """A lockout as tickets.verification records it: the failed attempt that locks, and the event."""
    add_attempt(store, desk, when, passed=False, org=org)
    with store.write() as session:
        append_event(session, at=when, actor="ana", action="organization.locked",
                     subject=f"organization:{desk['orgs'][org]}", details={"rule": "V-5"})


def test_an_empty_desk_has_zero_figures_and_fourteen_empty_days(store):
    board = compute_dashboard(store, NOW)
    assert board.tickets == ()
    assert (board.tickets_today, board.tickets_week) == (0, 0)
    assert (board.verification_failures_today, board.verification_failures_week) == (0, 0)
    assert (board.lockouts_today, board.lockouts_week) == (0, 0)
    assert board.oldest_waiting is None and board.waiting_review == 0
    assert board.tickets_per_agent_week == ()
    assert len(board.calls_per_day) == 14
    assert board.calls_per_day[0].day == date(2026, 11, 9)
    assert board.calls_per_day[-1].day == date(2026, 11, 22)
    assert board.call_counts == [0] * 14


def test_tickets_by_kind_and_status_today_and_this_week(store, desk):
    X, C = K.EXPEDITED_DEPROVISIONING, K.CANCEL_END_OF_TERM
    add_ticket(store, desk, agent="ana", kind=X, status=S.PENDING_REVIEW, when=at(hours=-1))  # today
    add_ticket(store, desk, agent="ben", kind=X, status=S.PENDING_REVIEW, when=TODAY)  # today, 00:00 sharp
    add_ticket(store, desk, agent="ana", kind=C, status=S.OPEN, when=TODAY - timedelta(seconds=1))  # yesterday
    add_ticket(store, desk, agent="ana", kind=C, status=S.OPEN, when=TODAY - timedelta(days=6))  # first day of the week
    add_ticket(
        store, desk, agent="ben", kind=C, status=S.RESOLVED, when=TODAY - timedelta(days=6, seconds=1)
    )  # 8th day: out
    add_ticket(store, desk, agent="ben", kind=X, status=S.APPROVED, when=at(hours=+1))               # after now: out

    board = compute_dashboard(store, NOW)

    by = {(t.kind, t.status): (t.today, t.week) for t in board.tickets}
    assert by == {(C, S.OPEN): (0, 2), (X, S.PENDING_REVIEW): (2, 2)}
    assert (board.tickets_today, board.tickets_week) == (2, 4)
    assert board.week_start == datetime(2026, 11, 16, tzinfo=UTC)


def test_tickets_per_agent_this_week_most_first(store, desk):
    for hours in (1, 2, 3):
        add_ticket(store, desk, agent="ben", kind=K.CANCEL_END_OF_TERM, status=S.OPEN, when=at(hours=-hours))
    add_ticket(store, desk, agent="ana", kind=K.CANCEL_END_OF_TERM, status=S.OPEN, when=at(days=-3))
    add_ticket(store, desk, agent="ana", kind=K.CANCEL_END_OF_TERM, status=S.OPEN, when=at(days=-10))  # not this week

    board = compute_dashboard(store, NOW)

    assert [(a.name, a.display_name, a.tickets) for a in board.tickets_per_agent_week] == [
        ("ben", "Ben B", 3), ("ana", "Ana A", 1)
    ]


def test_oldest_ticket_waiting_review_with_its_age(store, desk):
    X = K.EXPEDITED_DEPROVISIONING
    add_ticket(store, desk, agent="ana", kind=X, status=S.APPROVED, when=at(days=-20))  # decided: not waiting
    oldest = add_ticket(store, desk, agent="ana", kind=X, status=S.PENDING_REVIEW, when=at(days=-9, hours=-3))
    add_ticket(store, desk, agent="ben", kind=X, status=S.PENDING_REVIEW, when=at(hours=-2), org=1)

    board = compute_dashboard(store, NOW)

    assert board.oldest_waiting is not None
    assert board.oldest_waiting.ref == f"TK-{oldest:06d}"
    assert board.oldest_waiting.age == timedelta(days=9, hours=3)
    assert format_age(board.oldest_waiting.age) == "9 d 3 h"
    assert board.waiting_review == 2


def test_verification_failures_and_lockouts_today_and_this_week(store, desk):
    add_attempt(store, desk, at(hours=-2), passed=False)
    add_attempt(store, desk, at(hours=-3), passed=True)
    add_attempt(store, desk, at(days=-8), passed=False, org=1)  # last week: out
    add_lock_event(store, desk, at(hours=-1))  # with its failed attempt
    add_lock_event(store, desk, at(days=-2), org=1)
    add_lock_event(store, desk, at(days=-9), org=1)  # out
    with store.write() as session:  # another action on the same day is not a lockout
        append_event(session, at=at(hours=-1), actor="sue", action="organization.unlocked",
                     subject=f"organization:{desk['orgs'][0]}", details={})

    board = compute_dashboard(store, NOW)

    assert (board.verification_attempts_today, board.verification_attempts_week) == (3, 4)
    assert (board.verification_failures_today, board.verification_failures_week) == (2, 3)
    assert (board.lockouts_today, board.lockouts_week) == (1, 2)


def test_calls_per_day_for_the_last_fourteen_utc_days(store, desk):
    add_call(store, desk, at(hours=-11, minutes=-59))  # 00:01 today
    add_call(store, desk, at(hours=-1), agent="ben")
    add_call(store, desk, TODAY - timedelta(microseconds=1))  # 23:59:59.999999 yesterday
    add_call(store, desk, TODAY - timedelta(days=13))  # first day of the chart
    add_call(store, desk, TODAY - timedelta(days=14))  # 15 days ago: out
    add_call(store, desk, at(minutes=+5))  # after now: out

    board = compute_dashboard(store, NOW)

    assert board.call_counts == [1] + [0] * 11 + [1, 2]
    assert board.calls_per_day[-2].day == date(2026, 11, 21)


def test_moving_the_clock_moves_the_windows(store, desk, clock):
    add_ticket(store, desk, agent="ana", kind=K.CANCEL_END_OF_TERM, status=S.OPEN, when=at(hours=-1))
    add_call(store, desk, at(hours=-1))

    clock.advance(timedelta(days=1))  # tomorrow: yesterday's ticket is this week, not today
    board = compute_dashboard(store)
    assert (board.tickets_today, board.tickets_week) == (0, 1)
    assert board.call_counts[-2:] == [1, 0]

    clock.advance(timedelta(days=6))  # a week on: out of the week, still on the calls chart
    board = compute_dashboard(store)
    assert (board.tickets_today, board.tickets_week) == (0, 0)
    assert board.call_counts[-8] == 1 and sum(board.call_counts) == 1


def test_format_age():
    assert format_age(timedelta(minutes=4, seconds=59)) == "4 min"
    assert format_age(timedelta(hours=5, minutes=12)) == "5 h 12 min"
    assert format_age(timedelta(days=2, hours=3, minutes=7)) == "2 d 3 h"


def test_count_tickets_selects_like_an_export_filter(store, desk):
    from tickets.dashboard import count_tickets

    X, C = K.EXPEDITED_DEPROVISIONING, K.CANCEL_END_OF_TERM
    add_ticket(store, desk, agent="ana", kind=X, status=S.PENDING_REVIEW, when=at(days=-3))
    add_ticket(store, desk, agent="ana", kind=C, status=S.OPEN, when=at(days=-2))
    add_ticket(store, desk, agent="ben", kind=C, status=S.RESOLVED, when=at(days=-1))

    assert count_tickets(store) == 3
    assert count_tickets(store, since=at(days=-2)) == 2  # inclusive
    assert count_tickets(store, until=at(days=-2)) == 1  # exclusive
    assert count_tickets(store, kinds=(C,)) == 2
    assert count_tickets(store, kinds=(C,), statuses=(S.OPEN, S.PENDING_REVIEW)) == 1
