"""Desk agents and supervisors. A PIN is kept only as a slow, salted scrypt hash."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from tickets.audit.chain import append_event
from tickets.audit.record import agent_record
from tickets.enums import AgentRole
from tickets.errors import Conflict, InvalidInput, NotAllowed, NotFound
from tickets.signin import MAX_FAILURES
from tickets.store.database import Store
from tickets.store.models import Agent
from tickets.text import check_text

# scrypt cost: about 50 ms a check on this class of machine, far too slow to guess 10^4..10^8
# PINs online, and the hash alone is worthless without a salt table per agent.
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}
# A PIN of 4 to 64 digits, or a passphrase of 12 to 128 characters (any, spaces too).
_PIN_RE = re.compile(r"[0-9]{4,64}|(?=.*\S).{12,128}", re.DOTALL)
PIN_RULE = "4 to 64 digits, or a passphrase of 12 to 128 characters"
_NAME_RE = re.compile(r"^[a-z][a-z0-9._-]{1,59}$")


@dataclass(frozen=True)
class AgentInfo:
    """An agent as the console and the rules see them (never the PIN hash)."""

    id: int
    name: str
    display_name: str
    role: AgentRole
    active: bool = True

    @property
    def is_supervisor(self) -> bool:
        return self.role is AgentRole.SUPERVISOR


def hash_pin(pin: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${digest.hex()}"


def check_pin(pin: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    candidate = hashlib.scrypt(
        pin.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=len(digest) // 2
    )
    return hmac.compare_digest(candidate.hex(), digest)


# A real hash of nothing, checked against when the name is unknown so that timing does not
# tell which agent names exist.
_DUMMY_HASH = None


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_pin("0000")
    return _DUMMY_HASH


def _info(agent: Agent) -> AgentInfo:
    return AgentInfo(agent.id, agent.name, agent.display_name, AgentRole(agent.role), bool(agent.active))


def validate_agent_fields(*, name: str, display_name: str, role: str, pin: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not _NAME_RE.match(name or ""):
        errors["name"] = "2-60 characters: lower-case letters, digits, '.', '_' or '-', starting with a letter"
    if not (display_name or "").strip() or len(display_name) > 120:
        errors["display_name"] = "required, at most 120 characters"
    if role not in {r.value for r in AgentRole}:
        errors["role"] = "must be 'agent' or 'supervisor'"
    if not _PIN_RE.fullmatch(pin or ""):
        errors["pin"] = PIN_RULE
    return errors


def create_agent(
    store: Store, *, name: str, display_name: str, role: str, pin: str, actor: str = "system"
) -> AgentInfo:
    errors = validate_agent_fields(name=name, display_name=display_name, role=role, pin=pin)
    if errors:
        raise InvalidInput(errors)
    now = store.clock.now()
    try:
        with store.write() as session:
            agent = Agent(
                name=name, display_name=display_name.strip(), role=role, pin_hash=hash_pin(pin), created_at=now
            )
            session.add(agent)
            session.flush()
            append_event(
                session, at=now, actor=actor, action="agent.created", subject=f"agent:{agent.id}",
                details={"name": name, "role": role, **agent_record(agent.pin_hash, agent.display_name)},
            )
            return _info(agent)
    except IntegrityError as error:
        raise Conflict(f"name: an agent called {name!r} already exists") from error


def authenticate(store: Store, *, name: str, pin: str) -> AgentInfo:
    """The agent with this name and PIN, or NotAllowed saying only that the pair is wrong.

    Attempts are counted per agent in the database (tickets.signin): 5 failures in 15 minutes
    lock the agent for 15 minutes or until a supervisor unlocks it, whichever console or
    command the guesses come from.
    """
    from tickets.signin import reserve_attempt, settle_attempt

    check_text({"name": name, "pin": pin}, free_text=False, max_length=200)
    login = name.strip().lower()[:60]
    with store.read() as session:
        agent = session.exec(select(Agent).where(Agent.name == login)).first()
    if agent is None or not agent.active:
        check_pin(pin, _dummy_hash())  # the same time as a real check: names are not revealed
        with store.write() as session:
            append_event(session, at=store.clock.now(), actor="unknown", action="agent.sign_in_failed",
                         subject="agent:unknown", details={})
        raise NotAllowed("sign-in: that agent name and PIN do not match")
    attempt, locked = reserve_attempt(store, agent.id, login)
    if attempt is None:
        raise NotAllowed(_locked_text(locked))
    ok = check_pin(pin, agent.pin_hash)
    locked = settle_attempt(store, agent_id=agent.id, attempt_id=attempt, ok=ok, actor=login)
    if not ok:
        if locked is not None:
            raise NotAllowed(_locked_text(locked))
        raise NotAllowed("sign-in: that agent name and PIN do not match")
    return _info(agent)


def _locked_text(until) -> str:
    return (
        f"sign-in: this agent is locked after {MAX_FAILURES} wrong PINs until {until:%H:%M} UTC "
        "(or until a supervisor unlocks it)"
    )


def list_agents(store: Store) -> list[AgentInfo]:
    with store.read() as session:
        return [_info(a) for a in session.exec(select(Agent).order_by(Agent.name))]


def get_agent(store: Store, agent_id: int) -> AgentInfo:
    with store.read() as session:
        agent = session.get(Agent, agent_id)
    if agent is None:
        raise NotAllowed(f"agent {agent_id} does not exist")
    return _info(agent)


# --- administration: each change is one transaction with its audit event ---------------------


def _change_agent(store: Store, name: str, action: str, change, actor: str) -> AgentInfo:
    """Apply `change(agent)` to the named agent and record `action` in the audit chain with it,
    with the details `change` returns."""
    with store.write() as session:
        agent = session.exec(select(Agent).where(Agent.name == name.strip().lower())).first()
        if agent is None:
            raise NotFound(f"name: there is no agent called {name!r}")
        details = change(agent) or {}
        session.add(agent)
        session.flush()
        append_event(
            session, at=store.clock.now(), actor=actor, action=action, subject=f"agent:{agent.id}",
            details={"name": agent.name, **details},
        )
        return _info(agent)


class AlreadySo(Conflict):
    """The change asked for is already the agent's state: nothing is written or recorded (a
    second agent.disabled for a disabled agent would claim a change that never happened)."""


def set_agent_active(store: Store, name: str, active: bool, *, actor: str = "system") -> AgentInfo:
    """Disable an agent who leaves (they can no longer sign in) or enable them again; AlreadySo
    (nothing written) when they already are."""
    def change(agent: Agent) -> dict:
        if bool(agent.active) is active:
            raise AlreadySo(f"{agent.name} is already {'enabled' if active else 'disabled'}: nothing changed, "
                            "nothing recorded")
        was, agent.active = agent.active, active
        return {"was_active": bool(was)}

    return _change_agent(store, name, "agent.enabled" if active else "agent.disabled", change, actor)


def reset_pin(store: Store, name: str, pin: str, *, actor: str = "system") -> AgentInfo:
    """A new PIN for a forgotten one; the audit records that it changed, never the PIN."""
    if not _PIN_RE.fullmatch(pin or ""):
        raise InvalidInput({"pin": PIN_RULE})
    pin_hash = hash_pin(pin)

    def change(agent: Agent) -> dict:
        agent.pin_hash = pin_hash
        return agent_record(pin_hash)

    return _change_agent(store, name, "agent.pin_reset", change, actor)


def set_role(store: Store, name: str, role: str, *, actor: str = "system") -> AgentInfo:
    if role not in {r.value for r in AgentRole}:
        raise InvalidInput({"role": "must be 'agent' or 'supervisor'"})
    def change(agent: Agent) -> dict:
        was, agent.role = agent.role, role
        return {"from": was, "to": role}

    return _change_agent(store, name, "agent.role_changed", change, actor)
