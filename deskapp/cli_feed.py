"""`deskapp export --format jsonl --cursor FILE`: the feed (tickets.export.feed).

The records go out first; FILE moves forward only once they are complete and flushed (a file
--output replaced, standard output flushed). A run stopped before that leaves FILE as it was, so
the next run writes the same tickets again: nothing is lost, and only what was not confirmed is
repeated.
"""

from __future__ import annotations

import sys
from pathlib import Path

from tickets.i18n import _

EXIT_USAGE = 2


def refusal(args) -> str | None:
    """One sentence when --cursor is combined with what the feed does not do; None: fine."""
    if args.format != "jsonl":
        return _("--cursor works with --format jsonl only (each record carries its audit position)")
    if args.since or args.until or args.kind or args.status:
        return _("--cursor takes no filters: the feed is every ticket changed since the stored position")
    if args.unmasked:
        return _("--cursor writes masked records only") + " (E-1)"
    return None


def cmd_feed(args) -> int:
    from deskapp.cli_export import _open_output, _read_pin
    from deskapp.config import store_from_args
    from tickets.agents import authenticate
    from tickets.export.feed import read_cursor, save_cursor, write_feed
    from tickets.store.schema import check_schema

    problem = refusal(args)
    if problem is not None:
        print(_("%(prog)s: error: %(message)s\n") % {"prog": "deskapp", "message": problem}, end="", file=sys.stderr)
        return EXIT_USAGE
    cursor = Path(args.cursor)
    after = read_cursor(cursor)  # a bad or planted FILE fails before the database is touched
    store = store_from_args(args)
    try:
        check_schema(store.engine)
        actor = authenticate(store, name=args.agent, pin=_read_pin(args)) if args.agent else None
        with _open_output(args.output) as out:
            run = write_feed(store, out, after=after, actor=actor)
        # Only now is the output complete: flushed to the pipe, or the file fsynced and renamed.
        save_cursor(cursor, run.upto)
    finally:
        store.dispose()
    if sys.stderr.isatty():
        print("deskapp: feed: " + _("{rows} tickets changed after audit position {after}, up to {upto}").format(
            rows=run.rows, after=run.after, upto=run.upto), file=sys.stderr)
    return 0
