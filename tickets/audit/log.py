"""Reading the audit trail (A-1): events by ticket, organization, agent, action and time.

One query function serves `deskapp audit log` and the ticket view's history
(tickets.store.queries.ticket_detail), so both show the same events in the same order (by seq).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, String, cast, literal, or_
from sqlmodel import Session, col, select

from tickets.store.models import Agent, AuditEvent, Organization, Ticket


@dataclass(frozen=True)
class AuditFilter:
    """Every field set narrows the events; an empty filter is the whole trail."""

    ticket_id: int | None = None
    organization_id: int | None = None
    agent: str | None = None  # sign-in name: events it did, and events about it
    actions: tuple[str, ...] = ()  # exact names, or prefixes ending in "." ("ticket.")
    since: datetime | None = None
    until: datetime | None = None


def _subject(prefix: str, id_column):
    return literal(prefix) + cast(id_column, String)


def _conditions(session: Session, filt: AuditFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    subject, actor = col(AuditEvent.subject), col(AuditEvent.actor)
    if filt.ticket_id is not None:
        conditions.append(subject == f"ticket:{filt.ticket_id}")
    if filt.organization_id is not None:
        tickets = select(_subject("ticket:", Ticket.id)).where(Ticket.organization_id == filt.organization_id)
        conditions.append(or_(
            subject == f"organization:{filt.organization_id}", subject.in_(tickets)
        ))
    if filt.agent is not None:
        agent_id = session.exec(select(Agent.id).where(Agent.name == filt.agent)).first()
        about = [subject == f"agent:{agent_id}"] if agent_id is not None else []
        conditions.append(or_(actor == filt.agent, *about))
    if filt.actions:
        conditions.append(or_(*(
            col(AuditEvent.action).startswith(a) if a.endswith(".") else col(AuditEvent.action) == a
            for a in filt.actions
        )))
    if filt.since is not None:
        conditions.append(col(AuditEvent.at) >= filt.since)
    if filt.until is not None:
        conditions.append(col(AuditEvent.at) < filt.until)
    return conditions


def find_events(
    session: Session, filt: AuditFilter, *, after_seq: int = 0, limit: int | None = None
) -> list[AuditEvent]:
    """The events the filter selects, oldest first (by seq), after `after_seq`, at most `limit`."""
    query = select(AuditEvent).where(AuditEvent.seq > after_seq, *_conditions(session, filt)).order_by(
        col(AuditEvent.seq)
    )
    if limit is not None:
        query = query.limit(limit)
    return list(session.exec(query))


def iter_events(store, filt: AuditFilter, *, batch: int = 1000) -> Iterator[AuditEvent]:
    """Every selected event, in pages of short read sessions (the trail may be millions long)."""
    last = 0
    while True:
        with store.read() as session:
            page = find_events(session, filt, after_seq=last, limit=batch)
        yield from page
        if len(page) < batch:
            return
        last = page[-1].seq


def organization_id(session: Session, ref: str) -> int | None:
    return session.exec(select(Organization.id).where(Organization.ref == ref.strip())).first()
