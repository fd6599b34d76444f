"""Every screen at 80x24, the supervisor screens included, reached by keys
(tools/screen_tour.py). Each was looked at before it was accepted: no clipped word, tables
shortened with an ellipsis, panes stacked."""

from __future__ import annotations

import pytest

from screen_tour import STOPS
from screenshots import settle

SIZE = (80, 24)


@pytest.mark.parametrize("stop", STOPS, ids=[s.name for s in STOPS])
def test_every_screen_at_80x24(snap_compare, seeded_store, clock, stop):
    from deskapp.factory import make_app

    if stop.prepare is not None:
        stop.prepare(seeded_store)

    async def run_before(pilot):
        await stop.drive(pilot)
        await settle(pilot)
        for field in pilot.app.screen.query("Input"):
            field.cursor_blink = False
        await pilot.pause()

    assert snap_compare(make_app(seeded_store, clock), terminal_size=SIZE, run_before=run_before)
