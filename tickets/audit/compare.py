"""A-1: each ticket's and agent's row against what its events say (tickets.audit.history).

Rows are read in keyset pages on the driver's cursor, never all at once; each ticket and agent
the events know is ticked off as its row is met, so an event with no row (a deleted ticket or
agent) shows at the end, and a row with no filing or creation event at once. The first
difference is named by its column; the values themselves are never printed (personal data).
"""

from __future__ import annotations

import json
import json.scanner
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlmodel import Session

from tickets.audit.format import at_text
from tickets.audit.history import (
    STATIC_V1,
    STATIC_V2,
    UNKNOWN,
    AgentState,
    Histories,
    TicketState,
    filed_values,
    masked,
    static_digest,
)
from tickets.audit.record import json_digest, text_digest
from tickets.masking import scrub_stored
from tickets.store import rawsql

PAGE = 5_000
_TICKETS = rawsql.Sql(
    "SELECT t.id, t.kind, t.status, t.filed_by_id, t.created_at, t.updated_at, s.ref AS subscription_ref, "
    "r.ref AS resource_ref, t.verification_id, "
    "t.call_id, t.idempotency_key, t.content_hash, t.requested_date, t.reason, t.fields, t.checklist, "
    "t.consequences, t.rules, t.needs_review, t.needs_callback, t.callback_at, t.callback_by_id, t.callback_note, "
    "t.decided_by_id, t.decided_at, t.decision_reason, t.effective_date, t.data_deletion_date, "
    "t.reversal_deadline, t.resolved_at, t.reason_scrubbed, t.decision_reason_scrubbed, "
    "t.organization_id, s.organization_id AS subscription_organization_id "
    "FROM ticket t LEFT JOIN subscription s ON s.id = t.subscription_id "
    "LEFT JOIN renewal_resource r ON r.id = t.resource_id WHERE t.id > :after ORDER BY t.id LIMIT :limit"
)
_AGENTS = rawsql.Sql(
    "SELECT id, name, display_name, role, pin_hash, active FROM agent WHERE id > :after ORDER BY id LIMIT :limit"
)
_FILED = rawsql.Sql(
    "SELECT actor, at, CAST(details AS text) AS details FROM audit_event "
    "WHERE subject = :subject AND action = 'ticket.filed'"
)


def canonical_at(stored: str | datetime) -> str:
    """A stored time as the chain hashes it; SQLite stores "YYYY-MM-DD HH:MM:SS.ffffff" (UTC)."""
    if isinstance(stored, str) and len(stored) == 26 and stored[10] == " ":
        return f"{stored[:10]}T{stored[11:]}Z"
    if isinstance(stored, str) and stored.endswith("Z"):
        return stored  # PostgreSQL's to_char
    return at_text(rawsql.read_time(stored))


def _at(stored: str | datetime | None) -> str | None:
    return None if stored is None else canonical_at(stored)


def _pages(session: Session, sql: rawsql.Sql) -> Iterator[Any]:
    raw, after = rawsql.Raw(session), 0
    while rows := raw.rows(sql, {"after": after, "limit": PAGE}):
        yield from rows
        after = rows[-1].id


_scan = json.scanner.make_scanner(json.JSONDecoder())  # type: ignore[arg-type]


def _json(value: Any) -> Any:
    """A JSON column: psycopg decodes it, sqlite3 hands back the text (read with the C scanner)."""
    if value.__class__ is str:
        return _scan(value, 0)[0]
    return value


def row_values(version: int, row: Any, names: dict[int, str], mask: int) -> tuple:
    """The fixed columns of a ticket row in STATIC_V1 / STATIC_V2's order and form, None
    where its filing recorded nothing (tickets.audit.history.filed_mask)."""
    values: tuple = (row.kind, names.get(row.filed_by_id), _at(row.created_at), row.subscription_ref,
                     row.resource_ref, row.verification_id, _json(row.checklist), _json(row.rules))
    if version >= 2:
        values += (row.call_id, row.idempotency_key, row.content_hash, row.requested_date, text_digest(row.reason),
                   json_digest(_json(row.fields)), json_digest(_json(row.consequences)), bool(row.needs_review),
                   row.effective_date, row.reversal_deadline)
    return masked(values, mask)


def _named_difference(session: Session, ticket_id: int, ticket: TicketState, row: Any, names: dict) -> str:
    """Which fixed column differs from the filing event (read again: only on a failure)."""
    found = rawsql.first(session, _FILED, {"subject": f"ticket:{ticket_id}"})
    fields = STATIC_V2 if ticket.version >= 2 else STATIC_V1
    if found is not None:
        actor, at, details = found.actor, found.at, found.details
        expected = filed_values(ticket.version, actor, canonical_at(at), json.loads(details))
        actual = row_values(ticket.version, row, names, ticket.mask)
        for name, want, got in zip(masked(fields, ticket.mask), expected, actual, strict=True):
            if want != got:
                return name
    return "a column fixed at filing"


def _ticket_problem(session: Session, histories: Histories, ticket: TicketState, row: Any,
                    names: dict[int, str]) -> str | None:
    ticket_id = row.id
    if static_digest(row_values(ticket.version, row, names, ticket.mask)) != ticket.static:
        return f"its {_named_difference(session, ticket_id, ticket, row, names)} is not what its filing recorded"
    if row.organization_id != row.subscription_organization_id:
        return "its organization is not its subscription's"
    if row.status != ticket.status:
        return f"it is {row.status} but its history says {ticket.status}"
    v2 = ticket.version >= 2  # version 1 recorded the callback's presence only, no change time
    if v2 and _at(row.updated_at) != ticket.updated_at:
        return "its last change is not its last event"
    decided_by, decided_at, reason = ticket.decision or (None, None, None)
    if names.get(row.decided_by_id) != decided_by or _at(row.decided_at) != decided_at:
        return (f"it records a decision by {names.get(row.decided_by_id) or 'nobody'} but its history one by "
                f"{decided_by or 'nobody'}")
    if reason is not UNKNOWN and row.decision_reason != reason:
        return "its decision reason is not the one its decision recorded"
    callback_at, callback_by, note = ticket.callback or (None, None, None)
    if (row.callback_at is None) != (callback_at is None) or v2 and (
            _at(row.callback_at) != callback_at or names.get(row.callback_by_id) != callback_by):
        return "its callback does not match its history (V-8)"
    if note is not UNKNOWN and text_digest(row.callback_note) != note:
        return "its callback note is not the one its callback recorded (V-8)"
    needs = ticket.needs_callback if ticket.needs_callback is not UNKNOWN else bool(row.needs_callback)
    if v2 and bool(row.needs_callback) != needs:
        said = "needs" if row.needs_callback else "needs no"
        return f"it says it {said} callback but its kind and filing say otherwise (V-8)"
    if not v2 and row.status == "approved" and needs and (callback_at is None or callback_at > decided_at):
        return "it was approved with no callback recorded before the decision (V-8)"
    if ticket.deletion is not UNKNOWN and row.data_deletion_date != ticket.deletion:
        return "its data deletion date is not the one its history set (X-1)"
    if v2 and _at(row.resolved_at) != ticket.resolved_at:
        return "its resolution time is not its resolved event's"
    if v2:
        masked_texts = ((row.reason, row.reason_scrubbed, "reason"),
                        (row.decision_reason, row.decision_reason_scrubbed, "decision reason"))
        for text, scrubbed, what in masked_texts:
            if scrubbed is not None and scrubbed != scrub_stored(text):
                return f"its masked {what} is not the mask of its {what} (E-1)"
    return None


def ticket_problems(session: Session, histories: Histories) -> tuple[int | None, str | None]:
    """The first ticket whose row its events do not explain, and why; (None, None) if none."""
    names = {agent_id: agent.name for agent_id, agent in histories.agents.items()}
    seen = 0
    for row in _pages(session, _TICKETS):
        ticket = histories.tickets.get(row.id)
        if ticket is None:
            return row.id, "it has no filing event (written around the audit trail)"
        seen += 1
        problem = _ticket_problem(session, histories, ticket, row, names)
        if problem is not None:
            return row.id, f"{problem} (changed without an event)" if "(" not in problem else problem
    if seen != len(histories.tickets):
        missing = _first_missing(session, histories.tickets)
        return missing, "its events have no row (deleted)"
    return None, None


def _first_missing(session: Session, wanted: dict[int, Any]) -> int | None:
    present = set()
    for row in _pages(session, _TICKETS):
        present.add(row.id)
    return min((i for i in wanted if i not in present), default=None)


def _agent_problem(agent: AgentState, row: Any) -> str | None:
    name, display_name, role, pin_hash, active = row.name, row.display_name, row.role, row.pin_hash, row.active
    if name != agent.name:
        return "its name is not the one its events gave it"
    if role != agent.role:
        return f"it is {role} but its events made it {agent.role}"
    if bool(active) != agent.active:
        return f"it is {'enabled' if active else 'disabled'} but its events say otherwise"
    if agent.pin is not UNKNOWN and text_digest(pin_hash) != agent.pin:
        return "its PIN hash is not the one its last PIN event recorded"
    if agent.display is not UNKNOWN and text_digest(display_name) != agent.display:
        return "its display name is not the one its creation recorded"
    return None


def agent_problems(session: Session, histories: Histories) -> tuple[int | None, str | None]:
    """The first agent whose row its events do not explain (or that has no creation event)."""
    seen = set()
    for row in _pages(session, _AGENTS):
        agent = histories.agents.get(row.id)
        if agent is None:
            return row.id, "it has no creation event (written around the audit trail)"
        seen.add(row.id)
        problem = _agent_problem(agent, row)
        if problem is not None:
            return row.id, f"{problem} (changed without an event)"
    missing = [i for i in histories.agents if i not in seen]
    if missing:
        return min(missing), "its events have no row (deleted)"
    return None, None


_NOTES = rawsql.Sql("SELECT id, ticket_id, text FROM ticket_note WHERE id > :after ORDER BY id LIMIT :limit")


def note_problems(session: Session, histories: Histories) -> tuple[int | None, str | None]:
    """The first ticket whose internal note its `ticket.noted` event does not explain."""
    unseen = dict(histories.notes)
    for row in _pages(session, _NOTES):
        event = unseen.pop(row.id, None)
        if event is None:
            return row.ticket_id, f"its note {row.id} has no ticket.noted event (added around the chain)"
        if event[0] != row.ticket_id:
            return row.ticket_id, f"its note {row.id} belongs to ticket {event[0]} by its event (moved)"
        if text_digest(row.text) != event[1]:
            return row.ticket_id, f"its note {row.id} does not match its event's digest (edited afterwards)"
    for note_id, (ticket_id, _digest) in sorted(unseen.items()):
        return ticket_id, f"its note {note_id} is gone but its event remains (deleted)"
    return None, None
