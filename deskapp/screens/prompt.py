"""Ask for one line of text (a withdrawal reason, a callback note): `ModalScreen[str | None]`.
Free text is checked for credentials before it leaves (V-6)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Footer, Input, Static

from deskapp.screens.base import DeskModal
from deskapp.widgets.field import LabeledInput
from tickets.i18n import N_, _


class TextPromptScreen(DeskModal[str | None]):
    BINDINGS = [
        Binding("ctrl+s", "done", N_("OK"), id="prompt_ok", tooltip=N_("Use this text")),
        Binding("escape", "cancel", N_("Cancel"), id="prompt_cancel", tooltip=N_("Go back; nothing is written")),
    ]

    def __init__(self, title: str, label: str, *, hint: str = "", required: bool = False,
                 max_length: int = 2000) -> None:
        super().__init__()
        self._max_length = max_length
        self._title = title
        self._label = label
        self._hint = hint
        self._required = required

    def compose(self) -> ComposeResult:
        from deskapp.validators import NoCredential

        with Vertical(classes="dialog"):
            yield Static(self._title, classes="dialog-title", markup=False)
            if self._hint:
                yield Static(self._hint, classes="hint", markup=False)
            yield LabeledInput(self._label, input_id="prompt_text", validators=[NoCredential()],
                               required=self._required, max_length=self._max_length)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#prompt_text", Input).focus()

    @on(Input.Submitted)
    def action_done(self) -> None:
        from identity import find_credential

        text = self.query_one("#prompt_text", Input).value.strip()
        field = self.query_one("#field-prompt_text", LabeledInput)
        if self._required and not text:
            field.set_message("required")
            return
        reason = find_credential(text) if text else None
        if reason:
            field.set_message(_("{reason}: remove it; never take a password, PIN or code (V-6)").format(reason=reason))
            return
        self.dismiss(text)

    def action_cancel(self) -> None:
        self.dismiss(None)


def note_prompt(ref: str) -> TextPromptScreen:
    """The internal note's dialog, alike on the ticket and in the review queue."""
    from tickets.notes import NOTE_MAX_LENGTH

    return TextPromptScreen(
        _("Internal note on {ref}").format(ref=ref), _("Note"), required=True, max_length=NOTE_MAX_LENGTH,
        hint=_("For the desk only: it shows in the ticket's history with your name and the time. No personal "
               "data beyond what the ticket needs, never a password (V-6)."),
    )
