"""A-1: the append-only, hash-chained audit trail.

Each event's hash covers its own fields, its place and the previous event's hash, so that
editing, deleting, reordering or cutting off events breaks the chain where it happened (the
formats: tickets.audit.format). The store offers no way to update or delete an event, and
database triggers (migration 0001) refuse it from outside too. `audit_head` holds the last
link; an append takes it and moves it in one round trip: the event's content hash
is computed before, the link in SQL by the statement that locks the head, so the head row is
held for that statement and the commit, never while Python works. On PostgreSQL the row lock
serialises appends across processes; on SQLite the write transaction's BEGIN IMMEDIATE does.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, select

from tickets.audit import lite
from tickets.audit.anchor import Anchor, read_anchors  # noqa: F401 - re-exported
from tickets.audit.format import (  # noqa: F401 - the chain's formats, re-exported
    FORMAT_SWITCH,
    GENESIS_HASH,
    at_text,
    canonical_bytes,
    chain_link,
    content_hash,
    content_hash_of,
    details_text,
    event_link,
)
from tickets.audit.report import ChainReport  # noqa: F401 - re-exported
from tickets.store import rawsql
from tickets.store.models import AuditEvent, AuditHead

_head = AuditHead.metadata.tables["audit_head"]

# PostgreSQL: one statement. The INSERT's SELECT locks the head row (FOR UPDATE: a concurrent
# append waits here, then reads the head as committed) and links the content hash to it; the
# outer UPDATE moves the head onto the event just inserted (migration 0003's guard sees it: a
# trigger's query sees the rows its statement's CTE wrote).
_APPEND_PG = rawsql.Sql(
    "WITH e AS (INSERT INTO audit_event (seq, at, actor, action, subject, details, prev_hash, hash) "
    "SELECT h.seq + 1, :at, CAST(:actor AS text), CAST(:action AS text), CAST(:subject AS text), "
    "CAST(:details AS json), h.hash, encode(sha256(convert_to(CAST(h.seq + 1 AS text) || ':' || h.hash "
    "|| ':' || CAST(:content AS text), 'UTF8')), 'hex') "
    "FROM audit_head h WHERE h.id = 1 FOR UPDATE RETURNING seq, prev_hash, hash) "
    "UPDATE audit_head SET seq = e.seq, hash = e.hash FROM e WHERE audit_head.id = 1 "
    "RETURNING e.seq, e.prev_hash, e.hash"
)
# SQLite: the same link by `deskapp_chain_link` (tickets.store.database registers chain_link on every
# connection); two statements of one in-process transaction that BEGIN IMMEDIATE already holds
# (their text shared with tickets.audit.lite, the same append on a plain sqlite3 connection).
_APPEND_SQLITE = rawsql.Sql(lite.APPEND_SQLITE)
_MOVE_HEAD_SQLITE = rawsql.Sql(lite.MOVE_HEAD_SQLITE)


def append_event(
    session: Session | rawsql.Raw,
    *,
    at: datetime,
    actor: str,
    action: str,
    subject: str,
    details: dict[str, Any] | None = None,
    returning: bool = True,
) -> AuditEvent | None:
    """Append one event in the caller's transaction (so it commits with what it records); A-1:
    the only way an event is written, hash-chained to the one before. Make it the transaction's
    last statement: the head stays locked from here to the commit. `session` may be a
    Store.raw_transaction's connection; `returning=False` skips building the AuditEvent."""
    # The details as they are hashed and stored, made once (sorted keys, no spaces): JSON values
    # only, anything else raises here, before any lock.
    text = details_text(details or {})
    at = at.astimezone(UTC)
    raw = rawsql.Raw(session)  # a session's connection or already the driver's
    appended = _append(raw, at, rawsql.bind_time(at, raw.dialect), actor, action, subject, text, returning)
    if appended is None:
        return None
    # Not added to the session: the row is already written.
    return AuditEvent(seq=appended.seq, at=at, actor=actor, action=action, subject=subject,
                      details=json.loads(text), prev_hash=appended.prev_hash, hash=appended.hash)


def append_text(raw: rawsql.Raw, *, at: datetime, bound_at: Any, actor: str, action: str, subject: str,
                text: str) -> None:
    """append_event(returning=False) for a caller that has made the details' canonical text
    (details_text's, e.g. by decoded_text of values it built) and the time as the store binds
    it (rawsql.bind_time of `at`): a filing has both in hand."""
    _append(raw, at, bound_at, actor, action, subject, text, False)


def _append(raw: rawsql.Raw, at: datetime, bound_at: Any, actor: str, action: str, subject: str, text: str,
            returning: bool) -> Any | None:
    """The append's statements: the new event's (seq, prev_hash, hash), or None when not asked
    for (PostgreSQL may then send it with the COMMIT)."""
    content = content_hash_of(at_text(at), actor, action, subject, text)
    params = {"at": bound_at, "actor": actor, "action": action, "subject": subject, "details": text,
              "content": content}
    # Raw raises driver errors as SQLAlchemy's: the store's retries (deadlock, serialisation) and
    # its one-line messages (busy, read-only, disk full) look for those classes.
    if raw.dialect == "postgresql":
        if not returning and raw.at_commit(_APPEND_PG, params):
            return None  # sent with the COMMIT, in its round trip (a Store.raw_transaction's)
        (appended,) = raw.rows(_APPEND_PG, params)
    else:
        (appended,) = raw.rows(_APPEND_SQLITE, params)
        raw.execute(_MOVE_HEAD_SQLITE, {"seq": appended.seq, "hash": appended.hash})
    return appended if returning else None


def chain_head(session: Session) -> Anchor:
    """The head as the database records it (what `deskapp audit head` prints)."""
    seq, digest = session.connection().execute(select(_head.c.seq, _head.c.hash).where(_head.c.id == 1)).one()
    return Anchor(seq, digest)


def verify_chain(session: Session, anchors: Iterable[Anchor] = ()) -> ChainReport:
    """Walk the chain in order; name the first event that is not what the chain says
    (tickets.audit.verify: one streaming pass)."""
    from tickets.audit.source import SessionReader
    from tickets.audit.verify import verify

    return verify(SessionReader(session), anchors)
