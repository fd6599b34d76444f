"""PostgreSQL: a filing's event written by the database from what it files; the kind checked; the lifecycle in the ticket's zone

deskapp_api_file (migration 0011) is replaced (CREATE OR REPLACE: the same signature, so the
application role's EXECUTE stays) by tickets.store.pgsql.filing_0016's: it writes every key of
the `ticket.filed` event itself from the row it inserts (the client gives only the sentences
the caller confirmed), and refuses a kind that does not exist, is not offered for the
subscription's product, names a renewal resource where it should not (or none where it
should), or asks for a refund the kind does not allow. deskapp_api_transition is replaced by
tickets.store.pgsql.lifecycle_0016's: the ticket's zone for the X-1 deletion date, the day an
early cancellation takes effect and the subscription's `cancelled_zone`, as tickets.lifecycle.
deskapp_api_record_verification checks the outcome it is given against the database
(tickets.store.pgsql.verification_0016). Downgrade restores 0011's bodies.
SQLite: nothing to do (its filing is Python's, in tickets.filing).

Revision ID: 0016_filing_event_by_database
Revises: 0015_handoff_outbox
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

from tickets.store.pgsql import lifecycle_0016, verification_0016
from tickets.store.pgsql.filing_0016 import _FILE_0011, FILING

revision = "0016_filing_event_by_database"
down_revision = "0015_handoff_outbox"
branch_labels = None
depends_on = None



def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in [*FILING, lifecycle_0016.TRANSITION, verification_0016.RECORD]:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in [_FILE_0011, *lifecycle_0016.PREVIOUS, *verification_0016.PREVIOUS]:
        op.execute(statement)
