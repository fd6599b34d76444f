"""Lockouts (V-5): organizations locked for verification after 3 failed attempts within 24
hours, and agents locked out of signing in after 5 wrong PINs in 15 minutes (tickets.signin);
a supervisor lifts either with a reason (audited).

Keys: u unlock the highlighted organization (a reason is required), r refresh, escape back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Static
from textual.worker import Worker

from deskapp.screens.base import DeskScreen
from deskapp.screens.prompt import TextPromptScreen
from deskapp.widgets.format import BAD, MUTED, OK, when

if TYPE_CHECKING:  # pragma: no cover
    from tickets.agents import AgentInfo
    from tickets.signin import SignInLock
    from tickets.verification import LockedOrganization


@dataclass
class LockoutsLoaded(Message):
    locked: list[LockedOrganization]
    agents: list[SignInLock]


@dataclass
class OrganizationUnlocked(Message):
    organization: LockedOrganization
    reason: str


class LockoutsScreen(DeskScreen):
    """Organizations locked for verification now, soonest to unlock first."""

    DEFAULT_CSS = """
    LockoutsScreen {
        & #lockouts { padding: 0 1; }
        & #lockouts-title { text-style: bold; color: $text-primary; }
        & #lockouts-help { color: $text-muted; margin-bottom: 1; }
        & #lockouts-table { height: 1fr; }
        & #lockouts-outcome { height: auto; min-height: 1; margin-top: 1; }
        & #lockouts-refused { padding: 1 2; }
    }
    """

    BINDINGS = [
        Binding("u", "unlock", "Unlock", id="lockouts.unlock",
                tooltip="V-5: lift the highlighted organization's lockout, with a reason (audited)"),
        Binding("r", "refresh", "Refresh", id="lockouts.refresh", tooltip="Read the lockouts again"),
        Binding("escape", "close", "Back", id="lockouts.close", tooltip="Leave the lockouts"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._locked: list[LockedOrganization] = []
        self._agents: list[SignInLock] = []

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
                Content.assemble(
                    ("Lockouts are for supervisors only (V-5).\n\n", BAD + " bold"),
                    "A locked organization unlocks by itself 24 hours after its third failed verification.\n\n",
                    ("Press Escape to go back.", MUTED),
                ),
                id="lockouts-refused",
            )
            yield Footer()
            return
        with Vertical(id="lockouts"):
            yield Static("Organizations locked for verification (V-5)", id="lockouts-title")
            yield Static(
                "3 failed verifications within 24 hours lock an organization for 24 hours, across all agents. "
                "Unlock only when you are sure the failures were honest mistakes: the next caller gets 3 new tries.",
                id="lockouts-help",
            )
            yield DataTable(id="lockouts-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="lockouts-outcome")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Lockouts"
        if not self.allowed:
            return
        table = self.query_one("#lockouts-table", DataTable)
        table.add_column("Organization", key="ref")
        table.add_column("Name", key="name")
        table.add_column("Locked until", key="until")
        table.add_column("Failures", key="failures")
        table.focus()
        self._load()

    # -- keys --------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "unlock":
            return self.allowed and self._highlighted() is not None
        if action == "refresh":
            return self.allowed
        return True

    def action_close(self) -> None:
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()

    def action_refresh(self) -> None:
        self._load()

    def _highlighted(self) -> LockedOrganization | SignInLock | None:
        table = self.query_one("#lockouts-table", DataTable)
        if not 0 <= table.cursor_row < len(self._locked) + len(self._agents):
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((o for o in self._locked if str(o.id) == key), None) or next(
            (a for a in self._agents if f"agent:{a.agent_id}" == key), None)

    @work(exclusive=True, group="lockouts-dialog")
    async def action_unlock(self) -> None:
        org = self._highlighted()
        if org is None:
            return
        if not hasattr(org, "ref"):  # an agent locked out of signing in
            reason = await self.app.push_screen_wait(TextPromptScreen(
                f"Unlock agent {org.display_name} ({org.name})", "Reason",
                hint=f"Locked until {when(org.locked_until)} after {org.failures} wrong PINs. "
                     "A reason is required and goes to the audit trail.", required=True,
            ))
            if reason:
                self._unlock_agent(org, reason)
            return
        reason = await self.app.push_screen_wait(TextPromptScreen(
            f"Unlock {org.name} ({org.ref})",
            "Reason",
            hint=f"V-5: locked until {when(org.locked_until)} after {org.failures} failed verifications. "
                 "A reason is required and goes to the audit trail. No personal data, never a password (V-6).",
            required=True,
        ))
        if reason:
            self._unlock(org, reason)

    # -- workers -----------------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="lockouts-load")
    def _load(self) -> None:
        from tickets.signin import sign_in_locks
        from tickets.verification import locked_organizations

        self.post_message(LockoutsLoaded(locked_organizations(self.desk.store), sign_in_locks(self.desk.store)))

    @work(thread=True, exclusive=True, exit_on_error=False, group="lockouts-unlock")
    def _unlock_agent(self, lock: SignInLock, reason: str) -> None:
        from tickets.signin import unlock_agent

        unlock_agent(self.desk.store, supervisor=cast("AgentInfo", self.agent), agent_id=lock.agent_id, reason=reason)
        text = f"Agent {lock.name} unlocked: it can sign in again. Reason recorded."
        self.app.call_from_thread(self.notify, text, title="Unlocked", markup=False)
        self.app.call_from_thread(self._load)

    @work(thread=True, exclusive=True, exit_on_error=False, group="lockouts-unlock")
    def _unlock(self, org: LockedOrganization, reason: str) -> None:
        from tickets.verification import unlock_organization

        agent = cast("AgentInfo", self.agent)
        unlock_organization(self.desk.store, supervisor=agent, organization_id=org.id, reason=reason)
        self.post_message(OrganizationUnlocked(org, reason))

    def worker_failed(self, worker: Worker, error: BaseException) -> None:
        from tickets.errors import DeskError

        text = str(error) if isinstance(error, DeskError) else f"unexpected error ({type(error).__name__})"
        verb = "could not be unlocked" if worker.group == "lockouts-unlock" else "could not be read"
        self._outcome(Content.styled(f"The lockouts {verb}: {text}", BAD))

    # -- messages ----------------------------------------------------------------------------

    def on_lockouts_loaded(self, message: LockoutsLoaded) -> None:
        message.stop()
        self._locked = list(message.locked)
        table = self.query_one("#lockouts-table", DataTable)
        table.clear()
        self._agents = list(message.agents)
        for org in self._locked:
            table.add_row(org.ref, org.name, when(org.locked_until), str(org.failures), key=str(org.id))
        for lock in self._agents:  # agents locked out of signing in (5 wrong PINs in 15 minutes)
            table.add_row("agent", f"{lock.display_name} ({lock.name})", when(lock.locked_until), str(lock.failures),
                          key=f"agent:{lock.agent_id}")
        if not self._locked:
            self.query_one("#lockouts-title", Static).update("No organization is locked for verification (V-5)")
        else:
            n = len(self._locked)
            self.query_one("#lockouts-title", Static).update(
                f"{n} organization{'s' if n != 1 else ''} locked for verification (V-5)"
            )
        if self._agents:
            n = len(self._agents)
            self.query_one("#lockouts-title", Static).update(Content.assemble(
                self.query_one("#lockouts-title", Static).visual,
                f"; {n} agent{'s' if n != 1 else ''} locked out of signing in (5 wrong PINs)",
            ))
        self.refresh_bindings()

    def on_organization_unlocked(self, message: OrganizationUnlocked) -> None:
        message.stop()
        org = message.organization
        text = f"{org.name} ({org.ref}) unlocked: its callers can be verified again (3 tries). Reason recorded."
        self._outcome(Content.styled(text, OK))
        self.notify(text, title="Unlocked", markup=False)
        self._load()

    def _outcome(self, content: Content) -> None:
        self.query_one("#lockouts-outcome", Static).update(content)

    @on(DataTable.RowHighlighted, "#lockouts-table")
    def _moved(self) -> None:
        self.refresh_bindings()
