"""Search from anywhere (ctrl+f): a ticket number, an organization's name or ref, or a caller's
user ID (tickets.search decides which). Enter on a ticket opens it; on an organization, lists
its tickets. The search runs in a worker; the results show a loading indicator meanwhile."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.widgets import Footer, Header, Input, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker

from deskapp.screens.base import DeskScreen
from deskapp.widgets.field import LabeledInput
from deskapp.widgets.format import BAD, MUTED, error_text, label, when
from tickets.i18n import N_, _

if TYPE_CHECKING:  # pragma: no cover
    from tickets.search import SearchResult

PLACEHOLDER = "TK-000123 · organization name or ORG-0001 · caller's user ID"


def _count(n: int, noun: str, more: bool = False) -> str:
    """'1 ticket', '3 tickets', '50+ tickets' (more than a page)."""
    return f"{n}{'+' if more else ''} {noun}" + ("" if n == 1 and not more else "s")


@dataclass
class SearchDone(Message):
    result: SearchResult


class SearchScreen(DeskScreen):
    SUB_TITLE = N_("Search")
    DEFAULT_CSS = """
    SearchScreen {
        #search-box { padding: 0 1; height: auto; }
        #search-note { padding: 0 1; height: auto; color: $text-muted; }
        #search-results { height: 1fr; border: round $primary 50%; }
    }
    """
    BINDINGS = [
        Binding("escape", "back", N_("Back"), id="search.back", tooltip=N_("Back to where you were")),
        Binding("down", "results", N_("Results"), id="search.results", show=False,
                tooltip=N_("From the search box down into the results")),
    ]

    def __init__(self, text: str = "") -> None:
        super().__init__()
        self.initial = text
        self.result: SearchResult | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield LabeledInput(_("Search"), input_id="search-text", placeholder=PLACEHOLDER, id="search-box")
        yield Static(_("Enter searches; then ↓ and enter opens a ticket or an organization's tickets."),
                     id="search-note", markup=False)
        yield OptionList(id="search-results")
        yield Footer()

    def on_mount(self) -> None:
        field = self.query_one("#search-text", Input)
        field.value = self.initial
        field.focus()
        if self.initial:
            self.run_search(self.initial)

    def action_back(self) -> None:
        self.dismiss()

    def action_results(self) -> None:
        results = self.query_one("#search-results", OptionList)
        if results.option_count:
            results.focus()

    @on(Input.Submitted, "#search-text")
    def _submitted(self, event: Input.Submitted) -> None:
        self.run_search(event.value)

    def run_search(self, text: str) -> None:
        self.query_one("#search-results", OptionList).loading = True
        self.search(text)

    @work(thread=True, exclusive=True, exit_on_error=False, group="search", description="search")
    def search(self, text: str) -> None:
        from tickets.search import search

        self.post_message(SearchDone(search(self.desk.opened_store, text)))

    def worker_failed(self, worker: Worker, error: BaseException) -> None:
        from tickets.errors import DeskError

        self.query_one("#search-results", OptionList).loading = False
        if isinstance(error, DeskError):
            self.query_one("#search-note", Static).update(Content.styled(error_text(error), BAD))

    def on_search_done(self, message: SearchDone) -> None:
        message.stop()
        result = self.result = message.result
        results = self.query_one("#search-results", OptionList)
        results.loading = False
        results.clear_options()
        for org in result.organizations:
            results.add_option(Option(Content.assemble((org.ref, "bold"), f"  {org.name}"), id=f"org:{org.ref}"))
        for t in result.tickets:
            results.add_option(Option(
                Content.assemble((t.ref, "bold"), _("  {label} · {value} · {organization_ref} "
                                                    "{organization_name} · {subscription_ref} · filed {time} "
                                                    "by {filed_by}").format(
                                                      label=t.kind.label, value=label(t.status.value), organization_ref=t.organization_ref, organization_name=t.organization_name, subscription_ref=t.subscription_ref, time=when(t.created_at), filed_by=t.filed_by)),
                id=f"ticket:{t.id}",
            ))
        note = self.query_one("#search-note", Static)
        if result.empty:
            note.update(Content.styled(_("Nothing found for {text!r} (taken as {taken_as}).").format(
                                           text=result.text, taken_as=result.taken_as), MUTED))
            return
        found = [_count(len(result.organizations), "organization")] if result.organizations else []
        if result.tickets or len(result.organizations) == 1:
            found.append(_count(len(result.tickets), "ticket", result.more_tickets))
        note.update(_("Taken as {taken_as}: {join}. ↓ and enter opens.").format(
                        taken_as=result.taken_as, join=', '.join(found)))
        results.highlighted = 0

    @on(OptionList.OptionSelected, "#search-results")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        kind, _, key = (event.option.id or "").partition(":")
        if kind == "ticket":
            from deskapp.screens.ticket import TicketScreen

            self.app.push_screen(TicketScreen(int(key)))
        elif kind == "org":
            field = self.query_one("#search-text", Input)
            field.value = key
            self.run_search(key)
