"""Backup and restore, short: `deskapp db backup` / `db restore` on SQLite verify (integrity,
chain, invariants) and give back the same tickets; 5 backups taken while another process files
are consistent; on PostgreSQL the command gives pg_dump advice.

The full drill (20 backups while filing) is `.venv/bin/python tests/drills/run.py`.
"""

from __future__ import annotations

import pytest

from drills import backup
from drills.common import full_scale
from tickets.backup import backup as backup_store
from tickets.errors import NotAllowed


def test_backup_and_restore_drill(tmp_path):
    figures = backup.run(tmp_path, rounds=20 if full_scale() else 5, log=lambda *_: None)
    # Every failure counts: the corrupt-file restore it once set aside is fixed (test below).
    assert figures.failures == []
    assert figures.runs >= 10 and figures.checks > 100


@pytest.mark.parametrize("content", [b"this is not a database\n" * 100, b"SQLite format 3\x00" + b"\x00" * 500],
                         ids=["text", "truncated"])
def test_restore_refuses_a_corrupt_file_clearly(tmp_path, content):
    bad = tmp_path / "bad.db"
    bad.write_bytes(content)
    code, _out, err = backup.cli("db", "restore", "--db", f"sqlite:///{tmp_path / 'desk.db'}", str(bad))
    assert code == 1 and err.startswith("deskapp: error:"), err


def test_backup_on_each_engine(store, backend, tmp_path):
    if backend == "sqlite":
        report = backup_store(store, tmp_path / "copy.db")
        assert "audit events verified" in report
    else:
        with pytest.raises(NotAllowed, match="pg_dump"):
            backup_store(store, tmp_path / "copy.db")
