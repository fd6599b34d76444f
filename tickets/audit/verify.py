"""A-1: `deskapp audit verify` in one streaming pass at the database's speed (bench target 7).

The events come in keyset pages on the session's own DBAPI cursor (no ORM rows, no result
processing); each is checked in its chain's format (tickets.audit.format) and fed to the
ticket history replay (tickets.audit.history) in the same pass. What the database does in C
it does: PostgreSQL formats `at`, both hand back the details as stored and pull `status` out
of a filing's details, so Python only frames, hashes and compares.

A format-2 event's details are hashed as stored: if that matches, the content hash itself
proves the stored text is the canonical one. Only an event that does not match is decoded and
re-encoded canonically (details written by another writer, spaced differently) before it
counts as edited; a format-1 event is always decoded (migrated chains: their older part).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from hashlib import sha256

from sqlmodel import Session

from tickets.audit.chain import Anchor, ChainReport
from tickets.audit.format import FORMAT_SWITCH, GENESIS_HASH, at_text, canonical_bytes, content_text, details_text
from tickets.audit.history import TicketHistories
from tickets.store import rawsql

PAGE = 20_000
_STATUS = {"postgresql": "details ->> 'status'", "sqlite": "json_extract(details, '$.status')"}
_AT = {"postgresql": "to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')", "sqlite": "at"}
_EVENTS = {
    dialect: rawsql.Sql(
        f"SELECT seq, {_AT[dialect]} AS at, actor, action, subject, CAST(details AS text) AS details, prev_hash, "
        f"hash, CASE WHEN action = 'ticket.filed' THEN {_STATUS[dialect]} END AS status "
        "FROM audit_event WHERE seq > :after ORDER BY seq LIMIT :limit"
    )
    for dialect in _STATUS
}
_HEAD = rawsql.Sql("SELECT seq, hash FROM audit_head WHERE id = 1")


def _canonical_at(stored: str | datetime) -> str:
    """`at` as the formats hash it; SQLite stores "YYYY-MM-DD HH:MM:SS.ffffff" (UTC)."""
    if isinstance(stored, str) and len(stored) == 26 and stored[10] == " ":
        return f"{stored[:10]}T{stored[11:]}Z"
    if isinstance(stored, str) and stored.endswith("Z"):
        return stored  # PostgreSQL's to_char
    return at_text(rawsql.read_time(stored))


def _format2(seq: int, at: str, actor: str, action: str, subject: str, details: str, prev: str, digest: str) -> bool:
    text = content_text(at, actor, action, subject, details)
    if sha256(f"{seq}:{prev}:{sha256(text.encode()).hexdigest()}".encode()).hexdigest() == digest:
        return True
    try:
        canonical = details_text(json.loads(details))
    except ValueError:
        return False
    if canonical == details:
        return False
    text = content_text(at, actor, action, subject, canonical)
    return sha256(f"{seq}:{prev}:{sha256(text.encode()).hexdigest()}".encode()).hexdigest() == digest


def _format1(seq: int, at: str, actor: str, action: str, subject: str, details: str, prev: str, digest: str) -> bool:
    return sha256(canonical_bytes(
        seq=seq, at=datetime.fromisoformat(at), actor=actor, action=action, subject=subject,
        details=json.loads(details), prev_hash=prev,
    )).hexdigest() == digest


def _pages(session: Session):
    raw = rawsql.Raw(session)
    sql, after = _EVENTS[raw.dialect], 0
    while True:
        rows = raw.rows(sql, {"after": after, "limit": PAGE})
        if not rows:
            return
        yield rows
        after = rows[-1].seq


def verify(session: Session, anchors: Iterable[Anchor] = ()) -> ChainReport:
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
    histories = TicketHistories()  # what each ticket should be, collected on the walk
    see = histories.see
    for rows in _pages(session):
        for seq, at, actor, action, subject, details, prev_hash, digest, status in rows:
            if seq != expected:
                return ChainReport(False, checked, expected, f"event {expected} is missing (next is {seq})")
            if prev_hash != prev:
                return ChainReport(
                    False, checked, seq, "its previous-hash does not match the event before it (reordered or replaced)"
                )
            at = _canonical_at(at)
            if fmt == 2:
                ok = _format2(seq, at, actor, action, subject, details, prev, digest)
            elif fmt == 1:
                ok = _format1(seq, at, actor, action, subject, details, prev, digest)
            else:
                fmt = 2 if _format2(seq, at, actor, action, subject, details, prev, digest) else (
                    1 if _format1(seq, at, actor, action, subject, details, prev, digest) else 0)
                ok = fmt != 0
            if not ok:
                return ChainReport(False, checked, seq, "its content does not match its hash (edited)")
            if fmt == 1 and action == FORMAT_SWITCH:
                fmt = 2  # every later event is format 2, and only format 2
            if wanted and seq in wanted and wanted.pop(seq) != digest:
                return ChainReport(
                    False, checked, seq, "its hash is not the one anchored outside the database (rewritten)"
                )
            see(action, subject, actor, at, status)
            prev, expected, checked = digest, expected + 1, checked + 1
    if wanted:
        return ChainReport(
            False, checked, min(wanted),
            f"anchored outside the database but the chain now ends at event {expected - 1} (events removed)",
        )
    head = rawsql.first(session, _HEAD)
    if head is None:
        return ChainReport(False, checked, None, "the chain head is missing")
    if head.seq != expected - 1 or head.hash != prev:
        return ChainReport(
            False, checked, expected,
            f"the chain ends at event {expected - 1} but its head records event {head.seq} (cut tail)",
        )
    # Every ticket was filed with its event in the same transaction, and every later change
    # with its own: a ticket its history does not explain was cut or edited around the chain.
    ticket_id, problem = histories.problems(session)
    if ticket_id is not None:
        return ChainReport(False, checked, None, f"ticket {ticket_id}: {problem}")
    return ChainReport(True, checked, head=Anchor(head.seq, head.hash))
