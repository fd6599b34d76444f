"""Start-up and keys: the console module loads no database or validator library, the store
opens after the first paint (demo or checked schema), the header names the agent, supervisor
keys show only to supervisors, and the command palette offers the screen's actions."""

from __future__ import annotations

import subprocess
import sys

from deskapp_testing import make_app, screen_text

from deskapp.screens.call import CallScreen
from deskapp.screens.signin import SignInScreen
from screenshots import settle, sign_in, type_text

HEAVY = ("tickets", "identity", "sqlalchemy", "sqlmodel", "alembic", "phonenumbers", "email_validator")
# The translation function every screen's text goes through: the standard library's gettext only.
LIGHT = ("tickets", "tickets.i18n")


def test_importing_the_console_loads_no_database_or_validators():
    code = (
        "import sys, deskapp.app\n"
        f"print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r} and m not in {LIGHT!r})))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


async def test_demo_mode_opens_a_fresh_demo_database_and_shows_the_agents(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    stale = tmp_path / "deskapp" / "demo.db-wal"
    stale.parent.mkdir(parents=True)
    stale.write_text("left over")
    app = make_app(demo=True)
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.screen, SignInScreen)  # drawn before the database is open
        await settle(pilot, timeout=60)
        hint = screen_text(app, "#demo-hint")
        assert "ada / 1111" in hint and "linus / 3333 (supervisor)" in hint
        await sign_in(pilot, "linus", "3333")
        assert app.title == "deskapp · Linus Pauling (linus, supervisor) · UTC"
        app.store.dispose()
    assert (tmp_path / "deskapp" / "demo.db").exists()


async def test_out_of_date_schema_says_what_to_run_and_disables_sign_in(tmp_path):
    app = make_app(store_url=f"sqlite:///{tmp_path / 'empty.db'}")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        status = screen_text(app, "#signin-status")
        assert "Cannot sign in" in status and "run `deskapp db upgrade`" in status
        assert app.screen.query_one("#sign-in").disabled
        await type_text(pilot, "ada")
        await pilot.press("enter", *"1111", "enter")
        await settle(pilot)
        assert isinstance(app.screen, SignInScreen)


async def test_supervisor_keys_show_only_for_supervisors(seeded, clock):
    for name, pin, expected in (("ada", "1111", False), ("linus", "3333", True)):
        app = make_app(seeded, clock)
        async with app.run_test(size=(80, 24)) as pilot:
            await sign_in(pilot, name, pin)
            await pilot.pause()
            footer_keys = list(app.screen.query("FooterKey"))
            shown = {key.key for key in footer_keys}
            supervisor_keys = {"r", "l", "d", "x"}  # one footer entry, "Supervisor screens"
            if expected:
                assert supervisor_keys <= shown
                assert "Supervisor screens" in {str(label.render()) for label in app.screen.query("FooterLabel")}
            else:
                assert not supervisor_keys & shown
                await pilot.press("r")  # refused by check_action: nothing opens
                assert type(app.screen).__name__ == "HomeScreen"
            # Sign out stays in the footer at 80 columns, every key wholly on screen.
            assert "Sign out" in {key.description for key in footer_keys}
            assert all(key.region.right <= 80 and key.region.width > 0 for key in footer_keys)


async def test_command_palette_offers_the_screen_actions(seeded, clock):
    app = make_app(seeded, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "ada", "1111")
        await pilot.press("ctrl+p")
        await settle(pilot)
        await type_text(pilot, "new call")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CallScreen)
        assert app.call is not None and app.call.call_id is not None


async def test_start_review_opens_the_queue_for_a_supervisor(seeded, clock):
    app = make_app(seeded, clock, start="review")
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "linus", "3333")
        await settle(pilot)
        assert type(app.screen).__name__ == "ReviewQueueScreen"
        assert "Linus Pauling" in app.title  # the agent stays in the header on every screen
