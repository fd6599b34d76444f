"""A-1's append on a plain sqlite3 connection (tickets.store.lite): the same two statements as
tickets.audit.chain.append_event's SQLite path, which builds its own from these texts, and the
chain's link function registered on the connection as tickets.store.database registers it."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from typing import Any

from tickets.audit.anchor import Anchor
from tickets.audit.format import at_text, chain_link, content_hash_of, details_text
from tickets.store.lite import sqlite_time

APPEND_SQLITE = (
    "INSERT INTO audit_event (seq, at, actor, action, subject, details, prev_hash, hash) "
    "SELECT seq + 1, :at, :actor, :action, :subject, :details, hash, deskapp_chain_link(seq + 1, hash, :content) "
    "FROM audit_head WHERE id = 1 RETURNING seq, prev_hash, hash"
)
MOVE_HEAD_SQLITE = "UPDATE audit_head SET seq = :seq, hash = :hash WHERE id = 1"


def register(connection: sqlite3.Connection) -> None:
    connection.create_function("deskapp_chain_link", 3, chain_link, deterministic=True)


def append_event(connection: sqlite3.Connection, *, at: datetime, actor: str, action: str, subject: str,
                 details: dict[str, Any]) -> Anchor:
    """Append one event in the connection's write transaction (its last statements); the event's
    place and hash as an anchor."""
    text = details_text(details)
    at = at.astimezone(UTC)
    params = {"at": sqlite_time(at), "actor": actor, "action": action, "subject": subject, "details": text,
              "content": content_hash_of(at_text(at), actor, action, subject, text)}
    seq, _prev, digest = connection.execute(APPEND_SQLITE, params).fetchone()
    connection.execute(MOVE_HEAD_SQLITE, {"seq": seq, "hash": digest})
    return Anchor(seq, digest)
