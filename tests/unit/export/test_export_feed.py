"""The feed: `deskapp export --format jsonl --cursor FILE` writes each ticket created or changed
since the stored audit position once, moves FILE only after the output is complete, survives a
SIGKILL at any point, and never writes FILE through a planted symbolic link (A-1, E-1)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session
from test_export_support import PIN, T0, Desk, desk_ticket, small_desk

from deskapp.cli import main
from tickets.agents import authenticate
from tickets.audit.chain import append_event
from tickets.enums import TicketStatus
from tickets.export.feed import CURSOR_FIELD, changed_tickets, read_cursor
from tickets.export.records import FIELDS
from tickets.lifecycle import approve


@dataclass(frozen=True)
class FeedDesk:
    desk: Desk
    tickets: list[int]


@pytest.fixture
def desk(store) -> FeedDesk:
    desk = small_desk(store)
    return FeedDesk(desk, [
        desk_ticket(store, desk, 0, created_at=T0 - timedelta(days=3)),
        desk_ticket(store, desk, 1, created_at=T0, status=TicketStatus.PENDING_REVIEW),
        desk_ticket(store, desk, 2, created_at=T0 + timedelta(days=1)),
    ])


def _url(store) -> str:
    return store.engine.url.render_as_string(hide_password=False)


def _feed(store, cursor: Path, *more: str) -> int:
    return main(["export", "--db", _url(store), "--format", "jsonl", "--cursor", str(cursor), *more])


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _refs(records: list[dict]) -> list[str]:
    return [r["ticket_ref"] for r in records]


def test_run_twice_the_second_writes_nothing(store, desk, tmp_path):
    cursor, out = tmp_path / "feed.cursor", tmp_path / "batch.jsonl"
    assert _feed(store, cursor, "-o", str(out)) == 0
    first = _lines(out)
    assert _refs(first) == [f"TK-{i:06d}" for i in desk.tickets]
    assert all(tuple(r)[:-1] == FIELDS and CURSOR_FIELD in r for r in first)  # the export record plus the position
    assert [r[CURSOR_FIELD] for r in first] == sorted(r[CURSOR_FIELD] for r in first)
    assert first[0]["caller_phone"] != "+442079460958"  # masked (E-1)
    plain = tmp_path / "plain.jsonl"  # today's JSON Lines export, line for line
    assert main(["export", "--db", _url(store), "--format", "jsonl", "-o", str(plain)]) == 0
    assert [{k: v for k, v in r.items() if k != CURSOR_FIELD} for r in first] == _lines(plain)
    position = read_cursor(cursor)
    assert position >= first[-1][CURSOR_FIELD]
    assert _feed(store, cursor, "-o", str(out)) == 0
    assert out.read_text(encoding="utf-8") == ""
    assert read_cursor(cursor) >= position


def test_an_approval_after_the_first_run_appears_once_in_the_second(store, desk, tmp_path, capsys):
    cursor = tmp_path / "feed.cursor"
    assert _feed(store, cursor) == 0  # standard output
    assert len(capsys.readouterr().out.splitlines()) == 3
    approve(store, supervisor=authenticate(store, name="sam", pin=PIN), ticket_id=desk.tickets[1])
    assert _feed(store, cursor) == 0
    (record,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert record["ticket_ref"] == f"TK-{desk.tickets[1]:06d}" and record["status"] == "approved"
    assert _feed(store, cursor) == 0
    assert capsys.readouterr().out == ""


def test_csv_with_a_cursor_is_refused_in_one_sentence(store, desk, tmp_path, capsys):
    cursor = tmp_path / "feed.cursor"
    assert main(["export", "--db", _url(store), "--format", "csv", "--cursor", str(cursor)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--cursor works with --format jsonl only" in err
    assert not cursor.exists()


def test_a_planted_symlink_is_not_written_through(store, desk, tmp_path, capsys):
    victim = tmp_path / "victim"
    victim.write_text("precious\n", encoding="utf-8")
    cursor = tmp_path / "feed.cursor"
    cursor.symlink_to(victim)
    assert _feed(store, cursor, "-o", str(tmp_path / "out.jsonl")) == 1
    assert "is a symbolic link" in capsys.readouterr().err
    assert victim.read_text(encoding="utf-8") == "precious\n"
    assert cursor.is_symlink()


def test_the_cursor_replaces_a_link_planted_after_it_was_read(store, desk, tmp_path, monkeypatch):
    """A link swapped in while the export runs: the rename replaces the link, not its target."""
    import tickets.export.feed as feed

    victim = tmp_path / "victim"
    victim.write_text("precious\n", encoding="utf-8")
    cursor = tmp_path / "feed.cursor"
    real_write = feed.write_feed

    def planting(*args, **kwargs):
        run = real_write(*args, **kwargs)
        cursor.symlink_to(victim)
        return run

    monkeypatch.setattr(feed, "write_feed", planting)
    assert _feed(store, cursor, "-o", str(tmp_path / "out.jsonl")) == 0
    assert victim.read_text(encoding="utf-8") == "precious\n"
    assert not cursor.is_symlink() and read_cursor(cursor) > 0


def _spawn(store, cursor: Path, *more: str) -> subprocess.Popen:
    code = "import sys; from deskapp.cli import main; raise SystemExit(main(sys.argv[1:]))"
    return subprocess.Popen(
        [sys.executable, "-c", code, "export", "--db", _url(store), "--format", "jsonl", "--cursor", str(cursor),
         *more],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env={**os.environ, "DESKAPP_DEBUG": ""},
    )


def test_killed_mid_export_then_rerun_loses_nothing(store, desk, tmp_path):
    """SIGKILL while the records go out (the pipe is full and unread: the run cannot have
    finished), then again after a complete run: every ticket arrives, none after its confirmation."""
    for n in range(120):
        desk_ticket(store, desk.desk, n % 3, created_at=T0 + timedelta(minutes=n), reason="x" * 900)
    cursor = tmp_path / "feed.cursor"
    child = _spawn(store, cursor)
    assert child.stdout is not None
    first_line = child.stdout.readline()  # started writing; 123 lines of ~2 KB outgrow the pipe
    assert first_line
    child.send_signal(signal.SIGKILL)
    child.wait()
    child.stdout.close()
    assert not cursor.exists()  # the output was not complete: the position did not move
    out = tmp_path / "batch.jsonl"
    assert _feed(store, cursor, "-o", str(out)) == 0
    delivered = _refs(_lines(out))
    assert len(delivered) == 123 == len(set(delivered))
    # A change, then a run killed before it confirms: the next run writes it, once.
    approve(store, supervisor=authenticate(store, name="sam", pin=PIN), ticket_id=desk.tickets[1])
    child = _spawn(store, cursor, "-o", str(tmp_path / "lost.jsonl"))
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert _feed(store, cursor, "-o", str(out)) == 0
    assert _refs(_lines(out)) == [f"TK-{desk.tickets[1]:06d}"]
    assert _feed(store, cursor, "-o", str(out)) == 0
    assert _lines(out) == []


def test_an_append_still_open_is_read_by_the_next_run(store, desk):
    """PostgreSQL assigns a seq before the commit: the feed reads only up to the committed head,
    and the chain's head lock makes every seq below it committed, so the open change is not
    skipped: it comes with the next run (SQLite: one writer; the same reads hold)."""
    if store.engine.dialect.name != "postgresql":
        pytest.skip("an append open beside a reader needs PostgreSQL (SQLite has one writer at a time)")
    with store.read() as session:
        before, _ = changed_tickets(session, 0)
    held = Session(store.engine)
    try:
        held.begin()
        append_event(held, at=T0, actor="sam", action="ticket.noted", subject=f"ticket:{desk.tickets[2]}")
        with store.read() as session:  # the feed's read while that transaction is open
            upto, changed = changed_tickets(session, before)
        assert upto == before and changed == []
        held.commit()
    finally:
        held.close()
    with store.read() as session:
        upto, changed = changed_tickets(session, before)
    assert upto == before + 1 and changed == [(desk.tickets[2], before + 1)]


def test_a_change_committing_while_the_feed_runs_comes_with_the_next_run(store, desk, tmp_path, monkeypatch):
    """The whole command, with an approval-like append opened after export.started and still
    open when the feed reads the head (PostgreSQL; SQLite would wait for the one writer)."""
    if store.engine.dialect.name != "postgresql":
        pytest.skip("an append open beside a reader needs PostgreSQL (SQLite has one writer at a time)")
    import tickets.export.feed as feed

    cursor, out = tmp_path / "feed.cursor", tmp_path / "batch.jsonl"
    assert _feed(store, cursor, "-o", str(out)) == 0
    held = Session(store.engine)
    real_read = feed.changed_tickets

    def with_an_open_append(session, after):
        held.begin()
        append_event(held, at=T0, actor="sam", action="ticket.noted", subject=f"ticket:{desk.tickets[0]}")
        try:
            return real_read(session, after)
        finally:
            held.commit()  # before the run's export.created, which waits for the head's lock

    monkeypatch.setattr(feed, "changed_tickets", with_an_open_append)
    try:
        assert _feed(store, cursor, "-o", str(out)) == 0
        assert _lines(out) == []  # committed after the read, so not this run's
    finally:
        held.close()
    monkeypatch.setattr(feed, "changed_tickets", real_read)
    assert _feed(store, cursor, "-o", str(out)) == 0
    assert _refs(_lines(out)) == [f"TK-{desk.tickets[0]:06d}"]


def test_stopped_after_the_output_before_the_cursor_moves_repeats_that_batch(store, desk, tmp_path, monkeypatch):
    import tickets.export.feed as feed

    cursor, out = tmp_path / "feed.cursor", tmp_path / "batch.jsonl"
    real_save = feed.save_cursor

    def interrupted(path, upto):
        raise KeyboardInterrupt

    monkeypatch.setattr(feed, "save_cursor", interrupted)
    assert _feed(store, cursor, "-o", str(out)) == 130
    assert len(_lines(out)) == 3 and not cursor.exists()
    monkeypatch.setattr(feed, "save_cursor", real_save)
    assert _feed(store, cursor, "-o", str(out)) == 0
    assert len(_lines(out)) == 3  # not confirmed, so written again
    assert _feed(store, cursor, "-o", str(out)) == 0
    assert _lines(out) == []
