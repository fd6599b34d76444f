"""Schema migrations (Alembic) run from inside the package: `deskapp db upgrade`."""

from __future__ import annotations

from pathlib import Path
from typing import TypeGuard

from sqlalchemy import Engine

from tickets.errors import SchemaOutOfDate

MIGRATIONS = Path(__file__).parent / "migrations"


def _config():
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_config()).get_current_head()
    if head is None:  # only if the package lost its migrations
        raise SchemaOutOfDate(f"no migrations found in {MIGRATIONS}")
    return head


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def is_newer(revision: str | None) -> TypeGuard[str]:
    """A revision this deskapp does not know: written by a newer deskapp."""
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    if revision is None:
        return False
    try:
        return ScriptDirectory.from_config(_config()).get_revision(revision) is None
    except CommandError:
        return True


def _newer(engine: Engine, current: str) -> SchemaOutOfDate:
    where = engine.url.render_as_string(hide_password=True)
    return SchemaOutOfDate(
        f"the database at {where} was upgraded by a newer deskapp (schema {current}; this one knows up to "
        f"{head_revision()}): install that newer deskapp to use it"
    )


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
    """Refuse to run on a schema this code does not match, saying what to run."""
    current, head = current_revision(engine), head_revision()
    if current == head:
        return
    where = engine.url.render_as_string(hide_password=True)
    if is_newer(current):
        raise _newer(engine, current)
    if current is None:
        raise SchemaOutOfDate(
            f"the database at {where} has no deskapp schema yet: run `deskapp db upgrade`"
        )
    raise SchemaOutOfDate(
        f"the database at {where} is at schema {current}, this deskapp needs {head}: "
        "run `deskapp db upgrade`"
    )
