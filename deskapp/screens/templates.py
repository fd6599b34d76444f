"""Pick one of the desk's templates (deskapp.templates) for the field being typed in:
`ModalScreen[str | None]`, a digit or Enter picks, Escape goes back with nothing inserted."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from deskapp.screens.base import DeskModal
from tickets.i18n import N_, _


class TemplatePicker(DeskModal[str | None]):
    BINDINGS = [
        Binding("escape", "cancel", N_("Back"), id="template_cancel", tooltip=N_("Back to the field; nothing is inserted")),
        *(Binding(str(n), f"pick({n - 1})", show=False, id=f"template_{n}") for n in range(1, 10)),
    ]

    def __init__(self, where: str, templates: dict[str, str]) -> None:
        super().__init__()
        self._where = where
        self._texts = list(templates.values())
        self._names = list(templates)

    def compose(self) -> ComposeResult:
        with Vertical(id="template-box", classes="dialog"):
            yield Static(_("Insert a template into {_where}").format(_where=self._where), classes="dialog-title", markup=False)
            yield Static(_("A digit or Enter inserts it at the cursor; Escape goes back."), classes="hint")
            yield OptionList(*(
                Option(Content.assemble((f"{n} ", "bold"), (f"{name}: ", "bold"), text), id=str(n - 1))
                for n, (name, text) in enumerate(zip(self._names, self._texts, strict=True), start=1)
            ), id="template-list")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#template-list", OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.action_pick(int(event.option.id or 0))

    def action_pick(self, index: int) -> None:
        if 0 <= index < len(self._texts):
            self.dismiss(self._texts[index])

    def action_cancel(self) -> None:
        self.dismiss(None)
