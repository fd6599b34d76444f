"""The dashboard screen shows tickets.dashboard's figures (computed in SQL, tested in
tests/unit/dashboard) and recomputes them on `r`."""

from __future__ import annotations

from datetime import timedelta

import pytest
from deskapp_testing import demo_claim, landed_on, make_app, sign_in_as, text_of, wait_until
from sqlmodel import select

from tickets.agents import list_agents
from tickets.demo import DEMO_CALLERS
from tickets.store.models import Organization
from tickets.verification import start_call, verify_caller

SIZE = (120, 40)


@pytest.fixture
def store(seeded):
    return seeded


@pytest.fixture
def agents(store):
    return {a.name: a for a in list_agents(store)}


def fail_verification(store, agent, times: int) -> None:
    script = next(c for c in DEMO_CALLERS if c["key"] == "intune-product-key")
    with store.read() as session:
        org_id = session.exec(select(Organization.id).where(Organization.ref == script["org_ref"])).one()
    claim = demo_claim(script["key"], contact_first_name="Nobody")
    for _ in range(times):
        assert not verify_caller(store, agent=agent, organization_id=org_id, claim=claim).passed


async def test_dashboard_shows_the_figures_and_refreshes(store, clock, agents):
    from textual.widgets import DataTable, Sparkline

    from deskapp.screens.dashboard import DashboardScreen

    ada, grace = agents["ada"], agents["grace"]
    clock.advance(timedelta(days=-2))
    start_call(store, ada)  # two days ago
    clock.advance(timedelta(days=2))
    for agent in (ada, grace, grace):
        start_call(store, agent)  # today
    fail_verification(store, ada, 3)  # locks the organization (V-5)

    app = make_app(store, clock)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in_as(pilot, "margaret")
        await pilot.press("d")
        await wait_until(pilot, lambda: landed_on(app, DashboardScreen) and app.screen.board is not None)
        screen = app.screen
        assert screen.board.call_counts[-3:] == [1, 0, 3]
        assert screen.query_one("#dash-calls", Sparkline).data[-4:] == [3.0] * 4
        await wait_until(pilot, lambda: "4 calls in 14 days · today 3" in text_of(app, "#dash-calls-figures"))
        figures = text_of(app, "#dash-figures")
        assert "Today This week Tickets filed 0 0" in figures
        assert "Failed verifications 3 of 3 3 of 3" in figures
        assert "Lockouts (V-5) 1 1" in figures
        assert "Waiting for review (X-2): 0 tickets" in figures
        assert "As of 2026-11-22 12:00 UTC" in text_of(app, "#dash-asof")
        assert app.screen.query_one("#dash-agents", DataTable).get_row_at(0)[1] == ""

        start_call(store, ada)
        clock.advance(timedelta(hours=1))
        await pilot.press("r")
        await wait_until(pilot, lambda: "As of 2026-11-22 13:00 UTC" in text_of(app, "#dash-asof"))
        assert screen.board.call_counts[-1] == 4
        await wait_until(pilot, lambda: "5 calls in 14 days · today 4" in text_of(app, "#dash-calls-figures"))


async def test_dashboard_names_handoff_deliveries_parked_as_failed(store, clock):
    from sqlalchemy import text

    from deskapp.screens.dashboard import DashboardScreen

    with store.write() as session:  # what `deskapp relay` leaves when a destination stays down
        session.execute(text("INSERT INTO handoff_destination (name, kind, url, enabled, updated_at) "
                             "VALUES ('billing', 'webhook', 'https://billing.example.com/', 1, :at)"),
                        {"at": clock.now().replace(tzinfo=None).isoformat(sep=" ")})
        for n in (1, 2):
            session.execute(text(
                "INSERT INTO handoff_outbox (destination, event_seq, event_key, ticket_id, occasion, created_at, "
                "state, attempts, next_at) VALUES ('billing', :n, :k, 1, 'filed', :at, 'parked', 9, :at)"),
                {"n": n, "k": f"key{n}", "at": clock.now().replace(tzinfo=None).isoformat(sep=" ")})
    app = make_app(store, clock)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in_as(pilot, "margaret")
        await pilot.press("d")
        await wait_until(pilot, lambda: landed_on(app, DashboardScreen) and app.screen.board is not None)
        await wait_until(pilot, lambda: "2 deliveries parked as failed" in text_of(app, "#dash-figures"))
