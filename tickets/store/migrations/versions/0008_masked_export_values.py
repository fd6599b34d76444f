"""masked export values: each ticket's free text stored a second time with e-mail addresses and
phone numbers masked (E-1)

`reason_scrubbed` and `decision_reason_scrubbed` hold `tickets.masking.scrub_stored` of their
text, made when the text is written, so that a masked export does not run the masking regular
expressions on every ticket every time (the caller's names are still looked for at export).
Existing rows are filled here in batches by id (memory stays flat). A trigger empties a stored
value whenever its text changes without it, so a stale value is never exported: an empty one
makes the export mask the text itself.

This migration calls the application's masking function (not a copy): the stored values must be
exactly what the export would compute, so a change to `scrub_stored` needs a migration that
recomputes them.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

PAIRS = (("reason", "reason_scrubbed"), ("decision_reason", "decision_reason_scrubbed"))
BATCH = 2000


def upgrade() -> None:
    for _text, stored in PAIRS:
        op.add_column("ticket", sa.Column(stored, sa.Text(), nullable=True))
    _fill(op.get_bind())
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION deskapp_ticket_scrubbed_stale() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            + " ".join(
                f"IF NEW.{text} IS DISTINCT FROM OLD.{text} AND NEW.{stored} IS NOT DISTINCT FROM OLD.{stored} "
                f"THEN NEW.{stored} := NULL; END IF;"
                for text, stored in PAIRS
            )
            + " RETURN NEW; END $$"
        )
        op.execute(
            "CREATE TRIGGER ticket_scrubbed_stale BEFORE UPDATE OF reason, decision_reason ON ticket "
            "FOR EACH ROW EXECUTE FUNCTION deskapp_ticket_scrubbed_stale()"
        )
        return
    for text, stored in PAIRS:
        op.execute(
            f"CREATE TRIGGER ticket_{stored}_stale AFTER UPDATE OF {text} ON ticket FOR EACH ROW "
            f"WHEN NEW.{text} IS NOT OLD.{text} AND NEW.{stored} IS OLD.{stored} "
            f"BEGIN UPDATE ticket SET {stored} = NULL WHERE id = NEW.id; END"
        )


def _fill(bind) -> None:
    from tickets.masking import scrub_stored

    ticket = sa.table("ticket", sa.column("id", sa.Integer), *(sa.column(n, sa.Text) for pair in PAIRS for n in pair))
    last = 0
    while True:
        rows = bind.execute(
            sa.select(ticket.c.id, ticket.c.reason, ticket.c.decision_reason)
            .where(ticket.c.id > last, sa.or_(ticket.c.reason.is_not(None), ticket.c.decision_reason.is_not(None)))
            .order_by(ticket.c.id).limit(BATCH)
        ).all()
        if not rows:
            return
        bind.execute(
            ticket.update().where(ticket.c.id == sa.bindparam("key")),
            [{"key": i, "reason_scrubbed": scrub_stored(r), "decision_reason_scrubbed": scrub_stored(d)}
             for i, r, d in rows],
        )
        last = rows[-1][0]


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS ticket_scrubbed_stale ON ticket")
        op.execute("DROP FUNCTION IF EXISTS deskapp_ticket_scrubbed_stale()")
    else:
        for _text, stored in PAIRS:
            op.execute(f"DROP TRIGGER IF EXISTS ticket_{stored}_stale")
    with op.batch_alter_table("ticket") as batch:
        for _text, stored in reversed(PAIRS):
            batch.drop_column(stored)
