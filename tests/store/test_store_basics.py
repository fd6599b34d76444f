"""The store on both engines: aware UTC round trip, SQLite settings, schema migrations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import event, text
from sqlmodel import select

from tickets.errors import SchemaOutOfDate
from tickets.store.database import Store, make_engine
from tickets.store.models import Agent, Call
from tickets.store.schema import check_schema, current_revision, head_revision, upgrade


def test_aware_utc_datetimes_survive_the_round_trip(store):
    from tickets.agents import create_agent

    agent = create_agent(store, name="ada", display_name="Ada", role="agent", pin="1234")
    paris = timezone(timedelta(hours=1))
    started = datetime(2026, 11, 22, 13, 30, 15, 123456, tzinfo=paris)
    with store.write() as session:
        session.add(Call(agent_id=agent.id, started_at=started))
    with store.read() as session:
        call = session.exec(select(Call)).one()
    assert call.started_at.tzinfo is not None
    assert call.started_at.utcoffset() == timedelta(0)
    assert call.started_at == started
    assert call.started_at == datetime(2026, 11, 22, 12, 30, 15, 123456, tzinfo=UTC)


def test_naive_datetimes_are_refused(store):
    with pytest.raises(Exception, match="naive datetime"):
        with store.write() as session:
            session.add(Agent(name="x1", display_name="x", role="agent", pin_hash="h", created_at=datetime(2026, 1, 1)))


def test_sqlite_settings_and_begin_immediate(tmp_path):
    store = Store(make_engine(f"sqlite:///{tmp_path / 'a.db'}"))
    statements: list[str] = []
    event.listen(store.engine, "before_cursor_execute", lambda c, cur, stmt, *a: statements.append(stmt))
    with store.read() as session:
        mode = session.exec(text("PRAGMA journal_mode")).one()[0]
        fk = session.exec(text("PRAGMA foreign_keys")).one()[0]
        busy = session.exec(text("PRAGMA busy_timeout")).one()[0]
        sync = session.exec(text("PRAGMA synchronous")).one()[0]
    assert (mode, fk, busy, sync) == ("wal", 1, 30000, 2)
    with store.write() as session:
        session.exec(text("SELECT 1"))
    assert "BEGIN DEFERRED" in statements and "BEGIN IMMEDIATE" in statements


def test_upgrade_on_empty_then_up_to_date_is_a_noop(backend, tmp_path, request):
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'fresh.db'}"
        engine = make_engine(url)
    else:
        database = request.getfixturevalue("postgres_database")
        engine = make_engine(database.url)
        with engine.begin() as connection:  # start from nothing at all
            connection.exec_driver_sql("DROP SCHEMA public CASCADE")
            connection.exec_driver_sql("CREATE SCHEMA public")
    with pytest.raises(SchemaOutOfDate, match="deskapp db upgrade"):
        check_schema(engine)
    assert upgrade(engine) == (None, head_revision())
    assert upgrade(engine) == (head_revision(), head_revision())
    check_schema(engine)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_out_of_date_schema_names_the_command(store):
    # An older revision this deskapp knows (0002 is before every later one) says what to run;
    # an unknown one was written by a newer deskapp (tests/store/test_store_errors.py).
    with store.write() as session:
        session.exec(text("UPDATE alembic_version SET version_num = '0002'"))
    with pytest.raises(SchemaOutOfDate, match=r"is at schema 0002.*run `deskapp db upgrade`"):
        check_schema(store.engine)
    with store.write() as session:
        session.exec(text(f"UPDATE alembic_version SET version_num = '{head_revision()}'"))


def test_migrations_match_the_models(store):
    """A model change without its migration would leave real databases behind."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlmodel import SQLModel

    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == []
