"""The desk's settings in the console: its time zone for every time shown and for the
dashboard's "today", a key map, a theme remembered when chosen, and a log that keeps worker
failures with their tracebacks and never a caller's facts."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import UTC, timedelta

import pytest
from deskapp_testing import demo_claim, landed_on, make_app, text_of, wait_until
from sqlalchemy.exc import OperationalError

import tickets.verification
from deskapp.config import load_settings, state_file
from deskapp.logs import log_file
from deskapp.widgets.format import set_desk_zone, when
from screenshots import end_call_keys, settle, sign_in, take_call, type_text
from tickets.agents import list_agents
from tickets.demo import DEMO_CALLERS
from tickets.verification import start_call

SIZE = (120, 40)


def test_times_are_shown_in_the_desk_zone():
    from zoneinfo import ZoneInfo

    from testkit import T0  # 2026-11-22 12:00 UTC

    try:
        set_desk_zone(ZoneInfo("Asia/Shanghai"))
        assert when(T0) == "2026-11-22 20:00 CST"
        set_desk_zone(ZoneInfo("America/Los_Angeles"))
        assert when(T0) == "2026-11-22 04:00 PST"
        assert when(T0 - timedelta(hours=12, minutes=1)) == "2026-11-21 15:59 PST"
    finally:
        from datetime import UTC

        set_desk_zone(UTC)
    assert when(T0) == "2026-11-22 12:00 UTC"


@pytest.mark.parametrize(
    ("zone", "as_of", "today", "calls_today"),
    [
        # 23:00 UTC the day before is 07:00 in Shanghai: today there, yesterday in UTC.
        ("Asia/Shanghai", "As of 2026-11-22 20:00 CST · today: since 00:00 CST", -13, 2),
        # 07:00 UTC is 23:00 the day before in Los Angeles: not its today, though UTC's.
        ("America/Los_Angeles", "As of 2026-11-22 04:00 PST · today: since 00:00 PST", -5, 1),
    ],
)
async def test_dashboard_counts_the_desk_s_today(seeded, clock, zone, as_of, today, calls_today):
    from deskapp.screens.dashboard import DashboardScreen

    ada = next(a for a in list_agents(seeded) if a.name == "ada")
    clock.advance(timedelta(hours=today))
    start_call(seeded, ada)
    clock.advance(timedelta(hours=-today))
    start_call(seeded, ada)  # now: today everywhere
    app = make_app(seeded, clock, settings=load_settings({"time_zone": zone}, environ={}))
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "linus", "3333")
        await pilot.press("d")
        await wait_until(pilot, lambda: landed_on(app, DashboardScreen) and app.screen.board is not None,
                         "the dashboard")
        await wait_until(pilot, lambda: as_of in text_of(app, "#dash-asof"), as_of)
        assert app.screen.board.call_counts[-1] == calls_today


async def test_key_map_and_a_remembered_theme(seeded, clock):
    from deskapp.screens.tickets import TicketListScreen

    settings = load_settings(environ={"DESKAPP_THEME": "nord"}, flags={})
    settings.items["keys"] = settings.items["keys"].__class__("keys", {"my_tickets": "m"}, "test")
    app = make_app(seeded, clock, settings=settings)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "ada", "1111")
        assert app.theme == "nord"
        await pilot.press("t")  # the built-in key is replaced by the key map
        await settle(pilot)
        assert not isinstance(app.screen, TicketListScreen)
        await pilot.press("m")
        await wait_until(pilot, lambda: landed_on(app, TicketListScreen), "my tickets on m")
        app.theme = "dracula"  # as the command palette's "Change theme" does
        await wait_until(pilot, lambda: state_file().exists(), "the state file")
    assert json.loads(state_file().read_text())["theme"] == "dracula"
    assert load_settings(environ={})["theme"] == "dracula"


def _facts(caller: dict) -> set[str]:
    """Everything personal a demo caller says: user ID, phone (as said and as digits), names,
    address lines, city and postal code."""
    name = caller["caller"].split(" (")[0]
    digits = re.sub(r"\D", "", caller["phone"]).lstrip("0")
    facts = {caller["user_id"], caller["phone"], digits, name, *name.split(), caller["contact_first_name"],
             caller["contact_last_name"], *caller["street_lines"], caller["city"], caller["postal_code"]}
    return {f for f in facts if len(f) >= 3}


def _verify_in_the_core(store, agent, caller: dict) -> None:
    from sqlmodel import select

    from tickets.store.models import Organization

    with store.read() as session:
        org_id = session.exec(select(Organization.id).where(Organization.ref == caller["org_ref"])).one()
    call_id = start_call(store, agent)
    tickets.verification.verify_caller(store, agent=agent, organization_id=org_id, claim=demo_claim(caller["key"]),
                                       call_id=call_id)


@pytest.mark.slow
async def test_the_log_keeps_failures_and_no_caller_facts(seeded, clock, monkeypatch):
    real = tickets.verification.verify_caller
    failing = {DEMO_CALLERS[0]["user_id"]: "crash", DEMO_CALLERS[2]["user_id"]: "store"}

    def flaky(store, *, agent, organization_id, claim, **kwargs):
        mode = failing.get(claim.user_id)
        if mode == "crash":  # an exception quoting what was typed, as parsers and drivers do
            raise ValueError(f"cannot match {claim.user_id} {claim.phone} {claim.address}")
        if mode == "store":  # a driver error carrying the statement and its parameters
            with store.read():
                raise OperationalError("SELECT * FROM person WHERE user_id = ?", (claim.user_id, claim.phone),
                                       sqlite3.OperationalError("disk I/O error"))
        return real(store, agent=agent, organization_id=organization_id, claim=claim, **kwargs)

    monkeypatch.setattr(tickets.verification, "verify_caller", flaky)
    # Through the console: the two failures, a pass, and the caller who fails as a whole (V-2).
    by_console = [DEMO_CALLERS[0], DEMO_CALLERS[2], DEMO_CALLERS[1], DEMO_CALLERS[-1]]
    app = make_app(seeded, clock)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "ada", "1111")
        for caller in by_console:
            await take_call(pilot, caller)
            await end_call_keys(pilot)
            await type_text(pilot, "wrap-up")
            await pilot.press("enter")
            await settle(pilot)
            clock.advance(timedelta(minutes=5))
        await settle(pilot)
    # The other callers' calls through the core, the log still attached (console runs are slow).
    ada = next(a for a in list_agents(seeded) if a.name == "ada")
    for caller in DEMO_CALLERS:
        if caller not in by_console:
            _verify_in_the_core(seeded, ada, caller)
    log = log_file().read_text(encoding="utf-8")
    assert "Traceback (most recent call last):" in log and "in flaky" in log
    assert "builtins.ValueError" in log
    assert "tickets.errors.StoreUnavailable" in log and "store error: OperationalError: disk I/O error" in log
    for caller in DEMO_CALLERS:
        leaked = sorted(fact for fact in _facts(caller) if fact in log)
        assert leaked == [], f"{caller['key']}: {leaked}"


async def test_the_export_screen_suggests_the_desk_s_export_folder(seeded, clock, tmp_path):
    from deskapp.screens.export import ExportScreen

    folder = tmp_path / "exports"
    settings = load_settings(environ={"DESKAPP_EXPORT_DIR": str(folder)})
    app = make_app(seeded, clock, settings=settings)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "linus", "3333")
        await pilot.press("x")
        await wait_until(pilot, lambda: landed_on(app, ExportScreen), "the export screen")
        await wait_until(pilot, lambda: app.screen.query_one("#export-path").value, "a suggested path")
        assert app.screen.query_one("#export-path").value == str(folder / "deskapp-tickets-20261122-1200.csv")


async def test_an_unknown_theme_is_named_and_the_default_kept(seeded, clock):
    from deskapp_testing import notifications

    app = make_app(seeded, clock, settings=load_settings(environ={"DESKAPP_THEME": "no-such-theme"}))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.theme == "textual-dark"
        assert "theme: 'no-such-theme' is not a theme (environment (DESKAPP_THEME))" in notifications(app)
    assert not state_file().exists()  # nothing chosen, nothing remembered


async def test_the_header_names_the_desk_zone_and_a_transfer_time_is_typed_in_it(seeded, clock):
    """Asia/Shanghai: the header names the zone once; M-3's transfer time typed as 09:00 desk
    time is stored as 01:00 UTC (tickets.desk_time)."""
    from deskapp_testing import tickets_of

    from tickets.store.queries import ticket_detail

    app = make_app(seeded, clock, settings=load_settings({"time_zone": "Asia/Shanghai"}, environ={}))
    try:
        await _migrate_at_nine(app)
    finally:
        set_desk_zone(UTC)
    [row] = tickets_of(seeded, app.agent.id)
    assert ticket_detail(seeded, row.id).fields["transfer_at"] == "2026-12-05T01:00:00Z"


async def _migrate_at_nine(app) -> None:
    from test_app_ticket_kinds import call_for, file_it, open_form, tick_all

    async with app.run_test(size=(100, 30)) as pilot:
        await call_for(pilot, "d365-migration")
        assert app.title.endswith("· Asia/Shanghai")
        await open_form(pilot, "SUB-0018", "migration_on_premises")
        await tick_all(pilot, 2)
        await pilot.press("tab")
        await type_text(pilot, "2026-12-05 09:00")
        await pilot.press("tab")
        await type_text(pilot, "it-ops@mueller-praezision.de")
        await file_it(pilot)
