"""The review queue (X-2, V-8, T-2): supervisors approve or reject the tickets waiting for them.

One page of the queue at a time (50 tickets, oldest first, paged by keyset in SQL: never the
whole table), and beside it everything the reviewer needs for the highlighted ticket: the
verification evidence, the callback record, the checklist confirmed with the caller, the
consequences and the history.

Keys: a approve, j reject (a reason is required), c record the V-8 callback, n / p next and
previous page, r refresh, escape back. A key the rules refuse for this ticket is shown dimmed in
the footer, the reason stays on the screen, and pressing it says why: the core refuses it again
(and the database's four-eyes CHECK constraint after that).

Two supervisors deciding the same ticket: the core's conditional update lets one win; the other
is told who decided and what, and sees the ticket as it now is.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.timer import Timer
from textual.widgets import DataTable, Static
from textual.worker import Worker, get_current_worker

from deskapp.live import LiveScreen, keep_in_view
from deskapp.messages import TicketChanged, TicketLoaded, TicketPageLoaded
from deskapp.presence import TicketPresence
from deskapp.screens.confirm import ConfirmScreen
from deskapp.screens.prompt import TextPromptScreen, note_prompt
from deskapp.screens.supervisor import SupervisorScreen
from deskapp.widgets import review_rows
from deskapp.widgets import ticket_sections as sections
from deskapp.widgets.fit_table import FitTable
from deskapp.widgets.format import BAD, MUTED, OK, WARN, desk_zone, error_text, lines, when
from deskapp.widgets.hanging import hang
from tickets.i18n import N_, _

# Keys that only move through the queue (or leave it): they never wait for a ticket's detail.
MOVES = frozenset({"up", "down", "pageup", "pagedown", "home", "end", "escape"})
DETAIL_SETTLE_S = 0.05
WAITING_TICK_S = 30.0  # the Waiting column counts minutes

if TYPE_CHECKING:  # pragma: no cover
    from tickets.agents import AgentInfo
    from tickets.store.queries import Cursor, TicketDetail, TicketPage
    from tickets.viewers import Viewer

# --- the queue -------------------------------------------------------------------------------


class ReviewQueueScreen(TicketPresence, LiveScreen, SupervisorScreen):
    """Tickets waiting for a supervisor, oldest first, one page at a time, with the evidence."""

    SCREEN_NAME = N_("Review queue")
    REFUSED = (N_("The review queue is for supervisors only"), "X-2",
               N_("Tickets that need a supervisor's approval wait here until a supervisor other than the "
                  "filing agent decides them."))
    SECTIONS: ClassVar[tuple[str, ...]] = (
        "viewers", "blockers", "decision", "verification", "callback", "checklist", "consequences", "history")

    BINDINGS = [
        Binding("a", "approve", N_("Approve"), id="review.approve",
                tooltip=N_("Approve the highlighted ticket (X-2: never one you filed; V-8: callback first)")),
        Binding("a", "refused('approve')", N_("Approve"), show=False, id="review.approve.refused"),
        Binding("j", "reject", N_("Reject"), id="review.reject",
                tooltip=N_("Reject the highlighted ticket, with a reason the filing agent will see")),
        Binding("j", "refused('reject')", N_("Reject"), show=False, id="review.reject.refused"),
        Binding("c", "callback", N_("Callback done"), id="review.callback",
                tooltip=N_("V-8: record that you called back the number on file and the caller confirmed")),
        Binding("i", "note", N_("Note"), id="review.note",
                tooltip=N_("Add an internal note to the highlighted ticket: it shows in its history")),
        Binding("n", "next_page", N_("Next page"), id="review.next_page", tooltip=N_("The next 50 tickets")),
        Binding("p", "previous_page", N_("Prev page"), id="review.previous_page", tooltip=N_("The previous 50 "
                                                          "tickets")),
        Binding("r", "refresh", N_("Refresh"), id="review.refresh", tooltip=N_("Read the queue and the ticket again")),
        Binding("escape", "close", N_("Back"), id="review.close", tooltip=N_("Leave the review queue")),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._after: list[Cursor | None] = [None]  # the keyset cursor of each page seen
        self.page: TicketPage | None = None  # the page shown
        self._page_number = 1
        self._current_id: int | None = None
        self.detail: TicketDetail | None = None  # the highlighted ticket, once read
        self.viewers: tuple[Viewer, ...] = ()  # other supervisors who have it open
        self._acting_on: int | None = None  # the ticket of the decision or callback under way
        self._refused_on: tuple[int, str] | None = None  # a refused decision, until its ticket reloads
        self._reading: int | None = None  # the highlighted ticket, while it is being read
        self._read_timer: Timer | None = None

    # -- layout ------------------------------------------------------------------------------

    def compose_allowed(self) -> ComposeResult:
        with Horizontal(id="review-body"):
            with Vertical(id="review-left"):
                yield Static(_("Waiting for review — oldest first"), id="review-title")
                yield FitTable(id="review-table")
                yield Static("", id="review-page")
            with VerticalScroll(id="review-detail"):
                yield Static("", id="review-outcome")
                yield Static("", id="review-viewers")  # first: who else has this ticket open
                yield Static(Content.styled(_("Loading the review queue…"), MUTED), id="review-summary")
                for name in self.SECTIONS[1:]:
                    yield Static("", id=f"review-{name}")

    def mount_allowed(self) -> None:
        table = self.query_one("#review-table", FitTable)
        # Minimums small enough for every column to show in the left pane at 100 columns.
        table.set_columns([(_("Ticket"), "ref", 9), (_("Kind"), "kind", 9), (_("Status"), "status", 7),
                           (_("Waiting"), "age", 5), (_("Filed by"), "filed_by", 5), (_("Organization"), "org", 9)])
        table.focus()
        self._load_page(self._after[-1], len(self._after))
        self.watch_changes(self.action_refresh)  # new tickets appear without a key
        self.set_interval(WAITING_TICK_S, self._show_waiting)
        self.watch_presence()  # who else has the highlighted ticket open (deskapp.presence)

    # -- keys --------------------------------------------------------------------------------

    def key_must_wait(self, event: object) -> bool:
        """Moving through the queue never waits for the highlighted ticket to be read (Down
        held for two seconds is 60 moves, not 60 reads in a row); any other key does, so that
        a, j and c act on the ticket highlighted, with its evidence on screen (deskapp/keys.py:
        the read itself is a background worker)."""
        return self._reading is not None and getattr(event, "key", None) not in MOVES

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "note":
            return bool(self.allowed and self.detail is not None and self.detail.row.id == self._current_id)
        if action in ("approve", "reject", "callback", "refused"):
            if not self.allowed or self.detail is None or self.detail.row.id != self._current_id:
                return False
            from tickets.enums import TicketStatus

            if action == "callback":
                d = self.detail
                if not d.needs_callback or d.callback_at is not None:
                    return False
                return d.row.status in (TicketStatus.OPEN, TicketStatus.PENDING_REVIEW)
            if self.detail.row.status is not TicketStatus.PENDING_REVIEW:
                return False  # decided (here or elsewhere): nothing left to decide
            if action == "refused":
                target = TicketStatus.APPROVED if parameters and parameters[0] == "approve" else TicketStatus.REJECTED
                return bool(sections.problems(self.detail, target, self.agent))
            target = TicketStatus.APPROVED if action == "approve" else TicketStatus.REJECTED
            # Disabled (shown dimmed) with its reason on screen; the "refused" twin explains.
            return None if sections.problems(self.detail, target, self.agent) else True
        if action in ("next_page", "previous_page", "refresh"):
            if not self.allowed:
                return False
            if action == "next_page":
                return bool(self.page and self.page.next_cursor)
            if action == "previous_page":
                return len(self._after) > 1
        return True

    def action_refresh(self) -> None:
        self._load_page(self._after[-1], len(self._after))

    def action_next_page(self) -> None:
        if self.page and self.page.next_cursor:
            self._after.append(self.page.next_cursor)
            self._load_page(self._after[-1], len(self._after))

    def action_previous_page(self) -> None:
        if len(self._after) > 1:
            self._after.pop()
            self._load_page(self._after[-1], len(self._after))

    def action_refused(self, what: str) -> None:
        from tickets.enums import TicketStatus

        if self.detail is None:
            return
        target = TicketStatus.APPROVED if what == "approve" else TicketStatus.REJECTED
        problems = sections.problems(self.detail, target, self.agent)
        if problems:
            message = f"You cannot {what} {self.detail.row.ref}: " + "; ".join(problems)
            self._show_outcome(message, ok=False)
            self.notify(message, title=_("Refused"), severity="warning")

    @work(exclusive=True, exit_on_error=False, group="review-dialog")
    async def action_approve(self) -> None:
        from tickets.enums import TicketStatus
        from tickets.kinds import kind_spec

        detail = self.detail
        if detail is None:
            return
        parts: list[Content | str] = [
            Content.assemble(
                (detail.row.kind.label, "bold"), _(" for {organization_name} ({subscription_name}), filed by "
                                                   "{filed_by} at {time}.").format(
                                                     organization_name=detail.row.organization_name,
                                                     subscription_name=detail.subscription_name,
                                                     filed_by=detail.row.filed_by, time=when(detail.row.created_at))
            ),
        ]
        spec = kind_spec(detail.row.kind)
        deletion = spec.deletion_date(self.now(), desk_zone())
        if deletion is not None:
            parts.append(Content.styled(
                _("X-2: approving now deletes all its data on {isoformat} ({deletion_days_after_approval} days "
                  "from approval). X-3: nothing can be reversed once the data is deleted.").format(
                    isoformat=deletion.isoformat(),
                    deletion_days_after_approval=spec.deletion_days_after_approval), WARN))
        parts.append(Content.styled(_("You have checked the verification, the callback (V-8), the checklist "
                                      "and the consequences."), MUTED))
        yes = await self.app.push_screen_wait(
            ConfirmScreen(_("Approve {ref}?").format(
                ref=detail.row.ref), lines(parts), yes=_("Approve"), yes_words=_("Yes, approve"))
        )
        if yes:
            self._act(detail.row.id, "decide", TicketStatus.APPROVED, None)

    @work(exclusive=True, exit_on_error=False, group="review-dialog")
    async def action_reject(self) -> None:
        from tickets.enums import TicketStatus

        detail = self.detail
        if detail is None:
            return
        reason = await self.app.push_screen_wait(TextPromptScreen(
            _("Reject {ref} ({label}, {organization_name})").format(
                ref=detail.row.ref, label=detail.row.kind.label, organization_name=detail.row.organization_name),
            _("Reason"),
            hint=_("T-2: a reason is required; the filing agent and the audit trail see it. No personal data, "
                   "never a password (V-6)."),
            required=True,
        ))
        if reason:
            self._act(detail.row.id, "decide", TicketStatus.REJECTED, reason)

    @work(exclusive=True, exit_on_error=False, group="review-dialog")
    async def action_callback(self) -> None:
        detail = self.detail
        if detail is None:
            return
        note = await self.app.push_screen_wait(TextPromptScreen(
            _("Callback for {ref} (V-8)").format(ref=detail.row.ref),
            _("Note (optional)"),
            hint=_("Call back {callback_number} ({organization_name}), and record this only after hearing the "
                   "caller confirm {ref}. No personal data, never a password (V-6).").format(
                     callback_number=sections.callback_number(detail),
                     organization_name=detail.row.organization_name, ref=detail.row.ref)
        ))
        if note is not None:
            self._act(detail.row.id, "callback", None, note)

    @work(exclusive=True, exit_on_error=False, group="review-dialog")
    async def action_note(self) -> None:
        detail = self.detail
        if detail is None:
            return
        text = await self.app.push_screen_wait(note_prompt(detail.row.ref))
        if text:
            self._act(detail.row.id, "note", None, text)

    # -- workers (every database call; failures reach worker_failed) ------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="review-page")
    def _load_page(self, after: Cursor | None, number: int) -> None:
        from tickets.store.queries import review_queue

        page = review_queue(self.desk.opened_store, after=after)
        if not get_current_worker().is_cancelled:
            self.post_message(TicketPageLoaded(page, number))

    def _read(self, ticket_id: int, *, settle: bool = False) -> None:
        """Read `ticket_id` again; with `settle`, once the cursor has rested DETAIL_SETTLE_S
        (each move restarts the wait: a held key reads only the ticket it stops on)."""
        if ticket_id == self._current_id:
            self._reading = ticket_id
        opening = ticket_id == self._current_id and self.opening(ticket_id)
        if not settle:
            self._load_detail(ticket_id, opening)
            return
        if self._read_timer is not None:
            self._read_timer.stop()
        self._read_timer = self.set_timer(DETAIL_SETTLE_S, partial(self._load_detail, ticket_id, opening))

    @work(thread=True, exclusive=True, exit_on_error=False, group="review-detail")
    def _load_detail(self, ticket_id: int, opening: bool = False) -> None:
        from tickets.store.queries import ticket_detail
        from tickets.viewers import open_ticket, viewers_of

        store, agent = self.desk.opened_store, cast("AgentInfo", self.agent)
        detail = ticket_detail(store, ticket_id)
        if opening:
            with self.own_write():
                viewers = open_ticket(store, agent, ticket_id)
        else:
            viewers = viewers_of(store, ticket_id, other_than=agent.id)
        if not get_current_worker().is_cancelled:
            self.post_message(TicketLoaded(detail, viewers))

    def _act(self, ticket_id: int, what: str, target: Any, text: str | None) -> None:
        self._acting_on = ticket_id
        self._hide_outcome()
        self._act_worker(ticket_id, what, target, text)

    @work(thread=True, exclusive=True, exit_on_error=False, group="review-decide")
    def _act_worker(self, ticket_id: int, what: str, target: Any, text: str | None) -> None:
        from tickets.lifecycle import record_callback, transition

        agent = cast("AgentInfo", self.agent)
        if what == "note":
            from tickets.notes import add_note

            note = add_note(self.desk.opened_store, agent=agent, ticket_id=ticket_id, text=text or "")
            self.post_message(TicketChanged("note", note))
        elif what == "callback":
            at = record_callback(self.desk.opened_store, agent=agent, ticket_id=ticket_id, note=text or "")
            self.post_message(TicketChanged("callback", at))
        else:
            result = transition(self.desk.opened_store, actor=agent, ticket_id=ticket_id, to=target, reason=text)
            self.post_message(TicketChanged("decision", result))

    def worker_failed(self, worker: Worker, error: BaseException) -> None:
        from tickets.errors import Conflict, DeskError

        text = error_text(error) if isinstance(error, DeskError) else f"unexpected error ({type(error).__name__})"
        if worker.group == "review-decide":
            self._show_outcome(("Conflict: " if isinstance(error, Conflict) else "Not done: ") + text, ok=False)
            if self._acting_on is not None:  # show the ticket as it now is, and who changed it
                self._refused_on = (self._acting_on, text)
                self._read(self._acting_on)
        elif worker.group == "review-page":
            self._set_summary(Content.styled(_("The review queue could not be read: {text}").format(text=text), BAD))
        elif worker.group == "review-detail":
            self._reading = None
            self._set_summary(Content.styled(_("The ticket could not be read: {text}").format(text=text), BAD))

    # -- messages from the workers -----------------------------------------------------------

    def on_ticket_page_loaded(self, message: TicketPageLoaded) -> None:
        message.stop()
        page, number = message.page, message.page_number
        if self.live_pending:  # the ticket being looked at stays in view even once decided
            page = keep_in_view(page, self.page, self._current_id)
        self.page, self._page_number, self.live_pending = page, number, False
        table = self.query_one("#review-table", FitTable)
        keep = self._current_id
        self._show_waiting()
        if not page.rows:
            self._current_id, self.detail, self._reading = None, None, None
            self._clear_detail(
                "Nothing is waiting for review." if number == 1 else "No tickets on this page: press p."
            )
            self.refresh_bindings()
            return
        ids = [row.id for row in page.rows]
        index = ids.index(keep) if keep in ids else 0
        table.move_cursor(row=index)
        self._select(ids[index], force=True)

    def _show_waiting(self) -> None:
        """The rows and the page line as of now: how long each ticket has waited, and which
        are late. Again every WAITING_TICK_S, so a ticket turns late while it is on screen."""
        if self.page is None:
            return
        now, limit = self.now(), review_rows.late_after(self.desk.settings)
        rows, styles = review_rows.table_rows(self.page.rows, now, limit)
        self.query_one("#review-table", FitTable).set_rows(rows, styles=styles)
        self.query_one("#review-page", Static).update(review_rows.page_line(self.page, self._page_number, now, limit))

    @on(DataTable.RowHighlighted, "#review-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value is not None:
            self._select(int(event.row_key.value))

    @on(DataTable.RowSelected, "#review-table")
    def _selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self._select(int(event.row_key.value), force=True)

    def _select(self, ticket_id: int, *, force: bool = False) -> None:
        if ticket_id == self._current_id and not force:
            return
        if ticket_id != self._current_id:
            self._hide_outcome()
        self._current_id = ticket_id
        if self.detail is not None and self.detail.row.id != ticket_id:
            self.detail = None
            self._set_summary(Content.styled(_("Loading…"), MUTED))
        self.refresh_bindings()
        self._read(ticket_id, settle=True)

    def on_ticket_loaded(self, message: TicketLoaded) -> None:
        message.stop()
        detail = message.detail
        # The row shows the ticket's status as it is now (decided here or elsewhere).
        self.query_one("#review-table", FitTable).set_cell(str(detail.row.id), "status", detail.row.status.label)
        if self._refused_on is not None and self._refused_on[0] == detail.row.id:
            self._explain_refusal(detail, self._refused_on[1])
            self._refused_on = None
        if detail.row.id != self._current_id:
            if self.detail is None and self._current_id is not None:
                self._read(self._current_id)  # its own load may have given way to this one
            return
        self.detail = detail
        self.viewers = message.viewers
        if self._reading == detail.row.id:
            self._reading = None
        self._render_detail(detail)
        self.refresh_bindings()

    def _explain_refusal(self, detail: TicketDetail, core_message: str) -> None:
        """A decision or callback was refused: if another supervisor decided the ticket
        meanwhile, say who and what (the core's own words follow)."""
        from tickets.enums import TicketStatus

        agent = self.agent
        mine = agent is not None and detail.decided_by == agent.display_name
        if detail.decided_by and not mine and detail.row.status is not TicketStatus.PENDING_REVIEW:
            text = _("{ref} was already decided by {agent}: it is now {status} (at {time}). Your decision was "
                     "not recorded. [{core_message}]").format(
                ref=detail.row.ref, agent=detail.decided_by, status=detail.row.status.label,
                time=when(detail.decided_at), core_message=core_message)
            self._show_outcome(text, ok=False)

    def on_ticket_changed(self, message: TicketChanged) -> None:
        message.stop()
        from tickets.notes import Note

        ticket_id = self._acting_on
        result = message.result
        if isinstance(result, Note):  # "note"
            self._show_outcome(_("Note added at {time}; it shows in the history.").format(
                                   time=when(result.created_at)), ok=True)
        elif isinstance(result, datetime):  # "callback": the time it was recorded
            self._show_outcome(_("V-8: callback recorded at {time}; the ticket can now be approved.").format(
                                   time=when(result)),
                               ok=True)
        else:
            from tickets.enums import TicketStatus

            text = _("{ref} {status} at {time}.").format(ref=result.ref, status=result.status.label,
                                                        time=when(result.at))
            if result.status is TicketStatus.APPROVED and self.detail and self.detail.row.id == ticket_id:
                from tickets.kinds import kind_spec

                deletion = kind_spec(self.detail.row.kind).deletion_date(result.at, desk_zone())
                if deletion is not None:
                    text += _(" All its data is deleted on {day} (X-1, X-2).").format(day=deletion.isoformat())
            self._show_outcome(text, ok=True)
            self.notify(text, title=_("Decided"))
        if ticket_id is not None:
            self._read(ticket_id)

    # -- rendering ---------------------------------------------------------------------------

    def _show_outcome(self, text: str, *, ok: bool) -> None:
        box = self.query_one("#review-outcome", Static)
        box.update(hang(Content.styled(text, OK if ok else WARN)))
        box.set_class(True, "-shown")
        box.set_class(ok, "-ok")

    def _hide_outcome(self) -> None:
        if self.allowed:
            self.query_one("#review-outcome", Static).set_class(False, "-shown")

    def _set_summary(self, content: Content) -> None:
        self.query_one("#review-summary", Static).update(hang(content))

    def _clear_detail(self, text: str) -> None:
        for name in self.SECTIONS:
            self._put(name, Content(""))
        self._set_summary(Content.styled(text, MUTED))

    def _put(self, name: str, content: Content) -> None:
        """Fill one section of the detail pane (wrapping with hanging indents); an empty section
        takes no room."""
        section = self.query_one(f"#review-{name}", Static)
        section.update(hang(content))
        section.display = bool(content.plain)

    def _render_detail(self, d: TicketDetail) -> None:
        self._set_summary(sections.summary(d))
        self._put("viewers", review_rows.viewers_notice(self.viewers))
        self._put("blockers", sections.blockers(d, self.agent))
        self._put("decision", sections.decision(d))
        self._put("verification", sections.verification(d))
        self._put("callback", sections.callback(d))
        self._put("checklist", sections.confirmed(d))
        self._put("consequences", sections.consequences(d, self.now()))
        self._put("history", sections.history(d))
