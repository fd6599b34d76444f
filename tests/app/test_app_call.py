"""A call's edges by keys: Escape keeps typed input, errors keep it too (and the T-3 key),
a refused filing says why, and ending the call clears every caller detail."""

from __future__ import annotations

from deskapp_testing import demo_claim, make_app, notifications, screen_text, tickets_of

from deskapp.screens.account import AccountScreen
from deskapp.screens.filed import FiledScreen
from deskapp.screens.home import HomeScreen
from deskapp.screens.ticket_form import TicketFormScreen
from deskapp.screens.verification import VerificationScreen
from deskapp.screens.wrap_up import WrapUpScreen
from screenshots import (
    demo_caller,
    fill_verification,
    new_call_and_find,
    open_form,
    settle,
    sign_in,
    take_call,
    type_text,
)


async def test_escape_from_a_half_filled_form_keeps_what_was_typed(seeded, clock):
    app = make_app(seeded, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "ada", "1111")
        # Escape from the verification form and back: typed answers are still there.
        caller = demo_caller("o365-support-only")
        await new_call_and_find(pilot, caller["org_name"])
        await type_text(pilot, caller["user_id"])
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("enter")  # the same organization again
        await settle(pilot)
        assert isinstance(app.screen, VerificationScreen)
        assert app.screen.query_one("#user_id").value == caller["user_id"]
        await pilot.press("ctrl+u")
        await fill_verification(pilot, caller)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, AccountScreen)
        await open_form(pilot, "SUB-0031", "cancel_early")
        await pilot.press("space", "tab")
        await type_text(pilot, "2026-12-31")
        await pilot.press("tab", "tab")
        await type_text(pilot, "too expensive")
        key = app.screen.state.idempotency_key
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, AccountScreen)
        await pilot.press("enter")  # the kinds list kept its place: early cancellation
        await settle(pilot)
        assert isinstance(app.screen, TicketFormScreen)
        assert app.screen.query_one("#requested_date").value == "2026-12-31"
        assert app.screen.query_one("#reason").value == "too expensive"
        assert app.screen.query_one("#checklist").selected == ["remove_domains"]
        assert "Effective date: 2026-12-31" in screen_text(app, "#consequences")
        assert app.screen.state.idempotency_key == key


async def test_lost_database_keeps_input_and_the_retry_files_once(seeded, clock, monkeypatch):
    import tickets.filing
    from tickets.errors import StoreUnavailable

    real = tickets.filing.file_ticket
    calls = []

    def unavailable(store, **kwargs):
        calls.append(kwargs["request"].idempotency_key)
        raise StoreUnavailable("the database cannot be reached: connection refused")

    app = make_app(seeded, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "ada", "1111")
        await take_call(pilot, demo_caller("intune-expedited"))
        await open_form(pilot, "SUB-0003", "cancel_end_of_term")
        await pilot.press("space", "tab", "tab")
        await type_text(pilot, "budget cut")
        monkeypatch.setattr(tickets.filing, "file_ticket", unavailable)
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, TicketFormScreen)
        assert "Database unavailable: the database cannot be reached" in notifications(app)
        assert "What you typed is kept" in notifications(app)
        assert "the database cannot be reached" in screen_text(app, "#form-problems")
        assert app.screen.query_one("#note").value == "budget cut"
        assert calls == [app.screen.state.idempotency_key]  # T-3: the retry reuses it
        # An unexpected error is named by its type only.
        monkeypatch.setattr(tickets.filing, "file_ticket", lambda store, **kw: calls.append(kw) or 1 / 0)
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert "unexpected error, nothing was saved: ZeroDivisionError" in notifications(app)
        monkeypatch.setattr(tickets.filing, "file_ticket", real)
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, FiledScreen)
    rows = tickets_of(seeded, app.agent.id)
    assert len(rows) == 1
    from tickets.store.queries import ticket_detail

    assert ticket_detail(seeded, rows[0].id).fields["note"] == "budget cut"


async def test_refused_filing_says_why_and_keeps_the_form(seeded, clock):
    """Another agent files a cancellation first (C-9): the core refuses ours with the reason."""
    from tickets.agents import authenticate
    from tickets.filing import FilingRequest, file_ticket
    from tickets.verification import find_organizations, verify_caller

    caller = demo_caller("intune-expedited")
    app = make_app(seeded, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "ada", "1111")
        await take_call(pilot, caller)
        await open_form(pilot, "SUB-0003", "cancel_end_of_term")
        await pilot.press("space")
        # Meanwhile Grace takes a call from the same organization and files first.
        grace = authenticate(seeded, name="grace", pin="2222")
        [handle] = find_organizations(seeded, org_name=caller["org_name"])
        claim = demo_claim(caller["key"])
        passed = verify_caller(seeded, agent=grace, organization_id=handle.id, claim=claim)
        file_ticket(seeded, agent=grace, verification_id=passed.verification_id, request=FilingRequest(
            kind=app.screen.kind, subscription_ref="SUB-0003", idempotency_key="grace-1",
            confirmed=frozenset({"turn_off_auto_renew"})))
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, TicketFormScreen)
        assert "C-9: TK-000001 (end-of-term cancellation, open) is already open" in screen_text(app, "#form-problems")
        assert "Not allowed" in notifications(app)
        assert app.screen.query_one("#checklist").selected == ["turn_off_auto_renew"]
    assert tickets_of(seeded, app.agent.id) == ()


async def test_ending_the_call_needs_a_clean_note_and_clears_the_caller(seeded, clock):
    app = make_app(seeded, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "ada", "1111")
        await take_call(pilot, demo_caller("intune-expedited"))
        assert "Phone on file" in screen_text(app, "#account-summary")
        await pilot.press("ctrl+g")
        await settle(pilot)
        assert isinstance(app.screen, WrapUpScreen)
        await type_text(pilot, "caller said password is Hunter2!")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, WrapUpScreen)
        assert "(V-6)" in screen_text(app, "#field-wrap_up_note .field-message")
        await pilot.press("ctrl+u")
        await type_text(pilot, "asked about cancelling; nothing filed")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        assert app.call is None
        assert [type(s).__name__ for s in app.screen_stack][1:] == ["HomeScreen"]
        assert "James" not in screen_text(app) and "Call ended" in notifications(app)
        assert app.check_action("end_call", ()) is False
