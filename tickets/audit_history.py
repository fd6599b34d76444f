"""A-1: each ticket's row must say what its audit history says.

The chain proves the events were not edited; this proves the tickets were not edited past
their events: an UPDATE that approves a ticket with no event, names another supervisor, or
skips the callback (V-8) leaves a row its history does not explain. `verify_chain` feeds every
event to `TicketHistories.see` on its one walk, then checks the tickets page by page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from tickets.enums import AgentRole, TicketStatus
from tickets.models import Agent, Ticket

DECISIONS = {f"ticket.{TicketStatus.APPROVED.value}", f"ticket.{TicketStatus.REJECTED.value}"}


@dataclass
class _History:
    filed_by: str
    status: str
    callback_at: datetime | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None


class TicketHistories:
    """What the events say each ticket should be: status, decision, callback."""

    def __init__(self) -> None:
        self._tickets: dict[int, _History] = {}

    def see(self, event: Any) -> None:
        if not event.subject.startswith("ticket:") or not event.action.startswith("ticket."):
            return
        ticket_id = int(event.subject.removeprefix("ticket:"))
        if event.action == "ticket.filed":
            self._tickets[ticket_id] = _History(event.actor, str(event.details.get("status")))
            return
        history = self._tickets.get(ticket_id)
        if history is None:
            return  # no filing event: reported as such by the walk
        if event.action == "ticket.callback_recorded":
            history.callback_at = history.callback_at or event.at
            return
        history.status = event.action.removeprefix("ticket.")
        if event.action in DECISIONS:
            history.decided_by, history.decided_at = event.actor, event.at

    def __contains__(self, ticket_id: int) -> bool:
        return ticket_id in self._tickets

    def problems(self, session: Session, batch: int = 10_000) -> tuple[int | None, str | None]:
        """The first ticket whose row its history does not explain, and why; (None, None) if none."""
        agents = {a.id: (a.name, a.role) for a in session.exec(select(Agent))}
        roles = dict(agents.values())
        columns = (Ticket.id, Ticket.status, Ticket.filed_by_id, Ticket.decided_by_id, Ticket.decided_at,
                   Ticket.needs_callback, Ticket.callback_at)
        last = 0
        while rows := session.exec(select(*columns).where(Ticket.id > last).order_by(Ticket.id).limit(batch)).all():
            for row in rows:
                problem = self._problem(row, agents, roles)
                if problem is not None:
                    return row.id, problem
            last = rows[-1].id
        return None, None

    def _problem(self, row: Any, agents: dict, roles: dict) -> str | None:
        history = self._tickets.get(row.id)
        if history is None:
            return "it has no filing event (events removed)"
        if row.status != history.status:
            return f"it is {row.status} but its history says {history.status} (changed without an event)"
        decided_by = agents.get(row.decided_by_id, (None,))[0] if row.decided_by_id is not None else None
        if decided_by != history.decided_by or (row.decided_at is not None and row.decided_at != history.decided_at):
            return (f"it records a decision by {decided_by or 'nobody'} but its history one by "
                    f"{history.decided_by or 'nobody'} (changed without an event)")
        if history.decided_by is not None:
            if roles.get(history.decided_by) != AgentRole.SUPERVISOR.value:
                return f"it was decided by {history.decided_by}, who is not a supervisor (X-2)"
            if history.decided_by == history.filed_by:
                return "it was decided by the agent who filed it (X-2)"
        if row.status == TicketStatus.APPROVED.value and row.needs_callback:
            if history.callback_at is None or history.decided_at is None or history.callback_at > history.decided_at:
                return "it was approved with no callback recorded before the decision (V-8)"
        if (row.callback_at is None) != (history.callback_at is None):
            return "its callback does not match its history (V-8; changed without an event)"
        return None
