"""Least privilege on PostgreSQL: an owner role that owns the tables and the write functions
and runs migrations, and an application role the consoles and `deskapp serve` connect as.

The application role writes nothing directly (migration 0011). It may:
- EXECUTE the write functions, `deskapp_api_*` (SECURITY DEFINER, owned by the owner role, a
  fixed search_path): each takes the session given at sign-in, checks the rule in the database,
  changes the rows and appends the audit event in one transaction;
- SELECT the desk's tables for its reads, but on `agent` only the columns without the PIN hash,
  and nothing of `agent_session` (the sessions' token hashes).
Nothing else: no INSERT, UPDATE, DELETE or TRUNCATE anywhere, no sequence, no other function,
no CREATE in the schema, and as it owns nothing it cannot drop, alter or disable a trigger.

`deskapp db roles` prints the SQL; `--apply` runs it as the connected (super)user. Run it again
after every `deskapp db upgrade`: new tables and functions get no grants until it is.
`expected_privileges` / `privilege_problems` say what the application role should hold and what
it holds beyond or short of it (for `deskapp audit verify`, and the drill).
"""

from __future__ import annotations

import re

from sqlalchemy import Connection, Engine, text

from tickets.errors import InvalidInput
from tickets.store.triggers import GUARD_TRIGGERS  # noqa: F401 - the guards, said there without SQLAlchemy

API_PREFIX = "deskapp_api_"  # the functions the application role may execute
# Tables the application role may not read whole: the columns it may read instead (None: nothing).
READ_LIMITED: dict[str, tuple[str, ...] | None] = {
    "agent": ("id", "name", "display_name", "role", "active", "created_at"),
    "agent_session": None,
}
def app_privileges(table: str) -> tuple[frozenset[str], frozenset[str]]:
    """What `roles_sql` grants the application role on `table`: (table-wide privileges,
    privileges on some columns only), as PostgreSQL names them: SELECT, on the whole table or
    (READ_LIMITED) on some columns or none; never a write. `audit verify` holds every role but
    the owner to these (tickets.audit.guards), so a change of grants is made here only."""
    if table not in READ_LIMITED:
        return frozenset({"SELECT"}), frozenset()
    return frozenset(), frozenset({"SELECT"}) if READ_LIMITED[table] else frozenset()


# Lock waits and statements are bounded so that the console says so instead of hanging.
ROLE_SETTINGS = {"lock_timeout": "30s", "statement_timeout": "120s"}
TABLE_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")
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


def _objects(connection: Connection) -> tuple[str, list[str], list[str], list[str]]:
    """(the database, its tables, sequences and deskapp functions as signatures) in public."""
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
        "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
        "WHERE n.nspname = 'public' AND p.proname LIKE 'deskapp\\_%' ORDER BY 1"
    )).scalars())
    return database, tables, sequences, functions


def _name(signature: str) -> str:
    return signature.split("(", 1)[0]


def roles_sql(engine: Engine, *, owner: str, app: str) -> list[str]:
    """The statements that set up (or refresh) both roles on the database `engine` reaches."""
    owner, app = _check(owner, "--owner"), _check(app, "--app")
    if owner == app:
        raise InvalidInput({"--app": "the application role must not be the owner role"})
    with engine.connect() as connection:
        database, tables, sequences, functions = _objects(connection)
    statements = [
        _create_role(owner),
        _create_role(app),
        f'GRANT CONNECT ON DATABASE "{database}" TO {owner}, {app}',
        f"GRANT USAGE, CREATE ON SCHEMA public TO {owner}",
        f"REVOKE CREATE ON SCHEMA public FROM PUBLIC, {app}",
        f"GRANT USAGE ON SCHEMA public TO {app}",
    ]
    for table in tables:
        statements.append(f'ALTER TABLE "{table}" OWNER TO {owner}')
        statements.append(f'REVOKE ALL ON TABLE "{table}" FROM PUBLIC, {app}')
        if table not in READ_LIMITED:
            statements.append(f'GRANT SELECT ON TABLE "{table}" TO {app}')
        elif READ_LIMITED[table]:
            statements.append(f'GRANT SELECT ({", ".join(READ_LIMITED[table] or ())}) ON TABLE "{table}" TO {app}')
    for sequence in sequences:
        statements.append(f'ALTER SEQUENCE "{sequence}" OWNER TO {owner}')
        statements.append(f'REVOKE ALL ON SEQUENCE "{sequence}" FROM PUBLIC, {app}')
    for function in functions:
        statements.append(f"ALTER FUNCTION {function} OWNER TO {owner}")
        statements.append(f"REVOKE ALL ON FUNCTION {function} FROM PUBLIC, {app}")
        if _name(function).startswith(API_PREFIX):
            statements.append(f"GRANT EXECUTE ON FUNCTION {function} TO {app}")
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


# --- what the application role should hold, and what it holds -------------------------------

Privilege = tuple[str, str, str]  # (kind: table | column | sequence | function, object, privilege)


def expected_privileges(connection: Connection) -> set[Privilege]:
    """Every privilege the application role should hold on this database: SELECT on each table
    (the allowed columns of READ_LIMITED ones) and EXECUTE on each `deskapp_api_*` function."""
    _, tables, _, functions = _objects(connection)
    expected: set[Privilege] = set()
    for table in tables:
        if table not in READ_LIMITED:
            expected.add(("table", table, "SELECT"))
        for column in READ_LIMITED.get(table) or ():
            expected.add(("column", f"{table}.{column}", "SELECT"))
    for function in functions:
        if _name(function).startswith(API_PREFIX):
            expected.add(("function", function, "EXECUTE"))
    return expected


def actual_privileges(connection: Connection, app: str) -> set[Privilege]:
    """Every privilege the role holds on the desk's tables, their columns, sequences and
    deskapp functions, however it got it (directly, through PUBLIC or another role)."""
    _, tables, sequences, functions = _objects(connection)
    held: set[Privilege] = set()
    for table in tables:
        for privilege in TABLE_PRIVILEGES:
            if connection.execute(text("SELECT has_table_privilege(:r, :t, :p)"),
                                  {"r": app, "t": f'public."{table}"', "p": privilege}).scalar_one():
                held.add(("table", table, privilege))
        for (column,) in connection.execute(text(
                "SELECT attname FROM pg_attribute WHERE attrelid = CAST(:t AS regclass) AND attnum > 0 "
                "AND NOT attisdropped"), {"t": f'public."{table}"'}):
            for privilege in ("SELECT", "INSERT", "UPDATE", "REFERENCES"):
                if ("table", table, privilege) in held:
                    continue
                if connection.execute(text("SELECT has_column_privilege(:r, :t, :c, :p)"),
                                      {"r": app, "t": f'public."{table}"', "c": column, "p": privilege}).scalar_one():
                    held.add(("column", f"{table}.{column}", privilege))
    for sequence in sequences:
        for privilege in ("USAGE", "SELECT", "UPDATE"):
            if connection.execute(text("SELECT has_sequence_privilege(:r, :s, :p)"),
                                  {"r": app, "s": f'public."{sequence}"', "p": privilege}).scalar_one():
                held.add(("sequence", sequence, privilege))
    for function in functions:
        if connection.execute(text("SELECT has_function_privilege(:r, :f, 'EXECUTE')"),
                              {"r": app, "f": function}).scalar_one():
            held.add(("function", function, "EXECUTE"))
    return held


def privilege_problems(engine: Engine, app: str) -> list[str]:
    """What the application role holds beyond, or lacks of, what `deskapp db roles` grants (empty:
    as it left them); plus whether it could create in the schema or owns anything."""
    with engine.connect() as connection:
        expected = expected_privileges(connection)
        held = actual_privileges(connection, app)
        problems = [f"{app} may {p} {kind} {name}, which `deskapp db roles` does not grant"
                    for kind, name, p in sorted(held - expected)]
        problems += [f"{app} lacks {p} on {kind} {name}" for kind, name, p in sorted(expected - held)]
        if connection.execute(text("SELECT has_schema_privilege(:r, 'public', 'CREATE')"), {"r": app}).scalar_one():
            problems.append(f"{app} may CREATE in schema public")
        owned = connection.execute(text(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND pg_has_role(:r, c.relowner, 'USAGE')"), {"r": app}).scalar_one()
        if owned:
            problems.append(f"{app} owns {owned} of the desk's tables or sequences")
        definers = connection.execute(text(
            "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = 'public' AND p.proname LIKE :api AND (NOT p.prosecdef OR p.proconfig IS NULL "
            "OR NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%'))"),
            {"api": API_PREFIX.replace("_", "\\_") + "%"}).scalars().all()
        problems += [f"{f} is not SECURITY DEFINER with a fixed search_path" for f in definers]
    return problems
