"""The supervisors' dashboard: today's and this week's figures (tickets.dashboard computes them
in SQL; this screen only shows them). Keys: r refresh, escape back.

Days are the desk's days (its time zone, deskapp.config); "this week" is the last 7, today included.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.cells import cell_len
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Sparkline, Static
from textual.worker import Worker

from deskapp.live import LiveScreen
from deskapp.messages import DashboardLoaded
from deskapp.screens.supervisor import SupervisorScreen
from deskapp.widgets.fit_table import FitTable
from deskapp.widgets.format import BAD, MUTED, WARN, day, desk_zone, error_text, when, zone_name
from tickets.i18n import N_, _, month_day, ngettext, number

if TYPE_CHECKING:  # pragma: no cover
    from tickets.dashboard import Dashboard

CHART_CELLS_PER_DAY = 4


def cells(text: str, width: int, *, left: bool = False) -> str:
    """`text` padded with spaces to `width` terminal cells (right-aligned unless `left`)."""
    pad = " " * max(0, width - cell_len(text))
    return text + pad if left else pad + text


def _figures(board: Dashboard) -> Content:
    """Today and this week side by side, then the review backlog."""
    from tickets.dashboard import format_age

    # Columns by terminal cells, not characters: a CJK character takes two.
    def row(name: str, today: str, week: str) -> Content:
        return Content.assemble(cells(name, 26, left=True), (cells(today, 10), "bold"), (cells(week, 14), "bold"))

    def of(failed: int, attempts: int) -> str:
        return _("{failed} of {attempts}").format(failed=number(failed), attempts=number(attempts))

    lines = [
        Content.styled(cells("", 26) + cells(_("Today"), 10) + cells(_("This week"), 14), MUTED),
        row(_("Tickets filed"), number(board.tickets_today), number(board.tickets_week)),
        row(_("Failed verifications"), of(board.verification_failures_today, board.verification_attempts_today),
            of(board.verification_failures_week, board.verification_attempts_week)),
        row(_("Lockouts (V-5)"), number(board.lockouts_today), number(board.lockouts_week)),
    ]
    n = board.waiting_review
    backlog = Content.assemble((_("Waiting for review (X-2): "), "bold"),
                               ngettext("{count} ticket", "{count} tickets", n).format(count=number(n)))
    if board.oldest_waiting is not None:
        # One sentence to translate; the ticket's reference in it shows bold.
        age = format_age(board.oldest_waiting.age)
        before, _ref, after = _(" · oldest {ref}, waiting {age}").partition("{ref}")
        backlog = Content.assemble(
            backlog, before.format(age=age), (board.oldest_waiting.ref, "bold"), (after.format(age=age), WARN),
        )
    lines += [Content(""), backlog]
    if board.handoff_parked:  # only when there are any: nothing to look at otherwise
        lines.append(Content.styled(_("Hand-off: {n} deliveries parked as failed (see `deskapp relay status`)").format(
            n=board.handoff_parked), BAD))
    return Content("\n").join(lines)


class DashboardScreen(LiveScreen, SupervisorScreen):
    """Tickets, verification failures, lockouts, the review backlog and calls, at a glance."""

    SCREEN_NAME = N_("Dashboard")
    REFUSED = (N_("The dashboard is for supervisors only"), "", N_("It shows the desk's figures to supervisors."))

    BINDINGS = [
        Binding("r", "refresh", N_("Refresh"), id="dashboard.refresh", tooltip=N_("Compute the figures again, as of "
                                                                                  "now")),
        Binding("escape", "close", N_("Back"), id="dashboard.close", tooltip=N_("Leave the dashboard")),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.board: Dashboard | None = None

    def compose_allowed(self) -> ComposeResult:
        with VerticalScroll(id="dashboard"):
            yield Static(_("Computing…"), id="dash-asof")
            yield Static("", id="dash-figures")
            with Vertical(id="dash-calls-box"):
                yield Static(_("Calls per day, last 14 days"), id="dash-calls-title")
                yield Sparkline([], id="dash-calls")
                yield Static("", id="dash-calls-axis")
                yield Static("", id="dash-calls-figures")
            with Horizontal(id="dash-tables"):
                with Vertical():
                    yield Static(_("Tickets by kind and status"), classes="dash-table-title")
                    yield FitTable(id="dash-kinds")
                with Vertical(classes="-narrow"):
                    yield Static(_("Tickets per agent, this week"), classes="dash-table-title")
                    yield FitTable(id="dash-agents")

    def mount_allowed(self) -> None:
        self.query_one("#dash-kinds", FitTable).set_columns(
            [(_("Kind"), "kind", 10), (_("Status"), "status", 8), (_("Today"), "today", 5), (_("Week"), "week", 4)])
        self.query_one("#dash-agents", FitTable).set_columns([(_("Agent"), "agent", 10), (_("Tickets"), "tickets", 7)])
        self.query_one("#dash-figures").loading = True  # a loading indicator until the figures come
        self._load()
        self.watch_changes(self._load)  # the figures move without a key

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "refresh":
            return self.allowed
        return True

    def action_refresh(self) -> None:
        self.query_one("#dash-asof", Static).update(Content.styled(_("Computing…"), MUTED))
        self.query_one("#dash-figures").loading = True
        self._load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="dashboard")
    def _load(self) -> None:
        from tickets.dashboard import compute_dashboard

        self.post_message(DashboardLoaded(compute_dashboard(self.desk.opened_store, self.now(), desk_zone())))

    def worker_failed(self, worker: Worker, error: BaseException) -> None:
        from tickets.errors import DeskError

        self.query_one("#dash-figures").loading = False
        text = (error_text(error) if isinstance(error, DeskError)
                else _("unexpected error ({name})").format(name=type(error).__name__))
        self.query_one("#dash-asof", Static).update(Content.styled(_("The figures could not be computed: "
                                  "{text}").format(
                                                                       text=text), BAD))

    def on_dashboard_loaded(self, message: DashboardLoaded) -> None:
        message.stop()
        board = self.board = message.board
        self.query_one("#dash-asof", Static).update(
            _("As of {time} · today: since 00:00 {zone_name} · this week: the last 7 days, since {day} · r "
              "refreshes").format(
                time=when(board.now), zone_name=zone_name(board.today_start), day=day(board.week_start))
        )
        self.query_one("#dash-figures", Static).update(_figures(board))
        self.query_one("#dash-figures").loading = False

        counts = board.call_counts
        # One value per day, drawn CHART_CELLS_PER_DAY cells wide (the chart is exactly that wide).
        self.query_one("#dash-calls", Sparkline).data = [float(n) for n in counts for _ in range(CHART_CELLS_PER_DAY)]
        first, last = board.calls_per_day[0].day, board.calls_per_day[-1].day
        width = CHART_CELLS_PER_DAY * len(counts)
        left, right = month_day(first), _("{day} (today)").format(day=month_day(last))
        self.query_one("#dash-calls-axis", Static).update(left + cells(right, width - cell_len(left)))
        busiest = max(board.calls_per_day, key=lambda d: (d.calls, d.day))
        self.query_one("#dash-calls-figures", Static).update(
            ngettext("{sum} call in 14 days · today {counts} · busiest {isoformat} with {calls}",
                     "{sum} calls in 14 days · today {counts} · busiest {isoformat} with {calls}", sum(counts)).format(
                sum=number(sum(counts)), counts=number(counts[-1]), isoformat=busiest.day.isoformat(),
                calls=number(busiest.calls))
        )

        kinds = [(None, (row.kind.label, row.status.label, number(row.today), number(row.week)))
                 for row in board.tickets]
        kinds.append((None, (_("All kinds"), "", number(board.tickets_today), number(board.tickets_week))))
        self.query_one("#dash-kinds", FitTable).set_rows(kinds)
        agents = [(None, (f"{a.display_name} ({a.name})", number(a.tickets))) for a in board.tickets_per_agent_week]
        self.query_one("#dash-agents", FitTable).set_rows(agents or [(None, (_("no tickets this week"), ""))])
