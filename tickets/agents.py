"""Desk agents and supervisors. A PIN is kept only as a slow, salted hash: scrypt on SQLite
(made here), bcrypt on PostgreSQL (made and checked inside the database by pgcrypto's crypt(),
migration 0011: the application role never reads a hash)."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field

from sqlalchemy.exc import IntegrityError

from tickets.audit.chain import append_event
from tickets.enums import AgentRole
from tickets.errors import Conflict, InvalidInput, NotAllowed
from tickets.i18n import N_, _
from tickets.store.calls import call
from tickets.store.database import Store
from tickets.store.rawsql import Raw, Sql
from tickets.text import check_text

# scrypt cost: about 50 ms a check on this class of machine, far too slow to guess 10^4..10^8
# PINs online, and the hash alone is worthless without a salt table per agent.
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}
# A PIN of 4 to 64 digits, or a passphrase of 12 to 128 characters (any, spaces too).
_PIN_RE = re.compile(r"[0-9]{4,64}|(?=.*\S).{12,128}", re.DOTALL)
PIN_RULE = N_("4 to 64 digits, or a passphrase of 12 to 128 characters")  # shown: _(PIN_RULE)
_NAME_RE = re.compile(r"^[a-z][a-z0-9._-]{1,59}$")


@dataclass(frozen=True)
class AgentInfo:
    """An agent as the console and the rules see them (never the PIN hash)."""

    id: int
    name: str
    display_name: str
    role: AgentRole
    active: bool = True
    # The session opened at sign-in (tickets.sessions): the token every write names its actor by.
    # None: the owner acting as this agent (the command line, the demo); never shown or compared.
    session: str | None = field(default=None, repr=False, compare=False)

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


def _info(row) -> AgentInfo:
    id_, name, display_name, role, active = row
    return AgentInfo(id_, name, display_name, AgentRole(role), bool(active))


# Never the PIN hash: on PostgreSQL the application role may not read that column (roles.py).
_COLUMNS = "id, name, display_name, role, active"
_BY_NAME = Sql(f"SELECT {_COLUMNS} FROM agent WHERE name = :name")
_BY_ID = Sql(f"SELECT {_COLUMNS} FROM agent WHERE id = :id")
_ALL = Sql(f"SELECT {_COLUMNS} FROM agent ORDER BY name")


def validate_agent_fields(*, name: str, display_name: str, role: str, pin: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not _NAME_RE.match(name or ""):
        errors["name"] = _("2-60 characters: lower-case letters, digits, '.', '_' or '-', starting with a letter")
    if not (display_name or "").strip() or len(display_name) > 120:
        errors["display_name"] = _("required, at most 120 characters")
    if role not in {r.value for r in AgentRole}:
        errors["role"] = _("must be 'agent' or 'supervisor'")
    if not _PIN_RE.fullmatch(pin or ""):
        errors["pin"] = _(PIN_RULE)
    return errors


SIGN_IN_REFUSED = N_(  # shown: _(SIGN_IN_REFUSED)
    "sign-in: that agent name and PIN do not match, or the name is locked after too many wrong PINs "
    "(a supervisor can unlock it)"
)
_SIGN_IN = Sql("SELECT token, agent_id, name, display_name, role FROM deskapp_api_sign_in(:name, :pin, :at)")
_SIGN_OUT = Sql("SELECT deskapp_api_sign_out(:token, :at)")
_ADMIN = Sql(
    "SELECT id, name, display_name, role, active FROM deskapp_api_agent_admin(:token, :action, :name, :value, "
    ":role, :display_name, :at)"
)


def authenticate(store: Store, *, name: str, pin: str) -> AgentInfo:
    """The agent with this name and PIN, signed in (AgentInfo.session), or NotAllowed with one
    answer whatever went wrong: an unknown or disabled name, a wrong PIN and a locked name read
    the same and take the same time (a PIN check against a dummy hash where there is no real
    one to make), so that sign-in tells nobody which names exist.

    Wrong PINs are counted per agent in the database: the desk's `sign_in_failures` within
    `sign_in_window_minutes` lock the name for `sign_in_lock_minutes` (desk_setting, 5, 15 and
    15 unless the owner set others), or until a supervisor unlocks it (tickets.signin).
    """
    check_text({"name": name, "pin": pin}, free_text=False, max_length=200)
    login = name.strip().lower()[:60]
    if store.postgres:
        found = call(store, _SIGN_IN, {"name": login, "pin": pin, "at": store.clock.now()})
        if not found:
            raise NotAllowed(_(SIGN_IN_REFUSED))
        token, agent_id, agent_name, display_name, role = found[0]
        return AgentInfo(agent_id, agent_name, display_name, AgentRole(role), True, session=token)
    from tickets.signin import sign_in_sqlite

    return sign_in_sqlite(store, login, pin)


def sign_out(store: Store, agent: AgentInfo) -> None:
    """End the agent's session (audited as agent.signed_out); nothing if it has none or ended."""
    if agent.session is None:
        return
    now = store.clock.now()
    if store.postgres:
        call(store, _SIGN_OUT, {"token": agent.session, "at": now})
        return
    from tickets.sessions import end_session

    def work(raw: Raw) -> None:
        ended = end_session(raw, agent.session or "", now)
        if ended is not None:
            append_event(raw, at=now, actor=agent.name, action="agent.signed_out", subject=f"agent:{agent.id}",
                         details={"session": ended[0]}, returning=False)

    store.raw_transaction(work)


def list_agents(store: Store) -> list[AgentInfo]:
    with store.raw_read() as raw:
        return [_info(row) for row in raw.rows(_ALL)]


def get_agent(store: Store, agent_id: int) -> AgentInfo:
    with store.raw_read() as raw:
        row = raw.first(_BY_ID, {"id": agent_id})
    if row is None:
        raise NotAllowed(_("agent {agent_id} does not exist").format(agent_id=agent_id))
    return _info(row)


# --- administration: each change is one transaction with its audit event ---------------------
#
# A supervisor's session administers agents; making or changing a supervisor takes the owner
# (no session: on PostgreSQL the database's owner role, on SQLite whoever can write the file),
# so that no supervisor can give themselves a second identity to approve their own tickets.

OWNER_ONLY = "X-2: a supervisor's account is changed with the database owner's credentials, not by another supervisor"
_OWNER_ONLY = N_("a supervisor's account is changed with the database owner's credentials, not by another supervisor")


def owner_only_text() -> str:
    """OWNER_ONLY in the language people read (the rule ID beside it, as in every language)."""
    return "X-2: " + _(_OWNER_ONLY)


def create_agent(store: Store, *, name: str, display_name: str, role: str, pin: str,
                 actor: AgentInfo | None = None) -> AgentInfo:
    errors = validate_agent_fields(name=name, display_name=display_name, role=role, pin=pin)
    if errors:
        raise InvalidInput(errors)
    return _admin(store, actor, "add", name, pin, role=role, display_name=display_name.strip())


class AlreadySo(Conflict):
    """The change asked for is already the agent's state: nothing is written or recorded (a
    second agent.disabled for a disabled agent would claim a change that never happened)."""


def set_agent_active(store: Store, name: str, active: bool, *, actor: AgentInfo | None = None) -> AgentInfo:
    """Disable an agent who leaves (their sessions end: their open console can no longer act)
    or enable them again; AlreadySo (nothing written) when they already are."""
    try:
        return _admin(store, actor, "enable" if active else "disable", name, None)
    except Conflict as refused:
        if isinstance(refused, AlreadySo):
            raise
        if "is already" in (refused.database_text or ""):  # the database function's words
            raise AlreadySo(refused.message) from None
        raise


def reset_pin(store: Store, name: str, pin: str, *, actor: AgentInfo | None = None) -> AgentInfo:
    """A new PIN for a forgotten one (their sessions end); the audit records that it changed,
    never the PIN."""
    if not _PIN_RE.fullmatch(pin or ""):
        raise InvalidInput({"pin": _(PIN_RULE)})
    return _admin(store, actor, "reset_pin", name, pin)


def set_role(store: Store, name: str, role: str, *, actor: AgentInfo | None = None) -> AgentInfo:
    if role not in {r.value for r in AgentRole}:
        raise InvalidInput({"role": _("must be 'agent' or 'supervisor'")})
    return _admin(store, actor, "set_role", name, role)


def unlock(store: Store, name: str, *, actor: AgentInfo | None = None, reason: str = "") -> AgentInfo:
    """Lift an agent's sign-in lock (audited as agent.unlocked): a supervisor, or the owner
    (`deskapp agents unlock`, the desk whose supervisors are all locked out)."""
    check_text({"reason": reason}, max_length=500)
    return _admin(store, actor, "unlock", name, reason.strip())


def _admin(store: Store, actor: AgentInfo | None, action: str, name: str, value: str | None, *,
           role: str | None = None, display_name: str | None = None) -> AgentInfo:
    if actor is not None and actor.session is None:
        raise NotAllowed(_("session: agent administration needs a signed-in supervisor"), rule="session")
    try:
        if store.postgres:
            rows = call(store, _ADMIN, {"token": actor.session if actor else None, "action": action, "name": name,
                                        "value": value, "role": role, "display_name": display_name,
                                        "at": store.clock.now()})
            return _info(rows[0])
        from tickets.agent_admin import admin_sqlite

        return admin_sqlite(store, actor, action, name, value, role=role, display_name=display_name)
    except IntegrityError as error:
        raise Conflict(_("name: an agent called {name} already exists").format(name=repr(name))) from error
