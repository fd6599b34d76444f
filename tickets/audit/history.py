"""A-1: every ticket and agent rebuilt from the audit events alone, on verify's one walk.

The chain proves the events were not edited; this proves the rows were not edited past their
events: an UPDATE that approves a ticket with no event, names another supervisor, moves the
data deletion date, changes the filer or the reason, promotes an agent or copies a PIN hash,
and a DELETE of a ticket or an agent, leave rows the events do not explain
(tickets.audit.compare reads the rows and names the column). The rules the events were written
under are their `history` version (tickets.audit.record): old events still verify with theirs.

Checked at the event, in chain order: a decision is made by an enabled supervisor who did not
file the ticket (X-2), after the callback the ticket needs (V-8: needs it by its kind and the
refund asked for, never by what its row says), an expedited deprovisioning's data deletion
date is three days from its approval (X-1), a transition starts from the status the ticket
was in, and nothing happens to a ticket that was never filed.

Memory: per ticket one small object (a digest of what its filing fixed, and what can change
after); per agent another. The rows are read in pages, never held.
"""

from __future__ import annotations

import sys
from datetime import date, datetime, timedelta
from functools import cache
from hashlib import blake2b
from itertools import compress
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tickets.audit.record import HISTORY_KEY, ROW_KEY
from tickets.enums import AgentRole, TicketStatus
from tickets.kinds import KINDS, kind_spec, review_flags

# Events on a ticket that leave its row as it was: an internal note (tickets.notes), whose
# event holds its id, length and sha256, checked against the note's row (edited, deleted or
# added around the chain: tickets.audit.compare.note_problems).
NOTED = frozenset({"ticket.noted"})
NOT_A_CHANGE = NOTED
DECISIONS = {f"ticket.{TicketStatus.APPROVED.value}", f"ticket.{TicketStatus.REJECTED.value}"}
APPROVED = f"ticket.{TicketStatus.APPROVED.value}"
UNKNOWN = object()  # a value the ticket's history version does not record
# The kinds whose approval sets a data deletion date, counted in the ticket's zone.
DELETING = frozenset(k.value for k, spec in KINDS.items() if spec.deletion_days_after_approval is not None)

# What a filing fixes for good, by history version: the row's values in this order
# (tickets.audit.compare reads them from the row the same way).
STATIC_V1 = ("kind", "filer", "created_at", "subscription", "resource", "verification_id", "checklist", "rules")
STATIC_V2 = STATIC_V1 + ("call_id", "idempotency_key", "content_hash", "requested_date", "reason", "fields",
                         "consequences", "needs_review", "effective_date", "reversal_deadline")


def static_digest(values: tuple) -> bytes:
    return blake2b(repr(values).encode(), digest_size=16).digest()


_FULL = (1 << len(STATIC_V2)) - 1


def filed_mask(version: int, details: dict[str, Any]) -> int:
    """Which of the fixed columns a filing recorded, one bit each: all from version 2; from a
    version-1 event only those its details hold (its time always, its filer never: version 1's
    writers of tests and benches named no filer)."""
    if version >= 2:
        return _FULL
    return (("kind" in details) | 4 | ("subscription" in details) << 3 | ("resource" in details) << 4
            | ("verification_id" in details) << 5 | ("checklist" in details) << 6 | ("rules" in details) << 7)


@cache
def _bits(mask: int) -> tuple[bool, ...]:
    return tuple(bool(mask >> i & 1) for i in range(len(STATIC_V2)))


def masked(values: tuple, mask: int) -> tuple:
    """The values a filing recorded, in order (both sides alike, so the digests compare)."""
    if mask == _FULL:
        return values
    return tuple(compress(values, _bits(mask)))


def filed_values(version: int, actor: str, at: str, details: dict[str, Any], mask: int | None = None) -> tuple:
    """What a `ticket.filed` event says the row's fixed columns hold (STATIC_V1 / STATIC_V2),
    None where it recorded nothing (filed_mask). Lists (checklist, rules) as they are: their
    repr is what static_digest takes, on both sides."""
    values: tuple = (details.get("kind"), actor, at, details.get("subscription"), details.get("resource"),
                     details.get("verification_id"), details.get("checklist"), details.get("rules"))
    if version >= 2:
        row = details.get(ROW_KEY) or {}
        values += (row.get("call_id"), row.get("idempotency_key"), row.get("content_hash"),
                   row.get("requested_date"), row.get("reason_sha256"), row.get("fields_sha256"),
                   row.get("consequences_sha256"), bool(row.get("needs_review")),
                   row.get("effective_date"), row.get("reversal_deadline"))
    return masked(values, filed_mask(version, details) if mask is None else mask)


class TicketState:
    """One ticket as its events say it is."""

    __slots__ = ("version", "static", "mask", "kind", "filer", "status", "updated_at", "needs_callback", "callback",
                 "decision", "deletion", "resolved_at")

    def __init__(self, version: int, static: bytes, mask: int, kind: str, filer: str, status: str, at: str,
                 needs_callback: Any, deletion: Any) -> None:
        self.version, self.static, self.mask, self.kind, self.filer = version, static, mask, kind, filer
        self.status, self.updated_at, self.needs_callback, self.deletion = status, at, needs_callback, deletion
        self.callback: tuple | None = None  # (at, by, note digest or UNKNOWN)
        self.decision: tuple | None = None  # (by, at, reason or UNKNOWN)
        self.resolved_at: str | None = None


class AgentState:
    __slots__ = ("name", "role", "active", "pin", "display")

    def __init__(self, name: str, role: str, pin: Any, display: Any) -> None:
        self.name, self.role, self.active, self.pin, self.display = name, role, True, pin, display


def _deletion_date(kind: str, at: str, zone: str | None = None) -> str | None:
    """X-1: the data deletion date an approval at `at` sets, by the kind's entry (None: none),
    counted from the local day of the approval in the zone the ticket's filing recorded, as
    tickets.lifecycle counts it (None: UTC)."""
    spec = kind_spec(kind)
    if spec.deletion_days_after_approval is None:
        return None
    if zone is not None:
        try:
            found = spec.deletion_date(datetime.fromisoformat(at), ZoneInfo(zone))
        except (ValueError, ZoneInfoNotFoundError):
            found = None  # not a zone: counted in UTC, and a date counted elsewhere fails
        if found is not None:
            return found.isoformat()
    return (date.fromisoformat(at[:10]) + timedelta(days=spec.deletion_days_after_approval)).isoformat()


class Histories:
    """What the events say every ticket and agent should be; the first event that breaks a
    rule, if any (`problem`: its seq and why)."""

    def __init__(self) -> None:
        self.tickets: dict[int, TicketState] = {}
        self.agents: dict[int, AgentState] = {}
        self.agent_ids: dict[str, int] = {}
        self.notes: dict[int, tuple[int, str]] = {}  # note id -> (ticket id, sha256 of its text)
        # The zone a ticket's X-1 deletion date is counted in, for the few that have one and
        # were filed in another zone than UTC (not one slot on every ticket: memory).
        self.zones: dict[int, str] = {}
        self.problem: tuple[int, str] | None = None

    def _fail(self, seq: int, text: str) -> None:
        if self.problem is None:
            self.problem = (seq, text)

    def see(self, seq: int, action: str, subject: str, actor: str, at: str, details: dict[str, Any]) -> None:
        """One event, in chain order: `at` as the chain hashes it (ISO, UTC), its details decoded."""
        if subject.startswith("ticket:") and action.startswith("ticket."):
            self._ticket(seq, action, int(subject[7:]), actor, at, details)
        elif subject.startswith("agent:") and action.startswith("agent.") and subject[6:].isdigit():
            self._agent(seq, action, int(subject[6:]), details)

    # --- agents --------------------------------------------------------------------------------

    def _agent(self, seq: int, action: str, agent_id: int, details: dict[str, Any]) -> None:
        agent = self.agents.get(agent_id)
        if action == "agent.created":
            if agent is not None:
                return self._fail(seq, f"agent {agent_id} is created a second time")
            name = str(details.get("name"))
            pin = details.get("pin_hash_sha256", UNKNOWN) if HISTORY_KEY in details else UNKNOWN
            display = details.get("display_name_sha256", UNKNOWN) if HISTORY_KEY in details else UNKNOWN
            self.agents[agent_id] = AgentState(name, str(details.get("role")), pin, display)
            self.agent_ids[name] = agent_id
            return None
        if agent is None:
            if action in ("agent.enabled", "agent.disabled", "agent.pin_reset", "agent.role_changed"):
                self._fail(seq, f"{action} for agent {agent_id}, which has no creation event")
            return None
        if action in ("agent.enabled", "agent.disabled"):
            agent.active = action == "agent.enabled"
        elif action == "agent.role_changed":
            agent.role = str(details.get("to"))
        elif action == "agent.pin_reset":
            agent.pin = details.get("pin_hash_sha256", UNKNOWN) if HISTORY_KEY in details else UNKNOWN
        return None

    # --- tickets -------------------------------------------------------------------------------

    def _ticket(self, seq: int, action: str, ticket_id: int, actor: str, at: str, details: dict[str, Any]) -> None:
        ticket = self.tickets.get(ticket_id)
        if action == "ticket.filed":
            if ticket is not None:
                return self._fail(seq, f"ticket {ticket_id} is filed a second time")
            version = int(details.get(HISTORY_KEY, 1))
            kind = str(details.get("kind"))
            if version >= 2:
                row = details.get(ROW_KEY) or {}
                needs_callback: Any = review_flags(kind, bool(row.get("refund_requested")))[1]
                deletion: Any = row.get("data_deletion_date")
            else:
                # Version 1 did not record a refund request: an early cancellation's need is unknown.
                needs_callback = UNKNOWN if kind == "cancel_early" else review_flags(kind, False)[1]
                deletion = UNKNOWN
            zone = details.get("time_zone")
            if isinstance(zone, str) and zone != "UTC" and kind in DELETING:
                self.zones[ticket_id] = zone
            mask = filed_mask(version, details)
            static = static_digest(filed_values(version, actor, at, details, mask))
            self.tickets[ticket_id] = TicketState(version, static, mask, sys.intern(kind), actor,
                                                  sys.intern(str(details.get("status"))), at, needs_callback, deletion)
            return None
        if ticket is None:
            return self._fail(seq, f"{action} for ticket {ticket_id}, which has no filing event")
        if action in NOTED:
            self.notes[int(details.get("note_id", 0))] = (ticket_id, str(details.get("sha256", "")))
        if action in NOT_A_CHANGE:
            return None
        ticket.updated_at = at
        if action == "ticket.callback_recorded":
            note = details.get("note_sha256", UNKNOWN) if HISTORY_KEY in details else UNKNOWN
            if ticket.callback is None:
                ticket.callback = (at, actor, note)
            return None
        to = action[7:]
        was = details.get("from")
        if was is not None and was != ticket.status:
            self._fail(seq, f"ticket {ticket_id} moves from {was} but its history has it {ticket.status}")
        ticket.status = sys.intern(to)
        if to == TicketStatus.RESOLVED.value:
            ticket.resolved_at = at
        if action in DECISIONS:
            self._decision(seq, ticket_id, ticket, action, actor, at, details)
        return None

    def _decision(self, seq: int, ticket_id: int, ticket: TicketState, action: str, actor: str, at: str,
                  details: dict[str, Any]) -> None:
        ticket.decision = (actor, at, details.get("reason") if ticket.version >= 2 else UNKNOWN)
        agent = self.agents.get(self.agent_ids.get(actor, -1))
        if agent is None or agent.role != AgentRole.SUPERVISOR.value:
            self._fail(seq, f"ticket {ticket_id} was decided by {actor}, who was not a supervisor then (X-2)")
        elif not agent.active:
            self._fail(seq, f"ticket {ticket_id} was decided by {actor}, who was disabled then (X-2)")
        elif actor == ticket.filer:
            self._fail(seq, f"ticket {ticket_id} was decided by the agent who filed it (X-2)")
        if action != APPROVED:
            return
        if ticket.version >= 2 and ticket.needs_callback is True and ticket.callback is None:
            self._fail(seq, f"ticket {ticket_id} was approved with no callback recorded before the decision (V-8)")
        if "data_deletion_date" in details:
            ticket.deletion = details["data_deletion_date"]
        deletion = _deletion_date(ticket.kind, at, self.zones.get(ticket_id)) if ticket.version >= 2 else None
        if deletion is not None and ticket.deletion != deletion:
            self._fail(seq, f"ticket {ticket_id}: its data deletion date is not the one its approval sets (X-1)")
