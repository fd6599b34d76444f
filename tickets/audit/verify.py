"""A-1: `deskapp audit verify` in one streaming pass at the database's speed (bench target 7).

The events are streamed in order (tickets.audit.source: on SQLite the command reads with the
standard library's sqlite3 alone, `verify_file`; through a session, keyset pages on its driver's
cursor; no ORM rows either way); each is checked in its chain's format (tickets.audit.format) and fed, decoded, to
the rebuild of every ticket and agent (tickets.audit.history) in the same pass; then the rows
are read in pages against it (tickets.audit.compare), and the guards the database keeps against
rewriting (tickets.audit.guards) are checked as `deskapp db upgrade` and `db roles` left them.

Details are decoded by Python alone, and must be stored exactly as they are hashed: a format-2
event's stored text must be its canonical form (sorted keys, no spaces, no key twice), a
format-1 event's must hold no key twice. Otherwise two readers could see two events in one
text: with `{"status":"withdrawn",...,"status":"approved"}` Python keeps the last key and
SQLite's json_extract the first.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from datetime import datetime
from hashlib import sha256
from pathlib import Path
from typing import Any

from tickets.audit.anchor import Anchor
from tickets.audit.compare import agent_problems, note_problems, ticket_problems
from tickets.audit.filings import canonical_at, fixed_check, scan
from tickets.audit.format import FORMAT_SWITCH, GENESIS_HASH, canonical_bytes, content_text, decoded_text
from tickets.audit.guards import guard_problem
from tickets.audit.history import Histories
from tickets.audit.report import ChainReport
from tickets.audit.source import LiteReader, Reader
from tickets.store.sqltext import Sql

_AT = {"postgresql": "to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')", "sqlite": "at"}
_EVENTS = {
    dialect: Sql(
        f"SELECT seq, {_AT[dialect]} AS at, actor, action, subject, CAST(details AS text) AS details, prev_hash, "
        "hash "
        "FROM audit_event WHERE seq > :after ORDER BY seq LIMIT :limit"
    )
    for dialect in _AT
}
_HEAD = Sql("SELECT seq, hash FROM audit_head WHERE id = 1")
_TOP_TICKET = Sql("SELECT max(id) FROM ticket")
_SHORT = 160  # details this long or shorter: checked once per text (`known`)


def _format2(seq: int, at: str, actor: str, action: str, subject: str, details: str, prev: str, digest: str) -> bool:
    text = content_text(at, actor, action, subject, details)
    return sha256(f"{seq}:{prev}:{sha256(text.encode()).hexdigest()}".encode()).hexdigest() == digest


def _no_key_twice(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        raise ValueError("a key twice")
    return found


_canonical = decoded_text


def _decoded(details: str, fmt: int) -> dict[str, Any] | None:
    """The details as Python reads them, or None if another reader could read them otherwise."""
    try:
        value, end = scan(details, 0)  # json.loads without its wrappers: once per event
    except (ValueError, StopIteration):
        return None
    if end != len(details):
        return None
    if value.__class__ is dict and _canonical(value) == details:
        return value  # canonical: one key once each, nothing else to read
    if fmt == 2:
        return None
    try:  # format 1: stored by SQLAlchemy, spaced; only a key given twice is refused
        json.loads(details, object_pairs_hook=_no_key_twice)
    except ValueError:
        return None
    return value


def _format1(seq: int, at: str, actor: str, action: str, subject: str, details: str, prev: str, digest: str) -> bool:
    return sha256(canonical_bytes(
        seq=seq, at=datetime.fromisoformat(at), actor=actor, action=action, subject=subject,
        details=json.loads(details), prev_hash=prev,
    )).hexdigest() == digest


def verify(raw: Reader, anchors: Iterable[Anchor] = ()) -> ChainReport:
    """Walk the chain in order; name the first event that is not what the chain says.

    `anchors` are heads kept outside the database (`deskapp audit anchor`): each must still be
    an event of the chain with that very hash, or the chain was cut, rewritten or replaced
    before it, however carefully the rest was re-hashed and the head moved.
    """
    wanted: dict[int, str] = {}
    for anchor in anchors:
        if wanted.setdefault(anchor.seq, anchor.hash) != anchor.hash:
            return ChainReport(False, 0, anchor.seq, "two anchors name different hashes for this event")
    expected, prev, checked = 1, GENESIS_HASH, 0
    fmt = 0  # 0: not known yet (the first event fixes it), 1 or 2 (tickets.audit.format)
    first = raw.first(_HEAD)  # ticket ids run to about the number of events: the replay's slots
    dense = max(1024, first[0] + 2 if first else 0)
    # The highest ticket id: the slots the replay will need, made at once (no growing by steps,
    # nothing to spare). Only a size: the rows are checked against the events later.
    top = raw.first(_TOP_TICKET)
    histories = Histories(dense=dense, expect=min(dense, top[0] + 1) if top and top[0] else 0)
    histories.on_filed = fixed_check(raw, histories)  # each row's fixed columns as its filing is read
    see, ticket = histories.see, histories._ticket
    known: dict[str, dict[str, Any]] = {}
    for seq, at, actor, action, subject, details, prev_hash, digest in raw.stream(_EVENTS[raw.dialect]):
        if seq != expected:
            return ChainReport(False, checked, expected, f"event {expected} is missing (next is {seq})")
        if prev_hash != prev:
            return ChainReport(
                False, checked, seq, "its previous-hash does not match the event before it (reordered or replaced)"
            )
        at = f"{at[:10]}T{at[11:]}Z" if at.__class__ is str and len(at) == 26 and at[10] == " " else canonical_at(at)
        if fmt == 2:  # _format2, inline: once per event
            content = sha256(f"{len(at)}:{at}{len(actor)}:{actor}{len(action)}:{action}{len(subject)}:{subject}"
                             f"{details}".encode()).hexdigest()
            ok = sha256(f"{seq}:{prev}:{content}".encode()).hexdigest() == digest
        elif fmt == 1:
            ok = _format1(seq, at, actor, action, subject, details, prev, digest)
        else:
            fmt = 2 if _format2(seq, at, actor, action, subject, details, prev, digest) else (
                1 if _format1(seq, at, actor, action, subject, details, prev, digest) else 0)
            ok = fmt != 0
        if not ok:
            return ChainReport(False, checked, seq, "its content does not match its hash (edited)")
        # Short texts repeat (a transition's from and to, a call's start): each checked once
        # while it is remembered. Only canonical ones are: the same text is the same verdict.
        decoded = known.get(details) if len(details) <= _SHORT else None
        if decoded is None:
            decoded = _decoded(details, fmt)
            if decoded is None or not isinstance(decoded, dict):
                return ChainReport(False, checked, seq, "its details are not stored in their canonical form "
                                   "(a key twice, or another spelling: readers could disagree on them)")
            if fmt == 2 and len(details) <= _SHORT:
                if len(known) >= 1024:
                    known.clear()
                known[details] = decoded  # read, never changed, by the replay (tickets.audit.history)
        if fmt == 1 and action == FORMAT_SWITCH:
            fmt = 2  # every later event is format 2, and only format 2
        if wanted and seq in wanted and wanted.pop(seq) != digest:
            return ChainReport(
                False, checked, seq, "its hash is not the one anchored outside the database (rewritten)"
            )
        if subject.startswith("ticket:"):  # Histories.see's dispatch, inline: once per event
            if action.startswith("ticket."):
                ticket(seq, action, int(subject[7:]), actor, at, decoded)
        elif subject.startswith("agent:"):
            see(seq, action, subject, actor, at, decoded)
        prev, expected, checked = digest, expected + 1, checked + 1
    if wanted:
        return ChainReport(
            False, checked, min(wanted),
            f"anchored outside the database but the chain now ends at event {expected - 1} (events removed)",
        )
    head = raw.first(_HEAD)
    if head is None:
        return ChainReport(False, checked, None, "the chain head is missing")
    if head[0] != expected - 1 or head[1] != prev:
        return ChainReport(
            False, checked, expected,
            f"the chain ends at event {expected - 1} but its head records event {head[0]} (cut tail)",
        )
    if histories.problem is not None:
        return ChainReport(False, checked, *histories.problem)
    # Every row was written with its event in the same transaction: a ticket or an agent its
    # history does not explain was cut or edited around the chain.
    agent_id, agent_problem = agent_problems(raw, histories)
    if agent_id is not None:
        return ChainReport(False, checked, None, f"agent {agent_id}: {agent_problem}")
    ticket_id, ticket_problem = ticket_problems(raw, histories)
    if ticket_id is None:
        ticket_id, ticket_problem = note_problems(raw, histories)
    if ticket_id is not None:
        return ChainReport(False, checked, None, f"ticket {ticket_id}: {ticket_problem}")
    guard = guard_problem(raw)
    if guard is not None:
        return ChainReport(False, checked, None, guard)
    return ChainReport(True, checked, head=Anchor(head[0], head[1]))


def verify_file(path: Path, anchors: Iterable[Anchor] = ()) -> ChainReport:
    """`audit verify` of a SQLite file on the standard library's sqlite3 alone (no SQLAlchemy,
    ORM or Alembic to load): opened read only (a WORM copy as it is), the schema checked first,
    every statement in one read transaction."""
    from tickets.store import revision
    from tickets.store.lite import connect_reader, unavailable

    connection = connect_reader(path)
    try:
        connection.execute("BEGIN")
        revision.check(revision.read_current(connection.cursor(), "sqlite"), f"sqlite:///{path}")
        return verify(LiteReader(connection), anchors)
    except sqlite3.Error as error:
        raise unavailable(error, path) from error
    finally:
        connection.close()
