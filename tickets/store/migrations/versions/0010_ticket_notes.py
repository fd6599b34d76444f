"""internal notes on filed tickets: `ticket_note`, added by agents and supervisors, never edited

Each note is one row (ticket, author, when, at most 1000 characters of text checked like every
free text, V-3/V-6). Its audit event `ticket.noted` records the note's id, length and sha256
digest, never the text, in the same transaction: a note edited or deleted afterwards no longer
matches its event. On PostgreSQL the application role may only read and insert notes
(tickets.store.roles; run `deskapp db roles --apply` after this upgrade).

Revision ID: 0010_ticket_notes
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tickets.store.types import UTCDateTime

revision = "0010_ticket_notes"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ticket_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("text", sa.String(length=1000), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"]),
        sa.ForeignKeyConstraint(["agent_id"], ["agent.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_ticket_note_ticket", "ticket_note", ["ticket_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_ticket_note_ticket", table_name="ticket_note")
    op.drop_table("ticket_note")
