"""The agent's desk between calls: start a call, see tickets; supervisors reach their screens."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Footer, Header, Static

from deskapp.screens.base import DeskScreen
from tickets.i18n import N_, _


class HomeScreen(DeskScreen):
    SUB_TITLE = N_("Home")
    # The supervisors' four screens share one footer entry, so the footer keeps "Sign out"
    # at 80 columns (the home body lists each key with its words).
    SUPERVISOR_KEYS = Binding.Group(N_("Supervisor screens"), compact=True)
    BINDINGS = [
        Binding("n", "app.new_call", N_("New call"), id="new_call", tooltip=N_("Take a call: find and verify the caller")),
        Binding("t", "app.my_tickets", N_("My tickets"), id="my_tickets", tooltip=N_("The tickets you filed")),
        # `s`, not `o`: `o` is the organization's tickets on the account view.
        Binding("s", "app.sign_out", N_("Sign out"), id="sign_out", tooltip=N_("Sign out of the console (asks first)")),
        Binding(
            "r",
            "app.open_review",
            N_("Review"),
            id="review",
            tooltip=N_("Tickets waiting for a supervisor (X-2, V-8)"),
            group=SUPERVISOR_KEYS,
        ),
        Binding(
            "l",
            "app.open_lockouts",
            N_("Lockouts"),
            id="lockouts",
            tooltip=N_("Organizations locked for verification (V-5)"),
            group=SUPERVISOR_KEYS,
        ),
        Binding(
            "d", "app.open_dashboard", N_("Dashboard"), id="dashboard", tooltip=N_("The desk's figures"), group=SUPERVISOR_KEYS
        ),
        Binding("x", "app.open_export", N_("Export"), id="export", tooltip=N_("Export tickets (E-1)"), group=SUPERVISOR_KEYS),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="home"):
            yield Static(id="home-welcome")
            yield Static(id="home-keys")
            yield Static(
                _("V-6: never ask for, type or store a caller's password, PIN or one-time code. Callers are "
                  "verified blind (V-4): type what they say; nothing on file is shown before a pass."),
                id="home-rules",
                markup=False,
            )
        yield Footer()

    def on_mount(self) -> None:
        agent = self.desk.agent
        name = agent.display_name if agent else ""
        self.query_one("#home-welcome", Static).update(
            Content.assemble((_("Welcome, "), ""), (name, "bold"), (_(". Ready for the next call."), ""))
        )
        keys = [("n", _("take a new call")), ("t", _("your tickets"))]
        if agent is not None and agent.is_supervisor:
            keys += [("r", _("review queue")), ("l", _("lockouts")), ("d", _("dashboard")), ("x", _("export"))]
        keys += [("ctrl+f", _("search: ticket, organization, caller (any screen)")), ("ctrl+p", _("every command")),
                 ("s", _("sign out"))]
        self.query_one("#home-keys", Static).update(
            Content("\n").join(Content.assemble((f"  {k:<7}", "bold $text-primary"), what) for k, what in keys)
        )
