"""Collision notice: a supervisor opening a ticket another supervisor has open in the review
queue is told who and since when (tickets.viewers; the other console is another store here,
its own connections, as another process would be: tests/store/test_store_viewers.py and the
pty test run real processes)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from deskapp_testing import make_app, rendered_text, sign_in_as, wait_until

import testkit
from tickets.agents import list_agents
from tickets.viewers import open_ticket, viewers_of

SIZE = (80, 24)
NOTICE = "Also open by Margaret Hamilton since 2026-11-22 12:00 UTC."


@pytest.fixture
def store(seeded):
    return seeded


def flat(app) -> str:
    return " ".join(rendered_text(app).split())


def shown(app) -> int | None:
    screen = app.screen
    detail = getattr(screen, "detail", None)
    return None if detail is None or screen._reading is not None else detail.row.id


async def test_opening_a_ticket_another_supervisor_has_open_says_who_and_since_when(store, clock):
    ids = testkit.seed_review_queue(store, 3, now=clock.now())
    agents = {a.name: a for a in list_agents(store)}
    other = testkit.make_store(store.engine.url.render_as_string(hide_password=False), clock)
    try:
        open_ticket(other, agents["margaret"], ids[0])  # her console, a minute earlier
        clock.advance(timedelta(minutes=1))
        app = make_app(store, clock)
        async with app.run_test(size=SIZE) as pilot:
            await sign_in_as(pilot, "linus")
            await pilot.press("r")
            await wait_until(pilot, lambda: shown(app) == ids[0], what="the first ticket")
            await wait_until(pilot, lambda: NOTICE in flat(app), what="the collision notice")
            # She sees him too, from her console, since he opened it.
            seen = viewers_of(other, ids[0], other_than=agents["margaret"].id)
            assert [(v.name, v.since) for v in seen] == [("Linus Pauling", clock.now())]
            await pilot.press("down")
            await wait_until(pilot, lambda: shown(app) == ids[1], what="the second ticket")
            assert "Also open by" not in flat(app)  # nobody else has the second one open
            assert viewers_of(other, ids[0], other_than=agents["margaret"].id) == ()
            await pilot.press("escape")
            await wait_until(pilot, lambda: viewers_of(other, ids[1], other_than=agents["margaret"].id) == (),
                             what="his row gone once he left the queue")
    finally:
        other.dispose()
