"""Sessions: who is acting, checked where the write happens.

A sign-in opens a session: a random token the console keeps (AgentInfo.session), stored in the
database only as its SHA-256, expiring after the desk's `session_minutes`, ended when the agent
signs out, has their PIN reset or is disabled. Every write names its actor by that session.

PostgreSQL checks it inside the write's function (deskapp_actor, migration 0011). SQLite, one
machine's file whose owner can write anything anyway, runs the same checks here in Python, in
the write's transaction: so a disabled agent's open console can no longer verify or file on
either engine. An AgentInfo without a session is the owner acting (the command line, the demo,
a migration): PostgreSQL allows that only to the database's owner; SQLite to whoever can write
the file.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from tickets.errors import NotAllowed, NotFound
from tickets.i18n import _
from tickets.store.rawsql import Raw, Sql, bind_time, read_time

if TYPE_CHECKING:
    from sqlmodel import Session

    from tickets.agents import AgentInfo

DEFAULT_SETTINGS = {  # as migration 0011 stores them
    "sign_in_failures": "5", "sign_in_window_minutes": "15", "sign_in_lock_minutes": "15", "session_minutes": "720",
}
_SETTINGS = Sql("SELECT name, value FROM desk_setting")
_BY_TOKEN = Sql(
    "SELECT s.agent_id, s.ended_at, s.ended_reason, s.expires_at, a.active, a.name FROM agent_session s "
    "JOIN agent a ON a.id = s.agent_id WHERE s.token_hash = :h"
)
_AGENT = Sql("SELECT active, name FROM agent WHERE id = :id")
_OPEN = Sql(
    "INSERT INTO agent_session (agent_id, token_hash, started_at, expires_at) VALUES (:agent, :h, :at, :until) "
    "RETURNING id"
)
_END = Sql(
    "UPDATE agent_session SET ended_at = :at, ended_reason = :why WHERE token_hash = :h AND ended_at IS NULL "
    "RETURNING id, agent_id"
)
_END_ALL = Sql(
    "UPDATE agent_session SET ended_at = :at, ended_reason = :why WHERE agent_id = :agent AND ended_at IS NULL"
)


# What each setting may be: a whole number in this range.
SETTING_RANGES = {"sign_in_failures": (1, 100), "sign_in_window_minutes": (1, 10_080),
                  "sign_in_lock_minutes": (1, 10_080), "session_minutes": (5, 10_080)}
_SET = Sql("UPDATE desk_setting SET value = :value WHERE name = :name")
_ADD = Sql("INSERT INTO desk_setting (name, value) VALUES (:name, :value)")


def change_desk_settings(store, changes: dict[str, str], actor: str) -> dict[str, int]:
    """The owner changes the desk's settings (audited as desk.settings_changed, each with its value
    before and after); on PostgreSQL the application role may not (it holds no UPDATE). Returns
    every setting as it is now."""
    from sqlalchemy.exc import DBAPIError

    from tickets.audit.chain import append_event
    from tickets.errors import InvalidInput

    problems, wanted = {}, {}
    for name, value in changes.items():
        if name not in SETTING_RANGES:
            problems[name] = f"not a desk setting: {', '.join(sorted(SETTING_RANGES))}"
            continue
        low, high = SETTING_RANGES[name]
        if not value.isdigit() or not low <= int(value) <= high:
            problems[name] = f"a whole number from {low} to {high}"
        else:
            wanted[name] = int(value)
    if problems:
        raise InvalidInput(problems)

    def work(raw: Raw) -> dict[str, int]:
        before = desk_settings(raw)
        stored = {name for (name, _) in raw.rows(_SETTINGS)}
        for name, value in wanted.items():
            raw.execute(_SET if name in stored else _ADD, {"name": name, "value": str(value)})
        append_event(raw, at=store.clock.now(), actor=actor, action="desk.settings_changed", subject="desk",
                     details={name: {"from": before[name], "to": value} for name, value in wanted.items()},
                     returning=False)
        return {**before, **wanted}

    try:
        return store.raw_transaction(work)
    except DBAPIError as error:
        if getattr(error.orig, "sqlstate", None) == "42501":  # insufficient_privilege
            raise NotAllowed(_("desk settings are the owner's: run this on the owner role's URL")) from None
        raise


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def desk_settings(session: Session | Raw) -> dict[str, int]:
    """The desk's settings held in the database (migration 0011), defaults for any missing."""
    found = dict(Raw(session).rows(_SETTINGS))
    return {name: int(found.get(name, default)) for name, default in DEFAULT_SETTINGS.items()}


def open_session(session: Session | Raw, agent_id: int, now: datetime) -> tuple[int, str]:
    """A new session for the agent: (its id, the token to keep; only its hash is stored)."""
    raw = Raw(session)
    token = secrets.token_hex(32)
    until = now + timedelta(minutes=desk_settings(raw)["session_minutes"])
    ((session_id,),) = raw.rows(_OPEN, {"agent": agent_id, "h": token_hash(token), "at": bind_time(now, raw.dialect),
                                       "until": bind_time(until, raw.dialect)})
    return session_id, token


def end_session(session: Session | Raw, token: str, now: datetime, why: str = "signed_out") -> tuple[int, int] | None:
    """End a live session: (its id, its agent) or None if it was not live."""
    raw = Raw(session)
    found = raw.rows(_END, {"at": bind_time(now, raw.dialect), "why": why, "h": token_hash(token)})
    return (found[0][0], found[0][1]) if found else None


def end_sessions_of(session: Session | Raw, agent_id: int, now: datetime, why: str) -> None:
    """Every live session of the agent ended (disabled, PIN reset)."""
    raw = Raw(session)
    raw.execute(_END_ALL, {"at": bind_time(now, raw.dialect), "why": why, "agent": agent_id})


def check_actor(session: Session | Raw, agent: AgentInfo, now: datetime) -> None:
    """SQLite: what deskapp_actor checks on PostgreSQL, in the write's transaction: the session
    is live and the agent's own, and the agent is enabled (raises NotAllowed naming why)."""
    raw = Raw(session)
    if agent.session is None:
        found = raw.first(_AGENT, {"id": agent.id})
        if found is None:
            raise NotFound(_("agent {agent_id} does not exist").format(agent_id=agent.id))
        active, name = found
    else:
        row = raw.first(_BY_TOKEN, {"h": token_hash(agent.session)})
        if row is None:
            raise NotAllowed(_("session: not a session of this desk; sign in again"), rule="session")
        agent_id, ended_at, why, expires_at, active, name = row
        if ended_at is not None:
            raise NotAllowed(_("session: ended ({why}); sign in again").format(why=(why or "").replace("_", " ")),
                             rule="session")
        expires = read_time(expires_at)
        if expires is None or expires <= now:
            raise NotAllowed(_("session: expired; sign in again"), rule="session")
        if agent_id != agent.id:
            raise NotAllowed(_("session: this session is {name}'s; it cannot act as agent {id}").format(
                name=name, id=agent.id), rule="session")
    if not active:
        raise NotAllowed(_("session: {name} is disabled").format(name=name), rule="session")
