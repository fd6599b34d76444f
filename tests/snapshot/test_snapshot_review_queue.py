"""The review queue at 80x24 with what a supervisor needs to see at once: the tickets that have
waited past the desk's limit, marked late, and the notice that another supervisor has the
highlighted ticket open (who, since when). Time is the FixedClock's (testkit.T0)."""

from __future__ import annotations

from datetime import timedelta

import testkit
from screenshots import settle, sign_in

SIZE = (80, 24)


async def _queue(pilot) -> None:
    await sign_in(pilot, "linus", "3333")
    await pilot.press("r")
    await settle(pilot)
    await pilot.pause(0.2)  # the highlighted ticket is read once the cursor has rested
    await settle(pilot)


def test_review_queue_marks_late_tickets(snap_compare, seeded_store, clock):
    from deskapp.factory import make_app

    # 12 tickets 6 minutes apart: the oldest have waited 72 minutes, the newest 6.
    testkit.seed_review_queue(seeded_store, 12, now=clock.now(), step=timedelta(minutes=6))
    assert snap_compare(make_app(seeded_store, clock), terminal_size=SIZE, run_before=_queue)


def test_review_queue_says_who_else_has_the_ticket_open(snap_compare, seeded_store, clock):
    from deskapp.factory import make_app
    from tickets.agents import list_agents
    from tickets.viewers import open_ticket

    ids = testkit.seed_review_queue(seeded_store, 3, now=clock.now(), step=timedelta(minutes=4))
    margaret = next(a for a in list_agents(seeded_store) if a.name == "margaret")
    open_ticket(seeded_store, margaret, ids[0])  # her console, a minute before his
    clock.advance(timedelta(minutes=1))
    assert snap_compare(make_app(seeded_store, clock), terminal_size=SIZE, run_before=_queue)
