"""Sign-in attempts counted per agent in the database (across consoles and the command line).

5 failed sign-ins within 15 minutes lock the agent for 15 minutes from the fifth, or until a
supervisor unlocks it (audited). A success or an unlock starts the count again.

Why a slot is taken before the PIN is checked: the check (scrypt) takes tens of milliseconds,
and guesses from several processes would all read "4 failures so far" and all be tried. Each
attempt is written as "failed" in a short transaction that first locks the agent's row, and
turned into "succeeded" after a match; so however many processes guess at once, at most 5
PINs are ever checked before the lock (the brute-force drill, tests/drills/bruteforce.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from tickets.audit.chain import append_event
from tickets.store.database import Store
from tickets.store.models import Agent, AgentSignIn, AuditEvent

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)
LOCK_FOR = timedelta(minutes=15)

FAILED, SUCCEEDED, UNLOCKED = "failed", "succeeded", "unlocked"


@dataclass(frozen=True)
class SignInLock:
    """An agent locked out of signing in, and until when."""

    agent_id: int
    name: str
    display_name: str
    failures: int
    locked_until: datetime


def _lock_agent(session: Session, agent_id: int) -> None:
    """Serialise attempts on one agent (PostgreSQL row lock; SQLite's BEGIN IMMEDIATE already)."""
    session.exec(select(Agent.id).where(Agent.id == agent_id).with_for_update()).first()


def _locked_until(session: Session, agent_id: int, now: datetime) -> tuple[datetime | None, int]:
    """Until when the agent is locked (None: not locked), and the failures counted now."""
    since = now - WINDOW - LOCK_FOR  # nothing older can lock now
    # A success or an unlock starts the count again: only attempts taken after it count (by
    # id: attempts are numbered in the order they took the agent's lock, whatever the clock).
    reset = session.exec(
        select(func.max(AgentSignIn.id)).where(
            AgentSignIn.agent_id == agent_id, col(AgentSignIn.outcome).in_((SUCCEEDED, UNLOCKED))
        )
    ).one() or 0
    failures = list(
        session.exec(
            select(AgentSignIn.at).where(
                AgentSignIn.agent_id == agent_id, AgentSignIn.outcome == FAILED, AgentSignIn.at >= since,
                AgentSignIn.id > reset,
            ).order_by(col(AgentSignIn.id))
        )
    )
    # The last run of MAX_FAILURES within WINDOW locks from its last failure.
    until = None
    for i in range(MAX_FAILURES - 1, len(failures)):
        if failures[i] - failures[i - MAX_FAILURES + 1] <= WINDOW:
            until = failures[i] + LOCK_FOR
    recent = sum(1 for at in failures if at > now - WINDOW)
    if until is not None and until > now:
        return until, recent
    return None, recent


def reserve_attempt(store: Store, agent_id: int, actor: str) -> tuple[int | None, datetime | None]:
    """Take a slot for one PIN check: (attempt id, None), or (None, locked until) when locked.

    A refused attempt is audited (agent.sign_in_refused) and takes no slot.
    """

    def work(session: Session) -> tuple[int | None, datetime | None]:
        _lock_agent(session, agent_id)
        now = store.clock.now()
        until, failures = _locked_until(session, agent_id, now)
        if until is not None:
            append_event(
                session, at=now, actor=actor, action="agent.sign_in_refused", subject=f"agent:{agent_id}",
                details={"locked_until": until.isoformat(), "failures": failures},
            )
            return None, until
        attempt = AgentSignIn(agent_id=agent_id, at=now, outcome=FAILED)
        session.add(attempt)
        session.flush()
        return attempt.id, None

    return store.transaction(work)


def settle_attempt(store: Store, *, agent_id: int, attempt_id: int, ok: bool, actor: str) -> datetime | None:
    """Record how a reserved attempt ended; returns until when the agent is now locked, if it is."""

    def work(session: Session) -> datetime | None:
        now = store.clock.now()
        if ok:
            session.execute(update(AgentSignIn).where(col(AgentSignIn.id) == attempt_id).values(outcome=SUCCEEDED))
            append_event(session, at=now, actor=actor, action="agent.signed_in", subject=f"agent:{agent_id}")
            return None
        _lock_agent(session, agent_id)
        until, failures = _locked_until(session, agent_id, now)
        append_event(
            session, at=now, actor="unknown", action="agent.sign_in_failed", subject=f"agent:{agent_id}",
            details={"failures": failures},
        )
        if until is not None and not _announced(session, agent_id, until - LOCK_FOR):
            append_event(
                session, at=now, actor="system", action="agent.locked", subject=f"agent:{agent_id}",
                details={"locked_until": until.isoformat(), "failures": failures},
            )
        return until

    return store.transaction(work)


def _announced(session: Session, agent_id: int, since: datetime) -> bool:
    """Whether this lock (it began at `since`) has its agent.locked event already: guesses
    settled after the limit was reached all see the lock, and one event says so."""
    return session.exec(
        select(AuditEvent.seq).where(
            AuditEvent.subject == f"agent:{agent_id}", AuditEvent.action == "agent.locked", AuditEvent.at >= since
        ).limit(1)
    ).first() is not None


def locked_until(store: Store, agent_id: int) -> datetime | None:
    """Whether the agent is locked out of signing in now: until when, or None."""
    with store.read() as session:
        return _locked_until(session, agent_id, store.clock.now())[0]


def sign_in_locks(store: Store) -> list[SignInLock]:
    """Every agent locked now (for the lockouts screen and `deskapp agents list`)."""
    now = store.clock.now()
    with store.read() as session:
        candidates = session.exec(
            select(Agent)
            .where(
                col(Agent.id).in_(
                    select(AgentSignIn.agent_id).where(
                        AgentSignIn.outcome == FAILED, AgentSignIn.at >= now - WINDOW - LOCK_FOR
                    )
                )
            )
            .order_by(Agent.name)
        ).all()
        locks = []
        for agent in candidates:
            until, failures = _locked_until(session, agent.id, now)
            if until is not None:
                locks.append(SignInLock(agent.id, agent.name, agent.display_name, failures, until))
        return locks


def unlock_agent(store: Store, *, supervisor, agent_id: int, reason: str = "") -> None:
    """A supervisor lifts an agent's sign-in lock (audited as agent.unlocked)."""
    from tickets.errors import NotAllowed, NotFound
    from tickets.text import check_text

    if not supervisor.is_supervisor:
        raise NotAllowed("unlock: only a supervisor can unlock an agent")
    check_text({"reason": reason}, max_length=500)

    def work(session: Session) -> None:
        agent = session.get(Agent, agent_id)
        if agent is None:
            raise NotFound(f"agent {agent_id} does not exist")
        _lock_agent(session, agent_id)
        now = store.clock.now()
        session.add(AgentSignIn(agent_id=agent_id, at=now, outcome=UNLOCKED, by_id=supervisor.id))
        append_event(
            session, at=now, actor=supervisor.name, action="agent.unlocked", subject=f"agent:{agent_id}",
            details={**({"reason": reason.strip()} if reason.strip() else {})},
        )

    store.transaction(work)
