"""PostgreSQL: who has a ticket open is written through the database's functions too

`ticket_viewer` (migration 0012) is written by the application role like everything else since
migration 0011: through SECURITY DEFINER functions that take the session given at sign-in
(tickets.store.pgsql.viewers_0014), so the role holds no INSERT, UPDATE or DELETE on it.
SQLite: nothing to do.

Revision ID: 0014_viewers_through_functions
Revises: 0013_cancelled_zone
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

from tickets.store.pgsql.viewers_0014 import VIEWERS

revision = "0014_viewers_through_functions"
down_revision = "0013_cancelled_zone"
branch_labels = None
depends_on = None

NAMES = ("deskapp_api_view_ticket", "deskapp_api_leave_tickets")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in VIEWERS:
        op.execute(statement)
    for name in NAMES:
        op.execute(
            f"DO $$ DECLARE f regprocedure; BEGIN FOR f IN SELECT oid::regprocedure FROM pg_proc WHERE proname = '{name}' "
            "LOOP EXECUTE 'REVOKE ALL ON FUNCTION ' || f || ' FROM PUBLIC'; END LOOP; END $$"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in NAMES:
        op.execute(
            f"DO $$ DECLARE f regprocedure; BEGIN FOR f IN SELECT oid::regprocedure FROM pg_proc WHERE proname = '{name}' "
            "LOOP EXECUTE 'DROP FUNCTION ' || f; END LOOP; END $$"
        )
