"""What the four supervisor screens (review, lockouts, dashboard, export) share: who is looking,
the injected clock, Escape back, and one "supervisors only" page for anyone else who reaches
them (the home screen does not offer their keys to agents; this is the second line)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.content import Content
from textual.widgets import Footer, Header, Static

from deskapp.screens.base import DeskScreen
from deskapp.widgets.format import BAD, MUTED
from tickets.i18n import N_, _

if TYPE_CHECKING:  # pragma: no cover
    from tickets.agents import AgentInfo


def supervisors_only(what: str, rule: str, why: str, agent: AgentInfo | None) -> Content:
    """The page an agent sees on a supervisor screen: what it is (a whole sentence, marked
    with N_), the rule (beside the sentence, untranslated), why, who they are."""
    who = (_("{display_name} ({name}), an agent").format(display_name=agent.display_name, name=agent.name)
           if agent else _("nobody (not signed in)"))
    headline = (_("{sentence} ({rule}).").format(sentence=_(what), rule=rule) if rule
                else _("{sentence}.").format(sentence=_(what)))
    return Content.assemble(
        (headline + "\n\n", BAD + " bold"),
        _("You are signed in as {who}. {why}\n\n").format(who=who, why=_(why) if why else ""),
        (_("Press Escape to go back."), MUTED),
    )


class SupervisorScreen(DeskScreen):
    """A screen for supervisors: `compose_allowed` builds it; anyone else gets the shared page."""

    SCREEN_NAME: ClassVar[str] = ""  # the header's sub-title
    # The shared refusal page: (what it is, its rule, why), e.g. ("Lockouts are", "V-5", "...").
    REFUSED: ClassVar[tuple[str, str, str]] = (N_("This screen is for supervisors only"), "", "")

    @property
    def agent(self) -> AgentInfo | None:
        return getattr(self.app, "agent", None)

    @property
    def allowed(self) -> bool:
        agent = self.agent
        return agent is not None and agent.is_supervisor

    def now(self) -> datetime:
        return self.desk.now()

    def compose(self) -> ComposeResult:
        yield Header()
        if self.allowed:
            yield from self.compose_allowed()
        else:
            yield Static(supervisors_only(*self.REFUSED, self.agent), id="supervisors-only")
        yield Footer()

    def compose_allowed(self) -> ComposeResult:  # pragma: no cover - every screen defines it
        yield from ()

    def on_mount(self) -> None:
        self.sub_title = _(self.SCREEN_NAME)
        if self.allowed:
            self.mount_allowed()

    def mount_allowed(self) -> None:
        """Columns, focus and the first load, once composed (supervisors only)."""

    def action_close(self) -> None:
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()
