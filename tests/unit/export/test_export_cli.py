"""`deskapp export` end to end: masking by default, --unmasked for supervisors only (E-1),
the audit event, filters, and no half-written file when an export fails."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from sqlmodel import col, select
from test_export_support import PIN, T0, desk_ticket, small_desk

import tickets.export.records as export
from deskapp.cli import main
from tickets.audit.chain import verify_chain
from tickets.enums import TicketKind, TicketStatus
from tickets.export.records import FIELDS
from tickets.store.models import AuditEvent


@pytest.fixture
def desk(store):
    desk = small_desk(store)
    desk_ticket(store, desk, 0, created_at=T0 - timedelta(days=3))
    desk_ticket(store, desk, 1, created_at=T0, kind=TicketKind.CANCEL_EARLY, status=TicketStatus.OPEN)
    desk_ticket(store, desk, 2, created_at=T0 + timedelta(days=1), kind=TicketKind.REVERSAL)
    return desk


def _url(store) -> str:
    return store.engine.url.render_as_string(hide_password=False)


def _run(store, monkeypatch, *args, pin: str | None = None) -> int:
    if pin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(pin + "\n"))
    return main(["export", "--db", _url(store), *args])


def _events(store, action):
    with store.read() as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.action == action).order_by(col(AuditEvent.seq))))


def _leftovers(directory):
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".part"))


def test_e1_unmasked_refused_for_an_agent(store, desk, monkeypatch, capsys, tmp_path):
    target = tmp_path / "out.jsonl"
    code = _run(
        store, monkeypatch, "--format", "jsonl", "--unmasked", "--agent", "alex", "--pin-stdin",
        "--output", str(target), pin=PIN,
    )
    assert code == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("deskapp: error: E-1: only supervisors may export unmasked personal data")
    assert not target.exists() and _leftovers(tmp_path) == []
    assert _events(store, "export.created") == []
    (refused,) = _events(store, "export.refused")  # the refusal is in the trail
    assert refused.actor == "alex" and refused.details["agent_role"] == "agent" and refused.details["rule"] == "E-1"


def test_e1_unmasked_refused_without_an_agent(store, desk, monkeypatch, capsys):
    assert _run(store, monkeypatch, "--format", "csv", "--unmasked") == 1
    assert "E-1: --unmasked needs a supervisor" in capsys.readouterr().err
    assert _events(store, "export.created") == []


def test_wrong_pin_is_refused(store, desk, monkeypatch, capsys):
    code = _run(store, monkeypatch, "--format", "csv", "--unmasked", "--agent", "sam", "--pin-stdin", pin="0000")
    assert code == 1
    assert "that agent name and PIN do not match" in capsys.readouterr().err


def test_e1_unmasked_for_a_supervisor_is_audited(store, desk, monkeypatch, capsys, tmp_path):
    target = tmp_path / "out.jsonl"
    code = _run(
        store, monkeypatch, "--format", "jsonl", "--unmasked", "--agent", "sam", "--pin-stdin",
        "--output", str(target), pin=PIN,
    )
    assert code == 0, capsys.readouterr().err
    records = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 3
    assert records[0]["caller_phone"] == "+442079460958" and records[0]["caller_name"] == "Ann Smith"
    assert _leftovers(tmp_path) == []
    (event,) = _events(store, "export.created")
    assert event.actor == "sam" and event.subject == "export"
    assert event.details["masked"] is False
    assert event.details["rows"] == 3 and event.details["format"] == "jsonl"
    assert event.details["by"] == "sam" and event.details["agent_role"] == "supervisor"
    # the started event is the export's anchor, in its sidecar file and its created event.
    (started,) = _events(store, "export.started")
    anchor = f"{started.seq}:{started.hash}"
    assert event.details["anchor"] == anchor
    assert (tmp_path / "out.jsonl.anchor").read_text(encoding="utf-8").split()[0] == anchor
    with store.read() as session:
        assert verify_chain(session).ok
    assert main(["audit", "verify", "--db", _url(store), "--anchors", str(tmp_path / "out.jsonl.anchor")]) == 0


def test_default_export_to_stdout_is_masked_filtered_and_audited(store, desk, monkeypatch, capsys):
    code = _run(
        store, monkeypatch, "--format", "csv", "--since", "2026-11-22", "--kind", "cancel_early",
        "--kind", "reversal", "--status", "open",
    )
    out, err = capsys.readouterr()
    assert code == 0 and err == ""  # silence in a pipe
    header, *rows = list(csv.reader(io.StringIO(out, newline="")))
    assert header == list(FIELDS)
    assert len(rows) == 1
    row = dict(zip(FIELDS, rows[0], strict=True))
    assert row["kind"] == "cancel_early" and row["caller_phone"] == "***0958"
    assert "+442079460958" not in out
    (event,) = _events(store, "export.created")
    assert event.actor == "cli"
    assert event.details["masked"] is True and event.details["rows"] == 1
    assert event.details["filters"] == {
        "since": "2026-11-22T00:00:00Z", "until": None, "kinds": ["cancel_early", "reversal"], "statuses": ["open"],
    }


def test_bad_date_names_the_option(store, desk, monkeypatch, capsys):
    assert _run(store, monkeypatch, "--format", "csv", "--until", "next week") == 1
    err = capsys.readouterr().err
    assert err.startswith("deskapp: error: --until: 'next week' is not an ISO 8601 date")
    assert _events(store, "export.created") == []


def test_a_failed_export_leaves_no_half_file(store, desk, monkeypatch, capsys, tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("the previous export\n", encoding="utf-8")
    real = export._record
    calls = []

    def failing(row, masked):
        calls.append(row)
        if len(calls) == 2:
            raise RuntimeError("connection lost")
        return real(row, masked)

    monkeypatch.setattr(export, "_record", failing)
    assert _run(store, monkeypatch, "--format", "csv", "--output", str(target)) != 0
    assert "connection lost" in capsys.readouterr().err
    assert target.read_text(encoding="utf-8") == "the previous export\n"
    assert _leftovers(tmp_path) == []
    assert _events(store, "export.created") == []
    (failed,) = _events(store, "export.failed")
    assert failed.details["rows"] == 1 and failed.details["error"] == "RuntimeError"


def test_a_closed_pipe_ends_quietly_and_is_audited(store, desk, monkeypatch, capsys):
    class ClosedPipe(io.StringIO):
        def write(self, text):
            raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr("sys.stdout", ClosedPipe())
    assert _run(store, monkeypatch, "--format", "jsonl") == 0
    assert capsys.readouterr().err == ""
    (failed,) = _events(store, "export.failed")
    assert failed.details["error"] == "BrokenPipeError"


def test_progress_on_a_terminal_only(store, desk, monkeypatch, tmp_path):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    target = tmp_path / "out.csv"
    assert _run(store, monkeypatch, "--format", "csv", "--output", str(target)) == 0
    shown = terminal.getvalue()
    assert "exporting: 3 tickets" in shown  # Rich's bar, drawn at least once with the count
    assert f"exported 3 tickets to {target} in " in shown and shown.endswith("\n")


def test_a_fifo_is_written_as_it_is_and_stays_a_fifo(store, desk, monkeypatch, tmp_path):
    import os
    import stat
    import threading

    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    assert _run(store, monkeypatch, "--format", "jsonl", "--output", str(fifo)) == 0
    reader.join(timeout=30)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)  # not replaced by a regular file
    assert len(received[0].decode().splitlines()) == 3
    assert _leftovers(tmp_path) == []


def test_a_regular_file_is_replaced_whole(store, desk, monkeypatch, tmp_path):
    import os

    target = tmp_path / "out.csv"
    target.write_text("the previous export\n", encoding="utf-8")
    before = os.stat(target).st_ino
    assert _run(store, monkeypatch, "--format", "csv", "--output", str(target)) == 0
    assert os.stat(target).st_ino != before  # a new file renamed over the old one (atomic)
    assert target.read_text(encoding="utf-8").startswith(",".join(FIELDS[:2]))
    assert _leftovers(tmp_path) == []


def test_a1_on_a_read_only_database_no_record_leaves(tmp_path, capsys):
    """The export.started event is written before the first record, so an export
    that cannot be recorded writes nothing (it used to write every record, then fail)."""
    from tickets.store.database import Store
    from tickets.store.schema import upgrade

    path = tmp_path / "desk.db"
    store = Store.from_url(f"sqlite:///{path}", create=True)
    upgrade(store.engine)
    desk = small_desk(store)
    desk_ticket(store, desk, 0)
    store.dispose()
    code = main(["export", "--format", "jsonl", "--db", f"sqlite:///file:{path}?mode=ro&uri=true"])
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    assert "attempt to write a readonly database" in err


def test_without_db_the_export_reads_the_consoles_database_and_never_creates_one(
        store, desk, monkeypatch, capsys, tmp_path):
    """No --db means the console's database (DESKAPP_DATABASE_URL, else the user's data
    folder); a missing SQLite file is an error, not a new empty database."""
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    monkeypatch.delenv("DESKAPP_DATABASE_URL", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert main(["export", "--format", "csv"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(
        f"deskapp: error: there is no database file at {tmp_path / 'data' / 'deskapp' / 'deskapp.db'}"
    )
    assert list(here.iterdir()) == [] and not (tmp_path / "data").exists()  # nothing created anywhere

    monkeypatch.setenv("DESKAPP_DATABASE_URL", _url(store))  # what the console would open
    assert main(["export", "--format", "jsonl"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 3
    assert list(here.iterdir()) == []


def test_a1_the_anchor_file_never_writes_through_a_planted_link(store, desk, monkeypatch, capsys, tmp_path):
    """Someone who can write the export folder plants out.csv.anchor -> a file of the desk's
    own: the export replaces the link with its anchor file and leaves that file untouched."""
    victim = tmp_path / "elsewhere" / "config.toml"
    victim.parent.mkdir()
    victim.write_text("database = 'keep me'\n", encoding="utf-8")
    out = tmp_path / "exports"
    out.mkdir()
    (out / "out.csv.anchor").symlink_to(victim)
    assert _run(store, monkeypatch, "--format", "csv", "--output", str(out / "out.csv")) == 0, capsys.readouterr().err
    assert victim.read_text(encoding="utf-8") == "database = 'keep me'\n"
    sidecar = out / "out.csv.anchor"
    assert not sidecar.is_symlink() and sidecar.is_file()
    (started,) = _events(store, "export.started")
    assert sidecar.read_text(encoding="utf-8").split()[0] == f"{started.seq}:{started.hash}"
    assert sorted(p.name for p in out.iterdir()) == ["out.csv", "out.csv.anchor"]  # no temporary left
