"""Signing in: name and PIN by keys, the agent in the header, five wrong PINs lock the agent (in the database)."""

from __future__ import annotations

from datetime import timedelta

from deskapp_testing import make_app, text_of

from deskapp.screens.home import HomeScreen
from deskapp.screens.signin import SignInScreen
from screenshots import settle, sign_in, type_text


async def test_sign_in_shows_agent_and_role_in_header(seeded, clock):
    app = make_app(seeded, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "ada", "1111")
        assert isinstance(app.screen, HomeScreen)
        assert app.title == "deskapp · Ada Lovelace (ada, agent) · UTC"
        header = app.screen.query_one("Header")
        assert "Ada Lovelace (ada, agent)" in "".join(str(w.render()) for w in header.query("*"))
        await pilot.press("s")  # sign out: asks first
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, SignInScreen) and app.agent is None and app.title == "deskapp"


async def test_five_wrong_pins_lock_the_agent_in_the_database_for_15_minutes(seeded, clock):
    from tickets.signin import sign_in_locks

    app = make_app(seeded, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await type_text(pilot, "ada")
        await pilot.press("enter")
        for _ in range(4):
            await type_text(pilot, "9999")
            await pilot.press("enter")
            await settle(pilot)
            assert "do not match" in text_of(app, "#signin-status")
        await type_text(pilot, "9999")
        await pilot.press("enter")
        await settle(pilot)
        # One answer for a wrong PIN and a lock alike: it tells nobody which names exist.
        assert "do not match, or the name is locked" in text_of(app, "#signin-status")
        # The right PIN is refused while locked, and a new console does not reset it ...
        await type_text(pilot, "1111")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, SignInScreen)
        assert "locked" in text_of(app, "#signin-status")
        assert [lock.name for lock in sign_in_locks(seeded)] == ["ada"]  # the lock is the database's
    app = make_app(seeded, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "ada", "1111")
        assert isinstance(app.screen, SignInScreen) and "locked" in text_of(app, "#signin-status")
        # ... and accepted 15 minutes later.
        clock.advance(timedelta(minutes=15, seconds=1))
        await type_text(pilot, "1111")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
