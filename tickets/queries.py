"""Reading tickets: pages of 50 by keyset (never OFFSET, never the whole table), and one
ticket with everything an agent or a supervisor needs to see (T-1, A-1, V-8)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from tickets.account import ticket_ref
from tickets.audit_log import AuditFilter, find_events
from tickets.enums import TicketKind, TicketStatus
from tickets.errors import NotFound
from tickets.models import TICKET_DATE_COLUMNS, Agent, Organization, Person, Subscription, Ticket, VerificationAttempt
from tickets.store import Store

PAGE_SIZE = 50


@dataclass(frozen=True)
class Cursor:
    created_at: datetime
    id: int


@dataclass(frozen=True)
class TicketRow:
    id: int
    ref: str
    kind: TicketKind
    status: TicketStatus
    organization_ref: str
    organization_name: str
    subscription_ref: str
    filed_by: str
    created_at: datetime
    effective_date: str | None
    needs_review: bool


@dataclass(frozen=True)
class TicketPage:
    rows: tuple[TicketRow, ...]
    next_cursor: Cursor | None


_ROW_COLUMNS = (
    Ticket.id, Ticket.kind, Ticket.status, Ticket.created_at, Ticket.effective_date, Ticket.needs_review,
)


def _page_query(
    *,
    filed_by_id: int | None,
    organization_id: int | None,
    statuses: Collection[TicketStatus] | None,
    kinds: Collection[TicketKind] | None,
    entity: bool = False,
):
    # A page selects the columns a row shows, not the Ticket entity: no JSON documents decoded,
    # no ORM objects built for a page of 50. ticket_detail asks for the whole ticket.
    columns = (Ticket,) if entity else _ROW_COLUMNS
    query = (
        select(*columns, Organization.ref, Organization.name, Subscription.ref, Agent.name)
        .join(Organization, Organization.id == Ticket.organization_id)
        .join(Subscription, Subscription.id == Ticket.subscription_id)
        .join(Agent, Agent.id == Ticket.filed_by_id)
    )
    if filed_by_id is not None:
        query = query.where(Ticket.filed_by_id == filed_by_id)
    if organization_id is not None:
        query = query.where(Ticket.organization_id == organization_id)
    if statuses:
        query = query.where(col(Ticket.status).in_([s.value for s in statuses]))
    if kinds:
        query = query.where(col(Ticket.kind).in_([k.value for k in kinds]))
    return query


def _rows(session: Session, query, limit: int) -> TicketPage:
    results = session.exec(query.limit(limit + 1)).all()
    rows = tuple(
        TicketRow(
            tid, ticket_ref(tid), TicketKind(kind), TicketStatus(status), org_ref, org_name,
            sub_ref, agent_name, created_at, effective_date, needs_review,
        )
        for tid, kind, status, created_at, effective_date, needs_review, org_ref, org_name, sub_ref, agent_name
        in results[:limit]
    )
    more = len(results) > limit
    cursor = Cursor(rows[-1].created_at, rows[-1].id) if more and rows else None
    return TicketPage(rows, cursor)


def list_tickets(
    store: Store,
    *,
    filed_by_id: int | None = None,
    organization_id: int | None = None,
    statuses: Collection[TicketStatus] | None = None,
    kinds: Collection[TicketKind] | None = None,
    after: Cursor | None = None,
    limit: int = PAGE_SIZE,
) -> TicketPage:
    """Newest first."""
    query = _page_query(filed_by_id=filed_by_id, organization_id=organization_id, statuses=statuses, kinds=kinds)
    if after is not None:
        query = query.where(
            or_(Ticket.created_at < after.created_at, and_(Ticket.created_at == after.created_at, Ticket.id < after.id))
        )
    query = query.order_by(col(Ticket.created_at).desc(), col(Ticket.id).desc())
    with store.read() as session:
        return _rows(session, query, limit)


def review_queue(store: Store, *, after: Cursor | None = None, limit: int = PAGE_SIZE) -> TicketPage:
    """Tickets waiting for a supervisor, oldest first (X-2)."""
    query = _page_query(filed_by_id=None, organization_id=None, statuses=[TicketStatus.PENDING_REVIEW], kinds=None)
    if after is not None:
        query = query.where(
            or_(Ticket.created_at > after.created_at, and_(Ticket.created_at == after.created_at, Ticket.id > after.id))
        )
    query = query.order_by(col(Ticket.created_at), col(Ticket.id))
    with store.read() as session:
        return _rows(session, query, limit)


@dataclass(frozen=True)
class HistoryEntry:
    seq: int
    at: datetime
    actor: str
    action: str
    details: dict[str, Any]


@dataclass(frozen=True)
class TicketDetail:
    row: TicketRow
    subscription_name: str
    resource_ref: str | None
    requested_date: str | None
    reason: str | None
    fields: dict[str, Any]
    checklist: tuple[str, ...]
    consequences: dict[str, Any]
    rules: tuple[str, ...]
    needs_callback: bool
    callback_at: datetime | None
    callback_by: str | None
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None
    filed_by_id: int
    data_deletion_date: str | None
    reversal_deadline: str | None
    # V-1/V-5 evidence for the reviewer: when and by whom the caller was verified.
    verified_at: datetime | None
    verified_by: str | None
    verification_checks: tuple[str, ...]
    history: tuple[HistoryEntry, ...]
    # V-8: who was verified and the number on file to call back (the directory's, never typed).
    caller_name: str | None = None
    callback_phone: str | None = None


VERIFICATION_CHECKS = (
    "user ID", "phone on file", "primary contact name", "organization name", "street address", "admin role",
)


def ticket_detail(store: Store, ticket_id: int) -> TicketDetail:
    with store.read() as session:
        found = session.exec(_page_query(filed_by_id=None, organization_id=None, statuses=None, kinds=None, entity=True).where(Ticket.id == ticket_id)).first()
        if found is None:
            raise NotFound(f"ticket {ticket_ref(ticket_id)} does not exist")
        t, org_ref, org_name, sub_ref, agent_name = found
        row = TicketRow(
            t.id, ticket_ref(t.id), TicketKind(t.kind), TicketStatus(t.status), org_ref, org_name, sub_ref,
            agent_name, t.created_at, t.effective_date, t.needs_review,
        )
        sub = session.get(Subscription, t.subscription_id)
        names = {a.id: a.display_name for a in session.exec(select(Agent))}
        attempt = session.get(VerificationAttempt, t.verification_id) if t.verification_id else None
        person = session.get(Person, attempt.person_id) if attempt and attempt.person_id else None
        checks = VERIFICATION_CHECKS + (("organization URL",) if sub.product == "d365" else ())
        return TicketDetail(
            row=row,
            subscription_name=sub.name,
            resource_ref=t.fields.get("resource_ref"),
            requested_date=t.requested_date,
            reason=t.reason,
            fields=dict(t.fields),
            checklist=tuple(t.checklist),
            # T-1 as one document for the views: the dates from their columns, the rest as stored.
            consequences={**t.consequences, **{name: getattr(t, name) for name in TICKET_DATE_COLUMNS}},
            rules=tuple(t.rules),
            needs_callback=t.needs_callback,
            callback_at=t.callback_at,
            callback_by=names.get(t.callback_by_id),
            decided_by=names.get(t.decided_by_id),
            decided_at=t.decided_at,
            decision_reason=t.decision_reason,
            filed_by_id=t.filed_by_id,
            data_deletion_date=t.data_deletion_date,
            reversal_deadline=t.reversal_deadline,
            verified_at=attempt.at if attempt else None,
            verified_by=names.get(attempt.agent_id) if attempt else None,
            verification_checks=checks if attempt and attempt.passed else (),
            history=tuple(
                HistoryEntry(e.seq, e.at, e.actor, e.action, dict(e.details))
                for e in find_events(session, AuditFilter(ticket_id=ticket_id))
            ),
            caller_name=f"{person.first_name} {person.last_name}" if person else None,
            callback_phone=person.phone_e164 if person else None,
        )
