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

Memory: per ticket a slot in compact columns (tickets.audit.columns: codes for its status, kind
and people, its times as numbers), about 25 bytes on a desk of version-1 histories and 65 with
every version-2 column; per agent a small object. What a filing fixed is compared with the row
as the filing is read (tickets.audit.filings), so only a bit of it is kept. The rows are
streamed, never held.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import cache
from hashlib import blake2b
from itertools import compress
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tickets.audit.columns import Codes, Digests, SparseTimes, Table, Times
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


class AgentState:
    __slots__ = ("name", "role", "active", "pin", "display")

    def __init__(self, name: str, role: str, pin: Any, display: Any) -> None:
        self.name, self.role, self.active, self.pin, self.display = name, role, True, pin, display


# A ticket's flags (Histories.flags): what its events have set so far; FIXED_DIFFERS: its row's
# fixed columns are not what its filing recorded (tickets.audit.filings, on the walk).
DECIDED, CALLED_BACK, REASON_KNOWN, NOTE_KNOWN, FIXED_DIFFERS = 1, 2, 4, 8, 16
NEEDS = {False: 0, True: 1}  # needs_callback's codes; 2: unknown (UNKNOWN)
DELETION_UNKNOWN, DELETION_NONE = 0, 1  # the deletion column's first two codes


@cache
def _needs_callback(kind: str, refund_requested: bool) -> bool:
    return review_flags(kind, refund_requested)[1]


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
    rule, if any (`problem`: its seq and why).

    Tickets are kept in columns (tickets.audit.columns), a slot a ticket: a ticket's id is its
    slot below `dense` (ids run from 1 as tickets are filed), any other id gets the next free
    slot from it on. The columns grow with the highest slot (by an eighth), so a million tickets
    take tens of MB; a ticket with a forged huge id takes a slot after the dense ones, not a gap
    up to its id.
    """

    def __init__(self, dense: int = 1 << 20, expect: int = 0) -> None:
        self.dense = dense
        # Called on each first filing with (ticket id, slot, version, mask, the values it fixed)
        # (tickets.audit.filings compares the row then); None: the digest kept in `deferred`.
        self.on_filed: Callable[[int, int, int, int, tuple], None] | None = None
        self.deferred: dict[int, bytes] = {}  # slot -> static_digest of its filing, compared at the end
        self.sparse: dict[int, int] = {}  # ticket id -> slot, for ids from `dense` on
        self.size = 0
        self.filed = 0
        self.agents: dict[int, AgentState] = {}
        self.agent_ids: dict[str, int] = {}
        self.notes: dict[int, tuple[int, str]] = {}  # note id -> (ticket id, sha256 of its text)
        # The zone a ticket's X-1 deletion date is counted in, for the few that have one and
        # were filed in another zone than UTC (not one slot on every ticket: memory).
        self.zones: dict[int, str] = {}
        self.problem: tuple[int, str] | None = None
        self.statuses, self.kinds, self.names = Table(), Table(), Table(None)
        self.masks, self.deletions = Table(), Table(UNKNOWN, None)
        self.version = bytearray()  # 0: not filed; 1: history version 1; 2: version 2 or later
        self.needs = bytearray()  # NEEDS, or 2: unknown
        self.flags = bytearray()
        self.status, self.kind = Codes(0, self.statuses), Codes(0, self.kinds)
        self.filer, self.decided_by = Codes(0, self.names), Codes(0, self.names)
        self.callback_by, self.mask = Codes(0, self.names), Codes(0, self.masks)
        self.deletion = Codes(0, self.deletions)
        self.decided_at, self.callback_at = SparseTimes(0), SparseTimes(0)  # set by few tickets
        self.updated_at, self.resolved_at = Times(0), Times(0)  # version 2's only
        self.reason, self.note = Digests(0), Digests(0)
        self._columns = (self.status, self.kind, self.filer, self.decided_by, self.callback_by, self.mask,
                         self.deletion, self.decided_at, self.callback_at, self.updated_at, self.resolved_at,
                         self.reason, self.note)
        if expect > 0:
            self._grow(expect)  # the slots `expect` tickets' ids need (a hint: more grow as ever)

    def slot(self, ticket_id: int) -> int | None:
        """The ticket's slot if the events filed it, else None."""
        slot = ticket_id if 0 < ticket_id < self.dense else self.sparse.get(ticket_id)
        return slot if slot is not None and slot < self.size and self.version[slot] else None

    def ticket_ids(self):
        """Every filed ticket's id."""
        for slot in range(1, min(self.size, self.dense)):
            if self.version[slot]:
                yield slot
        for ticket_id, slot in self.sparse.items():
            if self.version[slot]:
                yield ticket_id

    def _slot(self, ticket_id: int) -> int:
        """The ticket's slot, made if new."""
        if 0 < ticket_id < self.dense:
            slot = ticket_id
        else:
            found = self.sparse.get(ticket_id)
            if found is None:
                found = self.sparse[ticket_id] = self.dense + len(self.sparse)
            slot = found
        if slot >= self.size:
            self._grow(max(slot + 1, self.size + self.size // 8, 1024))
        return slot

    def _grow(self, size: int) -> None:
        extra = size - self.size
        for column in (self.version, self.needs, self.flags):
            column.extend(bytes(extra))
        for coded in self._columns:
            coded.grow(size)
        self.size = size

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
        if action == "ticket.filed":
            return self._filed(seq, ticket_id, actor, at, details)
        slot = self.slot(ticket_id)
        if slot is None:
            return self._fail(seq, f"{action} for ticket {ticket_id}, which has no filing event")
        if action in NOTED:
            self.notes[int(details.get("note_id", 0))] = (ticket_id, str(details.get("sha256", "")))
        if action in NOT_A_CHANGE:
            return None
        v2 = self.version[slot] >= 2
        if v2:
            self.updated_at.set(slot, at)
        if action == "ticket.callback_recorded":
            if not self.flags[slot] & CALLED_BACK:
                self.flags[slot] |= CALLED_BACK
                self.callback_at.set(slot, at)
                self.callback_by.a[slot] = self.names.code(actor)
                if HISTORY_KEY in details and "note_sha256" in details:
                    self.flags[slot] |= NOTE_KNOWN
                    self.note.set(slot, details["note_sha256"])
            return None
        to = action[7:]
        was = details.get("from")
        status = self.statuses.values[self.status.a[slot]]
        if was is not None and was != status:
            self._fail(seq, f"ticket {ticket_id} moves from {was} but its history has it {status}")
        self.status.a[slot] = self.statuses.code(sys.intern(to))
        if to == TicketStatus.RESOLVED.value and v2:
            self.resolved_at.set(slot, at)
        if action in DECISIONS:
            self._decision(seq, ticket_id, slot, v2, action, actor, at, details)
        return None

    def _filed(self, seq: int, ticket_id: int, actor: str, at: str, details: dict[str, Any]) -> None:
        slot = self._slot(ticket_id)
        if self.version[slot]:
            return self._fail(seq, f"ticket {ticket_id} is filed a second time")
        version = int(details.get(HISTORY_KEY, 1))
        kind = str(details.get("kind"))
        if version >= 2:
            row = details.get(ROW_KEY) or {}
            needs_callback: Any = _needs_callback(kind, bool(row.get("refund_requested")))
            self.deletion.a[slot] = self.deletions.code(row.get("data_deletion_date"))
            self.updated_at.set(slot, at)
        else:
            # Version 1 did not record a refund request: an early cancellation's need is unknown.
            needs_callback = UNKNOWN if kind == "cancel_early" else _needs_callback(kind, False)
            self.deletion.a[slot] = DELETION_UNKNOWN
        zone = details.get("time_zone")
        if isinstance(zone, str) and zone != "UTC" and kind in DELETING:
            self.zones[ticket_id] = zone
        mask = filed_mask(version, details)
        values = filed_values(version, actor, at, details, mask)
        if self.on_filed is None:
            self.deferred[slot] = static_digest(values)
        else:
            self.on_filed(ticket_id, slot, version, mask, values)
        self.version[slot] = 2 if version >= 2 else 1
        self.mask.a[slot] = self.masks.code(mask)
        self.kind.a[slot] = self.kinds.code(kind)
        self.filer.a[slot] = self.names.code(actor)
        self.status.a[slot] = self.statuses.code(str(details.get("status")))
        self.needs[slot] = NEEDS.get(needs_callback, 2)
        self.filed += 1
        return None

    def _decision(self, seq: int, ticket_id: int, slot: int, v2: bool, action: str, actor: str, at: str,
                  details: dict[str, Any]) -> None:
        flags = self.flags[slot] | DECIDED
        self.decided_by.a[slot] = self.names.code(actor)
        self.decided_at.set(slot, at)
        if v2:
            flags |= REASON_KNOWN
            self.reason.set(slot, details.get("reason"))
        self.flags[slot] = flags
        agent = self.agents.get(self.agent_ids.get(actor, -1))
        if agent is None or agent.role != AgentRole.SUPERVISOR.value:
            self._fail(seq, f"ticket {ticket_id} was decided by {actor}, who was not a supervisor then (X-2)")
        elif not agent.active:
            self._fail(seq, f"ticket {ticket_id} was decided by {actor}, who was disabled then (X-2)")
        elif actor == self.names.values[self.filer.a[slot]]:
            self._fail(seq, f"ticket {ticket_id} was decided by the agent who filed it (X-2)")
        if action != APPROVED:
            return
        if v2 and self.needs[slot] == 1 and not flags & CALLED_BACK:
            self._fail(seq, f"ticket {ticket_id} was approved with no callback recorded before the decision (V-8)")
        if "data_deletion_date" in details:
            self.deletion.a[slot] = self.deletions.code(details["data_deletion_date"])
        deletion = _deletion_date(self.kinds.values[self.kind.a[slot]], at, self.zones.get(ticket_id)) if v2 else None
        if deletion is not None and self.deletions.values[self.deletion.a[slot]] != deletion:
            self._fail(seq, f"ticket {ticket_id}: its data deletion date is not the one its approval sets (X-1)")
