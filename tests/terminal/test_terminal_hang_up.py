"""Closing the terminal or `kill -TERM` during a call ends the call in the store, with its end
time, the automatic wrap-up note and the `call.ended` audit event, on SQLite and PostgreSQL.
The real `deskapp` on a pseudo-terminal: an agent signs in and presses `n` (a call starts),
then the signal arrives. Python's default for both signals is to die on the spot, which left
the call open for ever.
"""

from __future__ import annotations

import os
import signal
import time

import pytest
from desk_queue import console, needs_engine, queue_database, sign_in
from sqlmodel import select

WAYS = {
    "SIGHUP": lambda desk: os.kill(desk.pid, signal.SIGHUP),
    "SIGTERM": lambda desk: os.kill(desk.pid, signal.SIGTERM),
    # The window closed: the terminal's master side goes away, the kernel hangs up the session.
    "terminal closed": lambda desk: os.close(desk.fd),
}


def open_call(url: str):
    from tickets.store.database import Store
    from tickets.store.models import Call

    store = Store.from_url(url)
    try:
        with store.read() as session:
            return session.exec(select(Call).order_by(Call.id.desc())).first()  # type: ignore[union-attr]
    finally:
        store.dispose()


def ended_events(url: str, call_id: int) -> list:
    from tickets.store.database import Store
    from tickets.store.models import AuditEvent

    store = Store.from_url(url)
    try:
        with store.read() as session:
            return list(session.exec(select(AuditEvent).where(AuditEvent.action == "call.ended",
                                                              AuditEvent.subject == f"call:{call_id}")))
    finally:
        store.dispose()


@pytest.mark.parametrize("way", list(WAYS))
def test_hanging_up_during_a_call_ends_it_in_the_store(tmp_path, backend, way):
    engine = needs_engine(backend)
    if way == "terminal closed" and engine != "sqlite":
        pytest.skip("the same code path as SIGHUP; once is enough")
    with queue_database(tmp_path, engine, 0) as (url, _ids):
        with console(url, tmp_path / "home") as desk:
            sign_in(desk, "ada", "1111")
            desk.type("n")
            assert desk.wait_for("started", timeout=30), desk.text()
            deadline = time.monotonic() + 30
            call = open_call(url)
            while (call is None or call.ended_at is not None) and time.monotonic() < deadline:
                time.sleep(0.05)  # the call's row is written by a worker after the screen shows
                call = open_call(url)
            assert call is not None and call.ended_at is None, "no call open before the hang-up"
            WAYS[way](desk)
            deadline = time.monotonic() + 30
            while desk.alive() and time.monotonic() < deadline:
                time.sleep(0.05)
            assert not desk.alive(), f"deskapp still runs 30 s after {way}"
        ended = open_call(url)
        assert ended is not None and ended.id == call.id
        assert ended.ended_at is not None, f"{way}: call {call.id} has no end time"
        assert ended.wrap_up_note and "Ended automatically" in ended.wrap_up_note
        events = ended_events(url, call.id)
        assert len(events) == 1 and events[0].actor == "ada", events
