"""Has the desk's data changed since I last looked? A cheap answer for live screens.

The review queue and the dashboard refresh themselves when someone files or decides a ticket,
starts a call or fails a verification, without a key pressed (live queues):

- PostgreSQL: the triggers of migration 0006 send `NOTIFY deskapp_changed` from the writing
  transaction (delivered at its commit, never for a rolled-back one); a feed LISTENs on its own
  connection. LISTEN needs a session, so through PgBouncer in transaction mode the feed must
  reach PostgreSQL directly: the store's `listen_url` names that URL (the console's
  `listen_database` setting, or `DESKAPP_LISTEN_URL`; default: the store's own).
- SQLite: `PRAGMA data_version` on the feed's own connection changes whenever another
  connection (any process) commits; reading it is a few microseconds, so it is polled.

A token is an opaque integer: `token()` now, `wait(since, timeout)` returns as soon as the
token differs from `since` (or at the timeout, with the same token).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from typing import Protocol

from sqlalchemy.engine import make_url

CHANNEL = "deskapp_changed"
SQLITE_POLL_S = 0.2


class ChangeFeed(Protocol):
    def token(self) -> int: ...

    def wait(self, since: int, timeout: float) -> int: ...

    def close(self) -> None: ...


class SqliteChangeFeed:
    """PRAGMA data_version on a connection of its own (it never writes, so every change it sees
    was committed by another connection)."""

    def __init__(self, database: str, poll: float = SQLITE_POLL_S) -> None:
        self._poll = poll
        self._lock = threading.Lock()
        self._connection = sqlite3.connect(database, check_same_thread=False, isolation_level=None)

    def token(self) -> int:
        with self._lock:
            return int(self._connection.execute("PRAGMA data_version").fetchone()[0])

    def wait(self, since: int, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        while True:
            now = self.token()
            left = deadline - time.monotonic()
            if now != since or left <= 0:
                return now
            time.sleep(min(self._poll, left))

    def close(self) -> None:
        with self._lock:
            self._connection.close()


class PostgresChangeFeed:
    """LISTEN deskapp_changed on an autocommit connection; the token counts notifications."""

    def __init__(self, url: str) -> None:
        import psycopg

        self._connection = psycopg.connect(_libpq_url(url), autocommit=True, prepare_threshold=None)
        self._connection.execute(f"LISTEN {CHANNEL}")
        self._lock = threading.Lock()
        self._count = 0

    def token(self) -> int:
        self._drain(0)
        return self._count

    def wait(self, since: int, timeout: float) -> int:
        if self._count == since:
            self._drain(timeout)
        return self._count

    def _drain(self, timeout: float) -> None:
        with self._lock:
            # Wait up to `timeout` for the first notification, then take whatever else is queued.
            for _ in self._connection.notifies(timeout=timeout, stop_after=1):
                self._count += 1
            for _ in self._connection.notifies(timeout=0):
                self._count += 1

    def close(self) -> None:
        self._connection.close()


def _libpq_url(url: str) -> str:
    """A URL psycopg accepts: without SQLAlchemy's `+psycopg` driver suffix."""
    scheme, rest = url.split("://", 1)
    return "postgresql://" + rest if scheme.startswith("postgres") else url


def open_feed(store_url: str) -> ChangeFeed:
    """The feed for the database at `store_url` (a store's URL, password included)."""
    parsed = make_url(store_url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if not database or database == ":memory:":
            raise ValueError("a change feed needs a SQLite file, not an in-memory database")
        return SqliteChangeFeed(database)
    return PostgresChangeFeed(store_url)


def feed_for(store) -> ChangeFeed:
    """The feed for a tickets.store.database.Store: on its `listen_url` if set (the console's
    `listen_database` setting), else on its own database."""
    return open_feed(store.listen_url or store.engine.url.render_as_string(hide_password=False))
