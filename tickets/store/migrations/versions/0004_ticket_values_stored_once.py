"""each ticket value stored once: requested_date and reason only in their columns, the
effective, data deletion and reversal dates only in theirs

Tickets filed before kept a copy of requested_date and reason in `fields`, and of the three
dates in `consequences`. The copies are moved out: where a column is empty and the document
holds a value, the column takes it first, so nothing is lost. The downgrade writes the copies
back. Rows are rewritten in batches by id, so memory stays flat however many tickets there are.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# (column, document): the values that live in a column and were copied into a document.
MOVED = (
    ("requested_date", "fields"),
    ("reason", "fields"),
    ("effective_date", "consequences"),
    ("data_deletion_date", "consequences"),
    ("reversal_deadline", "consequences"),
)
BATCH = 1000

ticket = sa.table(
    "ticket",
    sa.column("id", sa.Integer),
    sa.column("fields", sa.JSON),
    sa.column("consequences", sa.JSON),
    *(sa.column(name, sa.String) for name in dict(MOVED)),
)


def _rewrite(change) -> None:
    """Apply change(row) -> values (or None) to every ticket, a batch of ids at a time."""
    connection = op.get_bind()
    last = 0
    while True:
        rows = connection.execute(
            sa.select(ticket).where(ticket.c.id > last).order_by(ticket.c.id).limit(BATCH)
        ).mappings().all()
        for row in rows:
            values = change(row)
            if values:
                connection.execute(sa.update(ticket).where(ticket.c.id == row["id"]).values(**values))
        if len(rows) < BATCH:
            return
        last = rows[-1]["id"]


def _move_out(row) -> dict | None:
    documents = {"fields": dict(row["fields"] or {}), "consequences": dict(row["consequences"] or {})}
    values: dict = {}
    for column, document in MOVED:
        if column in documents[document]:
            copy = documents[document].pop(column)
            if row[column] is None and copy not in (None, ""):
                values[column] = str(copy)
            values[document] = documents[document]
    return values or None


def _copy_back(row) -> dict | None:
    documents = {"fields": dict(row["fields"] or {}), "consequences": dict(row["consequences"] or {})}
    for column, document in MOVED:
        # As they were stored before 0004: fields only when given, consequences always.
        if row[column] is not None or document == "consequences":
            documents[document][column] = row[column]
    return documents


def upgrade() -> None:
    _rewrite(_move_out)


def downgrade() -> None:
    _rewrite(_copy_back)
