"""cancelled_zone: the desk's time zone a subscription's cancellation was counted in

R-1's 30 days and C-8's 90 days are counted in the desk's days. The zone the cancellation's
ticket was filed in (recorded in its filing event) is kept beside `cancelled_at`, so a later
change of the desk's time_zone setting cannot move a deadline already told to the caller.
NULL (subscriptions imported or cancelled before this revision): the desk's current zone.

Revision ID: 0013_cancelled_zone
Revises: 0012_ticket_viewers
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_cancelled_zone"
down_revision = "0012_ticket_viewers"
branch_labels = None
depends_on = None


# Plain ALTER TABLE on both engines (SQLite 3.35+ drops a column in place): a batch copy of
# the subscription table would be refused by the foreign keys pointing at it.
def upgrade() -> None:
    op.add_column("subscription", sa.Column("cancelled_zone", sa.String(length=64), nullable=True))


def downgrade() -> None:
    op.drop_column("subscription", "cancelled_zone")
