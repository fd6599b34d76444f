"""A yes/no step before anything is written: `ModalScreen[bool]`, awaited with push_screen_wait."""

from __future__ import annotations

from dataclasses import replace

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Button, Footer, Static

from deskapp.screens.base import DeskModal
from tickets.i18n import N_, _


class ConfirmScreen(DeskModal[bool]):
    BINDINGS = [
        Binding("y,ctrl+s", "answer(True)", N_("Yes"), id="confirm_yes", tooltip=N_("Confirm and write it")),
        Binding(
            "escape,n", "answer(False)", N_("No, go back"), id="confirm_no", tooltip=N_("Back to the form; nothing is "
                                                                                        "written")
        ),
    ]

    def __init__(self, title: str, body: Content | str, yes: str | None = None, yes_words: str | None = None) -> None:
        super().__init__()
        self._title = title
        self._body = body
        self._yes = _("File") if yes is None else yes
        yes_words = _("Yes, file it") if yes_words is None else yes_words
        # The footer names what "y" does here (Approve, Sign out ...), not always filing.
        self._bindings = self._bindings.copy()
        for key in ("y", "ctrl+s"):
            self._bindings.key_to_bindings[key] = [
                replace(binding, description=yes_words)
                for binding in self._bindings.key_to_bindings[key]
            ]

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box", classes="dialog"):
            yield Static(self._title, classes="dialog-title", markup=False)
            with VerticalScroll(classes="dialog-body"):
                yield Static(self._body, id="confirm-body", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("{action} (y)").format(action=self._yes), id="yes", variant="primary", compact=True)
                yield Button(_("Back (n)"), id="no", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#yes", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)
