"""`deskapp serve`: the console in a browser tab (textual-serve), one console process per tab.

Each browser tab that opens the page starts its own `deskapp` console process on this machine
(the one next to the database), and the first thing it shows is the desk's own sign-in screen:
the served command is fixed here, takes no arguments from the browser, and is the console and
nothing else (no shell, no other command). The database URL reaches the consoles through their
environment (DESKAPP_DATABASE_URL), never through a command line that `ps` would show, and a URL
with a password in it is refused on the command line: put it in the environment, or use a
~/.pgpass file / PGPASSWORD.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys

from tickets.i18n import N_, _

DESCRIPTION = N_("""\
Serve the console to browsers (textual-serve): every tab that opens the page gets its own
console process on this machine, starting at the desk's sign-in screen. Binds to 127.0.0.1
unless --host says otherwise. For agents on other machines, put it behind a TLS reverse proxy
(nginx, Caddy) that forwards https://desk.example.com/ and its websocket /ws to
http://127.0.0.1:PORT, and pass --public-url https://desk.example.com so that the page opens
its websocket as wss:// through the proxy. The database is the console's: --db or
$DESKAPP_DATABASE_URL (a password never on the command line: keep it in the environment or in
~/.pgpass).
""")

DEFAULT_PORT = 8000


def served_command() -> str:
    """The one command a tab runs: this Python's console, no arguments (sign-in first)."""
    return f"{shlex.quote(sys.executable)} -m deskapp.cli"


def cmd_serve(args) -> int:
    from sqlalchemy.engine import make_url

    from deskapp.config import CONFIG_ENV, ENVIRONMENT, settings_from_args
    from tickets.errors import InvalidInput
    from tickets.store.schema import check_schema

    if getattr(args, "db", None) and make_url(args.db).password:
        raise InvalidInput({"--db": "no password on the command line (ps shows it): use a password file or ~/.pgpass"})
    settings = settings_from_args(args)  # checked here: a bad setting is one line, not one per tab
    store = settings.open_store()
    try:  # say it now rather than in every tab
        check_schema(store.engine)
    finally:
        store.dispose()
    try:
        from textual_serve.server import Server
    except ImportError as error:
        raise InvalidInput({"serve": 'textual-serve is not installed: pip install "deskapp[serve]"'}) from error
    # Every tab's console reads the settings resolved here, through the environment it inherits.
    for name, variable in ENVIRONMENT.items():
        value = settings.database if name == "database" else settings[name]
        if value is not None:
            os.environ[variable] = str(value)
    if settings.config_read:  # only a file that exists: a tab's console refuses a named absent one
        assert settings.config_path is not None
        os.environ[CONFIG_ENV] = str(settings.config_path)
    public_url = args.public_url.rstrip("/") if args.public_url else None
    server = Server(served_command(), host=args.host, port=args.port, title="deskapp", public_url=public_url)
    print(_("deskapp: serving the console on http://{host}:{port} ({url})").format(
              host=args.host, port=args.port, url=store.url), file=sys.stderr)
    server.serve()
    return 0


def add_serve_parser(sub, common: argparse.ArgumentParser) -> None:
    from deskapp.language import CellRawDescriptionHelpFormatter

    p = sub.add_parser(
        "serve", parents=[common], help=_("serve the console to browsers (one console process per tab)"),
        description=_(DESCRIPTION), formatter_class=CellRawDescriptionHelpFormatter,
    )
    p.add_argument("--host", default="127.0.0.1", help=_("address to bind (default 127.0.0.1: this machine only)"))
    p.add_argument("--port", type=int, default=DEFAULT_PORT,
        help=_("port to bind (default {port})").format(port=DEFAULT_PORT))
    p.add_argument(
        "--public-url", metavar="URL",
        help=_("the address browsers use, when behind a reverse proxy (e.g. https://desk.example.com)"),
    )
    p.set_defaults(handler=cmd_serve)
