"""The review queue shows how long each ticket has waited and marks those past the desk's limit
(`review_late_minutes` in the desk's TOML config, 30 minutes by default), on the desk's clock:
the tests move a FixedClock instead of waiting."""

from __future__ import annotations

from datetime import timedelta

import pytest
from deskapp_testing import make_app, sign_in_as, wait_until
from textual.widgets import Static

import testkit
from deskapp.config import load_settings
from deskapp.widgets.fit_table import FitTable
from deskapp.widgets.review_rows import LATE_STYLE

SIZE = (80, 24)


@pytest.fixture
def store(seeded):
    return seeded


def waiting_column(app) -> list[str]:
    table = app.screen.query_one("#review-table", FitTable)
    return [cells[3] for _key, cells in table.full_rows]


def page_line(app) -> str:
    return str(app.screen.query_one("#review-page", Static).visual)


async def open_queue(pilot) -> None:
    app = pilot.app
    await sign_in_as(pilot, "linus")
    await pilot.press("r")
    await wait_until(pilot, lambda: type(app.screen).__name__ == "ReviewQueueScreen" and app.screen.page is not None,
                     what="the review queue")


async def test_tickets_waiting_over_30_minutes_are_marked_late_by_default(store, clock):
    # 24 tickets, 3 minutes apart: they have waited 72, 69, ... 3 minutes.
    testkit.seed_review_queue(store, 24, now=clock.now())
    app = make_app(store, clock)
    async with app.run_test(size=SIZE) as pilot:
        await open_queue(pilot)
        cells = waiting_column(app)
        assert cells[0] == "late 1 h 12 min" and cells[13] == "late 33 min", cells
        assert cells[14] == "30 min" and cells[-1] == "3 min", cells  # 30 is not past 30
        assert "14 late (over 30 min)" in page_line(app)
        table = app.screen.query_one("#review-table", FitTable)
        keys = [key for key, _cells in table.full_rows]
        assert table.cell_styles == {(key, "age"): LATE_STYLE for key in keys[:14]}
        # Ten minutes on, the same queue (the desk's clock; `r` reads it again): four more are late.
        clock.advance(timedelta(minutes=10))
        await pilot.press("r")
        await wait_until(pilot, lambda: "18 late (over 30 min)" in page_line(app), what="18 late after 10 minutes")
        assert waiting_column(app)[17] == "late 31 min" and waiting_column(app)[18] == "28 min"


async def test_the_limit_comes_from_the_desks_config_file(store, clock, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text("review_late_minutes = 60\n", encoding="utf-8")
    settings = load_settings(environ={}, config_path=config)
    assert settings.items["review_late_minutes"].source.startswith("config file")
    testkit.seed_review_queue(store, 24, now=clock.now())
    app = make_app(store, clock, settings=settings)
    async with app.run_test(size=SIZE) as pilot:
        await open_queue(pilot)
        cells = waiting_column(app)
        assert [c for c in cells if c.startswith("late")] == [
            "late 1 h 12 min", "late 1 h 9 min", "late 1 h 6 min", "late 1 h 3 min"]
        assert "4 late (over 1 h 0 min)" in page_line(app)
