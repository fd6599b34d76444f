"""Alembic environment: deskapp always hands in its own connection (tickets.store.schema)."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import tickets.store.models  # noqa: F401  (registers the tables on SQLModel.metadata)

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `deskapp db upgrade` (tickets.store.schema.upgrade)")

context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
