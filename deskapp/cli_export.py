"""`deskapp export`: tickets as CSV or JSON Lines (tickets.export.records has the format and rules).

Only argparse and the enums load when the parser is built; the store loads when the command
runs. Errors are tickets.errors.DeskError subclasses, printed as one line by deskapp.cli.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from tickets.enums import TicketKind, TicketStatus
from tickets.i18n import N_, _

DESCRIPTION = N_("""\
Export tickets, oldest first, one record per ticket (format version 1; see
tickets/export/records.py or the README for every field). Personal data is masked (E-1): phone numbers
keep their last 4 digits, e-mail addresses their first letter and domain, names become initials;
street addresses are never exported. --unmasked is for supervisors only (--agent NAME, PIN asked
for). CSV cells that could start a spreadsheet formula get a leading ' (E-2). Every export is
recorded in the audit trail, before the first record leaves; its anchor (SEQ:HASH, for
`deskapp audit verify --anchors`) goes to FILE.anchor beside --output FILE, or to a terminal's
standard error (and always into the export.created event).
""")


def add_export_parser(sub, common: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "export",
        parents=[common],
        help=_("export tickets as CSV or JSON Lines (personal data masked; audited)"),
        description=_(DESCRIPTION),
    )
    p.add_argument("--format", required=True, choices=["csv", "jsonl"], help=_("CSV (for spreadsheets) or JSON Lines"))
    p.add_argument(
        "--since", metavar="WHEN",
        help=_("only tickets created at or after WHEN: an ISO date (start of day UTC) or date-time"),
    )
    p.add_argument("--until", metavar="WHEN", help=_("only tickets created before WHEN (same forms as --since)"))
    p.add_argument(
        "--kind", action="append", choices=[k.value for k in TicketKind], metavar="KIND",
        help=_("only this kind (repeatable): {kinds}").format(kinds=", ".join(k.value for k in TicketKind)),
    )
    p.add_argument(
        "--status", action="append", choices=[s.value for s in TicketStatus], metavar="STATUS",
        help=_("only this status (repeatable): {statuses}").format(statuses=", ".join(s.value for s in TicketStatus)),
    )
    p.add_argument(
        "--output", "-o", metavar="FILE",
        help=_("write to FILE (replaced only when the export succeeds) instead of standard output"),
    )
    p.add_argument("--unmasked", action="store_true", help=_("personal data in full (supervisors only; needs --agent)"))
    p.add_argument("--agent", metavar="NAME", help=_("sign in as this agent; the export is recorded under that name"))
    p.add_argument(
        "--cursor", metavar="FILE",
        help=_("the feed: only tickets created or changed since the audit position stored in FILE (absent: all),"
               " then FILE moves forward once the output is complete (--format jsonl)"),
    )
    p.add_argument("--pin-stdin", action="store_true", help=_("read the agent's PIN from standard input (for scripts)"))
    p.set_defaults(handler=cmd_export)
    return p


def _read_pin(args) -> str:
    from tickets.errors import InvalidInput

    if args.pin_stdin:
        return sys.stdin.readline().strip()
    if not sys.stdin.isatty():
        raise InvalidInput({"--pin-stdin": "there is no terminal to ask for the PIN; pipe it in with --pin-stdin"})
    import getpass

    return getpass.getpass(f"PIN for {args.agent}: ")


def _filter(args):
    from tickets.dates import parse_when
    from tickets.export.fields import ExportFilter

    return ExportFilter(
        since=parse_when(args.since, option="--since") if args.since else None,
        until=parse_when(args.until, option="--until") if args.until else None,
        kinds=tuple(TicketKind(k) for k in args.kind or ()),
        statuses=tuple(TicketStatus(s) for s in args.status or ()),
    )


@contextmanager
def _open_output(path: str | None):
    """Standard output; a device or FIFO written as it is; or, for a regular FILE, a temporary
    file beside it that replaces it only on success."""
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
    if target.exists() and not target.is_file():
        # A FIFO, a terminal or another device: written as it is. Renaming a temporary file
        # over it would replace the device itself (as root, even /dev/null) with a file.
        with open(target, "w", encoding="utf-8", newline="") as stream:
            yield stream
        return
    try:
        import tempfile  # only for --output FILE: the common `> FILE` and pipes do without it

        fd, temp = tempfile.mkstemp(dir=directory, prefix=f".{target.name}.", suffix=".part")
    except OSError as error:
        raise InvalidInput({"--output": f"cannot write in {directory}: {error.strerror}"}) from None
    try:
        with open(fd, "w", encoding="utf-8", newline="") as stream:  # mode 0600: personal data
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


def _lite_file(args) -> Path | None:
    """The SQLite file a masked export without an agent reads on the standard library alone
    (tickets.export.lite); None: the Store does the export (PostgreSQL, --agent, --unmasked)."""
    if args.unmasked or args.agent:
        return None
    from deskapp.config import settings_from_args
    from tickets.store.lite import sqlite_file

    return sqlite_file(settings_from_args(args).database)


def cmd_export(args) -> int:
    from tickets.errors import NotAllowed

    if getattr(args, "cursor", None):
        from deskapp.cli_feed import cmd_feed

        return cmd_feed(args)
    filt = _filter(args)  # bad dates fail before the database is touched
    if args.unmasked and not args.agent:
        raise NotAllowed(
            "E-1: " + _("--unmasked needs a supervisor: add --agent NAME (the PIN is asked for)"), rule="E-1"
        )
    path = _lite_file(args)
    if path is not None:
        from tickets.export.lite import export_file

        def lite(out, progress, started) -> int:
            return export_file(path, out, fmt=args.format, filt=filt, progress=progress, started=started)

        return _export(args, lite)
    from deskapp.config import store_from_args
    from tickets.agents import authenticate
    from tickets.export.run import authorise_unmasked, write_export
    from tickets.store.schema import check_schema

    store = store_from_args(args)
    try:
        check_schema(store.engine)
        actor = None
        if args.agent:
            actor = authenticate(store, name=args.agent, pin=_read_pin(args))
        if args.unmasked:
            authorise_unmasked(store, actor, fmt=args.format)  # refused (and audited) before any output file

        def with_store(out, progress, started) -> int:
            return write_export(store, out, fmt=args.format, filt=filt, masked=not args.unmasked, actor=actor,
                                progress=progress, started=started)

        return _export(args, with_store)
    finally:
        store.dispose()


def _export(args, run: Callable[[TextIO, Callable[[int], None] | None, Callable], int]) -> int:
    """Open the output, run the export into it with a progress line and the anchor's reporting,
    write FILE.anchor beside a file, and end quietly when a pipe's reader goes away."""
    from deskapp.cli_desk import silence_stdout
    from tickets.export.fields import write_anchor_file

    # A progress line on a terminal, unless the records themselves go to that terminal.
    to_file = args.output not in (None, "-")
    show = sys.stderr.isatty() and (to_file or not sys.stdout.isatty())
    progress = None
    if show:
        from deskapp.progress import CountProgress

        progress = CountProgress(sys.stderr, running=_("exporting: {count} tickets"),
                                 finished=_("exported {count} tickets to {where} in {seconds}s"))
    anchors: list = []

    def started(anchor) -> None:
        anchors.append(anchor)
        if not to_file and sys.stderr.isatty():  # stdout carries only records; a pipe stays silent
            message = _("deskapp: audit anchor of this export: {anchor}").format(anchor=anchor)
            print(message, file=sys.stderr, flush=True)

    try:
        with _open_output(args.output) as out:
            rows = run(out, progress, started)
        if to_file:
            write_anchor_file(Path(args.output), anchors[0])
    except BrokenPipeError:
        # `deskapp export ... | head -1`: the reader has what it wanted and went away. Ends
        # quietly with 0, as sqlite3 and git log do; the audit trail has export.failed with
        # the number of records written before the pipe closed.
        silence_stdout()
        return 0
    finally:
        if progress is not None:
            progress.stop()  # before any error line, so the bar does not overwrite it
    if progress is not None:
        progress.done(rows, args.output or "standard output")
    return 0
