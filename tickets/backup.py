"""Backups: SQLite's online backup API (consistent while agents keep working); for
PostgreSQL, pg_dump/pg_restore are the right tools and deskapp says so."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tickets.audit.chain import verify_chain
from tickets.errors import InvalidInput, NotAllowed
from tickets.i18n import N_, _, ngettext, number
from tickets.store.database import Store, is_sqlite, make_engine
from tickets.store.schema import check_schema

PG_ADVICE = N_(  # shown: _(PG_ADVICE)
    "PostgreSQL databases are backed up with the server's own tools: "
    "`pg_dump --format=custom --file deskapp.dump DBNAME` and restored with "
    "`pg_restore --clean --dbname DBNAME deskapp.dump`; then run `deskapp audit verify`."
)


def _sqlite_path(store: Store) -> Path:
    if not is_sqlite(store.engine):
        raise NotAllowed(_(PG_ADVICE))
    database = store.engine.url.database
    if not database or database == ":memory:":
        raise NotAllowed(_("an in-memory database has nothing to back up"))
    return Path(database)


def _verify_file(path: Path) -> str:
    """Integrity check, schema check and audit chain of a database file; raises if bad."""
    try:
        with sqlite3.connect(path) as connection:
            result = connection.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.DatabaseError as error:  # not a database, truncated, encrypted ...
        raise InvalidInput(_("{path}: not a deskapp database backup ({error})").format(
            path=path, error=error)) from None
    if result != "ok":
        raise InvalidInput(_("{path}: SQLite integrity check failed: {result}").format(path=path, result=result))
    probe = Store(make_engine(f"sqlite:///{path}"))
    try:
        check_schema(probe.engine)
        with probe.read() as session:
            report = verify_chain(session)
    finally:
        probe.dispose()
    if not report.ok:
        raise InvalidInput(f"{path}: {report}")
    return ngettext("{count} audit event verified", "{count} audit events verified",
                    report.events_checked).format(count=number(report.events_checked))


def backup(store: Store, target: Path) -> str:
    source_path = _sqlite_path(store)
    if target.exists():
        raise InvalidInput(_("{target}: already exists; choose a new file name").format(target=target))
    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(source_path) as source, sqlite3.connect(target) as dest:
        source.backup(dest)
    with sqlite3.connect(target) as dest:
        dest.execute("PRAGMA journal_mode=DELETE")  # a self-contained single file
    checked = _verify_file(target)
    return _("backed up {source} to {target} ({checked})").format(source=source_path, target=target, checked=checked)


def restore(store: Store, source: Path) -> str:
    """Replace the store's database with a verified backup (agents should be signed out)."""
    target_path = _sqlite_path(store)
    if not source.is_file():
        raise InvalidInput(_("{source}: no such backup file").format(source=source))
    checked = _verify_file(source)
    store.dispose()
    with sqlite3.connect(source) as src, sqlite3.connect(target_path) as dest:
        src.backup(dest)
    return _("restored {target} from {source} ({checked})").format(target=target_path, source=source, checked=checked)
