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
    answer_limit,
    answered_in,
    back_home,
    console,
    idle_cpu_share,
    needs_engine,
    queue_database,
    ref,
    shown_ticket,
    shows_ticket,
    sign_in,
)
from desk_terminal import (
    CTRL_Q,
    DOWN,
    END,
    ENTER,
    EXPEDITED,
    HOME,
    PAGE_DOWN,
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
        assert desk.wait_for("TK-000001 · Expedited deprovisioning", timeout=30), desk.text()
        assert desk.wait_for("c Callback done", timeout=10), desk.text()
        took = answered_in(desk, (DOWN,), lambda d: shown_ticket(d) == "TK-000002" and "c Callback done" in d.text())
        assert took is not None, f"the queue froze on Down:\n{desk.text()}"
        assert "30-day reversal" in desk.text()
        assert idle_cpu_share(desk) < 0.5, "the console keeps working with nobody typing"
        took = answered_in(desk, (UP,), lambda d: shown_ticket(d) == "TK-000001")
        assert took is not None and took < answer_limit(), (took, desk.text())
        took = back_home(desk)
        assert took is not None and took < answer_limit(), (took, desk.text())
        desk.type(CTRL_Q)
        deadline = time.monotonic() + 10
        while desk.alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not desk.alive(), "ctrl+q did not quit"


def test_supervisor_moves_through_24_tickets_and_decides_the_seventh(tmp_path, backend):
    """24 tickets waiting: End, Home, PageDown, Home, then Down and Up to the 7th, each answered
    within a second with that ticket's detail; `a` `y` approves it. The database has the 7th
    approved by linus and every other ticket still waiting. Esc goes home within a second."""
    engine = needs_engine(backend)
    from tickets.enums import TicketStatus
    from tickets.store.database import Store
    from tickets.store.queries import ticket_detail

    with queue_database(tmp_path, engine, 24) as (url, ids):
        with console(url, tmp_path / "home") as desk:
            sign_in(desk, *SUPERVISOR)
            desk.type("r")
            assert shows_ticket(desk, ids[0], timeout=30), desk.text()
            slow: list[tuple[str, float | None]] = []
            for name, keys, expected in (
                ("End", (END,), ids[-1]), ("Home", (HOME,), ids[0]), ("PageDown", (PAGE_DOWN,), None),
                ("Home", (HOME,), ids[0]), ("Down x8", (DOWN,) * 8, ids[8]), ("Up x2", (UP, UP), ids[6]),
            ):
                before = shown_ticket(desk)
                if expected is None:  # a page further: some ticket below the first screenful
                    def done(d, before=before):
                        shown = shown_ticket(d)
                        return shown is not None and shown != before and "a Approve" in d.text()
                else:
                    def done(d, expected=expected):
                        return shown_ticket(d) == ref(expected) and "a Approve" in d.text()
                took = answered_in(desk, keys, done)
                if took is None or took > answer_limit():
                    slow.append((name, took))
                if name == "PageDown":
                    assert int(shown_ticket(desk).split("-")[1]) > ids[6], desk.text()
            assert not slow, f"keys not answered within {answer_limit():.1f} s: {slow}\n{desk.text()}"
            desk.type("a")
            assert desk.wait_for(f"Approve {ref(ids[6])}?", timeout=10), desk.text()
            desk.type("y")
            assert desk.wait_for(f"{ref(ids[6])} approved at", timeout=10), desk.text()
            took = back_home(desk)
            assert took is not None and took < answer_limit(), (took, desk.text())
        store = Store.from_url(url)
        try:
            statuses = {tid: ticket_detail(store, tid) for tid in ids}
        finally:
            store.dispose()
    approved = [tid for tid, d in statuses.items() if d.row.status is TicketStatus.APPROVED]
    assert approved == [ids[6]], f"decided: {[ref(t) for t in approved]}, expected {ref(ids[6])}"
    assert statuses[ids[6]].decided_by == "Linus Pauling"
    assert all(d.row.status is TicketStatus.PENDING_REVIEW for tid, d in statuses.items() if tid != ids[6])


def test_down_held_for_two_seconds_lands_on_the_last_ticket_and_esc_answers(tmp_path):
    """Down held (auto-repeat, 30 a second for 2 s: 60 keys) in a queue of 24: the cursor
    stops on the last ticket, its detail shows, the console is idle again, and Esc goes home
    within a second."""
    with queue_database(tmp_path, "sqlite", 24) as (url, ids):
        with console(url, tmp_path / "home") as desk:
            sign_in(desk, *SUPERVISOR)
            desk.type("r")
            assert shows_ticket(desk, ids[0], timeout=30), desk.text()
            started = time.monotonic()
            desk.type(*(DOWN,) * 60, rng=random.Random(2), max_gap_ms=2 * 1000 / 60 * 2)
            held = time.monotonic() - started
            assert held >= 1.5, held
            assert shows_ticket(desk, ids[-1], timeout=10), desk.text()
            assert idle_cpu_share(desk) < 0.5, "the console keeps working with nobody typing"
            took = back_home(desk)
            assert took is not None and took < answer_limit(), (took, desk.text())


def test_every_table_screen_answers_a_key_within_a_second(tmp_path):
    """From home, each screen with a table (review queue, my tickets, lockouts, dashboard) and
    export: it opens, and Esc goes home, each within a second (load 0)."""
    with queue_database(tmp_path, "sqlite", 24) as (url, ids):
        with console(url, tmp_path / "home") as desk:
            sign_in(desk, *SUPERVISOR)
            slow: list[tuple[str, str, float | None]] = []
            for key, title in (("r", "Waiting for review"), ("t", "Tickets you filed"), ("l", "— Lockouts"),
                               ("d", "— Dashboard"), ("x", "— Export")):
                took = answered_in(desk, (key,), lambda d, t=title: t in d.text() and HOME_SCREEN not in d.text())
                if took is None or took > answer_limit():
                    slow.append((key, "open", took))
                took = back_home(desk)
                if took is None or took > answer_limit():
                    slow.append((key, "Esc", took))
            assert not slow, f"keys not answered within {answer_limit():.1f} s: {slow}\n{desk.text()}"
