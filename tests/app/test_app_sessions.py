"""Sessions in the console: disabling an agent ends their session, so that their open console can
no longer verify a caller or file a ticket; signing out ends it too."""

from __future__ import annotations

from deskapp_testing import make_app, notifications, screen_text, tickets_of
from sqlmodel import select

from deskapp.screens.account import AccountScreen
from screenshots import demo_caller, fill_verification, new_call_and_find, open_form, settle, sign_in, take_call


def _shown(app) -> str:
    return screen_text(app) + "\n" + notifications(app)


async def test_a_disabled_agents_open_console_can_no_longer_verify(seeded, clock):
    from tickets.agents import set_agent_active
    from tickets.verification import lockout_status

    caller = demo_caller("intune-expedited")
    app = make_app(seeded, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "ada", "1111")
        await new_call_and_find(pilot, caller["org_name"])
        await fill_verification(pilot, caller)
        handle = app.call.handle
        set_agent_active(seeded, "ada", False)  # the owner disables ada while her console is open
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "session: ended (disabled); sign in again" in _shown(app)
        assert not isinstance(app.screen, AccountScreen)
    assert lockout_status(seeded, handle.id).attempts_left == 3  # nothing was recorded


async def test_a_disabled_agents_open_console_can_no_longer_file(seeded, clock):
    from tickets.agents import set_agent_active

    app = make_app(seeded, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "ada", "1111")
        await take_call(pilot, demo_caller("intune-expedited"))
        assert isinstance(app.screen, AccountScreen)
        await open_form(pilot, "SUB-0003", "cancel_end_of_term")
        await pilot.press("space")
        set_agent_active(seeded, "ada", False)
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert "session: ended (disabled); sign in again" in _shown(app)
        assert not tickets_of(seeded, app.agent.id)


async def test_signing_out_ends_the_session(seeded, clock):
    from tickets.errors import NotAllowed
    from tickets.store.models import AgentSession
    from tickets.verification import start_call

    app = make_app(seeded, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "ada", "1111")
        agent = app.agent
        assert agent is not None and agent.session
        await pilot.press("s")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        await app.workers.wait_for_complete()
    with seeded.read() as session:
        assert session.exec(select(AgentSession.ended_reason)).all() == ["signed_out"]
    try:
        start_call(seeded, agent)
    except NotAllowed as refused:
        assert "session: ended (signed out)" in str(refused)
    else:
        raise AssertionError("a signed-out session still acted")
