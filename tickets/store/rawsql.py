"""Prebuilt SQL on the driver's own connection, for the hot paths.

SQLAlchemy rebuilds statements, cache keys and result rows on every call; on a filing that
is most of the CPU, not the database. A hot path instead writes its SQL once as text with
`:name` parameters; `Sql` turns it into the driver's own parameter style once per dialect
(sqlite3 takes `:name` as it is, psycopg wants `%(name)s`) and `Raw` runs it on a DBAPI cursor:
of a session's connection, sharing the session's transaction, retries and commit, or of a
pooled connection in a transaction of its own (`Store.raw_transaction`: the hottest paths,
where even a Session's transaction costs more CPU than the statements).

Values crossing this boundary are the driver's: the converters below store datetimes and JSON
exactly as the SQLModel columns do (`tickets.store.types.UTCDateTime`, SQLAlchemy's JSON type), so
rows written here and rows written through the models read back the same either way.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any, NoReturn, cast, overload

from sqlalchemy import Connection, Engine
from sqlalchemy.engine import Dialect
from sqlalchemy.engine.interfaces import DBAPIConnection, DBAPICursor, DBAPIModule
from sqlalchemy.exc import DBAPIError, ResourceClosedError
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.pool import PoolProxiedConnection

from tickets.jsontext import encoder
from tickets.store import liteconns
from tickets.store.lite import sqlite_time
from tickets.store.rows import named_rows
from tickets.store.sqltext import Sql

# The texts of statements sent together (Raw.batch, Raw.reads), joined once per sequence, with
# each one's row-type key (named_rows): PostgreSQL only, where batches are sent together.
_JOINED: dict[tuple[Sql, ...], tuple[str, tuple[tuple[str, str], ...]]] = {}
_JOINED_LIMIT = 4_096  # as the row types: the cache stops growing here

_INFO_KEY = "tickets.store.rawsql.Raw"
_BEGIN_IMMEDIATE = Sql("BEGIN IMMEDIATE")
_BEGIN = Sql("BEGIN")


def driver_connection(fairy: PoolProxiedConnection) -> DBAPIConnection:
    """The driver's connection inside a pooled one (None only once the pool has invalidated it)."""
    connection = fairy.dbapi_connection
    if connection is None:
        raise ResourceClosedError("the pooled connection was invalidated")
    return connection


def end_autocommit(fairy: PoolProxiedConnection) -> None:
    """A pooled PostgreSQL connection out of autocommit, as the pool's other users expect it
    (hot reads and raw transactions run in autocommit); one that cannot be (broken, or
    still in a transaction) is not reused."""
    try:
        driver_connection(fairy).autocommit = False
    except Exception:
        fairy.invalidate()


class Raw:
    """A connection as the driver sees it, looked up once for the statements of one unit of work:
    a session's (each `session.connection()` walks SQLAlchemy's session machinery), or a pooled
    driver connection with a transaction of its own (`Raw.transaction`, no Session at all)."""

    __slots__ = ("_connection", "_dbapi", "_lite", "_error", "_dialect", "dialect", "_transaction", "_at_commit",
                 "_begin")
    _connection: Connection | None  # the session's Connection; None on a connection of Raw's own
    _dbapi: PoolProxiedConnection
    _lite: Any  # SQLite: the sqlite3 connection itself, whose execute() each statement calls (_run)
    _error: type[DBAPIModule.Error]  # the driver's base error class
    _dialect: Dialect
    dialect: str  # "sqlite" or "postgresql"
    _transaction: SessionTransaction | None  # the session's transaction this one belongs to
    _at_commit: list[tuple[Sql, dict[str, Any]]] | None
    _begin: bool

    def __new__(cls, session: Session | Raw) -> Raw:
        if isinstance(session, Raw):
            return session  # already the driver's connection (Store.raw_transaction)
        # One per transaction: kept in the session's info beside the transaction it belongs to
        # (a session's next transaction may run on another pooled connection).
        transaction = session.get_transaction()
        raw = session.info.get(_INFO_KEY)
        if transaction is not None and raw is not None and raw._transaction is transaction:
            return raw
        connection = session.connection()
        raw = cls._on(connection.connection, connection.dialect, connection)
        raw._transaction = session.get_transaction()
        session.info[_INFO_KEY] = raw
        return raw

    @classmethod
    def _on(cls, dbapi: PoolProxiedConnection, dialect: Dialect, connection: Connection | None = None) -> Raw:
        raw = super().__new__(cls)
        raw._connection, raw._dbapi, raw._dialect = connection, dbapi, dialect
        raw._error = dialect.loaded_dbapi.Error
        raw.dialect = dialect.name
        raw._lite = driver_connection(dbapi) if dialect.name == "sqlite" else None
        raw._transaction = None
        raw._at_commit = None  # statements sent with the COMMIT (Raw.transaction on PostgreSQL)
        raw._begin = False  # BEGIN still to be sent, with the first statement (Raw.transaction on PostgreSQL)
        return raw

    @classmethod
    def transaction(cls, engine: Engine) -> AbstractContextManager[Raw]:
        """One transaction on a pooled driver connection: BEGIN IMMEDIATE on SQLite (as the
        store's write sessions begin), committed on a clean exit, rolled back on any error. The
        driver's errors come out as SQLAlchemy's, as a Connection raises them (tickets.store.database
        turns an OperationalError into StoreUnavailable and retries, as for a session).

        PostgreSQL: the driver would send its BEGIN alone, one round trip before the
        first statement; instead the connection is in autocommit for the transaction and BEGIN
        goes with the first statement, in its round trip (`_run`), so a write is one round trip
        a statement, the audit append's sent with the COMMIT (`at_commit`)."""
        return _Scope(engine, write=True)

    @classmethod
    def autocommitting(cls, fairy: PoolProxiedConnection, dialect: Dialect) -> Raw:
        """Reads and function calls on a PostgreSQL connection already in autocommit
        (tickets.store.held): each statement one round trip, as in `reading`."""
        return cls._on(fairy, dialect)

    @classmethod
    def reading(cls, engine: Engine) -> AbstractContextManager[Raw]:
        """Reads on a pooled driver connection, nothing written (a read's BEGIN and
        ROLLBACK were two of its three round trips). PostgreSQL: in autocommit, each statement
        one round trip; at READ COMMITTED (PostgreSQL's default, and the store's) a statement
        reads a snapshot of its own inside a transaction too. SQLite: one deferred read
        transaction, so that the statements read one snapshot, as in store.read()."""
        return _Scope(engine, write=False)

    def at_commit(self, sql: Sql, params: Mapping[str, Any]) -> bool:
        """Send this statement with the COMMIT, in its round trip, if this is a transaction of
        Raw.transaction on PostgreSQL (True); else nothing is done (False) and the caller runs
        it. For the audit append, the last statement of a write: the chain's head is
        locked by it and released by the COMMIT, with no round trip between, so the lock is
        never held while the client waits for a CPU. Its errors (and the COMMIT's) are raised
        when the transaction commits, as SQLAlchemy's, and everything is rolled back."""
        if self._at_commit is None:
            return False
        self._at_commit.append((sql, dict(params)))
        return True

    def _commit_with(self, statements: list[tuple[Sql, dict[str, Any]]]) -> None:
        """The statements in order, the last one and COMMIT in one round trip: bound by the
        driver (psycopg's ClientCursor quotes each value), sent without parameters, as one
        simple query. (Each statement stays one of its own before: a write's second append is
        rare, and the driver sees each as it was.)"""
        for sql, params in statements[:-1]:
            self._run(sql, params, fetch=True)
        sql, params = statements[-1]
        text = sql.for_dialect(self.dialect)
        begin = "BEGIN; " if self._begin else ""  # nothing before it: one round trip in all
        self._begin = False
        shown = begin + text + "; COMMIT"  # without its values (no personal data in logs)
        cur = self._dbapi.cursor()
        try:
            cur.execute(begin + self._bound(text, params) + "; COMMIT")
        except self._error as error:
            self._raise(error, shown, None, cur)
        finally:
            cur.close()

    def _bound(self, text: str, params: Any) -> str:
        """The statement with its values in it, quoted by the driver (psycopg's ClientCursor),
        to be sent as a simple query with others in one round trip (PostgreSQL only)."""
        import psycopg  # the PostgreSQL driver: not needed, nor loaded, on SQLite

        binder = psycopg.ClientCursor(cast(psycopg.Connection[Any], driver_connection(self._dbapi)))
        try:
            return binder.mogrify(text, params)
        finally:
            binder.close()

    def _raise(self, error: DBAPIModule.Error, statement: str, params: Any, cur: DBAPICursor | None) -> NoReturn:
        """A driver error raised as SQLAlchemy raises it for its own statements (IntegrityError,
        OperationalError ... with the driver's error as `orig`, a lost connection invalidated),
        so that the store's retries and the callers' handlers see the same exceptions whichever
        way a statement was written."""
        if self._connection is not None:
            self._connection._handle_dbapi_exception(error, statement, params, cur, None)
        lost = self._dialect.is_disconnect(error, self._dbapi.dbapi_connection, cur)
        if lost:
            self._dbapi.invalidate(error)
        # Parameters hidden: they may hold what a caller said (no personal data in logs).
        raise DBAPIError.instance(statement, params, error, self._error, hide_parameters=True,
                                  connection_invalidated=lost, dialect=self._dialect) from error

    def _run(self, sql: Sql, params: Any, *, many: bool = False, fetch: bool = False) -> Any:
        if self._lite is not None and not many:
            return self._run_sqlite(sql.text, params, fetch)
        text = sql.for_dialect(self.dialect)
        if self._begin:
            if not many:
                return self._run_first(text, params, fetch=fetch)
            self._send_begin()  # an executemany's BEGIN goes alone
        cur = self._dbapi.cursor()
        try:
            if many:
                cur.executemany(text, params)
                return None
            cur.execute(text, params)
            return named_rows(cur, (self.dialect, text)) if fetch else cur.rowcount
        except self._error as error:
            self._raise(error, text, params, cur)
        finally:
            cur.close()

    def _run_sqlite(self, text: str, params: Any, fetch: bool) -> Any:
        """One statement on SQLite by the sqlite3 connection's own execute(), with no cursor
        asked of the pool's proxy first (a filing runs nine)."""
        cur = None
        try:
            cur = self._lite.execute(text, params)
            return named_rows(cur, ("sqlite", text)) if fetch else cur.rowcount
        except self._error as error:
            self._raise(error, text, params, cur)
        finally:
            if cur is not None:
                cur.close()

    def _run_first(self, text: str, params: Any, *, fetch: bool) -> Any:
        """A transaction's first statement on PostgreSQL (Raw.transaction), sent after BEGIN in
        one simple query, bound by the driver's ClientCursor as the append at the COMMIT is."""
        self._begin = False
        cur = self._dbapi.cursor()
        try:
            cur.execute("BEGIN; " + self._bound(text, params))
            cur.nextset()  # the statement's result, after BEGIN's
            return named_rows(cur, (self.dialect, text)) if fetch else cur.rowcount
        except self._error as error:
            self._raise(error, text, params, cur)
        finally:
            cur.close()

    def cursor(self) -> DBAPICursor:
        """A cursor of the driver's own (the caller closes it), in the transaction."""
        if self._begin:
            self._send_begin()
        return self._dbapi.cursor()

    def _send_begin(self) -> None:
        self._begin = False
        cur = self._dbapi.cursor()
        try:
            cur.execute("BEGIN")
        except self._error as error:
            self._raise(error, "BEGIN", None, cur)
        finally:
            cur.close()

    def rows(self, sql: Sql, params: Mapping[str, Any] | None = None) -> list[Any]:
        """The statement's rows, each read by column name (`row.ref`; see `named_rows`)."""
        if self._lite is not None:  # _run's SQLite path, one frame less (a filing reads eight)
            return self._run_sqlite(sql.text, params or {}, True)
        return self._run(sql, params or {}, fetch=True)

    def first(self, sql: Sql, params: Mapping[str, Any] | None = None) -> Any | None:
        found = self.rows(sql, params)
        return found[0] if found else None

    def batch(self, statements: Sequence[tuple[Sql, Mapping[str, Any]]]) -> list[list[Any]]:
        """Several reads' rows, in order. PostgreSQL in autocommit (Raw.reading): one round trip,
        the statements sent as one simple query bound by the driver (psycopg's ClientCursor
        quotes each value), each reading a snapshot of its own as it would alone; their
        parameters' names must not clash. Otherwise (SQLite, or a transaction still to begin)
        one statement after another."""
        merged: dict[str, Any] = {}
        for _, params in statements:  # on both engines, so that SQLite's tests catch a clash too
            if not merged.keys().isdisjoint(params):
                raise ValueError(f"batch: parameters named twice: {sorted(merged.keys() & params.keys())}")
            merged.update(params)
        if self.dialect == "sqlite" or self._begin or len(statements) < 2:
            return [self.rows(sql, params) for sql, params in statements]
        return self._together(tuple(sql for sql, _ in statements), merged)

    def reads(self, statements: Sequence[Sql], params: Mapping[str, Any]) -> list[list[Any]]:
        """`batch` of statements that take the same parameters: each one's rows, in order, one
        round trip on PostgreSQL."""
        if self.dialect == "sqlite" or self._begin or len(statements) < 2:
            return [self._run(sql, params, fetch=True) for sql in statements]
        return self._together(tuple(statements), params)

    def _together(self, statements: tuple[Sql, ...], params: Mapping[str, Any]) -> list[list[Any]]:
        joined = _JOINED.get(statements)
        if joined is None:
            keys = tuple((self.dialect, sql.for_dialect(self.dialect)) for sql in statements)
            joined = ("; ".join(text for _, text in keys), keys)
            if len(_JOINED) < _JOINED_LIMIT:
                _JOINED[statements] = joined
        query, keys = joined
        import psycopg  # the PostgreSQL driver: not needed, nor loaded, on SQLite

        cur = psycopg.ClientCursor(cast(psycopg.Connection[Any], driver_connection(self._dbapi)))
        try:
            cur.execute(query, params)
            found = [named_rows(cur, keys[0])]
            for key in keys[1:]:
                cur.nextset()
                found.append(named_rows(cur, key))
            return found
        except self._error as error:
            self._raise(error, query, None, cast(DBAPICursor, cur))  # without its values (no personal data in logs)
        finally:
            cur.close()

    def execute(self, sql: Sql, params: Mapping[str, Any] | None = None) -> int:
        """Run one statement; the number of rows it touched."""
        return self._run(sql, params or {})

    def execute_many(self, sql: Sql, params: Iterable[Mapping[str, Any]]) -> None:
        self._run(sql, list(params), many=True)


class _Scope:
    """Raw.transaction's and Raw.reading's context manager: a class, not a generator (on a hot
    read, entering and leaving a generator-based one cost about as much CPU as its statement)."""

    __slots__ = ("_engine", "_write", "_raw")

    def __init__(self, engine: Engine, *, write: bool) -> None:
        self._engine, self._write = engine, write

    def __enter__(self) -> Raw:
        engine = self._engine
        dialect = engine.dialect
        try:
            fairy = liteconns.checkout(engine)  # SQLite: kept between scopes; else the pool's
        except dialect.loaded_dbapi.Error as error:
            Connection._handle_dbapi_exception_noconnection(error, dialect, engine)
        raw = self._raw = Raw._on(fairy, dialect)
        try:
            if raw.dialect == "sqlite":
                raw._run(_BEGIN_IMMEDIATE if self._write else _BEGIN, {})
            else:
                driver_connection(fairy).autocommit = True  # no BEGIN of the driver's own
                if self._write:
                    raw._begin = True
                    raw._at_commit = []
        except BaseException:
            self._end(failed=True)
            raise
        return raw

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, _tb: Any) -> None:
        if kind is None and self._write:
            raw = self._raw
            try:
                if raw._at_commit:
                    raw._commit_with(raw._at_commit)
                else:
                    lite = raw._lite
                    try:
                        if lite is None:
                            raw._dbapi.commit()
                        elif lite.in_transaction:
                            # SQLite: COMMIT from the driver's statement cache, as every other
                            # statement; commit() prepares and finalises a new one each time
                            # (7-10 µs of CPU a write, measured paired). In no transaction
                            # (rolled back by SQLite itself), nothing to do, as commit() does.
                            lite.execute("COMMIT")
                    except raw._error as failed:
                        raw._raise(failed, "COMMIT", None, None)
            except BaseException:
                self._end(failed=True)
                raise
        self._end(failed=kind is not None or not self._write)

    def _end(self, *, failed: bool) -> None:
        """Rolled back if `failed` (a write's error, or the end of a read), the connection back
        to the pool (PostgreSQL: out of autocommit, as the pool's other users expect it)."""
        raw = self._raw
        fairy = raw._dbapi
        try:
            if failed and (self._write or raw.dialect == "sqlite"):
                try:
                    fairy.rollback()
                except Exception:  # the error being raised says more; a broken connection is not reused
                    fairy.invalidate()
        finally:
            if raw.dialect != "sqlite":
                end_autocommit(fairy)  # committed or rolled back: idle
            liteconns.give_back(self._engine, fairy)  # kept (SQLite, idle), else back to the pool


def rows(session: Session | Raw, sql: Sql, params: Mapping[str, Any] | None = None) -> list[Any]:
    return Raw(session).rows(sql, params)


def first(session: Session | Raw, sql: Sql, params: Mapping[str, Any] | None = None) -> Any | None:
    return Raw(session).first(sql, params)


def execute(session: Session | Raw, sql: Sql, params: Mapping[str, Any] | None = None) -> int:
    """Run one statement; the number of rows it touched."""
    return Raw(session).execute(sql, params)


def execute_many(
    session: Session | Raw, sql: Sql, params: Sequence[Mapping[str, Any]] | Iterable[Mapping[str, Any]]
) -> None:
    Raw(session).execute_many(sql, params)


class SqlList:
    """A statement with list parameters, `IN (:name)`: each list is spread over one parameter
    per value (`:name_0, :name_1 ...`), the statement built once per list length."""

    __slots__ = ("text", "_names", "_built")

    def __init__(self, text: str, *names: str) -> None:
        self.text = text
        self._names = names
        self._built: dict[tuple[int, ...], Sql] = {}

    def bind(self, params: Mapping[str, Any]) -> tuple[Sql, dict[str, Any]]:
        """The statement for these lists' lengths and the parameters spread out (an empty list
        matches nothing, as SQLAlchemy's empty IN does)."""
        names = self._names
        # Plain loops: each comprehension is a Python frame of its own (T-3's lookup binds one a filing).
        lengths: tuple[int, ...] = ()
        for name in names:
            lengths += (len(params[name]),)
        sql = self._built.get(lengths)
        if sql is None:
            text = self.text
            for name, n in zip(self._names, lengths, strict=True):
                spread = ", ".join(f":{name}_{i}" for i in range(n)) if n else "NULL"
                text = re.sub(rf"(?<![:\w]):{name}\b", spread, text)
            sql = self._built[lengths] = Sql(text)
        bound = {}
        for key, value in params.items():
            if key not in names:
                bound[key] = value
        for name in names:
            for i, value in enumerate(params[name]):
                bound[f"{name}_{i}"] = value
        return sql, bound


# --- values, stored as the SQLModel columns store them ---------------------------------------

def bind_time(value: datetime | None, dialect: str) -> datetime | str | None:
    """An aware datetime as `UTCDateTime` binds it: SQLite keeps SQLAlchemy's text form in UTC,
    PostgreSQL a timestamptz."""
    if value is None:
        return None
    if dialect == "sqlite":
        return sqlite_time(value)
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value!r}: deskapp stores aware UTC datetimes only")
    return value.astimezone(UTC)


@overload
def read_time(value: None) -> None: ...
@overload
def read_time(value: datetime | str) -> datetime: ...
def read_time(value: datetime | str | None) -> datetime | None:
    """A stored datetime back as an aware UTC one, from either engine."""
    if value is None:
        return None
    if isinstance(value, str):
        # SQLite's text form (SQLAlchemy's: always UTC, never an offset) parsed as aware UTC at
        # once, a quarter of the cost of parsing then replacing: pages read one a row.
        return datetime.fromisoformat(value + "+00:00")
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


# json.dumps(value) with its default settings, without a new encoder each call (filing's hot path).
_JSON = encoder()


def bind_json(value: Any) -> str:
    """JSON as SQLAlchemy's JSON type serialises it (json.dumps, default separators)."""
    return _JSON(value)


def read_json(value: Any) -> Any:
    """psycopg decodes json columns itself; sqlite3 hands back the text."""
    return json.loads(value) if isinstance(value, str | bytes) else value
