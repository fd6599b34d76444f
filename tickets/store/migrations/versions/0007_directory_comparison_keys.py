"""the directory's comparison keys: each fact verification compares, normalised once

Organizations get key_name, key_url and key_address, people key_user_id, key_phone,
key_first_name and key_last_name: the V-3 keys of their facts (identity.organization_fact_keys,
identity.person_fact_keys), so that a verification normalises only the caller's claim. Existing
rows are filled in batches by id, so memory stays flat however large the directory. The
downgrade drops the columns. A NULL key is worked out by verification itself, so a row the
batches have not reached yet (or that a newer writer left empty) still verifies right.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BATCH = 1000
ORGANIZATION_KEYS = ("key_name", "key_url", "key_address")
PERSON_KEYS = ("key_user_id", "key_phone", "key_first_name", "key_last_name")

organization = sa.table(
    "organization",
    sa.column("id", sa.Integer), sa.column("name", sa.String), sa.column("url", sa.String),
    sa.column("street_lines", sa.JSON), sa.column("city", sa.String), sa.column("region", sa.String),
    sa.column("postal_code", sa.String), sa.column("country", sa.String),
    *(sa.column(name, sa.String) for name in ORGANIZATION_KEYS),
)
person = sa.table(
    "person",
    sa.column("id", sa.Integer), sa.column("user_id", sa.String), sa.column("phone_e164", sa.String),
    sa.column("first_name", sa.String), sa.column("last_name", sa.String),
    *(sa.column(name, sa.String) for name in PERSON_KEYS),
)


def _fill(table: sa.TableClause, facts: tuple[str, ...], keys: tuple[str, ...], work) -> None:
    """Set `keys` of every row from its `facts`, a batch of ids at a time (one executemany each)."""
    connection = op.get_bind()
    update = (
        sa.update(table).where(table.c.id == sa.bindparam("row_id"))
        .values({name: sa.bindparam(f"new_{name}") for name in keys})
    )
    last = 0
    while True:
        rows = connection.execute(
            sa.select(table.c.id, *(table.c[f] for f in facts))
            .where(table.c.id > last).order_by(table.c.id).limit(BATCH)
        ).all()
        if rows:
            connection.execute(update, [
                {"row_id": row[0], **{f"new_{name}": value for name, value in zip(keys, work(*row[1:]), strict=True)}}
                for row in rows
            ])
        if len(rows) < BATCH:
            return
        last = rows[-1][0]


def upgrade() -> None:
    # Imported here: Alembic loads every migration to find the head, at each start-up.
    from identity import organization_fact_keys, person_fact_keys

    for name in ORGANIZATION_KEYS:
        op.add_column("organization", sa.Column(name, sa.String(), nullable=True))
    for name in PERSON_KEYS:
        op.add_column("person", sa.Column(name, sa.String(), nullable=True))
    _fill(organization, ("name", "url", "street_lines", "city", "region", "postal_code", "country"),
          ORGANIZATION_KEYS, organization_fact_keys)
    _fill(person, ("user_id", "phone_e164", "first_name", "last_name"), PERSON_KEYS, person_fact_keys)


def downgrade() -> None:
    # A plain DROP COLUMN (SQLite 3.35 and later have it): rebuilding the tables, as a batch
    # operation would, is not possible under the foreign keys that point at them.
    for name in PERSON_KEYS:
        op.drop_column("person", name)
    for name in ORGANIZATION_KEYS:
        op.drop_column("organization", name)
