"""The `deskapp` command line.

Kept light: only argparse is imported up front, so `deskapp` draws its first screen before
the database and validation libraries load (issue "Agent console", start-up).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from tickets.i18n import _

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_UNEXPECTED = 70


def _store(args):
    from deskapp.config import store_from_args

    return store_from_args(args)


def _checked_store(args):
    from tickets.store.schema import check_schema

    store = _store(args)
    check_schema(store.engine)
    return store


# --- console ---------------------------------------------------------------------------------


def cmd_console(args) -> int:
    from deskapp.config import ConfigError, settings_from_args

    # A tab of `deskapp serve` talks over pipes through Textual's web driver: no terminal needed.
    served = os.environ.get("TEXTUAL_DRIVER", "").startswith("textual.drivers.web_driver")
    if not served and not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise ConfigError(
            _("the console needs a terminal (standard input and output are not one); in scripts use the "
              "commands: deskapp --help")
        )
    settings = settings_from_args(args)  # a bad setting is one line before the screen is taken
    from deskapp.factory import make_app
    from deskapp.hangup import end_call_left_open

    start = "review" if args.command == "review" else None
    app = make_app(settings=settings, demo=getattr(args, "demo", False), start=start)
    app.stop_on_hang_up = True  # the terminal closed (SIGHUP), or SIGTERM: App.run returns
    try:
        app.run()
    finally:
        end_call_left_open(app)  # the terminal closed during a call: end it in the store
    return 0


# --- db --------------------------------------------------------------------------------------


def cmd_db_upgrade(args) -> int:
    from deskapp.config import store_from_args
    from tickets.store.schema import upgrade

    store = store_from_args(args, create=True)  # the command that creates a database
    before, after = upgrade(store.engine)
    if before == after:
        print(_("schema already up to date ({after}) at {url}").format(after=after, url=store.url))
    else:
        print(_("schema upgraded from {value} to {after} at {url}").format(
                  value=before or 'empty', after=after, url=store.url))
    return 0


def cmd_db_current(args) -> int:
    from tickets.store.schema import current_revision, head_revision, is_newer

    store = _store(args)
    current, head = current_revision(store.engine), head_revision()
    state = ("up to date" if current == head else "upgraded by a newer deskapp: install it" if is_newer(current)
             else "run `deskapp db upgrade`")
    print(_("{url}: schema {value}, this deskapp needs {head} ({state})").format(
              url=store.url, value=current or 'none', head=head, state=state))
    return 0 if current == head else EXIT_ERROR


def cmd_db_backup(args) -> int:
    from tickets.backup import backup

    store = _store(args)
    report = backup(store, Path(args.file))
    print(report)
    return 0


def cmd_db_restore(args) -> int:
    from deskapp.config import store_from_args
    from tickets.backup import restore

    store = store_from_args(args, create=True)  # restoring may create the database
    report = restore(store, Path(args.file))
    print(report)
    return 0


# --- directory -------------------------------------------------------------------------------


def cmd_directory_import(args) -> int:
    from deskapp.cli_directory import import_with_progress

    return import_with_progress(_checked_store(args), Path(args.file))


def cmd_directory_demo(args) -> int:
    import json

    from tickets.clock import SystemClock
    from tickets.demo import demo_directory

    text = json.dumps(demo_directory(SystemClock().now()), indent=2, ensure_ascii=False)
    if args.output and args.output != "-":
        Path(args.output).write_text(text + "\n", encoding="utf-8")
        print(_("wrote the demo directory to {output}").format(output=args.output))
    else:
        print(text)
    return 0




# --- the parser ------------------------------------------------------------------------------


# The first word of every subcommand: an argument list without any of them (and without --help)
# opens the console, whose parser needs none of the commands' parsers (about 35 ms of CPU to
# build, all of it before the first frame). tests/unit/test_cli_plumbing.py keeps this complete.
COMMANDS = ("review", "db", "directory", "audit", "export", "agents", "search", "config", "completion", "serve",
            "relay")


def _console_only(argv: Sequence[str]) -> bool:
    return not any(word in COMMANDS or word in ("-h", "--help") for word in argv)


def _only_command(argv: Sequence[str]) -> str | None:
    """The command to build the parser of, alone: when exactly one command word appears (an agent
    named `export`, say, or a --db value that is one, makes it two: then every command is built)."""
    named = {word for word in argv if word in COMMANDS}
    return named.pop() if len(named) == 1 else None


def build_parser(*, console_only: bool = False, only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line; with `console_only`, the console's options alone (no commands);
    with `only`, that command's parser alone (each costs CPU to build, before any work)."""

    def wanted(name: str) -> bool:
        return only is None or only == name

    db_help = _(
        "database URL (default: $DESKAPP_DATABASE_URL, else a SQLite file in the user's data "
        "directory); e.g. postgresql://user@host/deskapp"
    )
    from deskapp.language import DeskArgumentParser

    common = DeskArgumentParser(add_help=False)
    common.add_argument("--db", metavar="URL", default=argparse.SUPPRESS, help=db_help)
    _add_settings_flags(common)

    parser = DeskArgumentParser(
        prog="deskapp",
        description=_("A terminal console for support desks that take subscription-cancellation calls."),
        parents=[common],
    )
    parser.add_argument("--version", action=_VersionAction, nargs=0, help=_("show the version and exit"))
    parser.add_argument(
        "--demo", action="store_true", help=_("open the console on a fresh demo database (demo agents and PINs shown)")
    )
    parser.set_defaults(handler=cmd_console, command=None)
    if console_only:
        return parser
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    if wanted("review"):
        review = sub.add_parser("review", parents=[common],
            help=_("open the console at the review queue (supervisors)"))
        review.set_defaults(handler=cmd_console)
    if wanted("db"):
        _add_db(sub, common)
    if wanted("directory"):
        _add_directory(sub, common)
    if wanted("audit"):
        from deskapp.cli_audit import add_audit_parser

        add_audit_parser(sub, common)
    if wanted("export"):
        _add_export(sub, common)
    _add_desk_commands(sub, common, wanted)
    if wanted("serve"):
        from deskapp.cli_serve import add_serve_parser

        add_serve_parser(sub, common)
    if wanted("relay"):
        from deskapp.cli_relay import add_relay_parser

        add_relay_parser(sub, common)
    return parser


def _add_db(sub, common) -> None:
    db = sub.add_parser("db", help=_("schema and backups")).add_subparsers(
        dest="db_command", metavar="ACTION", required=True
    )
    p = db.add_parser("upgrade", parents=[common], help=_("create or migrate the schema (a no-op when up to date)"))
    p.set_defaults(handler=cmd_db_upgrade)
    p = db.add_parser("current", parents=[common], help=_("show the schema revision and whether it is up to date"))
    p.set_defaults(handler=cmd_db_current)
    p = db.add_parser("backup", parents=[common], help=_("online backup of a SQLite database to FILE"))
    p.add_argument("file")
    p.set_defaults(handler=cmd_db_backup)
    p = db.add_parser("restore", parents=[common],
        help=_("restore a SQLite database from a backup FILE (verified first)"))
    p.add_argument("file")
    p.set_defaults(handler=cmd_db_restore)
    from deskapp.cli_roles import add_roles_parser

    add_roles_parser(db, common)


def _add_directory(sub, common) -> None:
    directory = sub.add_parser("directory", help=_("the directory callers are verified against")).add_subparsers(
        dest="directory_command", metavar="ACTION", required=True
    )
    p = directory.add_parser("import", parents=[common], help=_("import a directory JSON file (all or nothing)"))
    p.add_argument("file")
    p.set_defaults(handler=cmd_directory_import)
    p = directory.add_parser("demo", help=_("print the demo directory in the import format"))
    p.add_argument("--output", "-o", metavar="FILE", help=_("write to FILE instead of standard output"))
    p.set_defaults(handler=cmd_directory_demo)


class _VersionAction(argparse.Action):
    """--version, the installed version looked up only when asked for: importlib.metadata costs
    every other command about 50 ms of CPU."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        print(_("deskapp {version}").format(version=_version()))
        parser.exit()


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("deskapp")
    except PackageNotFoundError:
        return "unknown"


def _add_settings_flags(common) -> None:
    from deskapp.cli_desk import add_settings_flags

    add_settings_flags(common)


def _add_desk_commands(sub, common, wanted: Callable[[str], bool]) -> None:
    if wanted("agents"):
        from deskapp.cli_agents import add_agents_parsers

        add_agents_parsers(sub, common)
    if wanted("search"):
        from deskapp.cli_search import add_search_parser

        add_search_parser(sub, common)
    if wanted("config") or wanted("completion"):
        from deskapp.cli_desk import add_desk_parsers

        add_desk_parsers(sub, common)


def _add_export(sub, common) -> None:
    try:
        from deskapp.cli_export import add_export_parser
    except ImportError:  # the export command ships with tickets.export.records
        return
    add_export_parser(sub, common)


def main(argv: Sequence[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else list(argv)
    # The help and argparse's errors come before the line is parsed: the language first (not
    # for --version, a name and a number, which then costs no settings read).
    early = argparse.Namespace()
    if "--version" not in words:
        early = _settings_flags(words)
        _apply_language(early)
    parser = build_parser(console_only=_console_only(words), only=_only_command(words))
    args = parser.parse_args(words)
    if not hasattr(args, "db"):
        args.db = None
    if hasattr(early, "_settings") and _same_settings_flags(early, args):
        args._settings = early._settings  # the settings already read, not read twice
    handler: Callable[[argparse.Namespace], int] = args.handler
    _apply_language(args)
    try:
        return handler(args)
    except BrokenPipeError:  # `deskapp agents list | head -1`: the reader has what it wanted
        from deskapp.cli_desk import silence_stdout

        silence_stdout()
        return 0  # a quiet, successful end, as sqlite3 and git log give a pipe into head
    except KeyboardInterrupt:
        print(_("deskapp: interrupted"), file=sys.stderr)
        return 130
    except Exception as error:  # noqa: BLE001 - one clear line, never a traceback
        return _report(error, "deskapp " + (args.command or "console"), args.db)


def _settings_flags(words: Sequence[str]) -> argparse.Namespace:
    """The settings flags alone (--language, --config ...), read before the whole command line
    is: what they get wrong is said once the whole line is parsed."""
    flags = argparse.ArgumentParser(add_help=False, exit_on_error=False)
    flags.add_argument("--db", default=argparse.SUPPRESS)
    _add_settings_flags(flags)
    try:
        known, _rest = flags.parse_known_args(words)
    except (argparse.ArgumentError, SystemExit):
        return argparse.Namespace()
    return known


def _same_settings_flags(early: argparse.Namespace, args: argparse.Namespace) -> bool:
    from deskapp.config import FLAGS

    return all(getattr(early, dest, None) == getattr(args, dest, None) for dest in (*FLAGS.values(), "config"))


def _apply_language(args: argparse.Namespace) -> None:
    """Messages in the desk's language from the start; a bad setting is reported by the command."""
    from deskapp.config import FLAGS, ConfigError, language_despite_error, settings_from_args
    from deskapp.language import apply_language

    try:
        apply_language(settings_from_args(args).language)
    except ConfigError:  # the error's one line in the language asked for anyway
        config = getattr(args, "config", None)
        apply_language(language_despite_error(
            {dest: getattr(args, dest, None) for dest in FLAGS.values()},
            config_path=Path(config).expanduser() if config else None))


def _report(error: Exception, where: str = "deskapp", url: str | None = None) -> int:
    from deskapp.config import ConfigError
    from tickets.errors import DeskError

    if os.environ.get("DESKAPP_DEBUG"):
        raise error
    if isinstance(error, ConfigError):
        print(_("deskapp: error: {error}").format(error=error), file=sys.stderr)
        return EXIT_USAGE
    from deskapp.logs import log_failure, setup_logging

    setup_logging()
    log_failure(where, error)
    if isinstance(error, DeskError):
        print(_("deskapp: error: {error}").format(error=error), file=sys.stderr)
        return EXIT_ERROR
    try:
        from sqlalchemy.exc import OperationalError

        if isinstance(error, OperationalError):
            from tickets.store.database import default_database_url, unavailable_text

            print(_("deskapp: error: {unavailable_text}").format(
                      unavailable_text=unavailable_text(error, url or default_database_url())), file=sys.stderr)
            return EXIT_ERROR
    except ImportError:
        pass
    print(
        _("deskapp: unexpected error ({__name__}): {error}. Set DESKAPP_DEBUG=1 for details.").format(
            __name__=type(error).__name__, error=error),
        file=sys.stderr,
    )
    return EXIT_UNEXPECTED


if __name__ == "__main__":
    raise SystemExit(main())
