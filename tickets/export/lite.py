"""`deskapp export` of masked records from a SQLite file, on the standard library's sqlite3 alone.

The same export as tickets.export.run.write_export with a Store (the same lines, from
tickets.export.sql, and the same audit: export.started committed before the first record,
export.created after the last, export.failed when writing stops part-way, A-1), without loading
SQLAlchemy, the ORM models or Alembic: their imports cost the command more CPU than the sqlite3
shell needs to export 50,000 tickets. SQLAlchemy loads only for a batch holding a row the Python
code writes whole (tickets.export.sql) or to word a database error. Unmasked exports (a signed-in
supervisor, E-1) and PostgreSQL go through the Store.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from tickets.audit import lite as audit
from tickets.audit.anchor import Anchor
from tickets.clock import Clock, SystemClock
from tickets.export.fields import ANONYMOUS_ACTOR, BATCH_SIZE, ExportFilter, Format, audit_details
from tickets.export.sql import _PEOPLE, python_rows, write_lines
from tickets.store import revision
from tickets.store.lite import connect, sqlite_file, sqlite_time, transaction

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy import Engine  # loaded only when the export needs SQLAlchemy

__all__ = ["export_file", "sqlite_file"]


class _Batch:
    def __init__(self, source: _Source) -> None:
        self.source = source

    def rows(self, sql: str, params: dict[str, Any]) -> list[tuple]:
        return self.source.connection.execute(sql, params).fetchall()

    def people(self, ids_json: str) -> Iterable[tuple]:
        return self.source.connection.execute(_PEOPLE, (ids_json,))

    def python_rows(self, filt: ExportFilter, ids: list[int]) -> dict[int, tuple]:
        # SQLAlchemy on this very connection, so that these rows come from the batch's snapshot
        # (read last: closing its connection may end the read transaction).
        with self.source.engine().connect() as connection:
            return python_rows(connection, filt, ids)


class _Source:
    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self.connection, self.path = connection, path
        self._engine: Engine | None = None

    def engine(self) -> Engine:
        if self._engine is None:
            from sqlalchemy import create_engine
            from sqlalchemy.pool import StaticPool

            self._engine = create_engine("sqlite://", creator=lambda: self.connection, poolclass=StaticPool,
                                         pool_reset_on_return=None)
        return self._engine

    def start_after(self, filt: ExportFilter) -> int | None:
        """As tickets.export.records.start_after: with --since, the first ticket created since then."""
        if filt.since is None:
            return 0
        with transaction(self.connection, self.path) as connection:
            (first,) = connection.execute("SELECT min(id) FROM ticket WHERE created_at >= ?",
                                          (sqlite_time(filt.since),)).fetchone()
        return None if first is None else first - 1

    @contextmanager
    def batch(self) -> Iterator[_Batch]:
        with transaction(self.connection, self.path):
            yield _Batch(self)


def _append(connection: sqlite3.Connection, path: Path, clock: Clock, action: str, details: dict[str, Any]) -> Anchor:
    with transaction(connection, path, write=True):
        return audit.append_event(connection, at=clock.now(), actor=ANONYMOUS_ACTOR, action=action,
                                  subject="export", details=details)


def export_file(
    path: Path,
    out: TextIO,
    *,
    fmt: Format,
    filt: ExportFilter | None = None,
    clock: Clock | None = None,
    progress: Callable[[int], None] | None = None,
    started: Callable[[Anchor], None] | None = None,
    batch_size: int = BATCH_SIZE,
) -> int:
    """The masked export of the SQLite database at `path` to `out`, audited as write_export
    audits it; returns the number of records. The schema is checked first (without Alembic)."""
    filt = filt or ExportFilter()
    clock = clock or SystemClock()
    connection = connect(path)
    try:
        audit.register(connection)
        with transaction(connection, path):
            current = revision.read_current(connection.cursor(), "sqlite")
        revision.check(current, f"sqlite:///{path}")
        details = audit_details(fmt, filt, masked=True, by=ANONYMOUS_ACTOR, agent_role=None)
        anchor = _append(connection, path, clock, "export.started", details)
        details["anchor"] = str(anchor)
        tally = [0]
        try:
            if started is not None:
                started(anchor)
            rows = write_lines(_Source(connection, path), out, fmt=fmt, filt=filt, tally=tally, progress=progress,
                               batch_size=batch_size)
        except BaseException as error:
            try:
                _append(connection, path, clock, "export.failed",
                        {**details, "rows": tally[0], "error": type(error).__name__})
            except Exception:  # noqa: BLE001 - best effort, as write_export's; the first error is raised
                pass
            raise
        _append(connection, path, clock, "export.created", {**details, "rows": rows})
        return rows
    finally:
        connection.close()
