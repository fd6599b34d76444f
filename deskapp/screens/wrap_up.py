"""The end of a call: a wrap-up note (checked for credentials, V-6), then the call is closed
and every caller detail leaves the screen. Dismisses True once the call has ended."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Footer, Input, Static

from deskapp.messages import CallEnded
from deskapp.screens.base import DeskModal
from deskapp.widgets.field import LabeledInput
from tickets.i18n import N_, _


class WrapUpScreen(DeskModal[bool]):
    BINDINGS = [
        Binding("ctrl+s", "end", N_("End the call"), id="end", tooltip=N_("Write the note and close the call")),
        Binding("escape", "cancel", N_("Back to the call"), id="cancel", tooltip=N_("The call stays open")),
    ]

    def compose(self) -> ComposeResult:
        from deskapp.validators import NoCredential

        with Vertical(id="wrap-up-box", classes="dialog"):
            yield Static(_("End the call"), classes="dialog-title")
            yield Static(
                _("A short wrap-up note for the record (what was asked, what was filed). Never a password, PIN "
                  "or code (V-6). Enter or ctrl+s ends the call; Escape goes back."),
                classes="hint", markup=False,
            )
            yield LabeledInput(_("Wrap-up note"), input_id="wrap_up_note", validators=[NoCredential()], max_length=2000)
            yield Static("", id="wrap-up-status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#wrap_up_note", Input).focus()

    @on(Input.Submitted)
    def action_end(self) -> None:
        from identity import find_credential

        note = self.query_one("#wrap_up_note", Input).value
        field = self.query_one("#field-wrap_up_note", LabeledInput)
        reason = find_credential(note) if note else None
        if reason:
            field.set_message(_("{reason}: remove it; never take a password, PIN or code (V-6)").format(reason=reason))
            return
        call = self.desk.call
        if call is None or call.call_id is None:
            self.dismiss(True)
            return
        self.query_one("#wrap-up-status", Static).update(_("Ending the call…"))
        self.end_call(call.call_id, note)

    @work(thread=True, exclusive=True, exit_on_error=False, group="end-call")
    def end_call(self, call_id: int, note: str) -> None:
        from tickets.verification import end_call

        end_call(self.desk.opened_store, self.desk.signed_in_agent, call_id, note)
        self.post_message(CallEnded(call_id))

    def on_call_ended(self, message: CallEnded) -> None:
        message.stop()  # the app closes the call through the dismiss callback
        self.dismiss(True)

    def worker_failed(self, worker, error) -> None:
        errors = getattr(error, "errors", None)
        if isinstance(errors, dict) and "wrap_up_note" in errors:
            self.query_one("#field-wrap_up_note", LabeledInput).set_message(errors["wrap_up_note"])
        self.query_one("#wrap-up-status", Static).update("The call is still open: " + str(error))

    def action_cancel(self) -> None:
        self.dismiss(False)
