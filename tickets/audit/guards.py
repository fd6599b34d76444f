"""A-1: the database's own guards, as `deskapp db upgrade` and `deskapp db roles` left them.

The chain shows an edit; the guards stop one: triggers that refuse to update or delete an
event or move the head back (migrations 0001, 0003), and on PostgreSQL the grants that keep
the application role to what tickets.store.roles gives it. Someone who set a guard aside to
rewrite and forgot to put it back, or who widened the application role's grants to act
through it later, is seen here. Which triggers and grants are expected is said once, in
tickets.store.roles.
"""

from __future__ import annotations

from tickets.audit.source import Reader
from tickets.store.sqltext import Sql
from tickets.store.triggers import GUARD_TRIGGERS

_SQLITE_TRIGGERS = Sql("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger'")
_PG_TRIGGERS = Sql(
    "SELECT t.tgname, c.relname, t.tgenabled, p.prosrc FROM pg_trigger t "
    "JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
    "JOIN pg_proc p ON p.oid = t.tgfoid WHERE n.nspname = 'public' AND NOT t.tgisinternal"
)
# Every privilege on a public table held by a role that neither owns it nor is a superuser
# (grantee 0: PUBLIC), table-wide, then on single columns.
_PG_TABLE_GRANTS = Sql(
    "SELECT c.relname, coalesce(r.rolname, 'PUBLIC') AS role, a.privilege_type FROM pg_class c "
    "JOIN pg_namespace n ON n.oid = c.relnamespace CROSS JOIN LATERAL aclexplode(c.relacl) a "
    "LEFT JOIN pg_roles r ON r.oid = a.grantee WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') "
    "AND a.grantee <> c.relowner AND NOT coalesce(r.rolsuper, false) ORDER BY 1, 2, 3"
)
_PG_COLUMN_GRANTS = Sql(
    "SELECT c.relname, coalesce(r.rolname, 'PUBLIC') AS role, a.privilege_type FROM pg_attribute t "
    "JOIN pg_class c ON c.oid = t.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
    "CROSS JOIN LATERAL aclexplode(t.attacl) a LEFT JOIN pg_roles r ON r.oid = a.grantee "
    "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND t.attacl IS NOT NULL "
    "AND a.grantee <> c.relowner AND NOT coalesce(r.rolsuper, false) ORDER BY 1, 2, 3"
)
# A role that is a member of a table owner holds the owner's rights through it.
_PG_OWNER_MEMBERS = Sql(
    "SELECT DISTINCT m.rolname AS member, o.rolname AS owner FROM pg_auth_members a "
    "JOIN pg_roles m ON m.oid = a.member "
    "JOIN pg_roles o ON o.oid = a.roleid WHERE a.roleid IN (SELECT c.relowner FROM pg_class c "
    "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')) "
    "AND NOT m.rolsuper ORDER BY 1"
)


def guard_problem(raw: Reader) -> str | None:
    """The first guard that is not as it was left, or None."""
    if raw.dialect == "sqlite":
        return _trigger_problem({name: (table, sql, "RAISE(ABORT" in (sql or "")) for name, table, sql
                                 in raw.all(_SQLITE_TRIGGERS)}, "sqlite")
    found = {name: (table, enabled, "RAISE EXCEPTION" in (source or "")) for name, table, enabled, source
             in raw.all(_PG_TRIGGERS)}
    problem = _trigger_problem(found, "postgresql")
    if problem is None:
        problem = _grant_problem(raw)
    return problem


def _trigger_problem(found: dict[str, tuple], dialect: str) -> str | None:
    for name, table in GUARD_TRIGGERS[dialect].items():
        if name not in found or found[name][0] != table:
            return f"the guard trigger {name} on {table} is gone (A-1: dropped to rewrite the trail?)"
        if dialect == "postgresql" and found[name][1] not in ("O", "A"):
            return f"the guard trigger {name} on {table} is disabled (A-1)"
        if not found[name][2]:
            return f"the guard trigger {name} on {table} no longer refuses anything (A-1: replaced)"
    return None


def _grant_problem(raw: Reader) -> str | None:
    from tickets.store.roles import app_privileges  # PostgreSQL only

    grantees: set[str] = set()
    for table, role, privilege in raw.all(_PG_TABLE_GRANTS):
        grantees.add(role)
        whole, _ = app_privileges(table)
        if role == "PUBLIC" or privilege not in whole:
            return f"the role {role} may {privilege} on {table}, more than `deskapp db roles` grants (A-1)"
    for table, role, privilege in raw.all(_PG_COLUMN_GRANTS):
        whole, columns = app_privileges(table)
        if role == "PUBLIC" or privilege not in whole | columns:
            return f"the role {role} may {privilege} columns of {table}, more than `deskapp db roles` grants (A-1)"
    # A role granted the application's privileges (the application role) that is also a member
    # of the owner holds the owner's rights through it. An administrator's own login may be a
    # member: it is the owner, against whom anchors are the defence.
    for member, owner in raw.all(_PG_OWNER_MEMBERS):
        if member in grantees:
            return (f"the role {member} is granted the application's privileges and is a member of {owner}, "
                    "which owns the desk's tables: it holds the owner's rights")
    return None
