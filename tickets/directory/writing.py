"""Writing an import's rows with prebuilt SQL on the session's connection.

The ORM built an object per row, tracked it and flushed it one statement at a time: most of an
import's time. Here a table's new rows go in with one executemany and its changed rows with
another, values bound as the SQLModel columns bind them (`tickets.store.rawsql`), in the import's
transaction. What changed is decided as before: a row found by its key whose values differ.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy.orm import Session

from tickets.store import rawsql

_IN_CHUNK = 500  # values per IN (...) list: well under every engine's parameter limit
_SQL: dict[str, rawsql.Sql] = {}


def _sql(text: str) -> rawsql.Sql:
    found = _SQL.get(text)
    if found is None:
        found = _SQL[text] = rawsql.Sql(text)
    return found


def _sqlite_time(value: datetime, dialect: str) -> str:
    """`rawsql.bind_time` for SQLite, as SQLAlchemy's SQLite DATETIME writes it (the year in
    four digits), with isoformat rather than strftime: the import binds thousands of them."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value!r}: deskapp stores aware UTC datetimes only")
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


class Rows:
    """The new and the changed rows of one table, written by `write`."""

    def __init__(self, table: str, *, json: Iterable[str] = (), times: Iterable[str] = ()) -> None:
        self.table = table
        self.json, self.times = frozenset(json), frozenset(times)
        self.new: list[dict[str, Any]] = []
        self.changed: list[dict[str, Any]] = []

    def upsert(self, found: Any | None, keys: dict[str, Any], values: dict[str, Any],
               touched: dict[str, Any] | None = None) -> bool:
        """A new row of `keys` and `values`, or `found` (a model) updated to `values` (and
        `touched`, e.g. its update time) if any differs. True if the row is new or changed."""
        if found is None:
            self.new.append({**keys, **values, **(touched or {})})
            return True
        if all(getattr(found, name) == value for name, value in values.items()):
            return False
        self.changed.append({"id": found.id, **values, **(touched or {})})
        return True

    def _bound(self, rows: list[dict[str, Any]], dialect: str) -> list[dict[str, Any]]:
        """The rows with their JSON and date-time values as the driver takes them (in place)."""
        json_columns = [name for name in rows[0] if name in self.json]
        time_columns = [name for name in rows[0] if name in self.times]
        bind_json = rawsql.bind_json
        bind_time = _sqlite_time if dialect == "sqlite" else rawsql.bind_time
        for row in rows:
            for name in json_columns:
                row[name] = bind_json(row[name])
            for name in time_columns:
                value = row[name]
                if value is not None:
                    row[name] = bind_time(value, dialect)
        return rows

    def write(self, session: Session) -> None:
        dialect = session.connection().dialect.name
        if self.new:
            columns = list(self.new[0])
            statement = _sql(f"INSERT INTO {self.table} ({', '.join(columns)}) "
                             f"VALUES ({', '.join(':' + c for c in columns)})")
            rawsql.execute_many(session, statement, self._bound(self.new, dialect))
        if self.changed:
            columns = [c for c in self.changed[0] if c != "id"]
            statement = _sql(f"UPDATE {self.table} SET {', '.join(f'{c} = :{c}' for c in columns)} WHERE id = :id")
            rawsql.execute_many(session, statement, self._bound(self.changed, dialect))


def ids_by(session: Session, table: str, column: str, values: Iterable[str]) -> dict[str, int]:
    """The ids of the rows of `table` whose `column` is among `values` (new rows, after `write`)."""
    values = list(values)
    found: dict[str, int] = {}
    for start in range(0, len(values), _IN_CHUNK):
        chunk = values[start : start + _IN_CHUNK]
        params = {f"v{n}": value for n, value in enumerate(chunk)}
        statement = _sql(f"SELECT {column}, id FROM {table} WHERE {column} IN ({', '.join(':' + p for p in params)})")
        found.update((getattr(row, column), row.id) for row in rawsql.rows(session, statement, params))
    return found


def _reader(model: type[Any]) -> tuple[list[str], Any]:
    """The columns of `model`'s table and a function turning a driver row into an object with
    those attributes, typed as the model reads them (JSON decoded, date-times aware UTC)."""
    from sqlalchemy import JSON, Boolean

    from tickets.store.types import UTCDateTime

    columns = list(model.__table__.columns)
    readers = [rawsql.read_json if isinstance(c.type, JSON) else rawsql.read_time if isinstance(c.type, UTCDateTime)
               else _bool if isinstance(c.type, Boolean) else None for c in columns]
    names = [c.name for c in columns]

    def read(row: Any) -> SimpleNamespace:
        values = ((name, reader, getattr(row, name)) for name, reader in zip(names, readers, strict=True))
        return SimpleNamespace(**{name: value if reader is None or value is None else reader(value)
                                  for name, reader, value in values})

    return names, read


def _bool(value: Any) -> bool:
    return bool(value)


def fetch(session: Session, model: type[Any], column: str, values: Iterable[Any],
          parent: tuple[str, str] | None = None) -> list[tuple[SimpleNamespace, str | None]]:
    """The rows of `model` whose `column` is among `values`, each with the ref of its parent row
    when `parent` (its table, the foreign key column) is given: (row, parent ref or None)."""
    names, read = _reader(model)
    table = model.__tablename__
    chosen = ", ".join(f"t.{name}" for name in names)
    join = ""
    if parent is not None:
        chosen += ", p.ref AS parent_ref"
        join = f" JOIN {parent[0]} p ON p.id = t.{parent[1]}"
    values = list(values)
    found: list[tuple[SimpleNamespace, str | None]] = []
    for start in range(0, len(values), _IN_CHUNK):
        params = {f"v{n}": value for n, value in enumerate(values[start : start + _IN_CHUNK])}
        statement = _sql(f"SELECT {chosen} FROM {table} t{join} WHERE t.{column} IN "
                         f"({', '.join(':' + p for p in params)})")
        found.extend(
            (read(row), row.parent_ref if parent else None) for row in rawsql.rows(session, statement, params)
        )
    return found
