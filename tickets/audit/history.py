"""A-1: each ticket's row must say what its audit history says.

The chain proves the events were not edited; this proves the tickets were not edited past
their events: an UPDATE that approves a ticket with no event, names another supervisor, or
skips the callback (V-8) leaves a row its history does not explain. `verify_chain` feeds every
event to `TicketHistories.see` on its one walk, then checks the tickets page by page (raw
cursor pages: a million tickets as ORM rows took longer than the whole walk).

Memory: one interned status string per ticket, plus an entry per callback and per decision
(a million tickets: a dict of a million small entries, like the set of filed ids it replaced).
"""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Any

from sqlmodel import Session

from tickets.enums import AgentRole, TicketStatus
from tickets.store import rawsql

# Events on a ticket that leave its row as it was (an internal note, tickets.notes).
NOT_A_CHANGE = frozenset({"ticket.noted"})
DECISIONS = {f"ticket.{TicketStatus.APPROVED.value}", f"ticket.{TicketStatus.REJECTED.value}"}


_AGENTS = rawsql.Sql("SELECT id, name, role FROM agent")
_TICKETS = rawsql.Sql(
    "SELECT id, status, filed_by_id, decided_by_id, decided_at, needs_callback, callback_at FROM ticket "
    "WHERE id > :after ORDER BY id LIMIT :limit"
)


class TicketHistories:
    """What the events say each ticket should be: status, decision, callback."""

    def __init__(self) -> None:
        self._status: dict[int, str] = {}
        self._callback: dict[int, datetime] = {}
        self._decision: dict[int, tuple[str, datetime]] = {}

    def see(self, action: str, subject: str, actor: str, at: str, status: str | None) -> None:
        """One event, in chain order: `at` as the chain hashes it (ISO, UTC), `status` the
        details' status of a `ticket.filed` event."""
        if not action.startswith("ticket.") or not subject.startswith("ticket:"):
            return
        ticket_id = int(subject[7:])
        if action == "ticket.filed":
            self._status[ticket_id] = sys.intern(str(status))
            return
        if ticket_id not in self._status:
            return  # no filing event: reported as such by problems()
        if action == "ticket.callback_recorded":
            self._callback.setdefault(ticket_id, datetime.fromisoformat(at))
            return
        if action in NOT_A_CHANGE:
            return
        self._status[ticket_id] = sys.intern(action[7:])
        if action in DECISIONS:
            self._decision[ticket_id] = (actor, datetime.fromisoformat(at))

    def problems(self, session: Session, batch: int = 20_000) -> tuple[int | None, str | None]:
        """The first ticket whose row its history does not explain, and why; (None, None) if none."""
        agents = {a.id: (a.name, a.role) for a in rawsql.rows(session, _AGENTS)}
        roles = dict(agents.values())
        last = 0
        while rows := rawsql.rows(session, _TICKETS, {"after": last, "limit": batch}):
            for row in rows:
                problem = self._problem(row, agents, roles)
                if problem is not None:
                    return row.id, problem
            last = rows[-1].id
        return None, None

    def _problem(self, row: Any, agents: dict, roles: dict) -> str | None:
        ticket_id, row_status, filed_by_id, decided_by_id = row.id, row.status, row.filed_by_id, row.decided_by_id
        row_decided_at, needs_callback, row_callback_at = row.decided_at, row.needs_callback, row.callback_at
        status = self._status.get(ticket_id)
        if status is None:
            return "it has no filing event (events removed)"
        if row_status != status:
            return f"it is {row_status} but its history says {status} (changed without an event)"
        decided_by, decided_at = self._decision.get(ticket_id, (None, None))
        row_decider = agents[decided_by_id][0] if decided_by_id in agents else None
        if row_decider != decided_by or (
            row_decided_at is not None and rawsql.read_time(row_decided_at) != decided_at
        ):
            return (f"it records a decision by {row_decider or 'nobody'} but its history one by "
                    f"{decided_by or 'nobody'} (changed without an event)")
        if decided_by is not None:
            if roles.get(decided_by) != AgentRole.SUPERVISOR.value:
                return f"it was decided by {decided_by}, who is not a supervisor (X-2)"
            if decided_by == agents.get(filed_by_id, (None,))[0]:
                return "it was decided by the agent who filed it (X-2)"
        callback_at = self._callback.get(ticket_id)
        if row_status == TicketStatus.APPROVED.value and needs_callback:
            if callback_at is None or decided_at is None or callback_at > decided_at:
                return "it was approved with no callback recorded before the decision (V-8)"
        if (row_callback_at is None) != (callback_at is None):
            return "its callback does not match its history (V-8; changed without an event)"
        return None
