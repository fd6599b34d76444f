"""Where `audit verify` reads (A-1): a plain sqlite3 connection (the command on a SQLite file:
no SQLAlchemy loaded) or a session's own driver connection (PostgreSQL, and callers holding a
Session). Both read every statement in one snapshot, rows as plain tuples in column order.

Long reads are streamed: on sqlite3 one statement on its own cursor, read a slice at a time;
through a session in keyset pages (`:after`, `:limit`), as the session's driver holds a whole
result otherwise.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from tickets.store.sqltext import Sql

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy.orm import Session

SLICE = 500  # rows a fetch on sqlite3: about a MB held at most
PAGE = 5_000  # rows a keyset page through a session


class Reader(Protocol):
    """What verify reads through: LiteReader (sqlite3) and StoreReader (a Store's session)."""

    dialect: str

    def stream(self, sql: Sql, params: Mapping[str, Any] | None = None, *, key: int = 0) -> Iterator[tuple]:
        """The rows of a statement paged by `:after` / `:limit` on its column `key`, in order."""
        ...

    def first(self, sql: Sql, params: Mapping[str, Any] | None = None) -> tuple | None: ...

    def all(self, sql: Sql, params: Mapping[str, Any] | None = None) -> list[tuple]: ...


class LiteReader(Reader):
    """A sqlite3 connection in autocommit (tickets.store.lite.connect_reader); `snapshot()`
    holds one read transaction around the whole verification."""

    dialect = "sqlite"

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    def stream(self, sql: Sql, params: Mapping[str, Any] | None = None, *, key: int = 0) -> Iterator[tuple]:
        cursor = self.connection.execute(sql.text, {**(params or {}), "after": -(1 << 62), "limit": -1})
        try:
            while rows := cursor.fetchmany(SLICE):
                yield from rows
        finally:
            cursor.close()

    def first(self, sql: Sql, params: Mapping[str, Any] | None = None) -> tuple | None:
        return self.connection.execute(sql.text, params or {}).fetchone()

    def all(self, sql: Sql, params: Mapping[str, Any] | None = None) -> list[tuple]:
        return self.connection.execute(sql.text, params or {}).fetchall()


class SessionReader(Reader):
    """A session's driver connection (tickets.store.rawsql), in the session's transaction."""

    def __init__(self, session: Session) -> None:
        from tickets.store import rawsql

        self.raw = rawsql.Raw(session)
        self.dialect = self.raw.dialect

    def stream(self, sql: Sql, params: Mapping[str, Any] | None = None, *, key: int = 0) -> Iterator[tuple]:
        after: Any = -(1 << 62)
        while rows := self.raw.rows(sql, {**(params or {}), "after": after, "limit": PAGE}):
            yield from rows
            after = rows[-1][key]

    def first(self, sql: Sql, params: Mapping[str, Any] | None = None) -> tuple | None:
        return self.raw.first(sql, params)

    def all(self, sql: Sql, params: Mapping[str, Any] | None = None) -> list[tuple]:
        return self.raw.rows(sql, params)
