"""Moving through the review queue with the arrow keys (Pilot; the real terminal is in
tests/terminal/test_terminal_review_queue.py). Reading the highlighted ticket once rebuilt the
table, whose rebuild moved the cursor to the first row and back: each move read two tickets,
each read rebuilt the table again, for ever, and every key waited behind the reads.
"""

from __future__ import annotations

import pytest
from deskapp_testing import make_app, rendered_text, sign_in_as, wait_until
from textual.app import App, ComposeResult
from textual.widgets import DataTable

import testkit
from deskapp.widgets.fit_table import FitTable
from tickets.enums import TicketStatus
from tickets.store import queries
from tickets.store.models import ticket_ref
from tickets.store.queries import ticket_detail

SIZE = (100, 30)


@pytest.fixture
def store(seeded):
    return seeded


def shown(app) -> int | None:
    from deskapp.screens.review import ReviewQueueScreen

    screen = app.screen
    if not isinstance(screen, ReviewQueueScreen) or screen.detail is None or screen._reading is not None:
        return None
    return screen.detail.row.id


async def test_down_reads_the_next_ticket_once_and_the_queue_settles(store, clock, monkeypatch):
    ids = testkit.seed_review_queue(store, 3, now=clock.now())
    reads: list[int] = []
    real = queries.ticket_detail

    def counted(store_, ticket_id):
        reads.append(ticket_id)
        return real(store_, ticket_id)

    monkeypatch.setattr(queries, "ticket_detail", counted)
    app = make_app(store, clock)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in_as(pilot, "linus")
        await pilot.press("r")
        await wait_until(pilot, lambda: shown(app) == ids[0], what="the first ticket")
        await pilot.press("down")
        await wait_until(pilot, lambda: shown(app) == ids[1], what="the second ticket after Down")
        before = len(reads)
        await pilot.pause(0.5)  # nobody types: nothing more is read (the loop read on and on)
        assert len(reads) == before, f"read again without a key: {reads[before:]}"
        assert reads.count(ids[1]) == 1, reads  # once, not again for its own note of who has it open
        assert app.screen.check_action("approve", ()) is not False  # its keys are offered
        await pilot.press("escape")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "HomeScreen", what="home after Esc")


async def test_keys_typed_ahead_move_to_the_seventh_and_approve_it(store, clock):
    """End, Home, then six Downs and `a` `y` at once: `a` waits until the 7th is read, then
    approves it, and only it."""
    ids = testkit.seed_review_queue(store, 24, now=clock.now())
    app = make_app(store, clock)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in_as(pilot, "linus")
        await pilot.press("r")
        await wait_until(pilot, lambda: shown(app) == ids[0], what="the first ticket")
        await pilot.press("end", "pagedown", "home", *["down"] * 7, "up", "a")
        await wait_until(pilot, lambda: f"Approve {ticket_ref(ids[6])}?" in rendered_text(app),
                         what="the approval dialog for the 7th")
        await pilot.press("y")
        await wait_until(pilot, lambda: ticket_detail(store, ids[6]).row.status is TicketStatus.APPROVED)
    statuses = {tid: ticket_detail(store, tid).row.status for tid in ids}
    assert [tid for tid, s in statuses.items() if s is TicketStatus.APPROVED] == [ids[6]]


class _TableApp(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.highlighted: list[str | None] = []

    def compose(self) -> ComposeResult:
        yield FitTable(id="t")

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.highlighted.append(event.row_key.value)


async def test_fit_table_keeps_its_cursor_quietly_when_cells_or_rows_change():
    """A changed cell, new rows or a resize keep the cursor on the same row (by key) and post no
    RowHighlighted; one is posted only when the highlighted row itself changed."""
    app = _TableApp()
    async with app.run_test(size=(60, 20)) as pilot:
        table = app.query_one(FitTable)
        table.set_columns([("Ticket", "ref", 6), ("Status", "status", 6)])
        table.set_rows([(str(n), (f"TK-{n}", "pending")) for n in range(5)])
        table.focus()
        await pilot.press("down", "down")
        await pilot.pause()
        assert table.highlighted_key() == "2"
        app.highlighted.clear()
        table.set_cell("2", "status", "approved")  # fits: written in place
        table.set_cell("2", "status", "a much longer status than before")  # wider: laid out again
        table.set_rows([(str(n), (f"TK-{n}", "pending")) for n in (9, 0, 1, 2, 3)])  # a new row above
        await pilot.resize_terminal(50, 20)
        await pilot.pause()
        assert table.highlighted_key() == "2" and table.cursor_row == 3
        assert app.highlighted == []
        table.set_rows([(str(n), (f"TK-{n}", "pending")) for n in (0, 1)])  # its row has gone
        await pilot.pause()
        assert app.highlighted == ["1"]
        await pilot.press("end")
        await pilot.pause()
        assert table.highlighted_key() == "1"
        await pilot.press("home")
        await pilot.pause()
        assert table.highlighted_key() == "0"
