"""indexes for the supervisors' dashboard: attempts by time, audit events by action and time

Without them the dashboard's counts of verification failures and lockouts scan whole tables
as they grow (measured 0.1 s at 400k attempts, growing with the table).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_verification_attempt_at", "verification_attempt", ["at"])
    op.create_index("ix_audit_event_action_at", "audit_event", ["action", "at"])


def downgrade() -> None:
    op.drop_index("ix_audit_event_action_at", table_name="audit_event")
    op.drop_index("ix_verification_attempt_at", table_name="verification_attempt")
