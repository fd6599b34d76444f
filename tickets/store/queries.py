"""Reading tickets: pages of 50 by keyset (never OFFSET, never the whole table), and one
ticket with everything an agent or a supervisor needs to see (T-1, A-1, V-8)."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import select as sa_select
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import Session, col

from tickets.enums import TicketKind, TicketStatus
from tickets.errors import NotFound, StoreUnavailable
from tickets.i18n import _
from tickets.store import rawsql
from tickets.store.database import Store, unavailable_text
from tickets.store.models import TICKET_DATE_COLUMNS, Agent, Organization, Subscription, Ticket, ticket_ref
from tickets.store.rows import named_rows
from tickets.text import person_name

PAGE_SIZE = 50


@dataclass(frozen=True)
class Cursor:
    created_at: datetime
    id: int


class TicketRow(NamedTuple):
    """One line of a page. A named tuple, immutable as a frozen dataclass and built by
    tuple.__new__ a third as fast, which a page of 50 on the hot path needs; its
    ref is made from its id when shown, not for every row fetched."""

    id: int
    kind: TicketKind
    status: TicketStatus
    organization_ref: str
    organization_name: str
    subscription_ref: str
    filed_by: str
    created_at: datetime
    effective_date: str | None
    needs_review: bool

    @property
    def ref(self) -> str:
        return ticket_ref(self.id)


@dataclass(frozen=True)
class TicketPage:
    rows: tuple[TicketRow, ...]
    next_cursor: Cursor | None


# --- prebuilt SQL: a page of 50 and a ticket's view are the console's hot reads -----
# The statements are the ones SQLAlchemy built here before (the same joins, filters and keyset
# order, so the same indexes), written once and run on the session's DBAPI cursor
# (tickets.store.rawsql); SQLAlchemy's statement building and row loading cost 4-5x the query itself.

_ROW_SELECT = (
    "SELECT t.id, t.kind, t.status, t.created_at, t.effective_date, t.needs_review, o.ref AS org_ref,"
    " o.name AS org_name, s.ref AS sub_ref, a.name AS agent_name"
)
# _ROW_SELECT's columns by name, in _ticket_rows' order.
_ROW_NAMES = ("id", "kind", "status", "created_at", "effective_date", "needs_review", "org_ref", "org_name",
              "sub_ref", "agent_name")
_JOINS = (
    " FROM ticket t"
    " JOIN organization o ON o.id = t.organization_id"
    " JOIN subscription s ON s.id = t.subscription_id"
    " JOIN agent a ON a.id = t.filed_by_id"
)
_KINDS = {k.value: k for k in TicketKind}
_STATUSES = {s.value: s for s in TicketStatus}


@lru_cache(maxsize=128)
def _page_sql(
    filed_by: bool, organization: bool, statuses: int, kinds: int, after: str | None, newest: bool
) -> rawsql.Sql:
    """One statement per shape of page (which filters, how many statuses and kinds, a cursor or
    not, which way): built once, its values bound as parameters."""
    where = []
    if filed_by:
        where.append("t.filed_by_id = :filed_by")
    if organization:
        where.append("t.organization_id = :organization")
    if statuses:
        where.append("t.status IN (" + ", ".join(f":status{i}" for i in range(statuses)) + ")")
    if kinds:
        where.append("t.kind IN (" + ", ".join(f":kind{i}" for i in range(kinds)) + ")")
    if after:  # keyset: strictly past the cursor's (created_at, id), never OFFSET
        where.append(f"(t.created_at {after} :after_at OR (t.created_at = :after_at AND t.id {after} :after_id))")
    order = " DESC" if newest else ""
    return rawsql.Sql(
        _ROW_SELECT + _JOINS + (" WHERE " + " AND ".join(where) if where else "")
        + f" ORDER BY t.created_at{order}, t.id{order} LIMIT :limit"
    )


_new_row = tuple.__new__
_fromiso = datetime.fromisoformat


def _ticket_rows(found) -> tuple[TicketRow, ...]:
    """Rows of (id, kind, status, created_at, effective_date, needs_review, org ref, org name,
    subscription ref, agent name), from either a raw cursor or SQLAlchemy."""
    # Locals and rawsql.read_time's SQLite branch written inline: this runs for every row of every page.
    kinds, statuses, new, row, fromiso, time = _KINDS, _STATUSES, _new_row, TicketRow, _fromiso, rawsql.read_time
    return tuple([
        new(row, (
            tid, kinds[kind], statuses[status], org_ref, org_name, sub_ref, agent_name,
            fromiso(created_at + "+00:00") if created_at.__class__ is str else time(created_at),
            effective_date, bool(needs_review),
        ))
        for tid, kind, status, created_at, effective_date, needs_review, org_ref, org_name, sub_ref, agent_name
        in found
    ])


def _page(found: list, limit: int) -> TicketPage:
    rows = _ticket_rows(found[:limit])
    more = len(found) > limit
    cursor = Cursor(rows[-1].created_at, rows[-1].id) if more and rows else None
    return TicketPage(rows, cursor)


@contextmanager
def _driver_cursor(store: Store, *, snapshot: bool = False) -> Iterator[tuple[Any, str]]:
    """A cursor on a pooled driver connection and the dialect's name: no session for a hot
    read. With `snapshot`, its statements read one snapshot, as in store.read() (SQLite runs
    each statement in its own otherwise; psycopg opens a transaction itself); without, on
    PostgreSQL, in autocommit: the statement is the only round trip. The pool rolls
    back on return. A driver error is wrapped as SQLAlchemy wraps it, so that a busy, full or
    unreachable database reads as StoreUnavailable, as through store.read()."""
    engine = store.engine
    dialect, dbapi_error = engine.dialect.name, engine.dialect.loaded_dbapi.Error
    try:
        if not snapshot and store.holds_connection:  # PostgreSQL: the store's connection in autocommit
            with store.raw_read() as raw:
                cursor = raw.cursor()
                try:
                    yield cursor, dialect
                finally:
                    cursor.close()
            return
        connection = engine.raw_connection()
        try:
            autocommit = not snapshot and dialect == "postgresql"
            if autocommit:  # one statement: no BEGIN and ROLLBACK round trips
                rawsql.driver_connection(connection).autocommit = True
            cursor = connection.cursor()
            if snapshot and dialect == "sqlite":
                cursor.execute("BEGIN")
            try:
                yield cursor, dialect
            finally:
                if autocommit:
                    rawsql.end_autocommit(connection)
        finally:
            connection.close()
    except dbapi_error as error:
        wrapped = DBAPIError.instance(None, None, error, dbapi_error)
        if isinstance(wrapped, OperationalError):
            raise StoreUnavailable(unavailable_text(wrapped, engine)) from wrapped
        raise wrapped from error


def _fetch_page(store: Store, sql: rawsql.Sql, params: dict[str, Any], after: Cursor | None, limit: int) -> TicketPage:
    params["limit"] = limit + 1
    with _driver_cursor(store) as (cursor, dialect):
        if after is not None:
            params["after_at"], params["after_id"] = rawsql.bind_time(after.created_at, dialect), after.id
        cursor.execute(sql.for_dialect(dialect), params)
        found = cursor.fetchall()
    return _page(found, limit)


def _page_query(
    *,
    filed_by_id: int | None,
    organization_id: int | None,
    statuses: Collection[TicketStatus] | None,
    kinds: Collection[TicketKind] | None,
):
    """The page's statement as SQLAlchemy builds it, for tickets.search (not a hot path), which
    adds its own joins."""
    query = (
        # SQLAlchemy's select: sqlmodel's is typed for at most four columns.
        sa_select(col(Ticket.id), col(Ticket.kind), col(Ticket.status), col(Ticket.created_at),
                  col(Ticket.effective_date), col(Ticket.needs_review), col(Organization.ref), col(Organization.name),
                  col(Subscription.ref), col(Agent.name))
        .join(Organization, col(Organization.id) == Ticket.organization_id)
        .join(Subscription, col(Subscription.id) == Ticket.subscription_id)
        .join(Agent, col(Agent.id) == Ticket.filed_by_id)
    )
    if filed_by_id is not None:
        query = query.where(col(Ticket.filed_by_id) == filed_by_id)
    if organization_id is not None:
        query = query.where(col(Ticket.organization_id) == organization_id)
    if statuses:
        query = query.where(col(Ticket.status).in_([s.value for s in statuses]))
    if kinds:
        query = query.where(col(Ticket.kind).in_([k.value for k in kinds]))
    return query


def _rows(session: Session, query, limit: int) -> TicketPage:
    return _page(session.exec(query.limit(limit + 1)).all(), limit)


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
    statuses, kinds = list(statuses or ()), list(kinds or ())
    sql = _page_sql(filed_by_id is not None, organization_id is not None, len(statuses), len(kinds),
                    "<" if after is not None else None, True)
    params: dict[str, Any] = {"filed_by": filed_by_id, "organization": organization_id}
    params.update((f"status{i}", s.value) for i, s in enumerate(statuses))
    params.update((f"kind{i}", k.value) for i, k in enumerate(kinds))
    return _fetch_page(store, sql, params, after, limit)


def review_queue(store: Store, *, after: Cursor | None = None, limit: int = PAGE_SIZE) -> TicketPage:
    """Tickets waiting for a supervisor, oldest first (X-2)."""
    sql = _page_sql(False, False, 1, 0, ">" if after is not None else None, False)
    return _fetch_page(store, sql, {"status0": TicketStatus.PENDING_REVIEW.value}, after, limit)


@dataclass(frozen=True)
class HistoryEntry:
    seq: int
    at: datetime
    actor: str
    action: str
    details: dict[str, Any]


@dataclass(frozen=True)
class NoteEntry:
    """An internal note on the ticket (tickets.notes), as its history shows it."""

    id: int
    at: datetime
    author: str  # display name
    text: str


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
    notes: tuple[NoteEntry, ...] = ()


VERIFICATION_CHECKS = (
    "user ID", "phone on file", "primary contact name", "organization name", "street address", "admin role",
)


_DETAIL = rawsql.Sql(
    _ROW_SELECT + ", s.name AS subscription_name, s.product, t.requested_date, t.reason, t.fields, t.checklist,"
    " t.consequences, t.rules, t.needs_callback, t.callback_at, cb.display_name AS callback_by,"
    " dec.display_name AS decided_by, t.decided_at, t.decision_reason, t.filed_by_id, v.id AS attempt_id,"
    " v.at AS attempt_at, va.display_name AS verified_by, v.passed, p.id AS person_id, p.first_name,"
    " p.last_name, p.phone_e164, "
    + ", ".join(f"t.{name}" for name in TICKET_DATE_COLUMNS)
    + _JOINS
    + " LEFT JOIN agent cb ON cb.id = t.callback_by_id"
    " LEFT JOIN agent dec ON dec.id = t.decided_by_id"
    " LEFT JOIN verification_attempt v ON v.id = t.verification_id"
    " LEFT JOIN agent va ON va.id = v.agent_id"
    " LEFT JOIN person p ON p.id = v.person_id"
    " WHERE t.id = :id"
)
# The ticket's history as tickets.audit.log.find_events selects it for AuditFilter(ticket_id=...).
_HISTORY = rawsql.Sql(
    "SELECT seq, at, actor, action, details FROM audit_event WHERE seq > 0 AND subject = :subject ORDER BY seq"
)
_NOTES = rawsql.Sql(
    "SELECT n.id, n.created_at, a.display_name AS author, n.text FROM ticket_note n"
    " JOIN agent a ON a.id = n.agent_id WHERE n.ticket_id = :id ORDER BY n.id"
)


def ticket_detail(store: Store, ticket_id: int) -> TicketDetail:
    """One ticket, its people's names, the verification behind it, its history and its notes:
    three statements in one read transaction."""
    with _driver_cursor(store, snapshot=True) as (cursor, dialect):
        cursor.execute(_DETAIL.for_dialect(dialect), {"id": ticket_id})
        detail = named_rows(cursor)
        if not detail:
            raise NotFound(_("ticket {ref} does not exist").format(ref=ticket_ref(ticket_id)))
        cursor.execute(_HISTORY.for_dialect(dialect), {"subject": f"ticket:{ticket_id}"})
        events = named_rows(cursor)
        cursor.execute(_NOTES.for_dialect(dialect), {"id": ticket_id})
        notes = named_rows(cursor)
    found = detail[0]
    (row,) = _ticket_rows([tuple(getattr(found, name) for name in _ROW_NAMES)])
    dates = {name: getattr(found, name) for name in TICKET_DATE_COLUMNS}
    fields, read_json, read_time = rawsql.read_json(found.fields), rawsql.read_json, rawsql.read_time
    attempt = found.attempt_id is not None
    person = found.person_id is not None
    checks = VERIFICATION_CHECKS + (("organization URL",) if found.product == "d365" else ())
    return TicketDetail(
        row=row,
        subscription_name=found.subscription_name,
        resource_ref=fields.get("resource_ref"),
        requested_date=found.requested_date,
        reason=found.reason,
        fields=dict(fields),
        checklist=tuple(read_json(found.checklist)),
        # T-1 as one document for the views: the dates from their columns, the rest as stored.
        consequences={**read_json(found.consequences), **dates},
        rules=tuple(read_json(found.rules)),
        needs_callback=bool(found.needs_callback),
        callback_at=read_time(found.callback_at),
        callback_by=found.callback_by,
        decided_by=found.decided_by,
        decided_at=read_time(found.decided_at),
        decision_reason=found.decision_reason,
        filed_by_id=found.filed_by_id,
        data_deletion_date=dates["data_deletion_date"],
        reversal_deadline=dates["reversal_deadline"],
        verified_at=read_time(found.attempt_at) if attempt else None,
        verified_by=found.verified_by if attempt else None,
        verification_checks=checks if attempt and found.passed else (),
        history=tuple(
            HistoryEntry(e.seq, read_time(e.at), e.actor, e.action, dict(read_json(e.details)))
            for e in events
        ),
        caller_name=person_name(found.first_name, found.last_name) if person else None,
        callback_phone=found.phone_e164 if person else None,
        notes=tuple(NoteEntry(n.id, read_time(n.created_at), n.author, n.text) for n in notes),
    )
