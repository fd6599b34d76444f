"""A supervisor working through the review queue on the real `deskapp` in a pseudo-terminal:
moving with Down, Up, PageDown, Home and End, deciding a ticket that is not the first, holding
Down, and leaving with Esc. The queue once froze on the first arrow key: reading the highlighted
ticket rebuilt the table, which moved its cursor to the first row and back, which read the
ticket again, for ever, while every key waited behind it.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime

from desk_queue import (
    HOME_SCREEN,
    answer,
    answered_in,
    back_home,
    check_queue_decision,
    console,
    idle_cpu_share,
    needs_engine,
    queue_database,
    run_queue_review,
    shown_ticket,
    shows_ticket,
    sign_in,
)
from desk_terminal import (
    CTRL_Q,
    DOWN,
    ENTER,
    EXPEDITED,
    TAB,
    UP,
    DeskTerminal,
    calls,
    run_call,
)

SUPERVISOR = ("linus", "3333")


def test_first_down_in_the_queue_shows_the_next_ticket_and_keys_still_answer(tmp_path):
    """The report, step by step: `deskapp --demo`; ada files an expedited deprovisioning
    (SUB-0003) and a 30-day reversal (SUB-0010); sign out; linus; `r`; Down. The detail pane
    shows the reversal (not "Loading…"), the footer offers its keys, the console is idle again,
    Esc goes home within a second and ctrl+q quits."""
    now = datetime.now(UTC)
    rng = random.Random(22)
    reversal = next(c for c in calls(now) if c.kind == "reversal")
    with DeskTerminal.demo(tmp_path) as desk:
        assert desk.wait_for("Demo: sign in")
        desk.type("ada", TAB, "1111", ENTER, rng=rng)
        assert desk.wait_for(HOME_SCREEN)
        filed = [run_call(desk, call, rng, now) for call in (EXPEDITED, reversal)]
        assert not [p for r in filed for p in r.problems]
        desk.type("s", "y", *SUPERVISOR[0], TAB, SUPERVISOR[1], ENTER, "r", rng=rng)
        # The pane's title wraps at 100 columns once its scrollbar appears (the verification and
        # callback sections read after the head): "deprovisioning" may be on the next line.
        assert shows_ticket(desk, 1, timeout=30) and "TK-000001 · Expedited" in desk.text(), desk.text()
        assert desk.wait_for("c Callback done", timeout=10), desk.text()
        took = answered_in(desk, (DOWN,), lambda d: shown_ticket(d) == "TK-000002" and "c Callback done" in d.text())
        assert took is not None, f"the queue froze on Down:\n{desk.text()}"
        assert "30-day reversal" in desk.text()
        assert idle_cpu_share(desk) < 0.5, "the console keeps working with nobody typing"
        moved = answer(desk, (UP,), lambda d: shown_ticket(d) == "TK-000001")
        assert not moved.late, f"Up: {moved}\n{desk.text()}"
        home = back_home(desk)
        assert not home.late, f"Esc: {home}\n{desk.text()}"
        desk.type(CTRL_Q)
        deadline = time.monotonic() + 10
        while desk.alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not desk.alive(), "ctrl+q did not quit"


def test_supervisor_moves_through_24_tickets_and_decides_the_seventh(tmp_path, backend):
    """24 tickets waiting: End, Home, PageDown, Home, then Down and Up to the 7th, each answered
    within a second (at load 0) with that ticket's detail; `a` `y` approves it; Esc home. Then
    Down held for 2 s stops on the last ticket, the console goes idle, and Esc goes home. The
    database has the 7th approved by linus and every other ticket still waiting. (The type-ahead
    drill runs the same in every other session: tests/drills/typeahead.py.)"""
    engine = needs_engine(backend)
    with queue_database(tmp_path, engine, 24) as (url, ids):
        with console(url, tmp_path / "home") as desk:
            sign_in(desk, *SUPERVISOR)
            result = run_queue_review(desk, ids)
            desk.type("r")
            assert shows_ticket(desk, ids[0], timeout=30), desk.text()
            assert idle_cpu_share(desk) < 0.5, "the console keeps working with nobody typing"
        check_queue_decision(url, ids, result)
    assert not result.problems, "\n".join(result.problems)
    assert result.keys >= 80


def test_every_table_screen_answers_a_key_within_a_second(tmp_path):
    """From home, each screen with a table (review queue, my tickets, lockouts, dashboard) and
    export: it opens, and Esc goes home, each within a second (load 0)."""
    with queue_database(tmp_path, "sqlite", 24) as (url, ids):
        with console(url, tmp_path / "home") as desk:
            sign_in(desk, *SUPERVISOR)
            slow: list[str] = []
            for key, title in (("r", "Waiting for review"), ("t", "Tickets you filed"), ("l", "— Lockouts"),
                               ("d", "— Dashboard"), ("x", "— Export")):
                opened = answer(desk, (key,), lambda d, t=title: t in d.text() and HOME_SCREEN not in d.text())
                if opened.late:
                    slow.append(f"{key} open: {opened}")
                home = back_home(desk)
                if home.late:
                    slow.append(f"{key} Esc: {home}")
            assert not slow, "keys answered late:\n" + "\n".join(slow) + f"\n{desk.text()}"
