"""Signing in: name and PIN by keys, the agent in the header, three wrong PINs lock a minute."""

from __future__ import annotations

from datetime import timedelta

from deskapp.screens.home import HomeScreen
from deskapp.screens.signin import SignInScreen
from deskapp.screenshots import settle, sign_in, type_text
from deskapp_testing import make_app, text_of


async def test_sign_in_shows_agent_and_role_in_header(seeded, clock):
    app = make_app(seeded, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "ada", "1111")
        assert isinstance(app.screen, HomeScreen)
        assert app.title == "deskapp · Ada Lovelace (ada, agent)"
        header = app.screen.query_one("Header")
        assert "Ada Lovelace (ada, agent)" in "".join(str(w.render()) for w in header.query("*"))
        await pilot.press("o")  # sign out
        await settle(pilot)
        assert isinstance(app.screen, SignInScreen) and app.agent is None and app.title == "deskapp"


async def test_three_wrong_pins_lock_the_console_for_a_minute(seeded, clock):
    app = make_app(seeded, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await type_text(pilot, "ada")
        await pilot.press("enter")
        for left in (2, 1):
            await type_text(pilot, "9999")
            await pilot.press("enter")
            await settle(pilot)
            assert f"{left} tr" in text_of(app, "#signin-status")
        await type_text(pilot, "9999")
        await pilot.press("enter")
        await settle(pilot)
        assert "locked until 12:01:00 UTC" in text_of(app, "#signin-status")
        # The right PIN is refused while locked ...
        await type_text(pilot, "1111")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, SignInScreen)
        assert "locked" in text_of(app, "#signin-status")
        # ... and accepted a minute later.
        clock.advance(timedelta(seconds=61))
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
