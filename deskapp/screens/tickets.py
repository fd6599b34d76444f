"""Ticket lists: the agent's own, or the verified organization's. Paged 50 at a time by keyset
cursor (tickets.store.queries.list_tickets): the table only ever holds one page."""

from __future__ import annotations

from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Footer, Header, Select, Static

from deskapp.messages import TicketPageLoaded
from deskapp.screens.base import DeskScreen
from deskapp.widgets.fit_table import FitTable
from deskapp.widgets.format import label, local
from tickets import i18n
from tickets.i18n import N_, _

STATUSES = ("open", "pending_review", "approved", "rejected", "in_progress", "resolved", "withdrawn")


class TicketListScreen(DeskScreen):
    SUB_TITLE = N_("Tickets")
    BINDINGS = [
        Binding("escape", "back", N_("Back"), id="back", tooltip=N_("Back to where you were")),
        Binding("n", "next_page", N_("Next page"), id="next_page", tooltip=N_("The next 50 tickets")),
        Binding("p", "previous_page", N_("Previous page"), id="previous_page", tooltip=N_("The previous 50 tickets")),
        Binding("f", "filters", N_("Filters"), id="filters", tooltip=N_("Filter by status and kind")),
        Binding("f5", "reload", N_("Reload"), id="reload", show=False, tooltip=N_("Read this page again")),
    ]

    def __init__(self, scope: str = "mine") -> None:
        super().__init__()
        self.scope = scope
        self._cursors: list[Any] = [None]  # the cursor each page starts after
        self._next: Any = None
        self._rows = 0
        self._loaded_filters: tuple[list[str], list[str]] | None = None

    def compose(self) -> ComposeResult:
        from tickets.kinds import KINDS

        yield Header()
        yield Static(self._title(), id="tickets-title", markup=False)
        with Horizontal(id="ticket-filters"):
            yield Select([(label(s), s) for s in STATUSES], prompt=_("Any status"), id="status-filter", compact=True)
            yield Select([(spec.label, kind.value) for kind, spec in KINDS.items()], prompt=_("Any kind"),
                         id="kind-filter", compact=True)
        yield FitTable(id="ticket-table")
        yield Static("", id="page-info", markup=False)
        yield Footer()

    def _title(self) -> str:
        if self.scope == "organization" and self.call is not None and self.call.account is not None:
            org = self.call.account.organization
            return _("Tickets of {name} ({ref}), newest first").format(name=org.name, ref=org.ref)
        return _("Tickets you filed, newest first")

    def on_mount(self) -> None:
        table = self.query_one("#ticket-table", FitTable)
        table.set_columns([
            (_("Ticket"), "ref", 9), (_("Kind"), "kind", 10), (_("Status"), "status", 8),
            ((_("Organization") if self.scope == "mine" else _("Filed by")), "who", 8), (_("Subscription"), "sub", 8),
            (_("Filed"), "filed", 10), (_("Effective"), "effective", 10),
        ])
        table.focus()

    def on_screen_resume(self) -> None:
        self.load()  # also when first shown, and after a ticket view changed a status

    # --- loading a page ----------------------------------------------------------------------

    def _filters(self) -> tuple[list[str], list[str]]:
        status = self.query_one("#status-filter", Select).value
        kind = self.query_one("#kind-filter", Select).value
        return ([status] if isinstance(status, str) else [], [kind] if isinstance(kind, str) else [])

    def load(self) -> None:
        statuses, kinds = self._loaded_filters = self._filters()
        self.query_one("#page-info", Static).update(_("Loading…"))
        self.fetch(self._cursors[-1], statuses, kinds, len(self._cursors))

    @work(thread=True, exclusive=True, exit_on_error=False, group="tickets")
    def fetch(self, after, statuses: list[str], kinds: list[str], page_number: int) -> None:
        from tickets.enums import TicketKind, TicketStatus
        from tickets.store.queries import list_tickets

        scope: dict[str, int] = {}
        if self.scope == "organization" and self.call is not None and self.call.account is not None:
            scope["organization_id"] = self.call.account.organization.id
        else:
            scope["filed_by_id"] = self.desk.signed_in_agent.id
        page = list_tickets(
            self.desk.opened_store, **scope, after=after,
            statuses=[TicketStatus(s) for s in statuses] or None, kinds=[TicketKind(k) for k in kinds] or None,
        )
        self.post_message(TicketPageLoaded(page, page_number))

    def on_ticket_page_loaded(self, message: TicketPageLoaded) -> None:
        table = self.query_one("#ticket-table", FitTable)
        table.set_rows([
            (str(t.id), (
                t.ref, t.kind.label, t.status.label,
                f"{t.organization_ref} {t.organization_name}" if self.scope == "mine" else t.filed_by,
                t.subscription_ref, local(t.created_at).strftime("%Y-%m-%d %H:%M"), t.effective_date or "—",
            ))
            for t in message.page.rows
        ])
        self._next = message.page.next_cursor
        self._rows = len(message.page.rows)
        first = (message.page_number - 1) * 50 + 1
        page = i18n.number(message.page_number)
        parts = [
            _("Page {page}: tickets {first}–{last}").format(
                page=page, first=i18n.number(first), last=i18n.number(first + self._rows - 1))
            if self._rows else _("Page {page}: no tickets").format(page=page)
        ]
        if self._next is not None:
            parts.append(_("n: next page"))
        if message.page_number > 1:
            parts.append(_("p: previous page"))
        parts.append(_("enter: open"))
        self.query_one("#page-info", Static).update(" · ".join(parts))
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "next_page":
            return self._next is not None
        if action == "previous_page":
            return len(self._cursors) > 1
        return True

    def action_next_page(self) -> None:
        if self._next is not None:
            self._cursors.append(self._next)
            self.load()

    def action_previous_page(self) -> None:
        if len(self._cursors) > 1:
            self._cursors.pop()
            self.load()

    def action_reload(self) -> None:
        self.load()

    def action_filters(self) -> None:
        self.query_one("#status-filter", Select).focus()

    @on(Select.Changed)
    def _filter_changed(self) -> None:
        if self._filters() == self._loaded_filters:
            return  # Select reports its initial value too
        self._cursors = [None]
        self.load()

    @on(DataTable.RowSelected, "#ticket-table")
    def _open(self, event: DataTable.RowSelected) -> None:
        from deskapp.screens.ticket import TicketScreen

        if event.row_key.value is not None:
            self.app.push_screen(TicketScreen(int(event.row_key.value)))

    def action_back(self) -> None:
        self.app.pop_screen()
