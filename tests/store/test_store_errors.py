"""Clear one-line errors: a schema from a newer deskapp, no database file at the path
given (nothing created), a full disk."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from deskapp.cli import main
from tickets.store.database import Store, unavailable_text


def _url(store) -> str:
    return store.engine.url.render_as_string(hide_password=False)


def _one_line(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    return err


def test_a_schema_from_a_newer_deskapp_says_install_it(store, capsys):
    from tickets.store.schema import head_revision

    with store.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    try:
        for command in (["agents", "list"], ["db", "upgrade"], ["audit", "verify"]):
            assert main([*command, "--db", _url(store)]) == 1
            err = _one_line(capsys)
            assert "upgraded by a newer deskapp (schema 0099" in err and "install" in err, err
            assert "run `deskapp db upgrade`" not in err
        assert main(["db", "current", "--db", _url(store)]) == 1
        assert "upgraded by a newer deskapp: install it" in capsys.readouterr().out
    finally:  # the PostgreSQL test database is shared by the session: put its revision back
        with store.engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head_revision()})


def test_no_database_file_creates_nothing(tmp_path, capsys):
    missing = tmp_path / "typo" / "deep" / "desk.db"
    url = f"sqlite:///{missing}"
    for command in (["agents", "list"], ["audit", "verify"], ["audit", "head"], ["db", "current"],
                    ["export", "--format", "csv"], ["db", "backup", str(tmp_path / "b.db")]):
        assert main([*command, "--db", url]) == 1, command
        err = _one_line(capsys)
        assert f"there is no database file at {missing}" in err and "run `deskapp db upgrade`" in err
    assert not (tmp_path / "typo").exists()
    assert main(["db", "upgrade", "--db", url]) == 0  # the one command that creates
    assert missing.is_file()


def test_the_console_creates_nothing_either(tmp_path):
    with pytest.raises(Exception, match="there is no database file"):
        Store.from_url(f"sqlite:///{tmp_path / 'nope' / 'desk.db'}")
    assert not (tmp_path / "nope").exists()


def test_a_full_disk_says_so(tmp_path, monkeypatch):
    store = Store.from_url(f"sqlite:///{tmp_path / 'd.db'}", create=True)
    full = OperationalError("INSERT", {}, sqlite3.OperationalError("database or disk is full"))
    assert unavailable_text(full, store.engine).startswith("the disk is full")
    # SQLite in WAL mode may say only "disk I/O error": the free space tells.
    io_error = OperationalError("COMMIT", {}, sqlite3.OperationalError("disk I/O error"))
    assert unavailable_text(io_error, store.engine).startswith("the database cannot be reached")

    class NoSpace:
        f_bavail, f_frsize = 0, 4096

    monkeypatch.setattr("os.statvfs", lambda path: NoSpace())
    assert unavailable_text(io_error, store.engine).startswith("the disk is full")
    store.dispose()


@pytest.mark.parametrize("transaction", ["session", "raw"])
def test_a_full_database_file_says_the_disk_is_full(tmp_path, transaction):
    """A real SQLITE_FULL: the file may not grow (max_page_count), as on a full disk; in a
    session's transaction and in a raw one (Store.raw_transaction, the hot paths)."""
    from sqlalchemy import event

    from tickets.audit.chain import append_event
    from tickets.errors import StoreUnavailable
    from tickets.store.schema import upgrade

    store = Store.from_url(f"sqlite:///{tmp_path / 'full.db'}", create=True)
    upgrade(store.engine)
    with store.engine.connect() as connection:
        pages = connection.exec_driver_sql("PRAGMA page_count").scalar_one()
    store.engine.dispose()

    @event.listens_for(store.engine, "connect")
    def _no_growth(dbapi_connection, _record):
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages + 2}")

    with pytest.raises(StoreUnavailable, match="^the disk is full: nothing was written"):
        for n in range(100):
            if transaction == "raw":
                store.raw_transaction(lambda raw, n=n: append_event(
                    raw, at=store.clock.now(), actor="test", action="note", subject=f"thing:{n}",
                    details={"text": "x" * 4000}, returning=False))
                continue
            with store.write() as session:
                append_event(session, at=store.clock.now(), actor="test", action="note", subject=f"thing:{n}",
                             details={"text": "x" * 4000})
    store.dispose()
