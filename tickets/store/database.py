"""The store: an engine made from a URL, and sessions for reading and for writing.

SQLite by default (one file, WAL), PostgreSQL when a whole call centre shares one database.
Nothing here runs at import time: the engine is made by `make_engine(url)`.

Why the SQLite settings:
- WAL: readers never block the writer, and the writer never blocks readers.
- synchronous=FULL: a ticket reported as filed survives a crash *and* a power cut; the
  benchmarks measure this against raw sqlite3 at the same setting.
- busy_timeout: a writer waits for the lock instead of failing with "database is locked".
- BEGIN IMMEDIATE for writes: a deferred transaction that reads then writes would fail with
  SQLITE_BUSY at once on upgrade, whatever the busy timeout.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, tzinfo
from pathlib import Path
from types import TracebackType
from typing import TypeVar

from sqlalchemy import Dialect, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError
from sqlmodel import Session

from tickets.audit.format import chain_link
from tickets.clock import Clock, SystemClock
from tickets.errors import StoreUnavailable
from tickets.i18n import _
from tickets.store.held import Held
from tickets.store.lite import (
    default_database_url_for,  # noqa: F401 - re-exported
    no_database_file,
)
from tickets.store.rawsql import Raw

DATABASE_URL_ENV = "DESKAPP_DATABASE_URL"
SQLITE_BUSY_TIMEOUT_MS = 30_000
T = TypeVar("T")
log = logging.getLogger("tickets.store")
# A library's logger: records go where the application sends them (deskapp.logs), never to
# Python's last-resort handler on standard error, which would add a second line to a CLI error.
log.addHandler(logging.NullHandler())


def user_data_dir() -> Path:
    """Where the default database lives: platformdirs' user data directory
    ($XDG_DATA_HOME/deskapp or ~/.local/share/deskapp on Linux)."""
    import platformdirs

    return platformdirs.user_data_path("deskapp")




def default_database_url() -> str:
    url = os.environ.get(DATABASE_URL_ENV)
    if url:
        return url
    return default_database_url_for(user_data_dir())


def normalise_url(url: str) -> str:
    """Accept plain `postgresql://` URLs and use psycopg 3 for them."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def sqlite_path(url: str) -> Path | None:
    """The file a SQLite URL names (None for other engines, memory and `file:` URIs)."""
    parsed = make_url(normalise_url(url))
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def require_database(url: str) -> None:
    """Refuse a SQLite path with no database file: a mistyped --db must not create one (nor
    its directories); `deskapp db upgrade` and the demo create theirs (Store.from_url(create=True))."""
    path = sqlite_path(url)
    if path is not None and not path.is_file():
        raise no_database_file(path)


def make_engine(url: str, *, pool_size: int = 5, password: str | None = None, create: bool = True,
                read_only: bool = False) -> Engine:
    """An engine for `url`. A PostgreSQL password comes from `password` (a secrets file) or from
    libpq's own password file (~/.pgpass, $PGPASSFILE), never from a command line. A SQLite
    file's directories are made only when `create`. `read_only`: nothing can be written through
    it, and it works on a read-only file or a WORM copy (`audit verify`)."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if read_only:
            return _make_sqlite_reader(url)
        return _make_sqlite_engine(url, create=create)
    if password is not None:
        parsed = parsed.set(password=password)
    engine = create_engine(
        parsed,
        pool_size=pool_size,
        max_overflow=pool_size,
        # Works through PgBouncer in transaction mode, where consecutive transactions may run on
        # different server connections: no server-side prepared statements (psycopg prepares a
        # query after 5 runs otherwise), and no session settings. Lock waits are still bounded,
        # so that the console can say so instead of hanging: by the role's own settings
        # (`deskapp db roles` sets lock_timeout and statement_timeout on the application role).
        # (Measured with them on, directly: no less CPU a write on either side.)
        connect_args={"prepare_threshold": None},
    )
    # A connection whose server went away (a killed backend, a restart) is replaced at checkout,
    # as pool_pre_ping would, but without its round trip (SELECT 1, and psycopg's BEGIN before
    # it) on every checkout: the server's goodbye is already in the socket.
    event.listen(engine, "checkout", _drop_if_gone)
    if read_only:
        # Each transaction read-only as it begins (what default_transaction_read_only does for a
        # session, but per transaction: behind PgBouncer in transaction mode no session setting
        # may be left on a server connection, nor passed at connect).
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("SET TRANSACTION READ ONLY"))
    return engine


def _gone(dbapi_connection) -> bool:
    """True if this idle pooled psycopg connection is closed or has anything to read: the pool's
    connections never LISTEN, so the server sends an idle one nothing but its goodbye (a FATAL
    message, then end of file) when the backend is killed or the server shuts down. A poll of
    the socket, no round trip; a connection with something unexpected to read is replaced too."""
    import select

    pgconn = getattr(dbapi_connection, "pgconn", None)
    if pgconn is None:
        return False
    if dbapi_connection.closed or dbapi_connection.broken or pgconn.status != 0:  # 0: CONNECTION_OK
        return True
    try:
        poll = select.poll()
        poll.register(pgconn.socket, select.POLLIN | select.POLLERR | select.POLLHUP)
        return bool(poll.poll(0))
    except Exception:
        return True


def _drop_if_gone(dbapi_connection, _record, _proxy) -> None:
    if _gone(dbapi_connection):
        raise DisconnectionError("the server closed the connection")


def _make_sqlite_engine(url: str, *, create: bool) -> Engine:
    path = sqlite_path(url)
    if path is not None and create:
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's own is always deferred).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()
        # the audit append links each event in SQL, as PostgreSQL does with sha256()
        # (tickets.audit.chain); deterministic, so SQLite may treat it as a pure function.
        dbapi_connection.create_function("deskapp_chain_link", 3, chain_link, deterministic=True)

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def _make_sqlite_reader(url: str) -> Engine:
    """A SQLite engine that cannot write (tickets.store.lite.connect_reader: `mode=ro`, or
    `immutable` for a WORM copy)."""
    from tickets.store.lite import connect_reader

    path = sqlite_path(url)
    if path is None:
        raise StoreUnavailable(_("a read-only store needs a SQLite database file"))
    require_database(url)
    engine = create_engine("sqlite://", creator=lambda: connect_reader(path))

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA query_only=ON")

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        conn.exec_driver_sql("BEGIN DEFERRED")

    return engine


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


# PostgreSQL SQLSTATEs worth retrying: serialization failure, deadlock.
_RETRYABLE_PG = {"40001", "40P01"}


def _is_retryable(error: DBAPIError) -> bool:
    code = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
    if code in _RETRYABLE_PG:
        return True
    return "database is locked" in str(error.orig).lower()


def _waited(error: BaseException | None, attempt: int, attempts: int) -> bool:
    """Whether `error` is worth another of `attempts` after `attempt` (a driver error that is
    retryable, _is_retryable), once the wait before it (10 ms, doubled each time) is slept."""
    if attempt + 1 < attempts and isinstance(error, DBAPIError) and _is_retryable(error):
        time.sleep(0.01 * (2**attempt))
        return True
    return False


class Store:
    """The engine and the clock, with the two kinds of session every operation uses."""

    def __init__(self, engine: Engine, clock: Clock | None = None, zone: tzinfo = UTC) -> None:
        self.engine = engine
        self.clock: Clock = clock or SystemClock()
        # The desk's time zone (its config's time_zone): the rules count days in it
        # (tickets.desk_time); every stored instant stays UTC.
        self.zone: tzinfo = zone
        # Where a change feed LISTENs (tickets.store.changes), if not the engine's own database:
        # behind PgBouncer in transaction mode it must reach PostgreSQL directly.
        self.listen_url: str | None = None
        self._write_engine = (
            engine.execution_options(sqlite_begin="IMMEDIATE") if is_sqlite(engine) else engine
        )
        # PostgreSQL: a connection kept in autocommit for the hot reads and function calls.
        self._held = Held(engine, _gone) if Held.wanted(engine) else None

    @classmethod
    def from_url(cls, url: str | None = None, clock: Clock | None = None, *, create: bool = False) -> Store:
        """The store at `url`; a SQLite file must exist unless `create` (db upgrade, the demo)."""
        url = url or default_database_url()
        if not create:
            require_database(url)
        return cls(make_engine(url, create=create), clock)

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; nothing it does is committed."""
        try:
            with Session(self.engine, expire_on_commit=False) as session:
                yield session
        except OperationalError as error:
            raise StoreUnavailable(unavailable_text(error, self.engine)) from error

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction: committed on a clean exit, rolled back on any error."""
        try:
            with Session(self._write_engine, expire_on_commit=False) as session:
                with session.begin():
                    yield session
        except OperationalError as error:
            raise StoreUnavailable(unavailable_text(error, self.engine)) from error

    def raw_write(self) -> AbstractContextManager[Raw]:
        """write() without a Session, on a pooled driver connection, for the hot paths (a
        Session's transaction cost more CPU than a filing's statements): BEGIN IMMEDIATE on
        SQLite, committed on a clean exit, rolled back on any error, the same errors raised."""
        return _Unavailable(Raw.transaction(self.engine), self.engine)

    def raw_read(self) -> AbstractContextManager[Raw]:
        """read() without a Session, on a pooled driver connection, for the hot reads:
        no BEGIN or ROLLBACK round trip on PostgreSQL (tickets.store.rawsql.Raw.reading), the same
        errors raised."""
        held = self._held  # PostgreSQL: no checkout, no autocommit switched on and off
        inner = _HeldRead(held, self.engine.dialect) if held is not None else Raw.reading(self.engine)
        return _Unavailable(inner, self.engine)

    def transaction(self, work: Callable[[Session], T], *, attempts: int = 5) -> T:
        """Run `work` in one write transaction, retrying deadlocks and serialisation failures."""
        return self._retrying(self.write, work, attempts)

    def raw_transaction(self, work: Callable[[Raw], T], *, attempts: int = 5) -> T:
        """transaction() on a raw_write(): `work` gets the driver's connection (tickets.store.rawsql),
        with the same retries. (_retrying(raw_write) in one loop, without its context manager
        around the transaction's: the same errors, logged and raised as they are there.)"""
        engine = self.engine
        for attempt in range(attempts):
            try:
                with Raw.transaction(engine) as raw:
                    return work(raw)
            except OperationalError as error:  # raw_write's StoreUnavailable, made (and logged) as it makes it
                unavailable = StoreUnavailable(unavailable_text(error, engine))
                if _waited(error, attempt, attempts):
                    continue
                raise unavailable from error
            except StoreUnavailable as error:  # the work's own, retried as _retrying does
                if _waited(error.__cause__, attempt, attempts):
                    continue
                raise
        raise AssertionError("unreachable")

    def autocommit(self, work: Callable[[Raw], T], *, attempts: int = 5) -> T:
        """`work` on a raw_read() connection (autocommit on PostgreSQL): for a write that is one
        statement, a function call of migration 0011 (tickets.store.calls), one round trip, with
        the same retries as a transaction's."""
        held = self._held
        if held is None:
            return self._retrying(self.raw_read, work, attempts)
        dialect = self.engine.dialect
        for attempt in range(attempts):  # _retrying(raw_read) without its two context managers
            try:
                fairy = held.take()
                try:
                    return work(Raw.autocommitting(fairy, dialect))
                finally:
                    held.give(fairy)
            except OperationalError as error:
                if _waited(error, attempt, attempts):
                    continue
                raise StoreUnavailable(unavailable_text(error, self.engine)) from error
        raise AssertionError("unreachable")

    @property
    def holds_connection(self) -> bool:
        """Whether raw_read() runs on a connection kept in autocommit (tickets.store.held)."""
        return self._held is not None

    @property
    def postgres(self) -> bool:
        """Whether writes go through the database's functions (tickets.store.calls)."""
        return self.engine.dialect.name == "postgresql"

    @staticmethod
    def _retrying(begin: Callable[[], AbstractContextManager], work: Callable, attempts: int):
        for attempt in range(attempts):
            try:
                with begin() as connection:
                    return work(connection)
            except StoreUnavailable as error:
                if _waited(error.__cause__, attempt, attempts):
                    continue
                raise
        raise AssertionError("unreachable")

    def dispose(self) -> None:
        if self._held is not None:
            self._held.close()
        self.engine.dispose()


class _HeldRead:
    """raw_read()'s scope on the connection a store keeps in autocommit (tickets.store.held):
    taken on entry, given back (or to the pool) on exit."""

    __slots__ = ("_held", "_dialect", "_fairy")

    def __init__(self, held: Held, dialect: Dialect) -> None:
        self._held, self._dialect = held, dialect

    def __enter__(self) -> Raw:
        self._fairy = self._held.take()
        return Raw.autocommitting(self._fairy, self._dialect)

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self._held.give(self._fairy)


class _Unavailable:
    """A raw connection's context manager whose OperationalError (the database busy, gone,
    read-only, its disk full) comes out as StoreUnavailable, as a session's does (a class, not
    a generator: on a hot read that cost as much CPU as the statement)."""

    __slots__ = ("_inner", "_engine")

    def __init__(self, inner: AbstractContextManager[Raw], engine: Engine) -> None:
        self._inner, self._engine = inner, engine

    def __enter__(self) -> Raw:
        try:
            return self._inner.__enter__()
        except OperationalError as error:
            raise StoreUnavailable(unavailable_text(error, self._engine)) from error

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        try:
            self._inner.__exit__(kind, error, tb)
        except OperationalError as failed:
            raise StoreUnavailable(unavailable_text(failed, self._engine)) from failed
        if isinstance(error, OperationalError):
            raise StoreUnavailable(unavailable_text(error, self._engine)) from error


_DISK_FULL_PG = "53100"  # disk_full
_LOW_SPACE = 1 << 20  # bytes: below this, SQLite's "disk I/O error" is a full disk


def _disk_full(error: DBAPIError, text: str, url: str | None) -> bool:
    lowered = text.lower()
    if (
        "disk is full" in lowered
        or "no space left" in lowered
        or getattr(error.orig, "sqlstate", None) == _DISK_FULL_PG
    ):
        return True
    path = sqlite_path(url) if url else None
    if "disk i/o error" in lowered and path is not None:
        try:
            stats = os.statvfs(path.parent)
        except OSError:
            return False
        return stats.f_bavail * stats.f_frsize < _LOW_SPACE
    return False


def unavailable_text(error: DBAPIError, engine: Engine | str | None = None) -> str:
    """One line for a database error the user can act on: busy, disk full, unreachable.
    `engine` (or its URL) tells where a SQLite file is, to tell a full disk from other I/O errors."""
    url = engine.url.render_as_string(hide_password=False) if isinstance(engine, Engine) else engine
    text = str(error.orig).strip().splitlines()[0] if error.orig else type(error).__name__
    # The driver's first line only (never the statement or its parameters): deskapp's log.
    log.error("store error: %s: %s", type(error.orig or error).__name__, text)
    if "locked" in text.lower() or "lock timeout" in text.lower():
        return _("the database is busy (waited for a lock and gave up): {reason}. Try again.").format(reason=text)
    if _disk_full(error, text, url):
        return _("the disk is full: nothing was written; free some space on the database's disk and try again")
    return _("the database cannot be reached: {reason}").format(reason=text)
