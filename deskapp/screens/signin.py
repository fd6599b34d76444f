"""Sign-in: agent name and PIN. Drawn before the database opens; sign-in is enabled once it has.

Wrong PINs are counted per agent in the database (tickets.signin), not by this console: 5 in 15
minutes lock the agent for 15 minutes, whichever console or command they come from.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.widgets import Button, Footer, Header, Input, Static

from deskapp.screens.base import DeskScreen
from deskapp.widgets.field import LabeledInput
from tickets.i18n import N_, _

if TYPE_CHECKING:  # pragma: no cover - loaded by the worker, after the first frame
    from deskapp.messages import SignedIn, SignInRefused


class SignInScreen(DeskScreen):
    BINDINGS = [
        Binding("ctrl+s", "sign_in", N_("Sign in"), id="sign_in", tooltip=N_("Sign in with this name and PIN")),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        with Center():
            with Vertical(id="signin-box"):
                yield Static(_("Sign in to the cancellations desk"), id="signin-title")
                yield LabeledInput(_("Agent name"), input_id="agent_name", placeholder=_("e.g. ann"))
                yield LabeledInput(_("PIN"), input_id="pin", password=True, placeholder=_("PIN or passphrase"))
                yield Button(_("Sign in"), id="sign-in", variant="primary", compact=True)
                yield Static(_("Opening the database…"), id="signin-status", markup=False)
                yield Static("", id="demo-hint", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#agent_name", Input).focus()
        self.show_store_state()

    # --- state from the app ------------------------------------------------------------------

    def show_store_state(self) -> None:
        desk = self.desk
        status = self.query_one("#signin-status", Static)
        if desk.store_problem:
            status.update(_("Cannot sign in: {store_problem}").format(store_problem=desk.store_problem))
            status.set_class(True, "-error")
        elif desk.store is None:
            status.update(_("Opening the database…"))
        else:
            status.update("")
            status.set_class(False, "-error")
        hint = self.query_one("#demo-hint", Static)
        hint.update(desk.demo_hint)
        hint.display = bool(desk.demo_hint)
        self.query_one("#sign-in", Button).disabled = not self.ready
        self.refresh_bindings()

    @property
    def ready(self) -> bool:
        return self.desk.store is not None and not self.desk.store_problem

    def key_must_wait(self, event) -> bool:
        """Signing in typed ahead while the database opens waits for it (deskapp/keys.py), and
        so does every key after it: they belong to the screen that follows."""
        if self.desk.store is not None or self.desk.store_problem:
            return False
        key = getattr(event, "key", None)
        focused = self.focused.id if self.focused is not None else None
        return key == "ctrl+s" or (key == "enter" and focused in ("pin", "sign-in"))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "sign_in":
            return True if self.ready else None  # shown, greyed out, until the store is open
        return True

    # --- signing in --------------------------------------------------------------------------

    @on(Input.Submitted, "#agent_name")
    def _to_pin(self) -> None:
        self.query_one("#pin", Input).focus()

    @on(Input.Submitted, "#pin")
    @on(Button.Pressed, "#sign-in")
    def action_sign_in(self) -> None:
        if not self.ready:
            return
        status = self.query_one("#signin-status", Static)
        name = self.query_one("#agent_name", Input).value.strip()
        pin = self.query_one("#pin", Input).value
        if not name or not pin:
            status.update(_("Type your agent name and PIN."))
            status.set_class(True, "-error")
            return
        status.update(_("Checking…"))
        status.set_class(False, "-error")
        self.query_one("#sign-in", Button).disabled = True
        self.authenticate(name, pin)

    @work(thread=True, exclusive=True, exit_on_error=False, group="sign-in")
    def authenticate(self, name: str, pin: str) -> None:
        from deskapp.messages import SignedIn, SignInRefused
        from tickets.agents import authenticate
        from tickets.errors import NotAllowed

        try:
            agent = authenticate(self.desk.opened_store, name=name, pin=pin)
        except NotAllowed as error:
            self.post_message(SignInRefused(str(error)))
            return
        self.post_message(SignedIn(agent))

    def on_signed_in(self, message: SignedIn) -> None:
        self.desk.signed_in(message.agent)

    def on_sign_in_refused(self, message: SignInRefused) -> None:
        status = self.query_one("#signin-status", Static)
        pin = self.query_one("#pin", Input)
        pin.value = ""
        pin.focus()
        reason = message.message.removeprefix("sign-in: ")
        status.update(reason[:1].upper() + reason[1:] + ".")
        status.set_class(True, "-error")
        self.query_one("#sign-in", Button).disabled = False

    def worker_failed(self, worker, error) -> None:
        self.query_one("#sign-in", Button).disabled = not self.ready
        self.query_one("#signin-status", Static).update("")
