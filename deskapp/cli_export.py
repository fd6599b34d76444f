"""`deskapp export`: tickets as CSV or JSON Lines (tickets.export has the format and rules).

Only argparse and the enums load when the parser is built; the store loads when the command
runs. Errors are tickets.errors.DeskError subclasses, printed as one line by deskapp.cli.
"""

from __future__ import annotations

import argparse
import getpass
import io
import os
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from tickets.enums import TicketKind, TicketStatus

DESCRIPTION = """\
Export tickets, oldest first, one record per ticket (format version 1; see
tickets/export.py or the README for every field). Personal data is masked (E-1): phone numbers
keep their last 4 digits, e-mail addresses their first letter and domain, names become initials;
street addresses are never exported. --unmasked is for supervisors only (--agent NAME, PIN asked
for). CSV cells that could start a spreadsheet formula get a leading ' (E-2). Every export is
recorded in the audit trail.
"""


def add_export_parser(sub, common: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "export",
        parents=[common],
        help="export tickets as CSV or JSON Lines (personal data masked; audited)",
        description=DESCRIPTION,
    )
    p.add_argument("--format", required=True, choices=["csv", "jsonl"], help="CSV (for spreadsheets) or JSON Lines")
    p.add_argument(
        "--since", metavar="WHEN",
        help="only tickets created at or after WHEN: an ISO date (start of day UTC) or date-time",
    )
    p.add_argument("--until", metavar="WHEN", help="only tickets created before WHEN (same forms as --since)")
    p.add_argument(
        "--kind", action="append", choices=[k.value for k in TicketKind], metavar="KIND",
        help="only this kind (repeatable): " + ", ".join(k.value for k in TicketKind),
    )
    p.add_argument(
        "--status", action="append", choices=[s.value for s in TicketStatus], metavar="STATUS",
        help="only this status (repeatable): " + ", ".join(s.value for s in TicketStatus),
    )
    p.add_argument(
        "--output", "-o", metavar="FILE",
        help="write to FILE (replaced only when the export succeeds) instead of standard output",
    )
    p.add_argument("--unmasked", action="store_true", help="personal data in full (supervisors only; needs --agent)")
    p.add_argument("--agent", metavar="NAME", help="sign in as this agent; the export is recorded under that name")
    p.add_argument("--pin-stdin", action="store_true", help="read the agent's PIN from standard input (for scripts)")
    p.set_defaults(handler=cmd_export)
    return p


def _read_pin(args) -> str:
    from tickets.errors import InvalidInput

    if args.pin_stdin:
        return sys.stdin.readline().strip()
    if not sys.stdin.isatty():
        raise InvalidInput({"--pin-stdin": "there is no terminal to ask for the PIN; pipe it in with --pin-stdin"})
    return getpass.getpass(f"PIN for {args.agent}: ")


def _filter(args):
    from tickets.export import ExportFilter, parse_when

    return ExportFilter(
        since=parse_when(args.since, option="--since") if args.since else None,
        until=parse_when(args.until, option="--until") if args.until else None,
        kinds=tuple(TicketKind(k) for k in args.kind or ()),
        statuses=tuple(TicketStatus(s) for s in args.status or ()),
    )


class _Progress:
    """A one-line progress report on a terminal: count and rate, redrawn at most 10 times a second."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.started = time.monotonic()
        self.shown = 0.0

    def __call__(self, count: int) -> None:
        now = time.monotonic()
        if now - self.shown < 0.1:
            return
        self.shown = now
        rate = count / max(now - self.started, 1e-6)
        self.stream.write(f"\rexporting: {count:,} tickets ({rate:,.0f}/s)")
        self.stream.flush()

    def done(self, count: int, where: str) -> None:
        elapsed = time.monotonic() - self.started
        self.stream.write(f"\rexported {count:,} tickets to {where} in {elapsed:.1f}s\033[K\n")
        self.stream.flush()


@contextmanager
def _open_output(path: str | None):
    """Standard output, or a temporary file beside FILE that replaces it only on success."""
    if path is None or path == "-":
        stream = sys.stdout
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(newline="")  # CSV writes its own \r\n line ends
        yield stream
        stream.flush()
        return
    from tickets.errors import InvalidInput

    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        raise InvalidInput({"--output": f"{path} is a directory"})
    try:
        fd, temp = tempfile.mkstemp(dir=directory, prefix=f".{target.name}.", suffix=".part")
    except OSError as error:
        raise InvalidInput({"--output": f"cannot write in {directory}: {error.strerror}"}) from None
    try:
        with io.open(fd, "w", encoding="utf-8", newline="") as stream:  # mode 0600: personal data
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp, target)
    except BaseException:
        try:
            os.unlink(temp)
        except FileNotFoundError:
            pass
        raise


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that the exit flush does not fail on the closed pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def _existing_database(url: str | None) -> str:
    """The console's database (--db, $DESKAPP_DATABASE_URL, else the user's data folder); an
    export never creates one: a SQLite file that is not there is an error, not a new empty file."""
    from sqlalchemy.engine import make_url

    from tickets.errors import DeskError
    from tickets.store import default_database_url, normalise_url

    url = url or default_database_url()
    parsed = make_url(normalise_url(url))
    database = parsed.database or ""
    if parsed.get_backend_name() == "sqlite" and database not in ("", ":memory:") and not database.startswith("file:"):
        if not Path(database).is_file():
            raise DeskError(f"no database at {database}: give --db URL, or create it with `deskapp db upgrade`")
    return url


def cmd_export(args) -> int:
    from tickets.agents import authenticate
    from tickets.errors import DeskError, NotAllowed
    from tickets.export import check_unmasking, write_export
    from tickets.schema import check_schema
    from tickets.store import Store

    filt = _filter(args)  # bad dates fail before the database is touched
    if args.unmasked and not args.agent:
        raise NotAllowed("E-1: --unmasked needs a supervisor: add --agent NAME (the PIN is asked for)", rule="E-1")
    store = Store.from_url(_existing_database(args.db))
    try:
        check_schema(store.engine)
        actor = None
        if args.agent:
            actor = authenticate(store, name=args.agent, pin=_read_pin(args))
        if args.unmasked:
            check_unmasking(actor)  # refused before any output file is created
        # A progress line on a terminal, unless the records themselves go to that terminal.
        to_file = args.output not in (None, "-")
        show = sys.stderr.isatty() and (to_file or not sys.stdout.isatty())
        progress: _Progress | None = _Progress(sys.stderr) if show else None
        report: Callable[[int], None] | None = progress
        try:
            with _open_output(args.output) as out:
                rows = write_export(
                    store, out, fmt=args.format, filt=filt, masked=not args.unmasked, actor=actor, progress=report
                )
        except BrokenPipeError:  # `deskapp export ... | head`: the reader went away
            _silence_stdout()
            raise DeskError(
                "export stopped: the program reading the output closed it (recorded as export.failed)"
            ) from None
        if progress is not None:
            progress.done(rows, args.output or "standard output")
        return 0
    finally:
        store.dispose()
