"""SQLite through the standard library's sqlite3 alone, for commands whose work is a few plain
statements (`deskapp export` on SQLite): importing SQLAlchemy costs more CPU (about 0.25 s) than
exporting 50,000 tickets takes the sqlite3 shell. The same settings as tickets.store.database's
engine: WAL, synchronous=FULL, foreign keys, a busy timeout, BEGIN IMMEDIATE for writes."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from tickets.errors import StoreUnavailable
from tickets.i18n import _

SQLITE_BUSY_TIMEOUT_MS = 30_000  # as tickets.store.database
DATABASE_URL_ENV = "DESKAPP_DATABASE_URL"
_PREFIXES = ("sqlite:///", "sqlite+pysqlite:///")


def sqlite_file(url: str) -> Path | None:
    """The file of a plain `sqlite:///PATH` URL as SQLAlchemy reads it; None for anything this
    module leaves to the full store (other engines, memory, URI names, options, escapes)."""
    for prefix in _PREFIXES:
        if url.startswith(prefix):
            rest = url[len(prefix):]
            if not rest or rest == ":memory:" or rest.startswith("file:") or any(c in rest for c in "?%#"):
                return None
            return Path(rest)
    return None


def default_database_url_for(directory: Path) -> str:
    """The default database: deskapp.db in the user's data directory."""
    return f"sqlite:///{directory / 'deskapp.db'}"


def sqlite_time(value: datetime) -> str:
    """An aware datetime as SQLite stores it (`UTCDateTime`'s text, in UTC)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value!r}: deskapp stores aware UTC datetimes only")
    # isoformat pads the year to 4 digits as SQLAlchemy does (strftime writes 999-...).
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def unavailable(error: sqlite3.Error, path: Path) -> StoreUnavailable:
    """The store's one line for a driver error (busy, disk full, unreadable), as
    tickets.store.database says it; SQLAlchemy is loaded for it only on this error path."""
    from sqlalchemy.exc import OperationalError

    from tickets.store.database import unavailable_text

    return StoreUnavailable(unavailable_text(OperationalError(None, None, error), f"sqlite:///{path}"))


def no_database_file(path: Path) -> StoreUnavailable:
    """A mistyped --db creates nothing: the refusal says where it looked and what to do."""
    return StoreUnavailable(
        _("there is no database file at {path}: check --db or ${variable}, "
          "or run `deskapp db upgrade` to create one there").format(path=path, variable=DATABASE_URL_ENV)
    )


def connect(path: Path) -> sqlite3.Connection:
    """A connection to an existing database file (a mistyped path creates nothing)."""
    if not path.is_file():
        raise no_database_file(path)
    try:
        connection = sqlite3.connect(path, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                                     check_same_thread=False)
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON",
                       f"busy_timeout={SQLITE_BUSY_TIMEOUT_MS}"):
            connection.execute(f"PRAGMA {pragma}")
    except sqlite3.Error as error:
        raise unavailable(error, path) from error
    return connection


def connect_reader(path: Path) -> sqlite3.Connection:
    """A connection that cannot write (`audit verify`): the file opened with `mode=ro` (a live
    desk: its WAL read too, written by others meanwhile), or as `immutable` when it is a read-only
    file with no WAL beside it (a WORM copy: it cannot change under the reader, and `mode=ro` would
    still create a WAL index beside it, or fail where it cannot). Autocommit; query_only."""
    import os
    import stat
    from urllib.parse import quote

    if not path.is_file():
        raise no_database_file(path)
    target = quote(str(path.resolve()))
    frozen = not (path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)) or not os.access(path, os.W_OK)
    worm = frozen and not path.with_name(path.name + "-wal").exists()
    for mode in ("immutable=1",) if worm else ("mode=ro", "immutable=1"):
        connection = sqlite3.connect(f"file:{target}?{mode}", uri=True, check_same_thread=False,
                                     timeout=SQLITE_BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        try:
            connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
            connection.execute("PRAGMA query_only=ON")
            return connection
        except sqlite3.OperationalError:
            connection.close()
    raise StoreUnavailable(_("cannot read the database file at {path}").format(path=path))


@contextmanager
def transaction(connection: sqlite3.Connection, path: Path, *, write: bool = False) -> Iterator[sqlite3.Connection]:
    """One transaction (BEGIN IMMEDIATE to write: a deferred one would fail at once on upgrade):
    committed on a clean exit, rolled back on any error; driver errors as StoreUnavailable."""
    try:
        connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        try:
            yield connection
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise
        if connection.in_transaction:
            connection.execute("COMMIT" if write else "ROLLBACK")
    except sqlite3.Error as error:
        raise unavailable(error, path) from error
