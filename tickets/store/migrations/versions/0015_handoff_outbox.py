"""the hand-off: destinations and the outbox, filled by a trigger on the audit trail

- `handoff_destination`: where tickets go (a webhook or e-mail), kept by `deskapp relay` from the
  desk's config.
- `handoff_outbox`: one row per enabled destination for each `ticket.filed`, `ticket.approved`,
  `ticket.rejected`, `ticket.resolved` and `ticket.withdrawn` event, written by a trigger after the
  event's INSERT, so in the same transaction, whichever path appended it (the console, the
  database's functions, a migration); delivered and audited by `deskapp relay`.
- PostgreSQL: the trigger function and the relay's functions (tickets.store.pgsql.handoff_0015),
  executable by nobody until `deskapp db roles` grants the application role the
  `deskapp_api_handoff_*` ones.

Revision ID: 0015_handoff_outbox
Revises: 0014_viewers_through_functions
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tickets.store.pgsql.handoff_0015 import ACTIONS_SQL, HANDOFF, NAMES
from tickets.store.types import UTCDateTime

revision = "0015_handoff_outbox"
down_revision = "0014_viewers_through_functions"
branch_labels = None
depends_on = None

SQLITE_TRIGGER = (
    "CREATE TRIGGER handoff_outbox_enqueue AFTER INSERT ON audit_event "
    f"WHEN NEW.action IN ({ACTIONS_SQL}) AND NEW.subject GLOB 'ticket:[0-9]*' "
    "AND NOT substr(NEW.subject, 8) GLOB '*[^0-9]*' BEGIN "
    "INSERT INTO handoff_outbox (destination, event_seq, event_key, ticket_id, occasion, created_at, state, "
    "attempts, next_at) SELECT d.name, NEW.seq, NEW.hash, CAST(substr(NEW.subject, 8) AS INTEGER), "
    "substr(NEW.action, 8), NEW.at, 'pending', 0, NEW.at FROM handoff_destination d WHERE d.enabled; END"
)


def upgrade() -> None:
    op.create_table(
        "handoff_destination",
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('webhook', 'email')", name="ck_handoff_destination_kind"),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "handoff_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("destination", sa.String(length=60), nullable=False),
        sa.Column("event_seq", sa.Integer(), nullable=False),
        sa.Column("event_key", sa.String(length=64), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("occasion", sa.String(length=20), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_at", UTCDateTime(), nullable=False),
        sa.Column("lease_owner", sa.String(length=80), nullable=True),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("done_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint("state IN ('pending', 'delivered', 'parked')", name="ck_handoff_outbox_state"),
        sa.ForeignKeyConstraint(["destination"], ["handoff_destination.name"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("destination", "event_seq", name="uq_handoff_outbox_event"),
    )
    op.create_index("ix_handoff_outbox_due", "handoff_outbox", ["state", "next_at"])
    if op.get_bind().dialect.name == "postgresql":
        for statement in HANDOFF:
            op.execute(statement)
        for name in NAMES:
            op.execute(
                f"DO $$ DECLARE f regprocedure; BEGIN FOR f IN SELECT oid::regprocedure FROM pg_proc "
                f"WHERE proname = '{name}' LOOP EXECUTE 'REVOKE ALL ON FUNCTION ' || f || ' FROM PUBLIC'; "
                "END LOOP; END $$"
            )
    else:
        op.execute(SQLITE_TRIGGER)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS handoff_outbox_enqueue" + (
        " ON audit_event" if op.get_bind().dialect.name == "postgresql" else ""))
    if op.get_bind().dialect.name == "postgresql":
        for name in reversed(NAMES):
            op.execute(
                f"DO $$ DECLARE f regprocedure; BEGIN FOR f IN SELECT oid::regprocedure FROM pg_proc "
                f"WHERE proname = '{name}' LOOP EXECUTE 'DROP FUNCTION ' || f; END LOOP; END $$"
            )
    op.drop_index("ix_handoff_outbox_due", table_name="handoff_outbox")
    op.drop_table("handoff_outbox")
    op.drop_table("handoff_destination")
