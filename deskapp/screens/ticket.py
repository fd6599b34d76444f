"""One ticket: its fields, dates (T-1), checklist, consequences, callback (V-8), decision and
full audit history (A-1); and the agent's lifecycle steps (T-2): record the callback, start,
resolve, withdraw. A step the lifecycle refuses shows the rule and reason."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Footer, Header, Static

from deskapp.messages import TicketChanged, TicketLoaded
from deskapp.screens.base import DeskScreen
from deskapp.screens.prompt import note_prompt
from deskapp.widgets import ticket_sections as sections
from deskapp.widgets.format import (
    BAD,
    MUTED,
    OK,
    WARN,
    consequences_content,
    day,
    error_text,
    field_line,
    lines,
    when,
)
from deskapp.widgets.hanging import hang
from tickets.i18n import N_, _

if TYPE_CHECKING:  # pragma: no cover
    from tickets.store.queries import TicketDetail


class TicketScreen(DeskScreen):
    SUB_TITLE = N_("Ticket")
    BINDINGS = [
        Binding("escape", "back", N_("Back"), id="back", tooltip=N_("Back to the list")),
        Binding("c", "callback", N_("Callback"), id="callback", tooltip=N_("V-8: you called back the number on file")),
        Binding("s", "start", N_("Start"), id="start", tooltip=N_("T-2: open or approved → in progress")),
        Binding("v", "resolve", N_("Resolve"), id="resolve", tooltip=N_("T-2: in progress → resolved")),
        Binding("w", "withdraw", N_("Withdraw"), id="withdraw", tooltip=N_("T-2: withdraw with a reason")),
        Binding("i", "note", N_("Note"), id="note",
                tooltip=N_("Add an internal note: the desk sees it, the caller never does")),
        Binding("f5", "reload", N_("Reload"), id="reload", show=False, tooltip=N_("Read the ticket again")),
    ]

    def __init__(self, ticket_id: int) -> None:
        super().__init__()
        self.ticket_id = ticket_id
        self.detail: TicketDetail | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(_("Loading…"), id="ticket-title")
        yield Static("", id="ticket-status", markup=False)
        with VerticalScroll(id="ticket-body"):
            with Horizontal(id="ticket-columns"):
                with Vertical(id="ticket-left"):
                    yield Static(id="ticket-fields")
                    yield Static(_("Checklist confirmed with the caller"), classes="section")
                    yield Static(id="ticket-checklist")
                    yield Static(_("Callback (V-8)"), classes="section")
                    yield Static(id="ticket-callback")
                    yield Static(_("Review and verification"), classes="section")
                    yield Static(id="ticket-decision")
                with Vertical(id="ticket-right"):
                    yield Static(_("Consequences (T-1)"), classes="section")
                    yield Static(id="ticket-consequences")
            yield Static(_("History (A-1, oldest first) and internal notes"), classes="section")
            yield Static(id="ticket-history")
        yield Footer(compact=True)  # seven keys and the call's ^g fit at 80 columns

    def on_mount(self) -> None:
        self.query_one("#ticket-body", VerticalScroll).focus()
        self.action_reload()

    # --- loading -----------------------------------------------------------------------------

    def action_reload(self) -> None:
        self.fetch(self.ticket_id)

    @work(thread=True, exclusive=True, exit_on_error=False, group="ticket")
    def fetch(self, ticket_id: int) -> None:
        from tickets.store.queries import ticket_detail

        self.post_message(TicketLoaded(ticket_detail(self.desk.opened_store, ticket_id)))

    def on_ticket_loaded(self, message: TicketLoaded) -> None:
        self.detail = d = message.detail
        row = d.row
        self.query_one("#ticket-title", Static).update(
            Content.assemble(
                (row.ref, "bold"),
                f"  {row.kind.label} · ",
                (row.status.label, "bold " + self._status_style(row.status.value)),
                f" · {row.organization_ref} {row.organization_name}",
            )
        )
        resource = _(" · resource {resource_ref}").format(resource_ref=d.resource_ref) if d.resource_ref else ""
        fields = [
            field_line(_("Subscription"), f"{d.subscription_name} ({row.subscription_ref}){resource}"),
            field_line(_("Filed"), _("{time} by {agent}").format(time=when(row.created_at), agent=row.filed_by)),
            field_line(_("Effective date"), day(row.effective_date)),
            field_line(_("Reversal deadline"), day(d.reversal_deadline)),
            field_line(_("Data deletion date"), day(d.data_deletion_date)),
        ]
        if d.requested_date:
            fields.append(field_line(_("Requested date (V-1)"), d.requested_date))
        if d.reason:
            fields.append(field_line(_("Reason"), d.reason))
        fields += sections.extra_fields(d)
        fields.append(field_line(_("Rules"), ", ".join(d.rules) or "—"))
        self.query_one("#ticket-fields", Static).update(hang(lines(fields)))
        self.query_one("#ticket-checklist", Static).update(hang(sections.checklist_content(d)))
        self.query_one("#ticket-consequences", Static).update(hang(
            consequences_content(d.consequences, needs_review=row.needs_review, needs_callback=d.needs_callback)
        ))
        self.query_one("#ticket-callback", Static).update(hang(self._callback_content()))
        decision = []
        if d.decided_at is not None:
            decided = _("{time} by {agent}").format(time=when(d.decided_at), agent=d.decided_by)
            decision.append(field_line(_("Decided"), decided
                                       + (_(": {reason}").format(reason=d.decision_reason) if d.decision_reason
                                          else "")))
        elif row.needs_review:
            decision.append(Content.styled(_("Waiting for a supervisor other than the filing agent (X-2)."), WARN))
        else:
            decision.append(Content.styled(_("No review needed."), MUTED))
        if d.verified_at is not None:
            decision.append(field_line(_("Caller verified"), _("{time} by {agent}: {checks}").format(
                time=when(d.verified_at), agent=d.verified_by, checks=_(", ").join(d.verification_checks))))
        self.query_one("#ticket-decision", Static).update(hang(lines(decision)))
        self.query_one("#ticket-history", Static).update(hang(sections.history_content(d.history, d.notes)))
        self.refresh_bindings()

    def _status_style(self, status: str) -> str:
        return {"rejected": BAD, "withdrawn": MUTED, "resolved": OK, "pending_review": WARN}.get(status, "")

    def _phone_on_file(self) -> str:
        """V-8: whom to call back and the number on file, during a verified call with this
        organization; elsewhere the placeholder (E-1). The review queue shows supervisors the
        number itself."""
        call, d = self.call, self.detail
        account = call.account if call is not None else None
        if account is not None and d is not None and account.organization.ref == d.row.organization_ref:
            return sections.callback_number(d)
        from tickets.masking import MASK  # E-1: the one masking module, shared with the export

        return _("{masked} (the full number shows during a verified call with this organization)").format(
            masked=MASK)

    def _callback_content(self) -> Content:
        d = self.detail
        if d is None or not d.needs_callback:
            return Content.styled(_("Not needed for this ticket."), MUTED)
        if d.callback_at is not None:
            return Content.assemble(("✓ ", OK), _("Recorded {time} by {callback_by}").format(
                                                      time=when(d.callback_at), callback_by=d.callback_by))
        return lines([
            Content.styled(_("Not yet recorded: the ticket cannot be approved until it is."), WARN),
            Content.assemble((_("Call back the number on file: "), "bold"), self._phone_on_file()),
            Content.styled(_("Press c once the caller has confirmed on that number."), MUTED),
        ])

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "callback" and self.detail is not None:
            return bool(self.detail.needs_callback and self.detail.callback_at is None)
        return True

    # --- lifecycle ---------------------------------------------------------------------------

    @work(exclusive=True, exit_on_error=False, group="callback-prompt")
    async def action_callback(self) -> None:
        from deskapp.screens.prompt import TextPromptScreen

        note = await self.app.push_screen_wait(TextPromptScreen(
            _("Record the callback (V-8)"), _("Note (optional)"),
            hint=_("Call back the number on file: {phone_on_file}. Record it once the caller confirmed.").format(
                     phone_on_file=self._phone_on_file()),
        ))
        if note is not None:
            self.record_callback(note)

    @work(thread=True, exclusive=True, exit_on_error=False, group="ticket-change")
    def record_callback(self, note: str) -> None:
        from tickets.lifecycle import record_callback

        at = record_callback(
            self.desk.opened_store, agent=self.desk.signed_in_agent, ticket_id=self.ticket_id, note=note
        )
        self.post_message(TicketChanged("Callback recorded", at))

    @work(exclusive=True, exit_on_error=False, group="note-prompt")
    async def action_note(self) -> None:
        text = await self.app.push_screen_wait(note_prompt(self.detail.row.ref if self.detail else "the ticket"))
        if text:
            self.add_note(text)

    @work(thread=True, exclusive=True, exit_on_error=False, group="ticket-change")
    def add_note(self, text: str) -> None:
        from tickets.notes import add_note

        note = add_note(self.desk.opened_store, agent=self.desk.signed_in_agent, ticket_id=self.ticket_id, text=text)
        self.post_message(TicketChanged(_("Note added at {time}").format(time=when(note.created_at)), note))

    def action_start(self) -> None:
        self.move("in_progress")

    def action_resolve(self) -> None:
        self.move("resolved")

    @work(exclusive=True, exit_on_error=False, group="withdraw-prompt")
    async def action_withdraw(self) -> None:
        from deskapp.screens.prompt import TextPromptScreen

        reason = await self.app.push_screen_wait(TextPromptScreen(
            _("Withdraw the ticket (T-2)"), _("Reason"), required=True,
            hint=_("Why is the ticket withdrawn? The reason goes into the audit history."),
        ))
        if reason:
            self.move("withdrawn", reason)

    @work(thread=True, exclusive=True, exit_on_error=False, group="ticket-change")
    def move(self, to: str, reason: str | None = None) -> None:
        from tickets.enums import TicketStatus
        from tickets.lifecycle import transition

        result = transition(self.desk.opened_store, actor=self.desk.signed_in_agent, ticket_id=self.ticket_id,
                            to=TicketStatus(to), reason=reason)
        changed = _("{ref} is now {status}").format(ref=result.ref, status=result.status.label)
        self.post_message(TicketChanged(changed, result))

    def on_ticket_changed(self, message: TicketChanged) -> None:
        status = self.query_one("#ticket-status", Static)
        status.update(message.what)
        status.set_classes("-success")
        if self.call is not None:
            self.call.account_stale = True
        self.action_reload()

    def worker_failed(self, worker, error) -> None:
        status = self.query_one("#ticket-status", Static)
        unexpected = _("unexpected error, nothing was saved: {__name__}").format(__name__=type(error).__name__)
        status.update(error_text(error) if hasattr(error, "rule") else unexpected)
        status.set_classes("-error")

    def action_back(self) -> None:
        self.app.pop_screen()
