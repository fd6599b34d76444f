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

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import Session

from tickets.clock import Clock, SystemClock
from tickets.errors import StoreUnavailable

DATABASE_URL_ENV = "DESKAPP_DATABASE_URL"
SQLITE_BUSY_TIMEOUT_MS = 30_000
T = TypeVar("T")


def user_data_dir() -> Path:
    """Where the default database lives: $XDG_DATA_HOME/deskapp or ~/.local/share/deskapp."""
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "deskapp"


def default_database_url() -> str:
    url = os.environ.get(DATABASE_URL_ENV)
    if url:
        return url
    return f"sqlite:///{user_data_dir() / 'deskapp.db'}"


def normalise_url(url: str) -> str:
    """Accept plain `postgresql://` URLs and use psycopg 3 for them."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str, *, pool_size: int = 5) -> Engine:
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _make_sqlite_engine(url)
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        # Works through PgBouncer in transaction mode, where consecutive transactions may run on
        # different server connections: no server-side prepared statements (psycopg prepares a
        # query after 5 runs otherwise), and no session settings. Lock waits are still bounded,
        # so that the console can say so instead of hanging: by the role's own settings
        # (`deskapp db roles` sets lock_timeout and statement_timeout on the application role).
        connect_args={"prepare_threshold": None},
    )


def _make_sqlite_engine(url: str) -> Engine:
    parsed = make_url(url)
    database = parsed.database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)
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

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

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


class Store:
    """The engine and the clock, with the two kinds of session every operation uses."""

    def __init__(self, engine: Engine, clock: Clock | None = None) -> None:
        self.engine = engine
        self.clock: Clock = clock or SystemClock()
        self._write_engine = (
            engine.execution_options(sqlite_begin="IMMEDIATE") if is_sqlite(engine) else engine
        )

    @classmethod
    def from_url(cls, url: str | None = None, clock: Clock | None = None) -> Store:
        return cls(make_engine(url or default_database_url()), clock)

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
            raise StoreUnavailable(_unavailable_text(error)) from error

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction: committed on a clean exit, rolled back on any error."""
        try:
            with Session(self._write_engine, expire_on_commit=False) as session:
                with session.begin():
                    yield session
        except OperationalError as error:
            raise StoreUnavailable(_unavailable_text(error)) from error

    def transaction(self, work: Callable[[Session], T], *, attempts: int = 5) -> T:
        """Run `work` in one write transaction, retrying deadlocks and serialisation failures."""
        for attempt in range(attempts):
            try:
                with self.write() as session:
                    return work(session)
            except StoreUnavailable as error:
                cause = error.__cause__
                if attempt + 1 < attempts and isinstance(cause, DBAPIError) and _is_retryable(cause):
                    time.sleep(0.01 * (2**attempt))
                    continue
                raise
        raise AssertionError("unreachable")

    def dispose(self) -> None:
        self.engine.dispose()


def _unavailable_text(error: OperationalError) -> str:
    text = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
    if "locked" in text.lower() or "lock timeout" in text.lower():
        return f"the database is busy (waited for a lock and gave up): {text}. Try again."
    return f"the database cannot be reached: {text}"
