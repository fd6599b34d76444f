"""A-1: each ticket's and agent's row against what its events say (tickets.audit.history).

Rows are streamed in order (tickets.audit.source), never all at once, read by place; each ticket and agent
the events know is ticked off as its row is met, so an event with no row (a deleted ticket or
agent) shows at the end, and a row with no filing or creation event at once. The first
difference is named by its column; the values themselves are never printed (personal data).
"""

from __future__ import annotations

import json

from tickets.audit.filings import _at, _memo, canonical_at, row_values, ticket_row
from tickets.audit.history import (
    CALLED_BACK,
    DECIDED,
    FIXED_DIFFERS,
    NOTE_KNOWN,
    REASON_KNOWN,
    STATIC_V1,
    STATIC_V2,
    UNKNOWN,
    AgentState,
    Histories,
    filed_values,
    masked,
    static_digest,
)
from tickets.audit.record import text_digest
from tickets.audit.source import Reader
from tickets.masking import scrub_stored
from tickets.store.sqltext import Sql

# The rows, for the columns that change (those only a filing sets, which tickets.audit.filings
# compared as the chain was walked, read there: NULL here).
_TICKET_STATE = Sql(
    "SELECT t.id, NULL, t.status, NULL, NULL, t.updated_at, NULL, NULL, NULL, NULL, NULL, NULL, NULL, t.reason, "
    "NULL, NULL, NULL, NULL, NULL, t.needs_callback, t.callback_at, t.callback_by_id, t.callback_note, "
    "t.decided_by_id, t.decided_at, t.decision_reason, NULL, t.data_deletion_date, NULL, t.resolved_at, "
    "t.reason_scrubbed, t.decision_reason_scrubbed, t.organization_id, s.organization_id "
    "FROM ticket t LEFT JOIN subscription s ON s.id = t.subscription_id WHERE t.id > :after ORDER BY t.id "
    "LIMIT :limit"
)
_scrubbed = _memo(scrub_stored)
_TICKET_IDS = Sql("SELECT id FROM ticket WHERE id > :after ORDER BY id LIMIT :limit")
_AGENTS = Sql(
    "SELECT id, name, display_name, role, pin_hash, active FROM agent WHERE id > :after ORDER BY id LIMIT :limit"
)
# PostgreSQL: the PIN hash's SHA-256 from the database (migration 0017), so that verify runs as
# the application role, which may not read pin_hash.
_AGENTS_PG = Sql(
    "SELECT id, name, display_name, role, pin_hash_sha256, active FROM deskapp_api_audit_agents(:after, :limit)"
)
_FILED = Sql(
    "SELECT actor, at, CAST(details AS text) AS details FROM audit_event "
    "WHERE subject = :subject AND action = 'ticket.filed'"
)


def _named_difference(raw: Reader, h: Histories, slot: int, row: tuple, names: dict) -> str:
    """Which fixed column differs from the filing event (both read again: only on a failure)."""
    version, mask = h.version[slot], h.masks.values[h.mask.a[slot]]
    found = raw.first(_FILED, {"subject": f"ticket:{row[0]}"})
    fields = STATIC_V2 if version >= 2 else STATIC_V1
    if found is not None and row is not None:
        actor, at, details = found
        expected = filed_values(version, actor, canonical_at(at), json.loads(details))
        actual = row_values(version, row, names.get(row[3]), mask)
        for name, want, got in zip(masked(fields, mask), expected, actual, strict=True):
            if want != got:
                return name
    return "a column fixed at filing"


def _fixed_differ(raw: Reader, h: Histories, slot: int, ticket_id: int, names: dict[int, str]) -> tuple | None:
    """The row's fixed columns if they are not what its filing recorded (tickets.audit.filings
    compared them on the walk, or kept the filing's digest for now: its filer came later)."""
    if h.flags[slot] & FIXED_DIFFERS:
        return ticket_row(raw, ticket_id)
    digest = h.deferred.get(slot)
    if digest is None:
        return None
    row = ticket_row(raw, ticket_id)
    if row is None or static_digest(row_values(h.version[slot], row, names.get(row[3]),
                                               h.masks.values[h.mask.a[slot]])) != digest:
        return row
    return None


def _later(times_a, slot_a: int, times_b, slot_b: int) -> bool:
    """Whether the first time is after the second (as their texts compare)."""
    a, b = times_a.get(slot_a), times_b.get(slot_b)
    if a.__class__ is int and b.__class__ is int:
        return a > b
    return times_a.text(slot_a) > times_b.text(slot_b)


def _ticket_problem(raw: Reader, h: Histories, slot: int, row: tuple, names: dict[int, str]) -> str | None:
    (_id, _kind, status, _filer, _created, updated_at, _sub, _res, _verification, _call, _key, _hash, _requested,
     reason, _fields, _checklist, _consequences, _rules, _needs_review, needs_callback, callback_at, callback_by_id,
     callback_note, decided_by_id, decided_at, decision_reason, _effective, data_deletion_date, _reversal,
     resolved_at, reason_scrubbed, decision_reason_scrubbed, organization_id, subscription_organization_id) = row
    version = h.version[slot]
    if h.flags[slot] & FIXED_DIFFERS or slot in h.deferred:
        fixed = _fixed_differ(raw, h, slot, row[0], names)
        if fixed is not None:
            return f"its {_named_difference(raw, h, slot, fixed, names)} is not what its filing recorded"
    if organization_id != subscription_organization_id:
        return "its organization is not its subscription's"
    expected_status = h.statuses.values[h.status.a[slot]]
    if status != expected_status:
        return f"it is {status} but its history says {expected_status}"
    v2 = version >= 2  # version 1 recorded the callback's presence only, no change time
    if v2 and not h.updated_at.same(slot, _at(updated_at)):
        return "its last change is not its last event"
    flags = h.flags[slot]
    decided_by = h.names.values[h.decided_by.a[slot]] if flags & DECIDED else None
    if names.get(decided_by_id) != decided_by or not h.decided_at.same(slot, _at(decided_at)):
        return (f"it records a decision by {names.get(decided_by_id) or 'nobody'} but its history one by "
                f"{decided_by or 'nobody'}")
    if not flags & DECIDED:
        if decision_reason is not None:
            return "its decision reason is not the one its decision recorded"
    elif flags & REASON_KNOWN and not h.reason.same(slot, decision_reason):
        return "its decision reason is not the one its decision recorded"
    called_back = bool(flags & CALLED_BACK)
    if (callback_at is None) == called_back or v2 and (
            not h.callback_at.same(slot, _at(callback_at))
            or names.get(callback_by_id) != (h.names.values[h.callback_by.a[slot]] if called_back else None)):
        return "its callback does not match its history (V-8)"
    if not called_back:
        if text_digest(callback_note) is not None:
            return "its callback note is not the one its callback recorded (V-8)"
    elif flags & NOTE_KNOWN and not h.note.same(slot, text_digest(callback_note)):
        return "its callback note is not the one its callback recorded (V-8)"
    code = h.needs[slot]
    needs = code == 1 if code != 2 else bool(needs_callback)
    if v2 and bool(needs_callback) != needs:
        said = "needs" if needs_callback else "needs no"
        return f"it says it {said} callback but its kind and filing say otherwise (V-8)"
    if not v2 and status == "approved" and needs and (
            not called_back or not flags & DECIDED or _later(h.callback_at, slot, h.decided_at, slot)):
        return "it was approved with no callback recorded before the decision (V-8)"
    deletion = h.deletion.a[slot]
    if deletion != 0 and data_deletion_date != h.deletions.values[deletion]:  # 0: unknown
        return "its data deletion date is not the one its history set (X-1)"
    if v2 and not h.resolved_at.same(slot, _at(resolved_at)):
        return "its resolution time is not its resolved event's"
    if v2:
        masked_texts = ((reason, reason_scrubbed, "reason"),
                        (decision_reason, decision_reason_scrubbed, "decision reason"))
        for text, scrubbed, what in masked_texts:
            if scrubbed is not None and scrubbed != _scrubbed(text):
                return f"its masked {what} is not the mask of its {what} (E-1)"
    return None


def ticket_problems(raw: Reader, histories: Histories) -> tuple[int | None, str | None]:
    """The first ticket whose row its events do not explain, and why; (None, None) if none."""
    names = {agent_id: agent.name for agent_id, agent in histories.agents.items()}
    seen = 0
    slot_of = histories.slot
    for row in raw.stream(_TICKET_STATE):
        slot = slot_of(row[0])
        if slot is None:
            return row[0], "it has no filing event (written around the audit trail)"
        seen += 1
        problem = _ticket_problem(raw, histories, slot, row, names)
        if problem is not None:
            return row[0], f"{problem} (changed without an event)" if "(" not in problem else problem
    if seen != histories.filed:
        return _first_missing(raw, histories), "its events have no row (deleted)"
    return None, None


def _first_missing(raw: Reader, histories: Histories) -> int | None:
    present = bytearray(histories.size)
    for (ticket_id,) in raw.stream(_TICKET_IDS):
        slot = histories.slot(ticket_id)
        if slot is not None:
            present[slot] = 1
    return min((i for i in histories.ticket_ids() if not present[histories.slot(i) or 0]), default=None)


def _agent_problem(agent: AgentState, row: tuple) -> str | None:
    _id, name, display_name, role, pin_digest, active = row
    if name != agent.name:
        return "its name is not the one its events gave it"
    if role != agent.role:
        return f"it is {role} but its events made it {agent.role}"
    if bool(active) != agent.active:
        return f"it is {'enabled' if active else 'disabled'} but its events say otherwise"
    if agent.pin is not UNKNOWN and pin_digest != agent.pin:
        return "its PIN hash is not the one its last PIN event recorded"
    if agent.display is not UNKNOWN and text_digest(display_name) != agent.display:
        return "its display name is not the one its creation recorded"
    return None


def agent_problems(raw: Reader, histories: Histories) -> tuple[int | None, str | None]:
    """The first agent whose row its events do not explain (or that has no creation event)."""
    seen = set()
    postgres = raw.dialect == "postgresql"
    for found in raw.stream(_AGENTS_PG if postgres else _AGENTS):
        row = tuple(found) if postgres else (*found[:4], text_digest(found[4]), found[5])
        agent = histories.agents.get(row[0])
        if agent is None:
            return row[0], "it has no creation event (written around the audit trail)"
        seen.add(row[0])
        problem = _agent_problem(agent, row)
        if problem is not None:
            return row[0], f"{problem} (changed without an event)"
    missing = [i for i in histories.agents if i not in seen]
    if missing:
        return min(missing), "its events have no row (deleted)"
    return None, None


_NOTES = Sql("SELECT id, ticket_id, text FROM ticket_note WHERE id > :after ORDER BY id LIMIT :limit")


def note_problems(raw: Reader, histories: Histories) -> tuple[int | None, str | None]:
    """The first ticket whose internal note its `ticket.noted` event does not explain."""
    unseen = dict(histories.notes)
    for note_id, ticket_id, text in raw.stream(_NOTES):
        event = unseen.pop(note_id, None)
        if event is None:
            return ticket_id, f"its note {note_id} has no ticket.noted event (added around the chain)"
        if event[0] != ticket_id:
            return ticket_id, f"its note {note_id} belongs to ticket {event[0]} by its event (moved)"
        if text_digest(text) != event[1]:
            return ticket_id, f"its note {note_id} does not match its event's digest (edited afterwards)"
    for note_id, (ticket_id, _digest) in sorted(unseen.items()):
        return ticket_id, f"its note {note_id} is gone but its event remains (deleted)"
    return None, None
