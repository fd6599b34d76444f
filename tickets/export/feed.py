"""The export feed: each ticket created or changed since a stored audit position, once (A-1, E-1).

The position is the audit sequence (audit_event.seq). A run reads the chain's committed head H,
then the ticket subjects of the events in (position, H], and writes each such ticket's masked
export record (as the JSON Lines export writes it) plus `audit_seq`, the last of its events
in that range, in the order of that number. The caller moves the stored position to H only
after the output is complete and flushed (deskapp.cli_feed): a run stopped at any point leaves
the position where it was, so the next run writes those tickets again and loses none.

Why nothing below H can still be uncommitted: an event's seq is the head's seq + 1, read by the
statement that locks the head row (tickets.audit.chain: FOR UPDATE on PostgreSQL, BEGIN
IMMEDIATE's write lock on SQLite), and the append is its transaction's last statement, so the
head stays locked until that transaction commits. The next append waits for the commit and
then reads the head as committed: seqs are assigned and committed in one order, and the head
as any reader sees it names an event below which every event is committed. An append still
open while the feed runs holds seq H + 1 or later; it is read by the next run.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import text

from tickets.agents import AgentInfo
from tickets.errors import InvalidInput
from tickets.export.fields import ANONYMOUS_ACTOR, ExportFilter, audit_details
from tickets.store.database import Store

CURSOR_FIELD = "audit_seq"  # the position a feed record carries beside the export fields
_CURSOR_PREFIX = "deskapp-feed audit_seq="
_IDS_PER_QUERY = 500

_HEAD = text("SELECT seq FROM audit_head WHERE id = 1")
_CHANGED = text(
    "SELECT subject, max(seq) AS last FROM audit_event "
    "WHERE seq > :after AND seq <= :upto AND subject LIKE 'ticket:%' "
    "GROUP BY subject ORDER BY last"
)


@dataclass(frozen=True)
class FeedRun:
    """What a feed run wrote: `rows` records, the changes up to audit position `upto`."""

    after: int
    upto: int
    rows: int


def read_cursor(path: Path) -> int:
    """The stored position; 0 (the start) when FILE does not exist. A symbolic link is refused:
    a position planted through one could hide tickets, and the file is never written through one."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        return 0
    except OSError as error:
        if path.is_symlink():
            raise InvalidInput({"--cursor": f"{path} is a symbolic link; give the file itself"}) from None
        raise InvalidInput({"--cursor": f"cannot read {path}: {error.strerror}"}) from None
    with open(fd, encoding="utf-8") as stream:
        content = stream.read(200).strip()
    if not content.startswith(_CURSOR_PREFIX) or not content[len(_CURSOR_PREFIX):].isdigit():
        raise InvalidInput({"--cursor": f"{path} is not a deskapp feed position (`{_CURSOR_PREFIX}N`)"})
    return int(content[len(_CURSOR_PREFIX):])


def save_cursor(path: Path, upto: int) -> None:
    """Move the stored position to `upto` atomically: a file written beside FILE, flushed to
    disk, then renamed over FILE (a rename replaces a symbolic link itself, never its target)."""
    import tempfile

    directory = path.parent if str(path.parent) else Path(".")
    fd, temp = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".part")
    try:
        with open(fd, "w", encoding="utf-8") as stream:
            stream.write(f"{_CURSOR_PREFIX}{upto}\n")
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except FileNotFoundError:
            pass
        raise
    try:  # the rename itself reaches the disk
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def changed_tickets(session, after: int) -> tuple[int, list[tuple[int, int]]]:
    """(H, [(ticket id, its last audit seq in (after, H])...]) in one read transaction: H is the
    committed head, below which no append is still open (see the module's reason)."""
    connection = session.connection()
    upto = connection.execute(_HEAD).scalar() or 0
    if upto <= after:
        return max(upto, after), []
    changed = [(int(number), int(last))
               for subject, last in connection.execute(_CHANGED, {"after": after, "upto": upto})
               if (number := subject[len("ticket:"):]).isdigit()]  # `ticket:unknown` names no ticket
    return upto, changed


def _feed_records(store: Store, changed: list[tuple[int, int]]) -> Iterator[dict[str, Any]]:
    from sqlmodel import col

    from tickets.export.records import _base_query, _record
    from tickets.store.models import Ticket

    base = _base_query(ExportFilter())
    for start in range(0, len(changed), _IDS_PER_QUERY):
        chunk = changed[start:start + _IDS_PER_QUERY]
        with store.read() as session:
            rows = {row.id: tuple(row) for row in
                    session.connection().execute(base.where(col(Ticket.id).in_([i for i, _ in chunk])))}
        for ticket_id, seq in chunk:
            row = rows.get(ticket_id)
            if row is not None:  # an audited subject whose ticket row is gone is not a ticket to send
                yield {**_record(row, True), CURSOR_FIELD: seq}


def write_feed(
    store: Store,
    out: TextIO,
    *,
    after: int,
    actor: AgentInfo | None = None,
    progress: Callable[[int], None] | None = None,
    started: Callable[[Any], None] | None = None,
) -> FeedRun:
    """Write the masked records of the tickets changed after audit position `after` to `out`
    (flushed), audited as every export is (export.started before the first record,
    export.created or export.failed after, E-1, A-1). The caller stores `upto` afterwards."""
    from tickets.audit.chain import Anchor
    from tickets.export.run import _audit

    details = audit_details("jsonl", ExportFilter(), masked=True,
                            by=actor.name if actor is not None else ANONYMOUS_ACTOR,
                            agent_role=actor.role.value if actor is not None else None)
    details["feed_after"] = after
    event = _audit(store, actor, "export.started", details)
    details["anchor"] = str(Anchor(event.seq, event.hash))
    written = 0
    try:
        if started is not None:
            started(Anchor(event.seq, event.hash))
        with store.read() as session:
            upto, changed = changed_tickets(session, after)
        details["feed_upto"] = upto
        dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
        for record in _feed_records(store, changed):
            out.write(dumps(record) + "\n")
            written += 1
            if progress is not None and written % 1000 == 0:
                progress(written)
        out.flush()
    except BaseException as error:
        _audit(store, actor, "export.failed", {**details, "rows": written, "error": type(error).__name__},
               best_effort=True)
        raise
    _audit(store, actor, "export.created", {**details, "rows": written})
    if progress is not None:
        progress(written)
    return FeedRun(after, upto, written)
