"""Sign-in attempts counted per agent in the database (across consoles and the command line).

The desk's `sign_in_failures` (5) failed sign-ins within `sign_in_window_minutes` (15) lock the
agent for `sign_in_lock_minutes` (15) from the last of them, or until a supervisor (or the
owner: `deskapp agents unlock`) unlocks it (audited). A success or an unlock starts the count
again. The settings live in the database (desk_setting, migration 0011), so every console and
the database's own sign-in function (PostgreSQL) count alike.

This module is SQLite's sign-in; PostgreSQL's is deskapp_api_sign_in (tickets.store.pgsql),
which checks the PIN inside the database and keeps the same counts.

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
from tickets.i18n import _
from tickets.sessions import desk_settings, open_session
from tickets.store.database import Store
from tickets.store.models import Agent, AgentSignIn, AuditEvent

MAX_FAILURES = 5  # the defaults of desk_setting (tickets.sessions.DEFAULT_SETTINGS)
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
    locked_since: datetime | None = None  # the failure that locked it


def _lock_agent(session: Session, agent_id: int) -> None:
    """Serialise attempts on one agent (PostgreSQL row lock; SQLite's BEGIN IMMEDIATE already)."""
    session.exec(select(Agent.id).where(Agent.id == agent_id).with_for_update()).first()


def _policy(session: Session) -> tuple[int, timedelta, timedelta]:
    """(failures, window, lock length) as the desk's settings say."""
    settings = desk_settings(session)
    return (settings["sign_in_failures"], timedelta(minutes=settings["sign_in_window_minutes"]),
            timedelta(minutes=settings["sign_in_lock_minutes"]))


def _locked_until(session: Session, agent_id: int, now: datetime) -> tuple[datetime | None, int]:
    """Until when the agent is locked (None: not locked), and the failures counted now."""
    max_failures, window, lock_for = _policy(session)
    since = now - window - lock_for  # nothing older can lock now
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
    # The last run of max_failures within the window locks from its last failure.
    until = None
    for i in range(max_failures - 1, len(failures)):
        if failures[i] - failures[i - max_failures + 1] <= window:
            until = failures[i] + lock_for
    recent = sum(1 for at in failures if at > now - window)
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


def settle_attempt(store: Store, *, agent_id: int, attempt_id: int, ok: bool, actor: str) -> str | None:
    """Record how a reserved attempt ended: the new session's token after a match (None after a
    wrong PIN; the lock it may have set is tickets.signin.locked_until's to tell)."""

    def work(session: Session) -> str | None:
        now = store.clock.now()
        if ok:
            session.execute(update(AgentSignIn).where(col(AgentSignIn.id) == attempt_id).values(outcome=SUCCEEDED))
            session_id, token = open_session(session, agent_id, now)
            append_event(session, at=now, actor=actor, action="agent.signed_in", subject=f"agent:{agent_id}",
                         details={"session": session_id})
            return token
        _lock_agent(session, agent_id)
        until, failures = _locked_until(session, agent_id, now)
        append_event(
            session, at=now, actor="unknown", action="agent.sign_in_failed", subject=f"agent:{agent_id}",
            details={"failures": failures},
        )
        if until is not None and not _announced(session, agent_id, until - _policy(session)[2]):
            append_event(
                session, at=now, actor="system", action="agent.locked", subject=f"agent:{agent_id}",
                details={"locked_until": until.isoformat(), "failures": failures},
            )
        return None

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
        lock_for = _policy(session)[2]
        candidates = session.exec(
            select(Agent.id, Agent.name, Agent.display_name).where(
                col(Agent.id).in_(
                    select(AgentSignIn.agent_id).where(AgentSignIn.outcome == FAILED,
                                                       AgentSignIn.at >= now - timedelta(days=1) - lock_for)
                )
            ).order_by(Agent.name)
        ).all()
        locks = []
        for agent_id, name, display_name in candidates:
            until, failures = _locked_until(session, agent_id, now)
            if until is not None:
                locks.append(SignInLock(agent_id, name, display_name, failures, until, until - lock_for))
        return locks


def unlock_agent(store: Store, *, supervisor, agent_id: int, reason: str = "") -> None:
    """A supervisor lifts an agent's sign-in lock (audited as agent.unlocked)."""
    from tickets.agents import get_agent, unlock
    from tickets.errors import NotAllowed

    if not supervisor.is_supervisor:
        raise NotAllowed(_("unlock: only a supervisor can unlock an agent"))
    unlock(store, get_agent(store, agent_id).name, actor=supervisor, reason=reason)


def sign_in_sqlite(store: Store, login: str, pin: str):
    """SQLite's sign-in (tickets.agents.authenticate): one answer for every refusal, and a PIN
    check on every path (the agent's hash, or a dummy one) so that they take the same time."""
    from tickets.agents import SIGN_IN_REFUSED, AgentInfo, _dummy_hash, check_pin
    from tickets.enums import AgentRole
    from tickets.errors import NotAllowed

    with store.read() as session:
        agent = session.exec(select(Agent).where(Agent.name == login)).first()
    if agent is None or not agent.active:
        # The same steps as a real name's attempt: a write transaction where its slot is taken
        # (reserve_attempt), one PIN check, a write transaction where it is settled; so that
        # neither the answer nor its time tells which names exist.
        with store.write() as session:
            _locked_until(session, 0, store.clock.now())
        check_pin(pin, _dummy_hash())
        with store.write() as session:
            append_event(session, at=store.clock.now(), actor="unknown", action="agent.sign_in_failed",
                         subject="agent:unknown", details={})
        raise NotAllowed(_(SIGN_IN_REFUSED))
    attempt, _locked = reserve_attempt(store, agent.id, login)
    if attempt is None:
        check_pin(pin, _dummy_hash())  # a locked name costs what a real check costs
        raise NotAllowed(_(SIGN_IN_REFUSED))
    ok = check_pin(pin, agent.pin_hash)
    token = settle_attempt(store, agent_id=agent.id, attempt_id=attempt, ok=ok, actor=login)
    if not ok or token is None:
        raise NotAllowed(_(SIGN_IN_REFUSED))
    return AgentInfo(agent.id, agent.name, agent.display_name, AgentRole(agent.role), True, session=token)
