"""A-1: each ticket's row must say what its audit history says.

The chain proves the events were not edited; this proves the tickets were not edited past
their events: an UPDATE that approves a ticket with no event, names another supervisor, or
skips the callback (V-8) leaves a row its history does not explain. `verify_chain` feeds every
event to `TicketHistories.see` on its one walk, then checks the tickets page by page.

Memory: one interned status string per ticket, plus an entry per callback and per decision
(a million tickets: a dict of a million small entries, like the set of filed ids it replaced).
"""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from tickets.enums import AgentRole, TicketStatus
from tickets.models import Agent, Ticket

DECISIONS = {f"ticket.{TicketStatus.APPROVED.value}", f"ticket.{TicketStatus.REJECTED.value}"}


class TicketHistories:
    """What the events say each ticket should be: status, decision, callback."""

    def __init__(self) -> None:
        self._status: dict[int, str] = {}
        self._callback: dict[int, datetime] = {}
        self._decision: dict[int, tuple[str, datetime]] = {}

    def see(self, event: Any) -> None:
        if not event.subject.startswith("ticket:") or not event.action.startswith("ticket."):
            return
        ticket_id = int(event.subject.removeprefix("ticket:"))
        if event.action == "ticket.filed":
            self._status[ticket_id] = sys.intern(str(event.details.get("status")))
            return
        if ticket_id not in self._status:
            return  # no filing event: reported as such by problems()
        if event.action == "ticket.callback_recorded":
            self._callback.setdefault(ticket_id, event.at)
            return
        self._status[ticket_id] = sys.intern(event.action.removeprefix("ticket."))
        if event.action in DECISIONS:
            self._decision[ticket_id] = (event.actor, event.at)

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
        status = self._status.get(row.id)
        if status is None:
            return "it has no filing event (events removed)"
        if row.status != status:
            return f"it is {row.status} but its history says {status} (changed without an event)"
        decided_by, decided_at = self._decision.get(row.id, (None, None))
        row_decider = agents[row.decided_by_id][0] if row.decided_by_id in agents else None
        if row_decider != decided_by or (row.decided_at is not None and row.decided_at != decided_at):
            return (f"it records a decision by {row_decider or 'nobody'} but its history one by "
                    f"{decided_by or 'nobody'} (changed without an event)")
        if decided_by is not None:
            if roles.get(decided_by) != AgentRole.SUPERVISOR.value:
                return f"it was decided by {decided_by}, who is not a supervisor (X-2)"
            if decided_by == agents.get(row.filed_by_id, (None,))[0]:
                return "it was decided by the agent who filed it (X-2)"
        callback_at = self._callback.get(row.id)
        if row.status == TicketStatus.APPROVED.value and row.needs_callback:
            if callback_at is None or decided_at is None or callback_at > decided_at:
                return "it was approved with no callback recorded before the decision (V-8)"
        if (row.callback_at is None) != (callback_at is None):
            return "its callback does not match its history (V-8; changed without an event)"
        return None
