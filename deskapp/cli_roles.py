"""`deskapp db roles`: least privilege on PostgreSQL (tickets.store.roles): print or apply the SQL."""

from __future__ import annotations

from tickets.i18n import _


def cmd_db_roles(args) -> int:
    from deskapp.config import store_from_args
    from tickets.errors import InvalidInput
    from tickets.store.database import is_sqlite
    from tickets.store.roles import apply_roles, roles_sql
    from tickets.store.schema import check_schema

    store = store_from_args(args)
    if is_sqlite(store.engine):
        raise InvalidInput(
            {"--db": "roles are for PostgreSQL; a SQLite file is protected by file permissions and anchors"}
        )
    check_schema(store.engine)
    if args.apply:
        statements = apply_roles(store.engine, owner=args.owner, app=args.app)
        print(_("applied {count} statements: run migrations as {owner}, connect the desk as {app}").format(
                  count=len(statements), owner=args.owner, app=args.app))
    else:
        for statement in roles_sql(store.engine, owner=args.owner, app=args.app):
            print(statement + ";")
    return 0


def cmd_db_settings(args) -> int:
    """Show the desk's settings held in the database, or change some (NAME=VALUE, the owner's)."""
    from deskapp.config import store_from_args
    from tickets.agent_admin import owner_name
    from tickets.errors import InvalidInput
    from tickets.sessions import change_desk_settings, desk_settings
    from tickets.store.schema import check_schema

    store = store_from_args(args)
    check_schema(store.engine)
    if args.changes:
        pairs = [change.partition("=") for change in args.changes]
        if any(not sep for _, sep, _ in pairs):
            raise InvalidInput({"settings": "give each change as NAME=VALUE"})
        settings = change_desk_settings(store, {name: value for name, _, value in pairs}, owner_name())
    else:
        with store.raw_read() as raw:
            settings = desk_settings(raw)
    for name, value in settings.items():
        print(f"{name} = {value}")
    return 0


def add_roles_parser(db, common) -> None:
    p = db.add_parser(
        "roles", parents=[common], help=_("PostgreSQL: an owner role for migrations, an append-only application role")
    )
    p.add_argument("--owner", default="deskapp_owner", help=_("the role that owns the tables and runs `db upgrade`"))
    p.add_argument("--app", default="deskapp_app", help=_("the role the consoles and commands connect as"))
    p.add_argument("--apply", action="store_true",
        help=_("run the statements (as a superuser) instead of printing them"))
    p.set_defaults(handler=cmd_db_roles)
    p = db.add_parser("settings", parents=[common],
                      help=_("the desk's settings held in the database (sign-in lockout, session length); "
                             "NAME=VALUE changes one (the owner's, audited)"))
    p.add_argument("changes", nargs="*", metavar="NAME=VALUE",
                   help=_("e.g. sign_in_failures=5 sign_in_window_minutes=15 sign_in_lock_minutes=15 "
                          "session_minutes=720"))
    p.set_defaults(handler=cmd_db_settings)
