"""The deskapp console: a keyboard-first Textual app for agents on cancellation calls.

Start-up is kept light: this module imports Textual and the console's own light modules only.
The ticket core (SQLAlchemy, SQLModel) and the validators (phonenumbers, email-validator) load
inside workers and methods, after the sign-in screen is drawn.

Built by deskapp.factory.make_app, for the command line and the tests alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from textual import events, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.command import CommandPalette
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.worker import Worker, WorkerState

from deskapp import desk, header, textual_compat
from deskapp.commands import ScreenCommands
from deskapp.keys import TypeAhead
from deskapp.screens.signin import SignInScreen
from deskapp.widgets.format import desk_zone
from tickets.i18n import N_, _

if TYPE_CHECKING:  # pragma: no cover
    from deskapp.config import Settings
    from deskapp.messages import StoreFailed, StoreOpened
    from deskapp.state import CallState
    from tickets.agents import AgentInfo
    from tickets.clock import Clock
    from tickets.store.database import Store


# Leaving during a call (ctrl+q, sign-out, the terminal closed) ends it with this note.
AUTO_WRAP_UP = "Ended automatically: the agent left the console during the call."
AUTO_END_TEXT = N_("The call in progress ends now, with an automatic wrap-up note in the record.")

# The supervisors' screens, by the name of their `open_` action (imported when opened).
SUPERVISOR_SCREENS = ("review", "lockouts", "dashboard", "export")


def demo_hint(agents: Any) -> str:
    """One line naming the demo agents and their PINs: tickets.demo.DEMO_AGENTS holds
    (name, display name, role, PIN) tuples."""
    boss = _(" (supervisor)")
    parts = [f"{name} / {pin}" + (boss if str(role) == "supervisor" else "") for name, _d, role, pin in agents]
    return _("Demo: sign in as {agents}").format(agents=_(", ").join(parts))


class DeskApp(App[None]):
    """The console. Dependencies come in through the constructor (store, clock, agent)."""

    TITLE = "deskapp"
    SUB_TITLE = N_("not signed in")
    # Kept by deskapp.desk: the theme last saved, and the notices' poll (its timer, the last seq read).
    _remembered_theme: str | None = None
    _notice_seq: int | None = None
    _notice_timer: Timer | None = None
    CSS_PATH = "deskapp.tcss"
    # One provider: the screen's own actions in the desk's words first, then Textual's.
    COMMANDS = {ScreenCommands}
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
    BINDINGS = [
        Binding(
            "ctrl+g", "end_call", N_("End call"), id="end_call",
            tooltip=N_("Close the call with a wrap-up note; every caller detail leaves the screen"),
        ),
        Binding(
            "ctrl+f", "search", N_("Search"), id="search_anywhere", show=False,  # listed on the home screen
            tooltip=N_("Find a ticket number, an organization (name or ref) or a caller's user ID, from any "
                       "screen"),
        ),
    ]

    def __init__(
        self,
        *,
        store: Store | None = None,
        clock: Clock | None = None,
        store_url: str | None = None,
        demo: bool = False,
        start: str | None = None,
        agent: AgentInfo | None = None,
        settings: Settings | None = None,
        language: str | None = None,
    ) -> None:
        # Textual's patches and guards (deskapp/textual_compat.py), once, before anything mounts.
        textual_compat.install()
        super().__init__()
        self.settings = settings
        desk.apply_settings(self, settings, store, language)
        self.store: Store | None = store
        self.clock: Clock | None = clock or (store.clock if store is not None else None)
        self.store_url = store_url
        self.demo = demo
        self.start = start
        self.agent: AgentInfo | None = None
        self.call: CallState | None = None
        self.store_problem: str | None = None
        self.demo_hint = ""
        self._initial_agent = agent
        self.type_ahead = TypeAhead(self, self._handle_typed)
        textual_compat.translate_bindings(self)
        self.sub_title = _(self.SUB_TITLE)
        setattr(self, "COMMAND_PALETTE_DISPLAY", _("palette"))  # noqa: B010 - ctrl+p's footer name, translated
        # Set by the command line (a real terminal): SIGHUP and SIGTERM end the run as ctrl+q
        # does (deskapp.hangup). Not under Pilot: the test runner keeps its own signals.
        self.stop_on_hang_up = False

    @property
    def opened_store(self) -> Store:
        """The store, for work that runs once it is open (sign-in waits for it)."""
        if self.store is None:
            raise RuntimeError("the store is not open yet")
        return self.store

    @property
    def signed_in_agent(self) -> AgentInfo:
        """The agent, for work that runs once someone has signed in."""
        if self.agent is None:
            raise RuntimeError("no agent is signed in")
        return self.agent

    # --- keys: every key and paste goes through the type-ahead queue (deskapp/keys.py) --------

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.Paste)) and not event.is_forwarded:
            await self.type_ahead.take(event)
            return
        await super().on_event(event)

    async def _handle_typed(self, event: events.Key | events.Paste) -> None:
        await super().on_event(event)

    # --- start-up ----------------------------------------------------------------------------

    def on_mount(self) -> None:
        if self.stop_on_hang_up:
            from deskapp.hangup import stop_on_hang_up

            stop_on_hang_up(self)
        desk.on_mount(self)
        self.push_screen(SignInScreen())
        if self.store is None:
            # After the first frame: the worker's imports (SQLAlchemy, the store) would hold the
            # GIL while the sign-in screen is composed and painted (start-up bench, target 5).
            self.call_after_refresh(self.open_store)
        elif self._initial_agent is not None:
            # Once the sign-in screen is mounted: switching screens inside on_mount let the
            # Header's title watcher run before the Header had composed (NoMatches HeaderTitle).
            self.call_after_refresh(self.signed_in, self._initial_agent)

    def now(self) -> datetime:
        if self.clock is None:
            from datetime import UTC

            return datetime.now(UTC)
        return self.clock.now()

    @work(thread=True, exclusive=True, exit_on_error=False, group="store")
    def open_store(self) -> None:
        """Open the database (after the first paint): a fresh demo, or a checked schema."""
        from deskapp.config import ConfigError
        from deskapp.messages import StoreFailed, StoreOpened
        from tickets.errors import DeskError

        try:
            store, hint = self._make_store()
        except DeskError as error:
            self.post_message(StoreFailed(str(error)))
            return
        except ConfigError as error:
            self.post_message(StoreFailed(str(error)))
            return
        except Exception as error:
            from sqlalchemy.exc import OperationalError

            if isinstance(error, OperationalError):  # unreachable, busy, a full disk: said plainly
                from tickets.store.database import default_database_url, unavailable_text

                self.post_message(StoreFailed(unavailable_text(error, self.store_url or default_database_url())))
                return
            self.post_message(StoreFailed(_("the database could not be opened: {__name__}").format(
                                              __name__=type(error).__name__)))
            raise
        self.post_message(StoreOpened(store, hint))

    def _make_store(self) -> tuple[Store, str]:
        store, hint = self._open_store()
        store.zone = desk_zone()  # the rules count the desk's days (tickets.desk_time)
        return store, hint

    def _open_store(self) -> tuple[Store, str]:
        from tickets.store.database import Store, user_data_dir

        if self.demo:
            from tickets.demo import DEMO_AGENTS, create_demo_store

            return create_demo_store(user_data_dir() / "demo.db", self.clock), demo_hint(DEMO_AGENTS)
        from tickets.store.schema import check_schema

        if self.settings is not None and self.store_url is None:
            store = self.settings.open_store(self.clock)
        else:
            store = Store.from_url(self.store_url, self.clock)
        try:
            check_schema(store.engine)
        except Exception:
            store.dispose()
            raise
        return store, ""

    def on_store_opened(self, message: StoreOpened) -> None:
        self.store = message.store
        self.clock = message.store.clock
        self.demo_hint = message.demo_hint
        self.store_problem = None
        self._tell_sign_in()

    def on_store_failed(self, message: StoreFailed) -> None:
        self.store_problem = message.message
        self._tell_sign_in()

    def _tell_sign_in(self) -> None:
        for screen in self.screen_stack:
            if isinstance(screen, SignInScreen):
                screen.show_store_state()

    # --- errors: every failed worker ends here -----------------------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            self.report_worker_error(event.worker)

    def report_worker_error(self, worker: Worker) -> None:
        """One place for failures: a DeskError's text is safe to show; anything else is named
        by its type only. The app never exits with a traceback."""
        error = worker.error
        from deskapp.widgets.format import error_text
        from tickets.errors import Conflict, DeskError, InvalidInput, NotAllowed, NotFound, StoreUnavailable

        titles = {
            StoreUnavailable: "Database unavailable",
            NotAllowed: "Not allowed",
            Conflict: "Conflict",
            InvalidInput: "Check the input",
            NotFound: "Not found",
        }
        if isinstance(error, DeskError):
            message = error_text(error)
            title = next((t for cls, t in titles.items() if isinstance(error, cls)), "Refused")
        else:
            message = f"unexpected error, nothing was saved: {type(error).__name__}"
            title = "Unexpected error"
            self.log.error(f"worker {worker.name} failed", error)
        desk.log_worker_failure(worker, error)
        if isinstance(error, StoreUnavailable):
            message += " What you typed is kept; try again."
        self.notify(message, title=title, severity="error", timeout=12, markup=False)

    # --- signing in and out ------------------------------------------------------------------

    def signed_in(self, agent: AgentInfo) -> None:
        from deskapp.screens.home import HomeScreen

        self.agent = agent
        self._sign_in_failures = 0
        # The agent and role live in the title, so a screen's own sub-title never hides them.
        header.refresh_title(self)
        self.sub_title = ""
        self.switch_screen(HomeScreen())
        desk.start_notices(self)
        if self.start == "review":
            self.start = None
            if agent.is_supervisor:
                self.call_after_refresh(self.action_open_review)
            else:
                self.notify(_("The review queue is for supervisors."), severity="warning")

    # --- leaving safely: sign-out and quit ask first; a call open then ends with a note -------

    def action_sign_out(self) -> None:
        from deskapp.screens.confirm import ConfirmScreen

        if self.agent is None or isinstance(self.screen, ConfirmScreen):
            return
        body = _(AUTO_END_TEXT) if self.call is not None else _("You sign in again with your name and PIN.")
        self.push_screen(
            ConfirmScreen(_("Sign out?"), body, yes=_("Sign out"), yes_words=_("Yes, sign out")),
            callback=partial(self._answered, "sign_out"),
        )

    async def action_quit(self) -> None:
        """ctrl+q: at once between calls; during a call, asks first and ends the call."""
        from deskapp.screens.confirm import ConfirmScreen

        if self.call is None:
            self.exit()
            return
        if isinstance(self.screen, ConfirmScreen):
            return
        self.push_screen(
            ConfirmScreen(
                _("Quit during a call?"), _(AUTO_END_TEXT), yes=_("End the call and quit"),
                yes_words=_("Yes, end and quit")
            ),
            callback=partial(self._answered, "quit"),
        )

    def _answered(self, then: str, yes: bool | None) -> None:
        if yes:  # once the dialog has gone: leaving pops and switches screens itself
            self.call_later(self._leave, then)

    def _leave(self, then: str) -> None:
        call = self.call
        if call is not None and call.call_id is not None and self.store is not None and self.agent is not None:
            self.end_call_automatically(call.call_id, then)
        else:
            self._after_leaving(then)

    @work(thread=True, exclusive=True, exit_on_error=False, group="end-call")
    def end_call_automatically(self, call_id: int, then: str) -> None:
        from tickets.verification import end_call

        end_call(self.opened_store, self.signed_in_agent, call_id, AUTO_WRAP_UP)
        self.call_from_thread(self._after_leaving, then)

    def _after_leaving(self, then: str) -> None:
        if self.call is not None:
            self.close_call()
        if then == "quit":
            self.exit()
        else:
            self._sign_out()

    @work(thread=True, exit_on_error=False, group="sign-out")
    def end_session(self, agent) -> None:
        """The session the agent signed in with ends in the store (agent.signed_out): a copy of
        its token is good for nothing after."""
        from tickets.agents import sign_out

        if self.store is not None:
            sign_out(self.store, agent)

    def _sign_out(self) -> None:
        agent, self.agent = self.agent, None
        if agent is not None and self.store is not None:
            self.end_session(agent)
        desk.stop_notices(self)
        header.refresh_title(self)
        self.title = self.TITLE
        self.sub_title = _(self.SUB_TITLE)
        while len(self.screen_stack) > 2:
            self.pop_screen()
        self.switch_screen(SignInScreen())

    # --- keys that depend on state -----------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action.startswith("open_") and action.removeprefix("open_") in SUPERVISOR_SCREENS:
            return bool(self.agent is not None and self.agent.is_supervisor)
        if action == "end_call":
            # Offered in the command palette too (a modal of its own), not on the dialogs.
            screen = self.screen
            return self.call is not None and (not isinstance(screen, ModalScreen) or isinstance(screen, CommandPalette))
        if action == "search":
            return self.agent is not None and not isinstance(self.screen, ModalScreen)
        if action == "template":
            return desk.templates_here(self) is not None
        if action == "keys":
            return type(self.screen).__name__ != "KeySheet"
        return True

    def action_keys(self) -> None:
        from deskapp.screens.keys import KeySheet

        if type(self.screen).__name__ != "KeySheet":
            self.push_screen(KeySheet(self.screen))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Textual's commands, but its Keys panel gives way to the desk's sheet, Quit says what
        it does during a call, and no Screenshot (it wrote the caller's details, name, e-mail,
        phone and address, to a download folder)."""
        for command in super().get_system_commands(screen):
            if command.title in ("Screenshot", "Keys", "Quit"):
                continue
            yield command
        yield SystemCommand("Keys", "The keys of this screen in the desk's words (? or F1)", self.action_keys)
        yield SystemCommand(
            "Quit",
            "Asks first, then ends the call in progress with an automatic wrap-up note and quits (ctrl+q)"
            if self.call is not None else "Leave the console (ctrl+q)",
            self.action_quit,
        )

    def action_screenshot(self, filename: str | None = None, path: str | None = None) -> None:
        """Off in the console: a screenshot holds the caller's personal data (the developers'
        tools/screenshots.py saves the demo's screens on purpose, with save_screenshot)."""
        self.notify(_("Screenshots are off: they would hold the caller's personal data."), severity="warning")

    def deliver_screenshot(self, filename: str | None = None, path: str | None = None,
                           time_format: str | None = None) -> str | None:
        self.action_screenshot()
        return None

    def action_template(self) -> None:
        desk.insert_template(self)

    def action_search(self) -> None:
        desk.open_search(self)

    # --- a call ------------------------------------------------------------------------------

    def action_new_call(self) -> None:
        from deskapp.screens.call import CallScreen
        from deskapp.state import CallState

        if self.agent is None or self.store is None:
            return
        if self.call is not None:
            self.notify(_("A call is already open: end it first (ctrl+g)."), severity="warning")
            return
        self.call = CallState(started_at=self.now())
        header.refresh_title(self)
        self.push_screen(CallScreen())
        self.refresh_bindings()

    def action_end_call(self) -> None:
        from deskapp.screens.wrap_up import WrapUpScreen

        if self.call is None:
            return
        self.push_screen(WrapUpScreen(), callback=self._after_wrap_up)

    def _after_wrap_up(self, ended: bool | None) -> None:
        if ended:
            self.close_call()

    def close_call(self) -> None:
        """Drop the call (and its AccountView) and pop back to the home screen."""
        from deskapp.screens.home import HomeScreen

        self.call = None
        header.refresh_title(self)
        while len(self.screen_stack) > 1 and not isinstance(self.screen, HomeScreen):
            self.pop_screen()
        self.refresh_bindings()
        self.notify(_("Call ended. Caller details cleared."), timeout=4)

    def action_my_tickets(self) -> None:
        from deskapp.screens.tickets import TicketListScreen

        if self.agent is not None:
            self.push_screen(TicketListScreen(scope="mine"))

    def action_organization_tickets(self) -> None:
        from deskapp.screens.tickets import TicketListScreen

        if self.call is not None and self.call.account is not None:
            self.push_screen(TicketListScreen(scope="organization"))

    # --- supervisor screens -------------------------------------------------------------------

    def _open_supervisor(self, screen_class: type[Screen[Any]]) -> None:
        if self.agent is None or not self.agent.is_supervisor:
            self.notify(_("Supervisors only."), severity="warning")
            return
        self.push_screen(screen_class())

    def action_open_review(self) -> None:
        from deskapp.screens.review import ReviewQueueScreen

        self._open_supervisor(ReviewQueueScreen)

    def action_open_lockouts(self) -> None:
        from deskapp.screens.lockouts import LockoutsScreen

        self._open_supervisor(LockoutsScreen)

    def action_open_dashboard(self) -> None:
        from deskapp.screens.dashboard import DashboardScreen

        self._open_supervisor(DashboardScreen)

    def action_open_export(self) -> None:
        from deskapp.screens.export import ExportScreen

        self._open_supervisor(ExportScreen)
