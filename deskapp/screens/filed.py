"""What a filing produced: the ticket number(s) and, for a batch, each refused resource with why."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Button, Footer, Static

from deskapp.screens.base import DeskModal
from deskapp.widgets.format import BAD, OK, lines, reason_lines
from tickets.i18n import N_, _, ngettext


def filing_content(result) -> Content:
    parts: list[Content] = []
    for ticket in result.filed:
        parts.append(Content.assemble(
            ("✓ ", OK), (ticket.ref, "bold"), f"  {ticket.kind.label} · {ticket.status.label}",
            (_(" · resource {resource_ref}").format(resource_ref=ticket.resource_ref) if ticket.resource_ref else ""),
        ))
    if result.replayed:
        parts.append(Content(_("This filing had already been made (T-3): no second ticket was created.")))
    for ref, reasons in result.refused:
        parts.append(Content.assemble(("✗ ", BAD), (ref, "bold"), (_(" refused"), BAD)))
        parts += reason_lines(reasons, BAD, indent="    ")
    return lines(parts)


class FiledScreen(DeskModal[None]):
    BINDINGS = [
        Binding("escape,enter", "close", N_("Back to the account"), id="filed_close", tooltip=N_("Back to the account")),
    ]

    def __init__(self, result) -> None:
        super().__init__()
        self.result = result

    def compose(self) -> ComposeResult:
        count = len(self.result.filed)
        title = ngettext("Filed {count} ticket: tell the caller the number",
                         "Filed {count} tickets: tell the caller the number", count).format(count=count)
        with Vertical(id="filed-box", classes="dialog"):
            yield Static(title, classes="dialog-title", markup=False)
            with VerticalScroll(classes="dialog-body"):
                yield Static(filing_content(self.result), id="filed-body")
            yield Button(_("Back to the account (enter)"), id="close", variant="primary", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#close", Button).focus()

    def on_button_pressed(self) -> None:
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)
