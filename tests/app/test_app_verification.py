"""Blind verification by keys: three failures lock the organization (V-5), malformed input costs
no attempt (V-4), nothing on file shows before a pass, and what a refusal looks like."""

from __future__ import annotations

from deskapp_testing import make_app, notifications, screen_text

from deskapp.screens.account import AccountScreen
from deskapp.screens.verification import VerificationScreen
from screenshots import (
    demo_caller,
    fill_verification,
    highlight,
    new_call_and_find,
    settle,
    sign_in,
    take_call,
)


async def test_three_failed_verifications_lock_the_organization(seeded, clock):
    from tickets.verification import lockout_status

    caller = demo_caller("intune-expedited")
    app = make_app(seeded, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "ada", "1111")
        await new_call_and_find(pilot, caller["org_name"])
        assert isinstance(app.screen, VerificationScreen)
        # V-4: no field shows anything on file before a pass.
        assert all(value == "" for value in (w.value for w in app.screen.query("Input")))
        await fill_verification(pilot, caller, phone="0161 496 0999")  # well formed, not on file
        shown = []
        for _ in range(3):
            await pilot.press("ctrl+s")
            await settle(pilot)
            shown.append(screen_text(app, "#verify-result"))
        assert shown[0].startswith("Verification failed. 2 attempts left")
        assert shown[1].startswith("Verification failed. 1 attempt left")
        assert "locked for ORG-0002 until 2026-11-23 12:00 UTC" in shown[2]
        assert "Ask a supervisor to unlock it (V-5) or call back after 2026-11-23 12:00 UTC" in shown[2]
        # Pass or fail as a whole: which factor missed is never said.
        assert not any("phone" in text.lower() for text in shown)
        assert app.screen.check_action("verify", ()) is None  # the key is greyed out
        handle = app.call.handle
    assert lockout_status(seeded, handle.id).locked


async def test_malformed_input_is_flagged_per_field_and_costs_no_attempt(seeded, clock):
    from tickets.verification import lockout_status

    caller = demo_caller("intune-expedited")
    app = make_app(seeded, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "ada", "1111")
        await new_call_and_find(pilot, caller["org_name"])
        await fill_verification(pilot, caller, user_id="james.oconnor", phone="12", country="UK1")
        # Live feedback while typing (identity's checks), before any submit.
        assert "(V-3)" in screen_text(app, "#field-user_id .field-message")
        assert "phone number" in screen_text(app, "#field-phone .field-message")
        assert "two-letter" in screen_text(app, "#field-country .field-message")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "no attempt was used (V-4)" in screen_text(app, "#verify-result")
        handle = app.call.handle
    assert lockout_status(seeded, handle.id).attempts_left == 3


async def test_phone_is_formatted_as_you_type_with_the_organization_region(seeded, clock):
    caller = demo_caller("intune-expedited")
    app = make_app(seeded, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "ada", "1111")
        await new_call_and_find(pilot, caller["org_name"])
        await pilot.press("tab", *"01614960101")
        assert app.screen.query_one("#phone").value == "0161 496 0101"


async def test_refused_kind_shows_its_rule_and_reason(seeded, clock):
    app = make_app(seeded, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "ada", "1111")
        await take_call(pilot, demo_caller("intune-trial"))
        await highlight(pilot, "#subscriptions", "SUB-0021")
        kinds = screen_text(app, "#kinds")
        assert "✗ End-of-term cancellation — refused" in kinds
        assert "C-3: Intune trial subscriptions cannot be cancelled; it expires on" in kinds
        await pilot.press("enter")  # to the kinds
        await highlight(pilot, "#kinds", "cancel_end_of_term")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, AccountScreen)  # no form for a refused kind
        assert "Refused: C-3: Intune trial subscriptions cannot be cancelled" in notifications(app)
