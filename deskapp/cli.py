"""The `deskapp` command line.

Kept light: only argparse is imported up front, so `deskapp` draws its first screen before
the database and validation libraries load (issue "Agent console", start-up).
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_UNEXPECTED = 70


def _store(args):
    from tickets.store import Store

    return Store.from_url(args.db)


def _checked_store(args):
    from tickets.schema import check_schema

    store = _store(args)
    check_schema(store.engine)
    return store


# --- console ---------------------------------------------------------------------------------


def cmd_console(args) -> int:
    from deskapp.factory import make_app

    start = "review" if args.command == "review" else None
    make_app(store_url=args.db, demo=getattr(args, "demo", False), start=start).run()
    return 0


# --- db --------------------------------------------------------------------------------------


def cmd_db_upgrade(args) -> int:
    from tickets.schema import upgrade

    store = _store(args)
    before, after = upgrade(store.engine)
    if before == after:
        print(f"schema already up to date ({after}) at {store.url}")
    else:
        print(f"schema upgraded from {before or 'empty'} to {after} at {store.url}")
    return 0


def cmd_db_current(args) -> int:
    from tickets.schema import current_revision, head_revision

    store = _store(args)
    current, head = current_revision(store.engine), head_revision()
    state = "up to date" if current == head else "run `deskapp db upgrade`"
    print(f"{store.url}: schema {current or 'none'}, this deskapp needs {head} ({state})")
    return 0 if current == head else EXIT_ERROR


def cmd_db_backup(args) -> int:
    from tickets.backup import backup

    store = _store(args)
    report = backup(store, Path(args.file))
    print(report)
    return 0


def cmd_db_restore(args) -> int:
    from tickets.backup import restore

    store = _store(args)
    report = restore(store, Path(args.file))
    print(report)
    return 0


# --- directory -------------------------------------------------------------------------------


def cmd_directory_import(args) -> int:
    from tickets.directory import import_directory_file

    store = _checked_store(args)
    report = import_directory_file(store, Path(args.file))
    print(
        f"imported {args.file}: {report.organizations_added} organizations added, "
        f"{report.organizations_updated} updated, {report.people} people, "
        f"{report.subscriptions} subscriptions, {report.campaigns} campaigns, "
        f"{report.resources} renewal resources"
    )
    return 0


def cmd_directory_demo(args) -> int:
    import json

    from tickets.clock import SystemClock
    from tickets.demo import demo_directory

    text = json.dumps(demo_directory(SystemClock().now()), indent=2, ensure_ascii=False)
    if args.output and args.output != "-":
        Path(args.output).write_text(text + "\n", encoding="utf-8")
        print(f"wrote the demo directory to {args.output}")
    else:
        print(text)
    return 0


# --- agents ----------------------------------------------------------------------------------


def _read_pin(args) -> str:
    if args.pin_stdin:
        return sys.stdin.readline().strip()
    if not sys.stdin.isatty():
        raise SystemExit("deskapp: error: no terminal to ask for the PIN; use --pin-stdin")
    first = getpass.getpass("PIN (4-64 digits) or passphrase (12-128 characters): ")
    if getpass.getpass("PIN again: ") != first:
        raise SystemExit("deskapp: error: pin: the two PINs differ")
    return first


def cmd_agents_add(args) -> int:
    from tickets.agents import create_agent

    store = _checked_store(args)
    agent = create_agent(
        store, name=args.name, display_name=args.display_name or args.name, role=args.role, pin=_read_pin(args)
    )
    print(f"added {agent.role.value} {agent.name} ({agent.display_name})")
    return 0


def cmd_agents_list(args) -> int:
    from tickets.agents import list_agents

    store = _checked_store(args)
    for agent in list_agents(store):
        print(f"{agent.name:<20} {agent.role.value:<11} {agent.display_name}")
    return 0


# --- the parser ------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    db_help = (
        "database URL (default: $DESKAPP_DATABASE_URL, else a SQLite file in the user's data "
        "directory); e.g. postgresql://user@host/deskapp"
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", metavar="URL", default=argparse.SUPPRESS, help=db_help)

    parser = argparse.ArgumentParser(
        prog="deskapp",
        description="A terminal console for support desks that take subscription-cancellation calls.",
        parents=[common],
    )
    parser.add_argument(
        "--demo", action="store_true", help="open the console on a fresh demo database (demo agents and PINs shown)"
    )
    parser.set_defaults(handler=cmd_console, command=None)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    review = sub.add_parser("review", parents=[common], help="open the console at the review queue (supervisors)")
    review.set_defaults(handler=cmd_console)

    db = sub.add_parser("db", help="schema and backups").add_subparsers(dest="db_command", metavar="ACTION", required=True)
    p = db.add_parser("upgrade", parents=[common], help="create or migrate the schema (a no-op when up to date)")
    p.set_defaults(handler=cmd_db_upgrade)
    p = db.add_parser("current", parents=[common], help="show the schema revision and whether it is up to date")
    p.set_defaults(handler=cmd_db_current)
    p = db.add_parser("backup", parents=[common], help="online backup of a SQLite database to FILE")
    p.add_argument("file")
    p.set_defaults(handler=cmd_db_backup)
    p = db.add_parser("restore", parents=[common], help="restore a SQLite database from a backup FILE (verified first)")
    p.add_argument("file")
    p.set_defaults(handler=cmd_db_restore)
    from deskapp.cli_roles import add_roles_parser

    add_roles_parser(db, common)

    directory = sub.add_parser("directory", help="the directory callers are verified against").add_subparsers(
        dest="directory_command", metavar="ACTION", required=True
    )
    p = directory.add_parser("import", parents=[common], help="import a directory JSON file (all or nothing)")
    p.add_argument("file")
    p.set_defaults(handler=cmd_directory_import)
    p = directory.add_parser("demo", help="print the demo directory in the import format")
    p.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of standard output")
    p.set_defaults(handler=cmd_directory_demo)

    agents = sub.add_parser("agents", help="desk agents and supervisors").add_subparsers(
        dest="agents_command", metavar="ACTION", required=True
    )
    p = agents.add_parser("add", parents=[common], help="add an agent (the PIN is asked for, never an argument)")
    p.add_argument("name", help="sign-in name: lower-case letters, digits, . _ -")
    p.add_argument("--display-name", help="the name shown in the console")
    p.add_argument("--role", choices=["agent", "supervisor"], default="agent")
    p.add_argument("--pin-stdin", action="store_true", help="read the PIN from standard input (for scripts)")
    p.set_defaults(handler=cmd_agents_add)
    p = agents.add_parser("list", parents=[common], help="list agents")
    p.set_defaults(handler=cmd_agents_list)

    from deskapp.cli_audit import add_audit_parser

    add_audit_parser(sub, common)

    _add_export(sub, common)
    from deskapp.cli_serve import add_serve_parser

    add_serve_parser(sub, common)
    return parser


def _add_export(sub, common) -> None:
    try:
        from deskapp.cli_export import add_export_parser
    except ImportError:  # the export command ships with tickets.export
        return
    add_export_parser(sub, common)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "db"):
        args.db = None
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except KeyboardInterrupt:
        print("deskapp: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # noqa: BLE001 - one clear line, never a traceback
        return _report(error)


def _report(error: Exception) -> int:
    from tickets.errors import DeskError

    if os.environ.get("DESKAPP_DEBUG"):
        raise error
    if isinstance(error, DeskError):
        print(f"deskapp: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    try:
        from sqlalchemy.exc import OperationalError

        if isinstance(error, OperationalError):
            first = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
            print(f"deskapp: error: the database cannot be reached: {first}", file=sys.stderr)
            return EXIT_ERROR
    except ImportError:
        pass
    print(
        f"deskapp: unexpected error ({type(error).__name__}): {error}. Set DESKAPP_DEBUG=1 for details.",
        file=sys.stderr,
    )
    return EXIT_UNEXPECTED


if __name__ == "__main__":
    raise SystemExit(main())
