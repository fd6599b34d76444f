"""SQLite: the raw scopes' connections kept between uses (tickets.store.liteconns). One is reused
only idle and valid, the engine's dispose() closes the kept ones, a process that inherited them
by fork() makes its own, and an engine whose pool is not a QueuePool (PostgreSQL, an in-memory
database) keeps none."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import event

from tickets.store import liteconns, rawsql

_ONE = rawsql.Sql("SELECT 1 AS one")


# SQLite's own path: these are deselected on PostgreSQL (whose raw scopes use the pool, see
# test_only_sqlite_files_are_kept, run on both), not skipped.
SQLITE_ONLY = pytest.mark.engine("sqlite")


@pytest.fixture
def sqlite_store(store):
    store.engine.dispose()  # a fresh start: nothing kept
    return store


def _connects(store) -> list:
    made: list = []
    event.listen(store.engine, "connect", lambda dbapi, _record: made.append(dbapi))
    return made


@SQLITE_ONLY
def test_consecutive_raw_scopes_reuse_one_connection(sqlite_store):
    made = _connects(sqlite_store)
    for _ in range(3):
        with sqlite_store.raw_read() as raw:
            assert raw.first(_ONE).one == 1
        sqlite_store.raw_transaction(lambda raw: raw.first(_ONE))
    assert len(made) == 1
    assert not made[0].in_transaction  # kept idle: the read rolled back, the write committed


@SQLITE_ONLY
def test_a_connection_left_in_a_transaction_is_closed_not_kept(sqlite_store):
    fairy = liteconns.checkout(sqlite_store.engine)
    connection = fairy.dbapi_connection
    connection.execute("BEGIN")
    liteconns.give_back(sqlite_store.engine, fairy)
    with pytest.raises(sqlite3.ProgrammingError):
        connection.execute("SELECT 1")  # closed
    with sqlite_store.raw_read() as raw:
        assert rawsql.driver_connection(raw._dbapi) is not connection


@SQLITE_ONLY
def test_dispose_closes_the_kept_connections(sqlite_store):
    made = _connects(sqlite_store)
    sqlite_store.raw_transaction(lambda raw: raw.first(_ONE))
    (kept,) = made
    sqlite_store.engine.dispose()
    with pytest.raises(sqlite3.ProgrammingError):
        kept.execute("SELECT 1")
    with sqlite_store.raw_read() as raw:  # a new one, made by the pool
        assert raw.first(_ONE).one == 1
    assert len(made) == 2


@SQLITE_ONLY
def test_after_fork_the_parents_connections_are_left_alone(sqlite_store, monkeypatch):
    made = _connects(sqlite_store)
    sqlite_store.raw_transaction(lambda raw: raw.first(_ONE))
    # What the hook os.register_at_fork runs in a child sets: another process id, nothing looked up.
    monkeypatch.setattr(liteconns, "_pid", liteconns.os.getpid() + 1)
    monkeypatch.setattr(liteconns, "_last", None)
    with sqlite_store.raw_read() as raw:
        assert raw.first(_ONE).one == 1
    assert len(made) == 2
    assert made[0].execute("SELECT 1").fetchone() == (1,)  # the parent's: not closed, not used


@SQLITE_ONLY
def test_a_forked_child_knows_its_own_process_id():
    """The hook registered with os.register_at_fork runs in a real child: its id, not the parent's."""
    import os

    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child process
        os.write(writer, str(liteconns._pid == os.getpid() and liteconns._last is None).encode())
        os._exit(0)
    os.close(writer)
    answer = os.read(reader, 16).decode()
    os.waitpid(child, 0)
    os.close(reader)
    assert answer == "True"


def test_only_sqlite_files_are_kept(store, backend):
    with store.raw_read() as raw:
        assert raw.first(_ONE).one == 1
    kept = liteconns._kept.get(store.engine)
    if backend == "sqlite":
        assert kept is not None and len(kept[1]) == 1
    else:
        assert kept is None
