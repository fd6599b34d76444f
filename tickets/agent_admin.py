"""Agent administration on SQLite: the checks deskapp_api_agent_admin makes on PostgreSQL
(migration 0011), in Python, in the change's transaction (tickets.agents chooses the engine).

A supervisor's session administers agents; a supervisor is added, enabled, promoted, demoted
or given a new PIN by the owner only (no session: on SQLite whoever can write the file, named
`owner:<user>` in the event), so that no supervisor can mint a second identity (X-2).
"""

from __future__ import annotations

import getpass
from datetime import datetime

from tickets.agents import AgentInfo, AlreadySo, _info, hash_pin, owner_only_text
from tickets.audit.chain import append_event
from tickets.audit.record import agent_record
from tickets.enums import AgentRole
from tickets.errors import NotAllowed, NotFound
from tickets.i18n import _
from tickets.sessions import check_actor, end_sessions_of
from tickets.store.database import Store
from tickets.store.rawsql import Raw, Sql, bind_time

_FIND = Sql("SELECT id, name, display_name, role, active FROM agent WHERE name = :name")
_ADD = Sql(
    "INSERT INTO agent (name, display_name, role, pin_hash, active, created_at) "
    "VALUES (:name, :display_name, :role, :pin_hash, :active, :at) RETURNING id"
)
_SET = {
    "active": Sql("UPDATE agent SET active = :v WHERE id = :id"),
    "pin_hash": Sql("UPDATE agent SET pin_hash = :v WHERE id = :id"),
    "role": Sql("UPDATE agent SET role = :v WHERE id = :id"),
}
_UNLOCKED = Sql("INSERT INTO agent_sign_in (agent_id, at, outcome, by_id) VALUES (:agent, :at, 'unlocked', :by)")


def owner_name() -> str:
    """Who the owner is, as the event names them: the operating system's user."""
    try:
        return f"owner:{getpass.getuser()}"[:60]
    except Exception:  # no user name to be had (a container without one): still the owner
        return "owner"


def admin_sqlite(store: Store, actor: AgentInfo | None, action: str, name: str, value: str | None, *,
                 role: str | None = None, display_name: str | None = None) -> AgentInfo:
    # The hash is made before the transaction: scrypt takes tens of milliseconds.
    pin_hash = hash_pin(value) if action in ("add", "reset_pin") and value else None

    def work(raw: Raw) -> AgentInfo:
        now = store.clock.now()
        if actor is not None:
            check_actor(raw, actor, now)
            if not actor.is_supervisor:
                raise NotAllowed(_("agents: only a supervisor administers agents"), rule="agents")
        who = actor.name if actor is not None else owner_name()
        if action == "add":
            if actor is not None and role == AgentRole.SUPERVISOR.value:
                raise NotAllowed("X-2: " + _("a supervisor is added with the database owner's credentials, not by "
                                           "another supervisor"), rule="X-2")
            ((new_id,),) = raw.rows(_ADD, {"name": name, "display_name": display_name, "role": role,
                                           "pin_hash": pin_hash, "active": True, "at": bind_time(now, raw.dialect)})
            append_event(raw, at=now, actor=who, action="agent.created", subject=f"agent:{new_id}",
                         details={"name": name, "role": role, **agent_record(pin_hash or "", display_name)},
                         returning=False)
            return AgentInfo(new_id, name, display_name or name, AgentRole(role or "agent"), True)
        row = raw.first(_FIND, {"name": name.strip().lower()})
        if row is None:
            raise NotFound(_("name: there is no agent called {name}").format(name=repr(name)))
        target = _info(row)
        details, event, owner_only = _change(raw, actor, target, action, value, pin_hash, now)
        if owner_only and actor is not None:
            raise NotAllowed(owner_only_text(), rule="X-2")
        append_event(raw, at=now, actor=who, action=event, subject=f"agent:{target.id}", details=details,
                     returning=False)
        return _info(raw.first(_FIND, {"name": target.name}))

    return store.raw_transaction(work)


def _change(raw: Raw, actor: AgentInfo | None, target: AgentInfo, action: str, value: str | None,
            pin_hash: str | None, now: datetime) -> tuple[dict, str, bool]:
    """Make the change; (the event's details, its action, whether only the owner may)."""
    supervisor = target.role is AgentRole.SUPERVISOR
    if action in ("disable", "enable") and target.active is (action == "enable"):
        # Asked twice: the state wanted holds; nothing is written or recorded.
        raise AlreadySo((_("{name} is already disabled: nothing changed, nothing recorded") if action == "disable" else
                        _("{name} is already enabled: nothing changed, nothing recorded")).format(name=target.name))
    if action == "disable":
        if actor is not None and actor.id == target.id:
            raise NotAllowed(_("agents: a supervisor does not disable themselves"), rule="agents")
        raw.execute(_SET["active"], {"v": False, "id": target.id})
        end_sessions_of(raw, target.id, now, "disabled")
        return {"name": target.name, "was_active": target.active}, "agent.disabled", False
    if action == "enable":
        raw.execute(_SET["active"], {"v": True, "id": target.id})
        return {"name": target.name, "was_active": target.active}, "agent.enabled", supervisor
    if action == "reset_pin":
        raw.execute(_SET["pin_hash"], {"v": pin_hash, "id": target.id})
        end_sessions_of(raw, target.id, now, "pin_reset")
        return ({"name": target.name, **agent_record(pin_hash or "")}, "agent.pin_reset",
                supervisor and (actor is None or actor.id != target.id))
    if action == "set_role":
        raw.execute(_SET["role"], {"v": value, "id": target.id})
        return ({"name": target.name, "from": target.role.value, "to": value}, "agent.role_changed",
                supervisor or value == AgentRole.SUPERVISOR.value)
    if action == "unlock":
        raw.execute(_UNLOCKED, {"agent": target.id, "at": bind_time(now, raw.dialect),
                                "by": actor.id if actor is not None else None})
        return ({"reason": value} if value else {}), "agent.unlocked", False
    raise NotFound(_("agents: no such action {action}").format(action=action))
