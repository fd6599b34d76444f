"""Prebuilt SQL on the driver's own connection, for the hot paths (issue 12).

SQLAlchemy rebuilds statements, cache keys and result rows on every call; on a filing that
is most of the CPU, not the database. A hot path instead writes its SQL once as text with
`:name` parameters; `Sql` turns it into the driver's own parameter style once per dialect
(sqlite3 takes `:name` as it is, psycopg wants `%(name)s`) and runs it on the DBAPI cursor of
the session's connection, so it shares the session's transaction, retries and commit.

Values crossing this boundary are the driver's: the converters below store datetimes and JSON
exactly as the SQLModel columns do (`tickets.types.UTCDateTime`, SQLAlchemy's JSON type), so
rows written here and rows written through the models read back the same either way.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


class Sql:
    """One statement, written once with `:name` parameters."""

    __slots__ = ("text", "_pyformat")

    def __init__(self, text: str) -> None:
        self.text = text
        # psycopg's pyformat: a literal % doubles, each :name becomes %(name)s.
        self._pyformat = _NAMED.sub(r"%(\1)s", text.replace("%", "%%"))

    def for_dialect(self, dialect: str) -> str:
        return self.text if dialect == "sqlite" else self._pyformat


def cursor(session: Session):
    """The DBAPI cursor of the session's connection (its transaction begun, as the session's
    own statements would begin it) and the dialect's name."""
    connection = session.connection()
    return connection.connection.cursor(), connection.dialect.name


def rows(session: Session, sql: Sql, params: Mapping[str, Any] | None = None) -> list[tuple]:
    cur, dialect = cursor(session)
    try:
        cur.execute(sql.for_dialect(dialect), params or {})
        return cur.fetchall()
    finally:
        cur.close()


def first(session: Session, sql: Sql, params: Mapping[str, Any] | None = None) -> tuple | None:
    found = rows(session, sql, params)
    return found[0] if found else None


def execute(session: Session, sql: Sql, params: Mapping[str, Any] | None = None) -> int:
    """Run one statement; the number of rows it touched."""
    cur, dialect = cursor(session)
    try:
        cur.execute(sql.for_dialect(dialect), params or {})
        return cur.rowcount
    finally:
        cur.close()


def execute_many(session: Session, sql: Sql, params: Sequence[Mapping[str, Any]] | Iterable[Mapping[str, Any]]) -> None:
    cur, dialect = cursor(session)
    try:
        cur.executemany(sql.for_dialect(dialect), list(params))
    finally:
        cur.close()


# --- values, stored as the SQLModel columns store them ---------------------------------------

def bind_time(value: datetime | None, dialect: str) -> datetime | str | None:
    """An aware datetime as `UTCDateTime` binds it: SQLite keeps SQLAlchemy's text form in UTC,
    PostgreSQL a timestamptz."""
    if value is None:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value!r}: deskapp stores aware UTC datetimes only")
    value = value.astimezone(UTC)
    if dialect == "sqlite":
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


def read_time(value: datetime | str | None) -> datetime | None:
    """A stored datetime back as an aware UTC one, from either engine."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def bind_json(value: Any) -> str:
    """JSON as SQLAlchemy's JSON type serialises it (json.dumps, default separators)."""
    return json.dumps(value)


def read_json(value: Any) -> Any:
    """psycopg decodes json columns itself; sqlite3 hands back the text."""
    return json.loads(value) if isinstance(value, str | bytes) else value
