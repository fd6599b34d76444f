"""live screens: NOTIFY deskapp_changed from every write of a ticket, call or verification

On PostgreSQL a statement-level trigger sends `pg_notify('deskapp_changed', <table>)`; it is
delivered when the writing transaction commits (never for one rolled back), and identical
notifications of one transaction are folded into one. The review queues and dashboards of every
console LISTEN for it (tickets.store.changes). SQLite needs nothing: `PRAGMA data_version` tells.

Revision ID: 0006
Revises: 0004 (chained onto main's head at the merge of main; the lead re-chains it)
Create Date: 2026-11-28
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0004"
branch_labels = None
depends_on = None

# The tables whose writes a live screen shows (tickets.store.changes), written out here: a
# migration must not change when the code does.
TABLES = ("ticket", "call", "verification_attempt", "verification_unlock")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE FUNCTION deskapp_notify_changed() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "PERFORM pg_notify('deskapp_changed', TG_TABLE_NAME); RETURN NULL; END $$"
    )
    for table in TABLES:
        op.execute(
            f'CREATE TRIGGER {table}_notify_changed AFTER INSERT OR UPDATE OR DELETE ON "{table}" '
            "FOR EACH STATEMENT EXECUTE FUNCTION deskapp_notify_changed()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f'DROP TRIGGER IF EXISTS {table}_notify_changed ON "{table}"')
    op.execute("DROP FUNCTION IF EXISTS deskapp_notify_changed()")
