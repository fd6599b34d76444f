"""The supervisors' dashboard: today's and this week's figures (tickets.dashboard computes them
in SQL; this screen only shows them). Keys: r refresh, escape back.

Days are the desk's days (its time zone, deskapp.config); "this week" is the last 7, today included.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Sparkline, Static
from textual.worker import Worker

from deskapp.live import LiveScreen
from deskapp.screens.base import DeskScreen
from deskapp.widgets.format import BAD, MUTED, WARN, day, desk_zone, when, zone_name

if TYPE_CHECKING:  # pragma: no cover
    from tickets.agents import AgentInfo
    from tickets.dashboard import Dashboard

CHART_CELLS_PER_DAY = 4


@dataclass
class DashboardLoaded(Message):
    board: Dashboard


def _figures(board: Dashboard) -> Content:
    """Today and this week side by side, then the review backlog."""
    from tickets.dashboard import format_age

    def row(name: str, today: str, week: str) -> Content:
        return Content.assemble(f"{name:<26}", (f"{today:>10}", "bold"), (f"{week:>14}", "bold"))

    lines = [
        Content.styled(f"{'':<26}{'Today':>10}{'This week':>14}", MUTED),
        row("Tickets filed", str(board.tickets_today), str(board.tickets_week)),
        row("Failed verifications", f"{board.verification_failures_today} of {board.verification_attempts_today}",
            f"{board.verification_failures_week} of {board.verification_attempts_week}"),
        row("Lockouts (V-5)", str(board.lockouts_today), str(board.lockouts_week)),
    ]
    n = board.waiting_review
    backlog = Content.assemble(("Waiting for review (X-2): ", "bold"), f"{n} ticket{'s' if n != 1 else ''}")
    if board.oldest_waiting is not None:
        backlog = Content.assemble(
            backlog, " · oldest ", (board.oldest_waiting.ref, "bold"), ", ",
            (f"waiting {format_age(board.oldest_waiting.age)}", WARN),
        )
    lines += [Content(""), backlog]
    return Content("\n").join(lines)


class DashboardScreen(LiveScreen, DeskScreen):
    """Tickets, verification failures, lockouts, the review backlog and calls, at a glance."""

    DEFAULT_CSS = """
    DashboardScreen {
        & #dashboard { padding: 0 1; }
        & #dash-asof { color: $text-muted; margin-bottom: 1; }
        & #dash-figures { height: auto; padding: 0 1; border: round $primary 50%; width: auto; min-width: 54; }
        & #dash-calls-box { height: auto; margin-top: 1; }
        & #dash-calls-title { text-style: bold; color: $text-primary; }
        & #dash-calls { width: 56; height: 1; margin-top: 1; }
        & #dash-calls-axis { width: 56; color: $text-muted; }
        & #dash-calls-figures { color: $text-muted; }
        & #dash-tables { height: auto; margin-top: 1; }
        & #dash-tables > Vertical { width: 3fr; height: auto; margin-right: 1; }
        & #dash-tables > Vertical.-narrow { width: 2fr; }
        & .dash-table-title { text-style: bold; color: $text-primary; }
        & #dash-kinds, & #dash-agents { height: auto; max-height: 20; }
        & #dash-refused { padding: 1 2; }
    }
    """

    BINDINGS = [
        Binding("r", "refresh", "Refresh", id="dashboard.refresh", tooltip="Compute the figures again, as of now"),
        Binding("escape", "close", "Back", id="dashboard.close", tooltip="Leave the dashboard"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.board: Dashboard | None = None

    @property
    def agent(self) -> AgentInfo | None:
        return getattr(self.app, "agent", None)

    @property
    def allowed(self) -> bool:
        return self.agent is not None and self.agent.is_supervisor

    def compose(self) -> ComposeResult:
        yield Header()
        if not self.allowed:
            yield Static(
                Content.assemble(("The dashboard is for supervisors only.\n\n", BAD + " bold"),
                                 ("Press Escape to go back.", MUTED)),
                id="dash-refused",
            )
            yield Footer()
            return
        with VerticalScroll(id="dashboard"):
            yield Static("Computing…", id="dash-asof")
            yield Static("", id="dash-figures")
            with Vertical(id="dash-calls-box"):
                yield Static("Calls per day, last 14 days", id="dash-calls-title")
                yield Sparkline([], id="dash-calls")
                yield Static("", id="dash-calls-axis")
                yield Static("", id="dash-calls-figures")
            with Horizontal(id="dash-tables"):
                with Vertical():
                    yield Static("Tickets by kind and status", classes="dash-table-title")
                    yield DataTable(id="dash-kinds", cursor_type="row", zebra_stripes=True)
                with Vertical(classes="-narrow"):
                    yield Static("Tickets per agent, this week", classes="dash-table-title")
                    yield DataTable(id="dash-agents", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Dashboard"
        if not self.allowed:
            return
        kinds = self.query_one("#dash-kinds", DataTable)
        kinds.add_column("Kind", key="kind")
        kinds.add_column("Status", key="status")
        kinds.add_column("Today", key="today")
        kinds.add_column("Week", key="week")
        agents = self.query_one("#dash-agents", DataTable)
        agents.add_column("Agent", key="agent")
        agents.add_column("Tickets", key="tickets")
        self.query_one("#dash-figures").loading = True  # a loading indicator until the figures come
        self._load()
        self.watch_changes(self._load)  # the figures move without a key (issue 14)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "refresh":
            return self.allowed
        return True

    def action_close(self) -> None:
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()

    def action_refresh(self) -> None:
        self.query_one("#dash-asof", Static).update(Content.styled("Computing…", MUTED))
        self.query_one("#dash-figures").loading = True
        self._load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="dashboard")
    def _load(self) -> None:
        from tickets.dashboard import compute_dashboard

        clock = getattr(self.app, "clock", None) or self.desk.store.clock
        self.post_message(DashboardLoaded(compute_dashboard(self.desk.store, clock.now(), desk_zone())))

    def worker_failed(self, worker: Worker, error: BaseException) -> None:
        from tickets.errors import DeskError

        self.query_one("#dash-figures").loading = False
        text = str(error) if isinstance(error, DeskError) else f"unexpected error ({type(error).__name__})"
        self.query_one("#dash-asof", Static).update(Content.styled(f"The figures could not be computed: {text}", BAD))

    def on_dashboard_loaded(self, message: DashboardLoaded) -> None:
        message.stop()
        board = self.board = message.board
        self.query_one("#dash-asof", Static).update(
            f"As of {when(board.now)} · today: since 00:00 {zone_name(board.today_start)} · "
            f"this week: the last 7 days, since {day(board.week_start)} · r refreshes"
        )
        self.query_one("#dash-figures", Static).update(_figures(board))
        self.query_one("#dash-figures").loading = False

        counts = board.call_counts
        # One value per day, drawn CHART_CELLS_PER_DAY cells wide (the chart is exactly that wide).
        self.query_one("#dash-calls", Sparkline).data = [float(n) for n in counts for _ in range(CHART_CELLS_PER_DAY)]
        first, last = board.calls_per_day[0].day, board.calls_per_day[-1].day
        width = CHART_CELLS_PER_DAY * len(counts)
        left, right = first.strftime("%b %d"), last.strftime("%b %d (today)")
        self.query_one("#dash-calls-axis", Static).update(left + right.rjust(width - len(left)))
        busiest = max(board.calls_per_day, key=lambda d: (d.calls, d.day))
        self.query_one("#dash-calls-figures", Static).update(
            f"{sum(counts)} calls in 14 days · today {counts[-1]} · busiest {busiest.day.isoformat()} "
            f"with {busiest.calls}"
        )

        kinds = self.query_one("#dash-kinds", DataTable)
        kinds.clear()
        for row in board.tickets:
            kinds.add_row(row.kind.label, row.status.label, str(row.today), str(row.week))
        kinds.add_row(Content.styled("All kinds", "bold"), "", str(board.tickets_today), str(board.tickets_week))
        agents = self.query_one("#dash-agents", DataTable)
        agents.clear()
        for agent in board.tickets_per_agent_week:
            agents.add_row(f"{agent.display_name} ({agent.name})", str(agent.tickets))
        if not board.tickets_per_agent_week:
            agents.add_row(Content.styled("no tickets this week", MUTED), "")
