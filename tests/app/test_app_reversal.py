"""R-1 by keys: the demo's Dynamics 365 subscription was cancelled 10 days before testkit.T0.
Moving the clock 19 days makes it day 29 (allowed, filed); 21 days makes it day 31 (refused)."""

from __future__ import annotations

from datetime import timedelta

from deskapp_testing import make_app, notifications, screen_text, tickets_of

from deskapp.screens.account import AccountScreen
from deskapp.screens.filed import FiledScreen
from screenshots import demo_caller, highlight, open_form, settle, sign_in, take_call


async def test_reversal_on_day_29_is_allowed_and_filed(seeded, clock):
    clock.advance(timedelta(days=19))
    app = make_app(seeded, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "ada", "1111")
        await take_call(pilot, demo_caller("d365-reversal"))
        await highlight(pilot, "#subscriptions", "SUB-0010")
        assert "✓ 30-day reversal — allowed" in screen_text(app, "#kinds")
        await open_form(pilot, "SUB-0010", "reversal")
        assert "Reversal deadline: 2026-12-12" in screen_text(app, "#consequences")
        await pilot.press("space", "down", "space")
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, FiledScreen)
        assert "30-day reversal · pending review" in screen_text(app)
        [row] = tickets_of(seeded, app.agent.id)
        assert row.kind.value == "reversal" and row.status.value == "pending_review"


async def test_reversal_on_day_31_is_refused_with_r1(seeded, clock):
    clock.advance(timedelta(days=21))
    app = make_app(seeded, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "ada", "1111")
        await take_call(pilot, demo_caller("d365-reversal"))
        await highlight(pilot, "#subscriptions", "SUB-0010")
        kinds = screen_text(app, "#kinds")
        assert "✗ 30-day reversal — refused" in kinds
        assert "R-1: the cancellation took effect on 2026-11-12; it could be reversed until 2026-12-12" in kinds
        await open_form(pilot, "SUB-0010", "reversal")
        assert isinstance(app.screen, AccountScreen)
        assert "Refused: R-1" in notifications(app)
        assert tickets_of(seeded, app.agent.id) == ()
