"""Keys: type-ahead that waits instead of misrouting, one key per ticket kind on the
account view, the command palette in the desk's words, and leaving safely."""

from __future__ import annotations

from deskapp_testing import landed_on, make_app, tickets_of, wait_until
from sqlmodel import Session, select

from deskapp.screens.account import AccountScreen
from deskapp.screens.call import CallScreen
from deskapp.screens.confirm import ConfirmScreen
from deskapp.screens.filed import FiledScreen
from deskapp.screens.home import HomeScreen
from deskapp.screens.signin import SignInScreen
from deskapp.screens.ticket_form import TicketFormScreen
from screenshots import demo_caller, send_keys, settle, sign_in, take_call


def footer_keys(app) -> dict[str, str]:
    return {key: active.binding.description for key, active in app.screen.active_bindings.items()
            if active.enabled and active.binding.show}


async def test_a_sign_in_burst_lands_in_both_fields(seeded, clock):
    """`ada` Tab `1111` Enter sent at once: Textual took `1111` to the name field before the Tab
    had moved the focus ("ada1111"); the type-ahead queue holds each key until the last settled."""
    app = make_app(seeded, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        send_keys(pilot, [*"ada", "tab", *"1111", "enter"])
        await wait_until(pilot, lambda: landed_on(app, HomeScreen), what="the home screen")
        assert app.agent is not None and app.agent.name == "ada"


async def test_n_then_the_organization_name_at_once_keeps_every_character(seeded, clock):
    app = make_app(seeded, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "ada", "1111")
        send_keys(pilot, ["n", *"Fabrikam UK Ltd"])
        await settle(pilot)
        assert isinstance(app.screen, CallScreen)
        assert app.screen.query_one("#search_org_name").value == "Fabrikam UK Ltd"


async def test_keys_after_ctrl_s_on_the_verification_wait_for_the_account(seeded, clock):
    """Tab Down Down Enter typed right after ctrl+s: they wait for the verification worker and
    the account, then open the third kind (expedited deprovisioning) of the first subscription."""
    from screenshots import fill_verification, new_call_and_find

    app = make_app(seeded, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "ada", "1111")
        caller = demo_caller("intune-expedited")
        await new_call_and_find(pilot, caller["org_name"])
        await fill_verification(pilot, caller)
        send_keys(pilot, ["ctrl+s", "tab", "down", "down", "enter"])
        await settle(pilot)
        assert isinstance(app.screen, TicketFormScreen) and app.screen.kind.value == "expedited_deprovisioning"


async def test_enter_typed_while_the_database_opens_signs_in_once_it_is_open(tmp_path, monkeypatch):
    """The sign-in Enter typed before the database has opened waits for it (it used to be
    ignored without a word)."""
    from deskapp.app import DeskApp

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    app = DeskApp(demo=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.screen.query("#agent_name"), what="the sign-in form")
        send_keys(pilot, [*"ada", "tab", *"1111", "enter"])
        await wait_until(pilot, lambda: landed_on(app, HomeScreen), what="signed in", timeout=60)
        assert app.agent.name == "ada"
    app.store.dispose()


async def test_every_allowed_kind_is_one_key_and_the_footer_names_it(seeded, clock):
    app = make_app(seeded, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "ada", "1111")
        await take_call(pilot, demo_caller("intune-expedited"))
        assert isinstance(app.screen, AccountScreen)
        keys = footer_keys(app)
        # SUB-0003 (Intune): end of term, early, expedited allowed; migration (M-1) refused.
        assert keys["e"] == "End of term" and keys["c"] == "Early" and keys["p"] == "Expedite"
        assert "m" not in keys
        footer = list(app.screen.query("FooterKey"))
        assert {"e", "c", "p"} <= {key.key for key in footer}
        assert all(key.region.right <= 100 and key.region.width > 0 for key in footer)
        # An end-of-term cancellation: e, space, ctrl+s, y (4 keys, at most 6 besides a reason).
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, TicketFormScreen) and app.screen.kind.value == "cancel_end_of_term"
        await pilot.press("space", "ctrl+s")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, FiledScreen)
        [row] = tickets_of(seeded, app.agent.id)
        assert row.kind.value == "cancel_end_of_term" and row.subscription_ref == "SUB-0003"


async def test_a_refused_kind_key_does_nothing(seeded, clock):
    app = make_app(seeded, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "ada", "1111")
        await take_call(pilot, demo_caller("intune-expedited"))
        await pilot.press("m")  # migration is refused for Intune (M-1)
        await settle(pilot)
        assert isinstance(app.screen, AccountScreen)


async def test_the_palette_lists_the_screen_actions_first_in_the_desks_words(seeded, clock):
    from textual.command import CommandPalette

    app = make_app(seeded, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "ada", "1111")
        await take_call(pilot, demo_caller("intune-expedited"))
        await pilot.press("ctrl+p")
        await settle(pilot)
        assert isinstance(app.screen, CommandPalette)
        found = app.screen.query_one("CommandList")
        await wait_until(pilot, lambda: found.option_count > 5, what="the palette's commands")
        names = [str(found.get_option_at_index(i).prompt).split("\n")[0] for i in range(found.option_count)]
        assert "End call" in names and "Up" not in names
        generic = min(i for i, name in enumerate(names) if name in ("Quit", "Keys", "Theme", "Screenshot"))
        assert names.index("End of term") < generic and names.index("End call") < generic
        send_keys(pilot, list("file"))
        await settle(pilot)
        await wait_until(
            pilot,
            lambda: (
                found.option_count
                and str(found.get_option_at_index(0).prompt).split("\n")[0] in ("End of term", "Early", "Expedite")
            ),
            what="'file' to find the ticket kinds first",
        )


async def test_o_is_not_sign_out_and_signing_out_asks_first(seeded, clock):
    app = make_app(seeded, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "ada", "1111")
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen) and app.agent is not None
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        # The footer names what y does here; it said "Yes, file it" on every dialog.
        assert app.screen.active_bindings["y"].binding.description == "Yes, sign out"
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen) and app.agent is not None
        await pilot.press("s")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, SignInScreen) and app.agent is None


async def test_ctrl_q_during_a_call_asks_then_ends_the_call_in_the_store(seeded, clock):
    from deskapp.app import AUTO_WRAP_UP
    from tickets.store.models import AuditEvent, Call

    app = make_app(seeded, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "ada", "1111")
        await take_call(pilot, demo_caller("intune-expedited"))
        call_id = app.call.call_id
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen) and app.is_running
        await pilot.press("n")  # no: the call goes on
        await settle(pilot)
        assert isinstance(app.screen, AccountScreen) and app.call is not None
        await pilot.press("ctrl+q")
        await settle(pilot)
        await pilot.press("y")
        await wait_until(pilot, lambda: not app.is_running or app._exit, what="the console to quit")
    with Session(seeded.engine) as session:
        call = session.get(Call, call_id)
        assert call.ended_at is not None and call.wrap_up_note == AUTO_WRAP_UP
        ended = session.exec(select(AuditEvent).where(AuditEvent.action == "call.ended")).all()
        assert [e.subject for e in ended] == [f"call:{call_id}"]


async def test_ctrl_q_between_calls_quits_at_once(seeded, clock):
    app = make_app(seeded, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "ada", "1111")
        await pilot.press("ctrl+q")
        await wait_until(pilot, lambda: not app.is_running or app._exit, what="the console to quit")


async def test_the_terminal_closing_during_a_call_ends_it(seeded, clock):
    from deskapp.app import AUTO_WRAP_UP
    from deskapp.hangup import end_call_left_open
    from tickets.store.models import Call

    app = make_app(seeded, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "ada", "1111")
        await take_call(pilot, demo_caller("intune-expedited"))
        call_id = app.call.call_id
    end_call_left_open(app)  # what the command line does once the console has stopped
    with Session(seeded.engine) as session:
        assert session.get(Call, call_id).wrap_up_note == AUTO_WRAP_UP


async def test_a_wait_for_a_screen_lasts_until_it_has_mounted(seeded, clock):
    """Regression (CI, 2026-11-28): a test waited for `isinstance(app.screen, HomeScreen)`, which
    holds as soon as the screen is switched to, ended there, and the shutdown removed the screen's
    widgets under its mount (NoMatches '#home-welcome' in on_mount). landed_on also asks for the
    mount."""
    from textual.screen import Screen
    from textual.widgets import Static

    class Probe(Screen):
        def compose(self):
            yield Static("probe", id="probe")

        def on_mount(self) -> None:
            self.query_one("#probe", Static)

    app = make_app(seeded, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.push_screen(Probe())
        assert isinstance(app.screen, Probe) and not landed_on(app, Probe)  # what the old wait accepted
        await wait_until(pilot, lambda: landed_on(app, Probe), what="the probe screen")
        assert app.screen.query_one("#probe", Static)
