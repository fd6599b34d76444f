"""Search from any screen (ctrl+f) with a loading indicator, and notices for the filing agent
when a supervisor decides a ticket of theirs, wherever they are in the console."""

from __future__ import annotations

import pytest
from deskapp_testing import landed_on, make_app, notifications, screen_text, wait_until
from textual.widgets import OptionList

import deskapp.desk
from deskapp.screens.search import SearchScreen
from deskapp.screens.ticket import TicketScreen
from screenshots import new_call_and_find, settle, sign_in, type_text
from testkit import file_demo_ticket
from tickets.agents import list_agents
from tickets.lifecycle import approve, record_callback, reject
from tickets.store.models import ticket_ref

SIZE = (120, 40)
RAJ = "raj.kumar@northwindtraders.co.uk"


def _options(app) -> list[str]:
    results = app.screen.query_one("#search-results", OptionList)
    return [results.get_option_at_index(i).id for i in range(results.option_count)]


async def test_search_a_ticket_number_from_inside_a_call(seeded, clock):
    tid = file_demo_ticket(seeded, user_id=RAJ)
    app = make_app(seeded, clock)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "grace", "2222")
        await new_call_and_find(pilot, "Fabrikam")  # in a call, on the verification screen
        await pilot.press("ctrl+f")
        await wait_until(pilot, lambda: landed_on(app, SearchScreen), "the search screen")
        await type_text(pilot, ticket_ref(tid).lower())
        await pilot.press("enter")
        await wait_until(pilot, lambda: _options(app) == [f"ticket:{tid}"], "the ticket")
        assert "Taken as ticket number: 1 ticket." in screen_text(app, "#search-note")
        await pilot.press("down", "enter")
        await wait_until(pilot, lambda: landed_on(app, TicketScreen), "the ticket screen")
        assert app.screen.ticket_id == tid
        await pilot.press("escape")
        await pilot.press("escape")
        await settle(pilot)
        assert app.call is not None  # the call is still open where it was


async def test_search_an_organization_then_its_tickets_and_a_caller(seeded, clock):
    tid = file_demo_ticket(seeded, user_id=RAJ)
    app = make_app(seeded, clock)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "ada", "1111")
        await pilot.press("ctrl+f")
        await type_text(pilot, "northwind")
        await pilot.press("enter")
        await wait_until(pilot, lambda: _options(app) == ["org:ORG-0003", f"ticket:{tid}"], "org and ticket")
        field = app.screen.query_one("#search-text")
        field.value = ""
        await type_text(pilot, "Ltd")
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(_options(app)) > 1 and all(o.startswith("org:") for o in _options(app)),
                         "several organizations")
        await pilot.press("down", "enter")  # the first organization: its ref, then its tickets
        app.screen.query_one("#search-text").focus()
        await wait_until(pilot, lambda: app.screen.result.taken_as == "organization ref", "by ref")
        field.value = ""
        await type_text(pilot, RAJ.upper())
        await pilot.press("enter")
        await wait_until(pilot, lambda: _options(app) == [f"ticket:{tid}"], "the caller's ticket")
        field.value = ""
        await type_text(pilot, "x@")
        await pilot.press("enter")
        await wait_until(pilot, lambda: "Search: not a valid user ID (V-3)" in screen_text(app, "#search-note"),
                         "the refusal")


async def test_the_results_show_a_loading_indicator_while_the_search_runs(seeded, clock, monkeypatch):
    import threading

    import tickets.search

    release = threading.Event()
    real = tickets.search.search

    def slow(store, text, **kwargs):
        release.wait(10)
        return real(store, text, **kwargs)

    monkeypatch.setattr(tickets.search, "search", slow)
    app = make_app(seeded, clock)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "ada", "1111")
        await pilot.press("ctrl+f")
        await type_text(pilot, "TK-1")
        await pilot.press("enter")
        results = app.screen.query_one("#search-results", OptionList)
        await wait_until(pilot, lambda: results.loading, "the loading indicator")
        await pilot.press("escape")  # keys still work while it loads
        await wait_until(pilot, lambda: not landed_on(app, SearchScreen), "back")
        release.set()
        await settle(pilot)


@pytest.fixture
def quick_notices(monkeypatch):
    monkeypatch.setattr(deskapp.desk, "NOTICE_INTERVAL", 0.05)


async def test_the_filing_agent_is_told_of_decisions_wherever_they_are(seeded, clock, quick_notices):
    agents = {a.name: a for a in list_agents(seeded)}
    waiting = file_demo_ticket(seeded, user_id=RAJ, status="pending_review", needs_callback=True)
    other = file_demo_ticket(seeded, user_id="james.oconnor@fabrikam.co.uk", status="pending_review",
                             agent="grace")
    refused = file_demo_ticket(seeded, user_id="kevin.liu@adventure-works.com", status="pending_review")
    app = make_app(seeded, clock)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "ada", "1111")
        await wait_until(pilot, lambda: "Callback needed" in notifications(app), "the callback notice")
        assert f"wait for a callback to the number on file before a supervisor can decide (V-8): " \
               f"{ticket_ref(waiting)}" in notifications(app)
        await new_call_and_find(pilot, "Fabrikam")  # busy in a call
        record_callback(seeded, agent=agents["linus"], ticket_id=waiting, note="called back")
        approve(seeded, supervisor=agents["linus"], ticket_id=waiting)
        reject(seeded, supervisor=agents["linus"], ticket_id=other, reason="not the billing admin")
        reject(seeded, supervisor=agents["margaret"], ticket_id=refused, reason="the term ends next week")
        await wait_until(pilot, lambda: "was approved by linus" in notifications(app), "the approval")
        shown = notifications(app)
        assert f"Your ticket {ticket_ref(waiting)}: {ticket_ref(waiting)} was approved by linus." in shown
        assert f"{ticket_ref(refused)} was rejected by margaret: the term ends next week" in shown
        assert ticket_ref(other) not in shown  # grace's ticket: not ada's news
        assert shown.count("was approved") == 1
        await pilot.pause(0.3)
        assert notifications(app).count("was approved") == 1  # told once, not at every check
