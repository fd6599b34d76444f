"""`deskapp audit verify` reads only (A-1): a WORM copy or a read-only file is verified as it
is, nothing is written to it or beside it, and the connection refuses every write."""

from __future__ import annotations

import hashlib
import shutil

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

import testkit
from deskapp.cli import main
from tickets.enums import TicketKind
from tickets.filing import FilingRequest, file_ticket
from tickets.store.database import make_engine, sqlite_path


def _file_one(store) -> None:
    directory = testkit.Directory(store)
    request = FilingRequest(kind=TicketKind.EXPEDITED_DEPROVISIONING, subscription_ref="SUB-INT", idempotency_key="r1",
                            confirmed=frozenset({"acknowledge_data_loss", "remove_domains", "update_dns", "save_data"}))
    file_ticket(store, agent=directory.agent, verification_id=directory.verified(), request=request)


@pytest.mark.engine("sqlite")  # a file copy: SQLite's (PostgreSQL's read-only transactions: the next test)
def test_a1_a_worm_copy_is_verified_without_a_byte_written(backend, store, tmp_path, capsys):
    _file_one(store)
    source = sqlite_path(store.engine.url.render_as_string(hide_password=False))
    store.dispose()  # the last connection checkpoints the WAL into the file
    worm = tmp_path / "worm"
    worm.mkdir()
    copy = worm / "desk.db"
    shutil.copyfile(source, copy)
    copy.chmod(0o444)
    before = hashlib.sha256(copy.read_bytes()).hexdigest()
    assert main(["audit", "verify", "--db", f"sqlite:///{copy}"]) == 0
    assert "audit chain verified" in capsys.readouterr().out
    # Nothing written: no journal, no WAL index beside it, the same bytes.
    assert sorted(p.name for p in worm.iterdir()) == ["desk.db"]
    assert hashlib.sha256(copy.read_bytes()).hexdigest() == before


def test_a1_the_verifying_connection_refuses_every_write(store, backend):
    _file_one(store)
    url = store.engine.url.render_as_string(hide_password=False)
    engine = make_engine(url, read_only=True)
    try:
        with pytest.raises(DBAPIError, match="(?i)read-only|readonly"):
            with engine.begin() as connection:
                connection.execute(text("UPDATE ticket SET status = 'withdrawn'"))
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM ticket")).scalar_one() == 1
    finally:
        engine.dispose()
