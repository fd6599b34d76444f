"""who has a ticket open in the review queue: `ticket_viewer`, one row per supervisor

A supervisor opening a ticket another supervisor is looking at is told who and since when
(tickets.viewers). The row moves with the supervisor from ticket to ticket, is touched while
the ticket stays open and deleted when they leave the queue; a row not touched for a while
(a console that died) no longer counts. Not audited: it records looking, not a change. On
PostgreSQL the application role reads it and writes it through the functions of migration
0014 (tickets.store.roles; run `deskapp db roles --apply` after this upgrade).

Revision ID: 0012_ticket_viewers
Revises: 0011_database_enforces_writes
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tickets.store.types import UTCDateTime

revision = "0012_ticket_viewers"
down_revision = "0011_database_enforces_writes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ticket_viewer",
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("since", UTCDateTime(), nullable=False),
        sa.Column("seen_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["agent.id"]),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"]),
        sa.PrimaryKeyConstraint("agent_id"),
    )
    op.create_index("ix_ticket_viewer_ticket", "ticket_viewer", ["ticket_id"])


def downgrade() -> None:
    op.drop_index("ix_ticket_viewer_ticket", table_name="ticket_viewer")
    op.drop_table("ticket_viewer")
