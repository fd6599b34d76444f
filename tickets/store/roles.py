"""Least privilege on PostgreSQL (A-1): an owner role that runs migrations and an application
role the consoles and commands connect as.

The application role may read and write the desk's tables, but on the audit trail it may only
read and append: no UPDATE, DELETE or TRUNCATE of `audit_event`; `audit_head` only moved forward
onto an appended event (the trigger of migration 0003 refuses anything else, and the role has
no DELETE or TRUNCATE on it); and as it owns nothing it cannot drop, alter or disable the
triggers, replace their functions, or set session_replication_role (superusers only).

`deskapp db roles` prints the SQL; `--apply` runs it as the connected (super)user. Run it again
after every `deskapp db upgrade`: new tables get no grants until it is.
"""

from __future__ import annotations

import re

from sqlalchemy import Engine, text

from tickets.errors import InvalidInput

# Tables the application may not rewrite freely: what it may do on each instead of
# SELECT, INSERT, UPDATE, DELETE. Sign-in attempts are only settled (their outcome), never
# deleted, so an application login cannot wipe the failures that lock an agent.
LIMITED = {
    "audit_event": "SELECT, INSERT",
    "audit_head": "SELECT, UPDATE (seq, hash)",  # and the trigger allows only forward
    "agent_sign_in": "SELECT, INSERT, UPDATE (outcome)",
    "ticket_note": "SELECT, INSERT",  # notes are added, never edited (tickets.notes)
    "alembic_version": "SELECT",
}
# the guard triggers migrations 0001 and 0003 create, by engine, with the table each
# guards; `audit verify` checks they are all there and enabled (tickets.audit.guards).
GUARD_TRIGGERS = {
    "sqlite": {"audit_event_no_update": "audit_event", "audit_event_no_delete": "audit_event",
               "audit_head_forward_only": "audit_head", "audit_head_no_delete": "audit_head"},
    "postgresql": {"audit_event_no_change": "audit_event", "audit_event_no_truncate": "audit_event",
                   "audit_head_forward_only": "audit_head", "audit_head_no_truncate": "audit_head"},
}
ALL_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"


def app_privileges(table: str) -> tuple[frozenset[str], frozenset[str]]:
    """What `roles_sql` grants the application role on `table`: (table-wide privileges,
    privileges on some columns only), as PostgreSQL names them. `audit verify` holds every role
    but the owner to these (tickets.audit.guards), so a change of grants is made here only."""
    whole: set[str] = set()
    columns: set[str] = set()
    for part in re.split(r",\s*(?![^()]*\))", LIMITED.get(table, ALL_PRIVILEGES)):
        privilege = part.split("(")[0].strip().upper()
        (columns if "(" in part else whole).add(privilege)
    return frozenset(whole), frozenset(columns)


# Lock waits and statements are bounded so that the console says so instead of hanging.
ROLE_SETTINGS = {"lock_timeout": "30s", "statement_timeout": "120s"}
_ROLE_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def _check(name: str, option: str) -> str:
    if not _ROLE_RE.match(name):
        raise InvalidInput({option: "a role name: lower-case letters, digits and '_', starting with a letter or '_'"})
    return name


def _create_role(name: str) -> str:
    return (
        f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{name}') THEN "
        f"CREATE ROLE {name} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS; END IF; END $$"
    )


def roles_sql(engine: Engine, *, owner: str, app: str) -> list[str]:
    """The statements that set up (or refresh) both roles on the database `engine` reaches."""
    owner, app = _check(owner, "--owner"), _check(app, "--app")
    if owner == app:
        raise InvalidInput({"--app": "the application role must not be the owner role"})
    with engine.connect() as connection:
        database = connection.execute(text("SELECT current_database()")).scalar_one()
        tables = list(
            connection.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")).scalars()
        )
        sequences = list(
            connection.execute(
                text("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public' ORDER BY 1")
            ).scalars()
        )
        functions = list(connection.execute(text(
            "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = 'public' AND p.proname LIKE 'deskapp\\_%' ORDER BY 1"
        )).scalars())
    statements = [_create_role(owner), _create_role(app), f'GRANT CONNECT ON DATABASE "{database}" TO {owner}, {app}',
                  f"GRANT USAGE, CREATE ON SCHEMA public TO {owner}", f"REVOKE CREATE ON SCHEMA public FROM {app}",
                  f"GRANT USAGE ON SCHEMA public TO {app}"]
    for table in tables:
        statements.append(f'ALTER TABLE "{table}" OWNER TO {owner}')
        statements.append(f'REVOKE ALL ON TABLE "{table}" FROM PUBLIC, {app}')
        if table in LIMITED:
            statements.append(f'GRANT {LIMITED[table]} ON TABLE "{table}" TO {app}')
        else:
            statements.append(f'GRANT {ALL_PRIVILEGES} ON TABLE "{table}" TO {app}')
    for sequence in sequences:
        statements.append(f'ALTER SEQUENCE "{sequence}" OWNER TO {owner}')
        statements.append(f'GRANT USAGE, SELECT ON SEQUENCE "{sequence}" TO {app}')
    for function in functions:
        statements.append(f"ALTER FUNCTION {function}() OWNER TO {owner}")
        statements.append(f"REVOKE ALL ON FUNCTION {function}() FROM PUBLIC")
    # Timeouts live on the role, not in each session: PgBouncer in transaction mode passes no
    # session settings on (tickets.store.database sets none).
    for setting, value in ROLE_SETTINGS.items():
        statements.append(f'ALTER ROLE {app} IN DATABASE "{database}" SET {setting} = \'{value}\'')
    return statements


def apply_roles(engine: Engine, *, owner: str, app: str) -> list[str]:
    statements = roles_sql(engine, owner=owner, app=app)
    with engine.begin() as connection:
        for statement in statements:
            connection.exec_driver_sql(statement)
    return statements
