"""audit chain format 2: each event's link made in SQL by the statement that takes the head

From here on `append_event` computes an event's content hash before any lock and links it in
SQL in one round trip (tickets.audit.format describes both formats). Events already written
keep their format-1 hashes. A chain that has events gets one more, `audit.chain_format`,
hashed in format 1: it records in the chain itself where format 2 begins, so the verifier
never guesses an event's format, and nobody can append format-1 events after it (nor slip a
format-2 one before it) without breaking the chain there. An empty chain needs no record: its
first event is format 2 and fixes the format for good.

No schema change: PostgreSQL has sha256(); SQLite gets `deskapp_chain_link` on every
connection (tickets.store.database). Downgrade leaves the events alone (they may not be rewritten):
code from before this revision cannot verify format-2 events, and upgrading again continues
the chain in format 2 without a second record.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

FORMAT_SWITCH = "audit.chain_format"  # as tickets.audit.format.FORMAT_SWITCH, copied

event = sa.table(
    "audit_event",
    sa.column("seq", sa.Integer), sa.column("at"), sa.column("actor", sa.String),
    sa.column("action", sa.String), sa.column("subject", sa.String), sa.column("details", sa.JSON),
    sa.column("prev_hash", sa.String), sa.column("hash", sa.String),
)


def _format1(seq: int, at: datetime, actor: str, action: str, subject: str, details, prev_hash: str) -> str:
    """Format 1's hash, frozen here as it was (a migration must not change when the code does)."""
    record = {"seq": seq, "at": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "actor": actor,
              "action": action, "subject": subject, "details": details, "prev_hash": prev_hash}
    return hashlib.sha256(
        json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    ).hexdigest()


def _stored_at(value) -> datetime:
    if isinstance(value, str):  # SQLite: "YYYY-MM-DD HH:MM:SS.ffffff", UTC
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def upgrade() -> None:
    bind = op.get_bind()
    seq, head = bind.execute(sa.text("SELECT seq, hash FROM audit_head WHERE id = 1")).one()
    if seq == 0:
        return  # an empty chain starts in format 2
    if bind.execute(sa.select(event.c.seq).where(event.c.action == FORMAT_SWITCH).limit(1)).first():
        return  # upgraded before (and downgraded): the chain is already format 2 from there
    last = bind.execute(sa.select(event).where(event.c.seq == seq)).mappings().one()
    details = json.loads(last["details"]) if isinstance(last["details"], str) else last["details"]
    if _format1(seq, _stored_at(last["at"]), last["actor"], last["action"], last["subject"], details,
                last["prev_hash"]) != last["hash"]:
        return  # not a format-1 tail: nothing to record (`audit verify` judges the chain)
    at = datetime.now(UTC)
    details = {"format": 2, "from_seq": seq + 2}
    digest = _format1(seq + 1, at, "system", FORMAT_SWITCH, "audit:chain", details, head)
    stored_at = at.strftime("%Y-%m-%d %H:%M:%S.%f") if bind.dialect.name == "sqlite" else at
    bind.execute(event.insert().values(seq=seq + 1, at=stored_at, actor="system", action=FORMAT_SWITCH,
                                       subject="audit:chain", details=details, prev_hash=head, hash=digest))
    bind.execute(sa.text("UPDATE audit_head SET seq = :s, hash = :h WHERE id = 1"), {"s": seq + 1, "h": digest})


def downgrade() -> None:
    pass  # the events stay as they are (A-1: append-only); see the docstring
