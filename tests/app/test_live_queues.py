"""Live queues: a ticket that needs review appears in every open supervisor queue
within 2 s, and the dashboard moves, with no key pressed. The ticket is filed through the core
on its own connection, as another agent's console would."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from deskapp_testing import landed_on, make_app, text_of, wait_until
from test_supervisor_review import file_expedited
from textual.widgets import DataTable

from deskapp.screens.dashboard import DashboardScreen
from deskapp.screens.review import ReviewQueueScreen
from tickets.agents import list_agents

SIZE = (120, 40)
PROMISED_S = 2.0


@pytest.fixture
def agents(seeded):
    return {a.name: a for a in list_agents(seeded)}


def queue_refs(app) -> list[str]:
    if not isinstance(app.screen, ReviewQueueScreen):
        return []
    table = app.screen.query_one("#review-table", DataTable)
    return [str(table.get_row_at(i)[0]) for i in range(table.row_count)]


async def test_a_new_ticket_reaches_every_open_review_queue_within_two_seconds(seeded, clock, agents):
    linus = make_app(seeded, clock, agent=agents["linus"], start="review")
    margaret = make_app(seeded, clock, agent=agents["margaret"], start="review")
    async with linus.run_test(size=SIZE) as p1, margaret.run_test(size=SIZE) as p2:
        for pilot in (p1, p2):
            await wait_until(pilot, lambda a=pilot.app: isinstance(a.screen, ReviewQueueScreen), what="the queue")
            await wait_until(pilot, lambda a=pilot.app: "Nothing is waiting" in text_of(a), what="an empty queue")
        await asyncio.sleep(0.6)  # both watchers are waiting (their first token read)

        loop = asyncio.get_running_loop()
        await asyncio.to_thread(file_expedited, seeded, agents["ada"], callback=False)
        filed_at = loop.time()  # committed
        await wait_until(p1, lambda: queue_refs(linus) == ["TK-000001"], timeout=5, what="TK-000001 in linus's queue")
        await wait_until(p2, lambda: queue_refs(margaret) == ["TK-000001"], timeout=5, what="TK-000001 in margaret's")
        assert loop.time() - filed_at < PROMISED_S


async def test_the_dashboard_moves_without_a_key(seeded, clock, agents):
    app = make_app(seeded, clock, agent=agents["linus"])
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.agent is not None, what="signed in")
        app.action_open_dashboard()
        await wait_until(pilot, lambda: landed_on(app, DashboardScreen) and app.screen.board is not None,
                         what="the dashboard")
        assert app.screen.board.tickets_today == 0 and app.screen.board.waiting_review == 0
        await asyncio.sleep(0.6)
        await asyncio.to_thread(file_expedited, seeded, agents["ada"], callback=False)
        await wait_until(pilot, lambda: app.screen.board.waiting_review == 1, timeout=PROMISED_S, what="the backlog")
        assert app.screen.board.tickets_today == 1
        assert "Waiting for review (X-2): 1 ticket" in text_of(app, "#dash-figures")


async def test_a_closed_screen_stops_watching(seeded, clock, agents):
    app = make_app(seeded, clock, agent=agents["linus"], start="review")
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: landed_on(app, ReviewQueueScreen), what="the queue")
        screen = app.screen
        await wait_until(pilot, lambda: screen._feed is not None, what="the feed")
        feed = screen._feed
        await pilot.press("escape")
        await wait_until(pilot, lambda: screen._feed is None, timeout=3, what="the feed to close")
        with pytest.raises(sqlite3.ProgrammingError, match="closed"):  # its connection is closed
            feed.token()


def test_a_live_reload_keeps_the_ticket_being_looked_at_in_its_place():
    from datetime import UTC, datetime, timedelta
    from types import SimpleNamespace

    from deskapp.live import keep_in_view
    from tickets.store.queries import TicketPage

    t0 = datetime(2026, 11, 22, 12, tzinfo=UTC)
    first, decided, new = (SimpleNamespace(id=i, created_at=t0 + timedelta(minutes=i)) for i in (1, 2, 3))
    before = TicketPage(rows=(first, decided), next_cursor=None)
    after = TicketPage(rows=(first, new), next_cursor=None)  # 2 was decided, 3 was filed
    assert [r.id for r in keep_in_view(after, before, 2).rows] == [1, 2, 3]
    assert keep_in_view(after, before, 1) is after  # still waiting: nothing to keep
    assert keep_in_view(after, before, None) is after  # nothing highlighted
    assert [r.id for r in keep_in_view(after, None, 2).rows] == [1, 3]  # never shown: nothing to keep
