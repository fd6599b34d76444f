"""tickets.store.rawsql: prebuilt SQL on the driver connection writes and reads values exactly as the
SQLModel columns do, on both engines, inside the session's transaction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlmodel import select

from tickets.store import rawsql
from tickets.store.models import AuditEvent, Call

_INSERT_CALL = rawsql.Sql("INSERT INTO call (agent_id, started_at) VALUES (:agent, :started)")
_CALL_TIMES = rawsql.Sql("SELECT started_at FROM call WHERE agent_id = :agent ORDER BY id")
_PERCENT = rawsql.Sql("SELECT '100%' || :word")


def _agent(store):
    from tickets.agents import create_agent

    return create_agent(store, name="ada", display_name="Ada", role="agent", pin="1234")


def test_a_datetime_written_raw_reads_back_through_the_model_and_raw(store):
    agent = _agent(store)
    started = datetime(2026, 11, 22, 13, 30, 15, 123456, tzinfo=timezone(timedelta(hours=1)))
    with store.write() as session:
        dialect = session.connection().dialect.name
        assert (
            rawsql.execute(session, _INSERT_CALL, {"agent": agent.id, "started": rawsql.bind_time(started, dialect)})
            == 1
        )
        session.add(Call(agent_id=agent.id, started_at=started))
    with store.read() as session:
        through_model = [c.started_at for c in session.exec(select(Call).order_by(Call.id))]
        raw = [rawsql.read_time(value) for (value,) in rawsql.rows(session, _CALL_TIMES, {"agent": agent.id})]
    assert through_model == raw == [started, started]
    assert all(t.tzinfo is UTC for t in raw)


def test_raw_statements_share_the_sessions_transaction(store):
    agent = _agent(store)
    with pytest.raises(RuntimeError):
        with store.write() as session:
            rawsql.execute(
                session,
                _INSERT_CALL,
                {"agent": agent.id, "started": rawsql.bind_time(datetime.now(UTC), session.connection().dialect.name)},
            )
            raise RuntimeError("rolled back")
    with store.read() as session:
        assert rawsql.rows(session, _CALL_TIMES, {"agent": agent.id}) == []


def test_a_literal_percent_and_named_parameters_on_both_drivers(store):
    with store.read() as session:
        assert rawsql.first(session, _PERCENT, {"word": "x"}) == ("100%x",)


def test_early_years_are_written_as_sqlalchemy_writes_them():
    from datetime import UTC

    assert rawsql.bind_time(datetime(999, 1, 2, 3, 4, 5, tzinfo=UTC), "sqlite") == "0999-01-02 03:04:05.000000"
    assert rawsql.bind_time(datetime(2026, 11, 28, 13, 0, tzinfo=UTC), "sqlite") == "2026-11-28 13:00:00.000000"


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="naive"):
        rawsql.bind_time(datetime(2026, 1, 1), "sqlite")


def test_json_reads_back_from_either_driver(store, clock):
    from tickets.audit.chain import append_event

    with store.write() as session:
        append_event(session, at=clock.now(), actor="system", action="test.json", subject="test:1",
                     details={"a": [1, "é"], "b": None})
    with store.read() as session:
        assert (
            [rawsql.read_json(r[0]) for r in rawsql.rows(session, rawsql.Sql("SELECT details FROM audit_event"))]
            == [e.details for e in session.exec(select(AuditEvent))]
            == [{"a": [1, "é"], "b": None}]
        )
    assert rawsql.read_json(rawsql.bind_json({"a": [1, "é"]})) == {"a": [1, "é"]}


def test_a_json_column_read_as_its_text_decodes_to_what_the_driver_gives(store, clock):
    """Statements with a text of their own for PostgreSQL (sqltext.json_as_text) read a JSON
    column as its text, as sqlite3 does; decoded, it is the value psycopg decodes itself."""
    from tickets.audit.chain import append_event
    from tickets.store.sqltext import json_as_text

    details = {"a": [1, "é", {"b": None}], "c": "1.50"}
    with store.write() as session:
        append_event(session, at=clock.now(), actor="system", action="test.json", subject="test:1", details=details)
    text = "SELECT e.details FROM audit_event e"
    as_text = rawsql.Sql(text, postgresql=json_as_text(text, "e.details"))
    with store.read() as session:
        ((decoded,),) = rawsql.rows(session, rawsql.Sql(text))
        ((stored,),) = rawsql.rows(session, as_text)
    assert isinstance(stored, str) and rawsql.read_json(stored) == rawsql.read_json(decoded) == details


_NAMED = rawsql.Sql("SELECT c.id, c.agent_id, c.started_at AS at, 1 + 1 AS two, count(*) OVER () "
                    "FROM call c WHERE c.agent_id = :agent")


def test_rows_are_read_by_column_name_on_both_drivers(store):
    agent = _agent(store)
    with store.write() as session:
        dialect = session.connection().dialect.name
        started = rawsql.bind_time(datetime.now(UTC), dialect)
        rawsql.execute(session, _INSERT_CALL, {"agent": agent.id, "started": started})
    with store.read() as session:
        (row,) = rawsql.rows(session, _NAMED, {"agent": agent.id})
        assert row == rawsql.first(session, _NAMED, {"agent": agent.id})
    # The column's name, or its alias; an expression without one is named by the driver, each its
    # own way (SQLite `count(*) OVER ()`, not a name: `_4`; PostgreSQL `count`): alias it to read it.
    assert row._fields[:4] == ("id", "agent_id", "at", "two")
    assert row._fields[4] == ("_4" if store.engine.dialect.name == "sqlite" else "count")
    assert (row.agent_id, row.two) == (agent.id, 2) and rawsql.read_time(row.at) is not None


def test_reads_sent_together_give_each_statements_rows_in_order(store):
    """Raw.reads and Raw.batch: several statements' rows, in order (one round trip on
    PostgreSQL, one after another on SQLite), the same as each statement alone."""
    agent = _agent(store)
    started = datetime(2026, 11, 22, 13, 30, tzinfo=UTC)
    with store.raw_read() as raw:
        dialect = raw.dialect
    with store.write() as session:
        for _ in range(2):
            rawsql.execute(session, _INSERT_CALL, {"agent": agent.id, "started": rawsql.bind_time(started, dialect)})
    count = rawsql.Sql("SELECT count(*) AS n FROM call WHERE agent_id = :agent")
    none = rawsql.Sql("SELECT id FROM call WHERE agent_id = :agent AND 1 = 0")
    with store.raw_read() as raw:
        alone = [raw.rows(_CALL_TIMES, {"agent": agent.id}), raw.rows(count, {"agent": agent.id})]
        together = raw.reads((_CALL_TIMES, count, none, _PERCENT), {"agent": agent.id, "word": "x"})
        batched = raw.batch([(_CALL_TIMES, {"agent": agent.id}), (_PERCENT, {"word": "y"})])
        with pytest.raises(ValueError, match="named twice"):
            raw.batch([(_CALL_TIMES, {"agent": agent.id}), (count, {"agent": agent.id})])
    assert together[:2] == alone and together[0][0].started_at is not None and together[1][0].n == 2
    assert together[2] == [] and [tuple(r) for r in together[3]] == [("100%x",)]
    assert batched[0] == alone[0] and [tuple(r) for r in batched[1]] == [("100%y",)]
