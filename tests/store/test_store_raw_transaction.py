"""Store.raw_transaction: a write transaction on the pooled driver connection, no
Session, for the hot paths. It must behave as Store.transaction does, on both engines: commit on
a clean exit, roll back on any error, the driver's errors raised as SQLAlchemy's, an
OperationalError as StoreUnavailable (busy, disk full: test_store_errors), retryable ones retried."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError, OperationalError

from tickets.errors import StoreUnavailable
from tickets.store import rawsql

_AGENT = rawsql.Sql(
    "INSERT INTO agent (name, display_name, role, pin_hash, active, created_at) "
    "VALUES (:name, 'A', 'agent', 'h', TRUE, :at)"
)
_NAMES = rawsql.Sql("SELECT name FROM agent ORDER BY name")


def _add(raw: rawsql.Raw, name: str) -> None:
    raw.execute(_AGENT, {"name": name, "at": rawsql.bind_time(datetime(2026, 1, 1, tzinfo=UTC), raw.dialect)})


def _names(store) -> list[str]:
    with store.read() as session:
        return [name for (name,) in rawsql.rows(session, _NAMES)]


def test_commits_on_a_clean_exit_and_returns_what_the_work_returns(store):
    assert store.raw_transaction(lambda raw: (_add(raw, "ada"), _add(raw, "alan"), 7)[-1]) == 7
    assert _names(store) == ["ada", "alan"]


def test_any_error_rolls_back_everything_and_the_pool_is_left_clean(store):
    def work(raw):
        _add(raw, "ada")
        raise RuntimeError("refused after a write")

    with pytest.raises(RuntimeError):
        store.raw_transaction(work)
    assert _names(store) == []
    store.raw_transaction(lambda raw: _add(raw, "grace"))  # the pooled connection still works
    assert _names(store) == ["grace"]


def test_a_unique_violation_is_sqlalchemys_integrity_error_and_nothing_is_kept(store):
    store.raw_transaction(lambda raw: _add(raw, "ada"))

    def twice(raw):
        _add(raw, "bob")
        _add(raw, "ada")

    with pytest.raises(IntegrityError) as caught:
        store.raw_transaction(twice)
    assert isinstance(caught.value.orig, store.engine.dialect.loaded_dbapi.IntegrityError)
    assert _names(store) == ["ada"]


def test_a_retryable_error_is_retried_with_the_first_attempt_rolled_back(store):
    tries = []

    def work(raw):
        tries.append(1)
        _add(raw, f"try{len(tries)}")
        if len(tries) == 1:  # what a busy SQLite or a deadlock on PostgreSQL raises
            raise OperationalError("UPDATE audit_head", {}, Exception("database is locked"))
        return "done"

    assert store.raw_transaction(work) == "done"
    assert len(tries) == 2 and _names(store) == ["try2"]


def test_an_operational_error_is_store_unavailable_after_the_last_attempt(store):
    def work(raw):
        raise OperationalError("SELECT", {}, Exception("database is locked"))

    with pytest.raises(StoreUnavailable, match="the database is busy"):
        store.raw_transaction(work, attempts=2)


def _failing(kind: str):
    """A work raising one kind of failure on its first `fails` attempts, then returning."""
    def error():
        if kind == "busy":
            return OperationalError("UPDATE audit_head", {}, Exception("database is locked"))
        if kind == "gone":
            return OperationalError("SELECT", {}, Exception("server closed the connection unexpectedly"))
        if kind == "store busy":  # a StoreUnavailable of the work's own, caused by a retryable error
            failure = StoreUnavailable("busy inside")
            failure.__cause__ = OperationalError("SELECT", {}, Exception("database is locked"))
            return failure
        if kind == "store plain":
            return StoreUnavailable("not retryable")
        if kind == "unique":
            return IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed"))
        return RuntimeError("refused")
    return error


@pytest.mark.parametrize("kind", ["busy", "gone", "store busy", "store plain", "unique", "other"])
@pytest.mark.parametrize("fails", [1, 3])
def test_raw_transaction_fails_and_retries_as_retrying_raw_write_does(store, monkeypatch, caplog, kind, fails):
    """raw_transaction is _retrying(raw_write) in one loop: the same result or error (its type,
    text and cause), the same attempts, the same lines logged."""
    monkeypatch.setattr("tickets.store.database.time.sleep", lambda _seconds: None)
    outcomes = []
    for run in (lambda work: store.raw_transaction(work, attempts=3),
                lambda work: store._retrying(store.raw_write, work, 3)):
        tries: list[int] = []

        def work(raw, tries=tries):
            tries.append(1)
            if len(tries) <= fails:
                raise _failing(kind)()
            return "done"

        caplog.clear()
        try:
            outcome = ("returned", run(work))
        except Exception as error:
            cause = error.__cause__
            outcome = ("raised", type(error).__name__, str(error), type(cause).__name__, str(cause))
        outcomes.append((outcome, len(tries), [r.getMessage() for r in caplog.records]))
    assert outcomes[0] == outcomes[1]


def test_the_work_is_one_transaction_begun_as_the_engine_needs(store):
    """SQLite: BEGIN IMMEDIATE (the write lock first) ... COMMIT. PostgreSQL: every statement
    of the work in one server transaction, committed once at the end."""
    if store.engine.dialect.name == "sqlite":
        _sqlite_begins_immediate(store)
        return
    txid = rawsql.Sql("SELECT txid_current()")

    def work(raw):
        before = raw.first(txid)[0]
        _add(raw, "ada")
        return before, raw.first(txid)[0]

    before, after = store.raw_transaction(work)
    assert before == after
    assert _names(store) == ["ada"]


def _sqlite_begins_immediate(store):
    store.engine.dispose()
    seen: list[str] = []
    traced: list = []

    def trace(dbapi, _record):
        traced.append(dbapi)
        dbapi.set_trace_callback(seen.append)

    event.listen(store.engine, "connect", trace)
    try:
        store.raw_transaction(lambda raw: _add(raw, "ada"))
    finally:
        event.remove(store.engine, "connect", trace)
        for dbapi in traced:
            dbapi.set_trace_callback(None)
    statements = [s for s in seen if not s.startswith("PRAGMA")]
    assert statements[0] == "BEGIN IMMEDIATE" and statements[-1] == "COMMIT", statements



def test_a_statement_sent_with_the_commit_is_committed_in_the_commits_round_trip(store, monkeypatch):
    """On PostgreSQL the audit append of a raw transaction goes with the COMMIT, so the
    chain's head is never locked across a round trip; its errors still roll everything back."""
    from tickets.audit.chain import append_event, verify_chain

    at = datetime(2026, 1, 1, tzinfo=UTC)

    def work(raw):
        _add(raw, "ada")
        # Values the binding must quote: a percent sign, quotes, a semicolon, a backslash.
        append_event(raw, at=at, actor="system", action="agent.created", subject="agent:1", returning=False,
                     details={"name": "ada", "role": "agent", "note": "100% O'Brien; COMMIT; \\ \"x\""})

    sent: list[str] = []
    if store.engine.dialect.name == "postgresql":
        import psycopg

        original = psycopg.Cursor.execute
        monkeypatch.setattr(psycopg.Cursor, "execute",
                            lambda self, query, *a, **k: (sent.append(str(query)), original(self, query, *a, **k))[1])
    store.raw_transaction(work)
    monkeypatch.undo()
    assert _names(store) == ["ada"]
    with store.read() as session:
        assert verify_chain(session).ok and verify_chain(session).events_checked == 1
        (details,) = rawsql.first(session, rawsql.Sql("SELECT details FROM audit_event WHERE seq = 1"))
    assert rawsql.read_json(details) == {"name": "ada", "role": "agent", "note": "100% O'Brien; COMMIT; \\ \"x\""}
    if store.engine.dialect.name == "postgresql":
        assert sent[-1].rstrip().endswith("; COMMIT") and "INSERT INTO audit_event" in sent[-1]

    def failing(raw):  # "ada" again, sent with the COMMIT: the unique name refuses it
        _add(raw, "bob")
        params = {"name": "ada", "at": rawsql.bind_time(at, raw.dialect)}
        if not raw.at_commit(_AGENT, params):
            raw.execute(_AGENT, params)

    with pytest.raises(IntegrityError):
        store.raw_transaction(failing)
    assert _names(store) == ["ada"]  # bob rolled back with it
    store.raw_transaction(lambda raw: _add(raw, "grace"))  # the pooled connection still works
    assert _names(store) == ["ada", "grace"]


@pytest.mark.engine("sqlite")  # SQLite's commit (deselected, not skipped, in CI's PostgreSQL pass)
def test_sqlite_commit_by_statement_is_what_commit_did(store):
    """SQLite commits by the driver's cached COMMIT statement (as the filing bench's baseline
    does), and, as the driver's commit() did, not at all when the transaction has already ended."""
    seen: list[str] = []

    def work(raw):
        raw._lite.set_trace_callback(seen.append)
        _add(raw, "ada")

    store.raw_transaction(work)
    assert seen[-1] == "COMMIT" and _names(store) == ["ada"]

    def ends_itself(raw):
        raw._lite.set_trace_callback(None)
        _add(raw, "alan")
        raw._lite.execute("ROLLBACK")  # SQLite ends a transaction itself on some errors

    store.raw_transaction(ends_itself)  # nothing to commit, no error
    assert _names(store) == ["ada"]
