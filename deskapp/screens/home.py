"""The agent's desk between calls: start a call, see tickets; supervisors reach their screens."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Footer, Header, Static

from deskapp.screens.base import DeskScreen


class HomeScreen(DeskScreen):
    SUB_TITLE = "Home"
    # The supervisors' four screens share one footer entry, so the footer keeps "Sign out"
    # at 80 columns (the home body lists each key with its words).
    SUPERVISOR_KEYS = Binding.Group("Supervisor screens", compact=True)
    BINDINGS = [
        Binding("n", "app.new_call", "New call", id="new_call", tooltip="Take a call: find and verify the caller"),
        Binding("t", "app.my_tickets", "My tickets", id="my_tickets", tooltip="The tickets you filed"),
        # `s`, not `o`: `o` is the organization's tickets on the account view.
        Binding("s", "app.sign_out", "Sign out", id="sign_out", tooltip="Sign out of the console (asks first)"),
        Binding(
            "r",
            "app.open_review",
            "Review",
            id="review",
            tooltip="Tickets waiting for a supervisor (X-2, V-8)",
            group=SUPERVISOR_KEYS,
        ),
        Binding(
            "l",
            "app.open_lockouts",
            "Lockouts",
            id="lockouts",
            tooltip="Organizations locked for verification (V-5)",
            group=SUPERVISOR_KEYS,
        ),
        Binding(
            "d", "app.open_dashboard", "Dashboard", id="dashboard", tooltip="The desk's figures", group=SUPERVISOR_KEYS
        ),
        Binding("x", "app.open_export", "Export", id="export", tooltip="Export tickets (E-1)", group=SUPERVISOR_KEYS),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="home"):
            yield Static(id="home-welcome")
            yield Static(id="home-keys")
            yield Static(
                "V-6: never ask for, type or store a caller's password, PIN or one-time code. "
                "Callers are verified blind (V-4): type what they say; nothing on file is shown "
                "before a pass.",
                id="home-rules",
                markup=False,
            )
        yield Footer()

    def on_mount(self) -> None:
        agent = self.desk.agent
        name = agent.display_name if agent else ""
        self.query_one("#home-welcome", Static).update(
            Content.assemble(("Welcome, ", ""), (name, "bold"), (". Ready for the next call.", ""))
        )
        keys = [("n", "take a new call"), ("t", "your tickets")]
        if agent is not None and agent.is_supervisor:
            keys += [("r", "review queue"), ("l", "lockouts"), ("d", "dashboard"), ("x", "export")]
        keys += [("ctrl+f", "search: ticket, organization, caller (any screen)"), ("ctrl+p", "every command"),
                 ("s", "sign out")]
        self.query_one("#home-keys", Static).update(
            Content("\n").join(Content.assemble((f"  {k:<7}", "bold $text-primary"), what) for k, what in keys)
        )
