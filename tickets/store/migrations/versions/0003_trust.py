"""trust: the audit head moves only forward onto an appended event; sign-in attempts per agent

- A-1: `audit_head` may only be moved forward, onto an event that exists with that hash, and
  never deleted; so a head moved back over a cut tail is refused by the database (an insider
  who drops the trigger is caught by the anchors kept outside it, `deskapp audit anchor`).
- `agent_sign_in`: every sign-in attempt per agent (failed, succeeded) and every supervisor
  unlock, so that 5 failures in 15 minutes lock the agent across consoles and the command line.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tickets.store.types import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

HEAD_MESSAGE = "A-1: the audit head moves only forward, by appending an event"


def upgrade() -> None:
    op.create_table(
        "agent_sign_in",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["agent_id"], ["agent.id"]),
        sa.ForeignKeyConstraint(["by_id"], ["agent.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_agent_sign_in_agent_at", "agent_sign_in", ["agent_id", "at"])
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE TRIGGER audit_head_forward_only BEFORE UPDATE ON audit_head "
            "WHEN NEW.id <> OLD.id OR NEW.seq <= OLD.seq OR NOT EXISTS "
            "(SELECT 1 FROM audit_event WHERE seq = NEW.seq AND hash = NEW.hash) "
            f"BEGIN SELECT RAISE(ABORT, '{HEAD_MESSAGE}'); END"
        )
        op.execute(
            "CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head "
            f"BEGIN SELECT RAISE(ABORT, '{HEAD_MESSAGE}'); END"
        )
    else:
        op.execute(
            "CREATE FUNCTION deskapp_audit_head_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "IF TG_OP <> 'UPDATE' OR NEW.id <> OLD.id OR NEW.seq <= OLD.seq OR NOT EXISTS "
            "(SELECT 1 FROM audit_event WHERE seq = NEW.seq AND hash = NEW.hash) THEN "
            f"RAISE EXCEPTION '{HEAD_MESSAGE}'; END IF; RETURN NEW; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_head_forward_only BEFORE UPDATE OR DELETE ON audit_head "
            "FOR EACH ROW EXECUTE FUNCTION deskapp_audit_head_forward_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head "
            "FOR EACH STATEMENT EXECUTE FUNCTION deskapp_audit_append_only()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_head_forward_only")
        op.execute("DROP TRIGGER IF EXISTS audit_head_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_head_forward_only ON audit_head")
        op.execute("DROP TRIGGER IF EXISTS audit_head_no_truncate ON audit_head")
        op.execute("DROP FUNCTION IF EXISTS deskapp_audit_head_forward_only()")
    op.drop_index("ix_agent_sign_in_agent_at", table_name="agent_sign_in")
    op.drop_table("agent_sign_in")
