"""Schema migrations (Alembic) run from inside the package: `deskapp db upgrade`. The check
every other command makes reads the revisions without Alembic (tickets.store.revision)."""

from __future__ import annotations

from pathlib import Path
from typing import TypeGuard

from sqlalchemy import Engine

from tickets.errors import SchemaOutOfDate
from tickets.store import revision

MIGRATIONS = Path(__file__).parent / "migrations"


def _config():
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    """The newest revision of the migration scripts (tickets.store.revision reads them without Alembic)."""
    return revision.head()


def current_revision(engine: Engine) -> str | None:
    """The revision stored in the database (one or two plain SELECTs on a driver connection)."""
    with engine.connect() as connection:  # connection errors come wrapped, as from any statement
        cursor = connection.connection.cursor()
        try:
            return revision.read_current(cursor, engine.dialect.name)
        finally:
            cursor.close()


def is_newer(current: str | None) -> TypeGuard[str]:
    """A revision this deskapp does not know: written by a newer deskapp."""
    return revision.is_newer(current)


def _newer(engine: Engine, current: str) -> SchemaOutOfDate:
    return revision.newer_error(engine.url.render_as_string(hide_password=True), current)


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str | None]:
    """Bring the schema to `revision`; returns (before, after). A no-op when up to date."""
    from alembic import command

    before = current_revision(engine)
    if is_newer(before):
        raise _newer(engine, before)
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    return before, current_revision(engine)


def downgrade(engine: Engine, revision: str) -> tuple[str | None, str | None]:
    """Take the schema back to `revision` (migration tests; a release is not downgraded)."""
    from alembic import command

    before = current_revision(engine)
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)
    return before, current_revision(engine)


def check_schema(engine: Engine) -> None:
    """Refuse to run on a schema this code does not match, saying what to run (without Alembic)."""
    revision.check(current_revision(engine), engine.url.render_as_string(hide_password=True))
