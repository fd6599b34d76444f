"""Lockouts (V-5): organizations locked for verification after 3 failed attempts within 24
hours, and agents locked out of signing in after 5 wrong PINs in 15 minutes (tickets.signin);
a supervisor lifts either with a reason (audited).

Keys: u unlock the highlighted organization (a reason is required), r refresh, escape back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import DataTable, Static
from textual.worker import Worker

from deskapp.messages import LockoutsLoaded, OrganizationUnlocked
from deskapp.screens.prompt import TextPromptScreen
from deskapp.screens.supervisor import SupervisorScreen
from deskapp.widgets.fit_table import FitTable
from deskapp.widgets.format import BAD, OK, error_text, table_time, when
from tickets.i18n import N_, _, ngettext

if TYPE_CHECKING:  # pragma: no cover
    from tickets.agents import AgentInfo
    from tickets.signin import SignInLock
    from tickets.verification import LockedOrganization


class LockoutsScreen(SupervisorScreen):
    """Organizations locked for verification now, soonest to unlock first."""

    SCREEN_NAME = N_("Lockouts")
    REFUSED = (N_("Lockouts are for supervisors only"), "V-5",
               N_("A locked organization unlocks by itself 24 hours after its third failed verification."))

    BINDINGS = [
        Binding("u", "unlock", N_("Unlock"), id="lockouts.unlock",
                tooltip=N_("V-5: lift the highlighted organization's lockout, with a reason (audited)")),
        Binding("r", "refresh", N_("Refresh"), id="lockouts.refresh", tooltip=N_("Read the lockouts again")),
        Binding("escape", "close", N_("Back"), id="lockouts.close", tooltip=N_("Leave the lockouts")),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._locked: list[LockedOrganization] = []
        self._agents: list[SignInLock] = []

    def compose_allowed(self) -> ComposeResult:
        with Vertical(id="lockouts"):
            yield Static(_("Organizations locked for verification (V-5)"), id="lockouts-title")
            yield Static(
                _("3 failed verifications within 24 hours lock an organization for 24 hours, across all "
                  "agents. Unlock only when you are sure the failures were honest mistakes: the next caller "
                  "gets 3 new tries."),
                id="lockouts-help",
            )
            yield FitTable(id="lockouts-table")
            yield Static("", id="lockouts-outcome")

    def mount_allowed(self) -> None:
        table = self.query_one("#lockouts-table", FitTable)
        table.set_columns([(_("Organization"), "ref", 8), (_("Name"), "name", 10), (_("Locked since"), "since", 16),
                           (_("Locked until"), "until", 16), (_("Failures"), "failures", 8)])
        table.focus()
        self._load()

    # -- keys --------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "unlock":
            return self.allowed and self._highlighted() is not None
        if action == "refresh":
            return self.allowed
        return True

    def action_refresh(self) -> None:
        self._load()

    def _highlighted(self) -> LockedOrganization | SignInLock | None:
        table = self.query_one("#lockouts-table", DataTable)
        if not 0 <= table.cursor_row < len(self._locked) + len(self._agents):
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((o for o in self._locked if str(o.id) == key), None) or next(
            (a for a in self._agents if f"agent:{a.agent_id}" == key), None)

    @work(exclusive=True, exit_on_error=False, group="lockouts-dialog")
    async def action_unlock(self) -> None:
        org = self._highlighted()
        if org is None:
            return
        from tickets.signin import SignInLock

        if isinstance(org, SignInLock):  # an agent locked out of signing in
            reason = await self.app.push_screen_wait(TextPromptScreen(
                _("Unlock agent {display_name} ({name})").format(
                    display_name=org.display_name, name=org.name), _("Reason"),
                hint=_("Locked until {time} after {failures} wrong PINs. A reason is required and goes to the "
                       "audit trail.").format(time=when(org.locked_until), failures=org.failures),
                required=True,
            ))
            if reason:
                self._unlock_agent(org, reason)
            return
        reason = await self.app.push_screen_wait(TextPromptScreen(
            _("Unlock {name} ({ref})").format(name=org.name, ref=org.ref),
            _("Reason"),
            hint=_("V-5: locked until {time} after {failures} failed verifications. A reason is required and "
                   "goes to the audit trail. No personal data, never a password (V-6).").format(
                     time=when(org.locked_until), failures=org.failures),
            required=True,
        ))
        if reason:
            self._unlock(org, reason)

    # -- workers -----------------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="lockouts-load")
    def _load(self) -> None:
        from tickets.signin import sign_in_locks
        from tickets.verification import locked_organizations

        self.post_message(
            LockoutsLoaded(locked_organizations(self.desk.opened_store), sign_in_locks(self.desk.opened_store))
        )

    @work(thread=True, exclusive=True, exit_on_error=False, group="lockouts-unlock")
    def _unlock_agent(self, lock: SignInLock, reason: str) -> None:
        from tickets.signin import unlock_agent

        unlock_agent(
            self.desk.opened_store, supervisor=cast("AgentInfo", self.agent), agent_id=lock.agent_id, reason=reason
        )
        text = f"Agent {lock.name} unlocked: it can sign in again. Reason recorded."
        self.app.call_from_thread(self.notify, text, title="Unlocked", markup=False)
        self.app.call_from_thread(self._load)

    @work(thread=True, exclusive=True, exit_on_error=False, group="lockouts-unlock")
    def _unlock(self, org: LockedOrganization, reason: str) -> None:
        from tickets.verification import unlock_organization

        agent = cast("AgentInfo", self.agent)
        unlock_organization(self.desk.opened_store, supervisor=agent, organization_id=org.id, reason=reason)
        self.post_message(OrganizationUnlocked(org, reason))

    def worker_failed(self, worker: Worker, error: BaseException) -> None:
        from tickets.errors import DeskError

        text = error_text(error) if isinstance(error, DeskError) else f"unexpected error ({type(error).__name__})"
        verb = "could not be unlocked" if worker.group == "lockouts-unlock" else "could not be read"
        self._outcome(Content.styled(_("The lockouts {verb}: {text}").format(verb=verb, text=text), BAD))

    # -- messages ----------------------------------------------------------------------------

    def on_lockouts_loaded(self, message: LockoutsLoaded) -> None:
        message.stop()
        self._locked = list(message.locked)
        self._agents = list(message.agents)
        rows = [(str(o.id), (o.ref, o.name, table_time(o.locked_since), table_time(o.locked_until), str(o.failures)))
                for o in self._locked]
        # Agents locked out of signing in (5 wrong PINs in 15 minutes).
        rows += [(f"agent:{lock.agent_id}", ("agent", f"{lock.display_name} ({lock.name})",
                                             table_time(lock.locked_since), table_time(lock.locked_until),
                                             str(lock.failures))) for lock in self._agents]
        self.query_one("#lockouts-table", FitTable).set_rows(rows)
        if not self._locked:
            title = _("No organization is locked for verification (V-5)")
        else:
            n = len(self._locked)
            title = ngettext("{n} organization locked for verification (V-5)",
                             "{n} organizations locked for verification (V-5)", n).format(n=n)
        if self._agents:
            n = len(self._agents)
            title += ngettext("; {n} agent locked out of signing in (5 wrong PINs)",
                              "; {n} agents locked out of signing in (5 wrong PINs)", n).format(n=n)
        self.query_one("#lockouts-title", Static).update(Content(title))
        self.refresh_bindings()

    def on_organization_unlocked(self, message: OrganizationUnlocked) -> None:
        message.stop()
        org = message.organization
        text = f"{org.name} ({org.ref}) unlocked: its callers can be verified again (3 tries). Reason recorded."
        self._outcome(Content.styled(text, OK))
        self.notify(text, title=_("Unlocked"), markup=False)
        self._load()

    def _outcome(self, content: Content) -> None:
        self.query_one("#lockouts-outcome", Static).update(content)

    @on(DataTable.RowHighlighted, "#lockouts-table")
    def _moved(self) -> None:
        self.refresh_bindings()
