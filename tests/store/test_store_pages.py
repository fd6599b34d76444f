"""Pages of 50 and the ticket view on prebuilt SQL select what the SQLAlchemy
statements select, in the same keyset order, on both engines; a driver error still reads as
StoreUnavailable (T-1, A-1, X-2)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import col

import testkit
from tickets.audit.log import AuditFilter, find_events
from tickets.enums import TicketKind, TicketStatus
from tickets.errors import StoreUnavailable
from tickets.filing import FilingRequest, file_ticket
from tickets.lifecycle import transition
from tickets.store.database import Store, make_engine
from tickets.store.models import Subscription, Ticket
from tickets.store.queries import _page_query, _rows, list_tickets, review_queue, ticket_detail


@pytest.fixture
def filed(store, clock):
    """Seven withdrawn Office 365 tickets, one a second, and one Intune ticket waiting for review."""
    directory = testkit.Directory(store)
    verification = directory.verified()
    ids = []
    for i in range(7):
        clock.advance(timedelta(seconds=1))
        result = file_ticket(store, agent=directory.agent, verification_id=verification, request=FilingRequest(
            kind=TicketKind.CANCEL_EARLY, subscription_ref="SUB-O365", idempotency_key=f"p{i}",
            confirmed=frozenset({"update_dns", "save_data"}),
        ))
        ids.append(result.filed[0].id)
        transition(store, actor=directory.agent, ticket_id=ids[-1], to=TicketStatus.WITHDRAWN, reason="test")
    return directory, ids


def _through_sqlalchemy(store, limit: int, **filters):
    query = _page_query(filed_by_id=filters.get("filed_by_id"), organization_id=filters.get("organization_id"),
                        statuses=filters.get("statuses"), kinds=filters.get("kinds"))
    with store.read() as session:
        return _rows(session, query.order_by(col(Ticket.created_at).desc(), col(Ticket.id).desc()), limit).rows


@pytest.mark.parametrize("filters", [
    {}, {"filed_by": True}, {"organization": True}, {"statuses": [TicketStatus.WITHDRAWN, TicketStatus.OPEN]},
    {"kinds": [TicketKind.CANCEL_EARLY]}, {"statuses": [TicketStatus.OPEN]},
])
def test_pages_select_what_the_sqlalchemy_statement_selects_page_by_page(store, filed, filters):
    directory, ids = filed
    filters = {**filters}
    if filters.pop("filed_by", False):
        filters["filed_by_id"] = directory.agent.id
    if filters.pop("organization", False):
        filters["organization_id"] = directory.org.id
    expected = _through_sqlalchemy(store, 100, **filters)
    seen, after = [], None
    while True:
        page = list_tickets(store, after=after, limit=3, **filters)
        seen += page.rows
        if page.next_cursor is None:
            break
        after = page.next_cursor
    assert tuple(seen) == expected
    assert all(row.created_at.tzinfo is not None and row.created_at.utcoffset() == timedelta(0) for row in seen)


def test_the_review_queue_pages_oldest_first(store, filed):
    directory, _ = filed
    intune = directory.intune
    with store.write() as session:  # two more Intune subscriptions, as the directory's own
        for ref in ("SUB-INT2", "SUB-INT3"):
            session.add(Subscription(**{**intune.model_dump(exclude={"id"}), "ref": ref}))
    verification = directory.verified()
    waiting = []
    for ref in ("SUB-INT", "SUB-INT2", "SUB-INT3"):  # an expedited deprovisioning waits for a supervisor
        directory.store.clock.advance(timedelta(seconds=1))
        result = file_ticket(store, agent=directory.agent, verification_id=verification, request=FilingRequest(
            kind=TicketKind.EXPEDITED_DEPROVISIONING, subscription_ref=ref, idempotency_key=f"x-{ref}",
            confirmed=frozenset({"acknowledge_data_loss", "remove_domains", "update_dns", "save_data"}),
        ))
        assert result.filed[0].status is TicketStatus.PENDING_REVIEW
        waiting.append(result.filed[0].id)
    first = review_queue(store, limit=2)
    second = review_queue(store, after=first.next_cursor, limit=2)
    assert [r.id for r in first.rows + second.rows] == waiting and second.next_cursor is None
    assert all(r.status is TicketStatus.PENDING_REVIEW and r.needs_review is True for r in first.rows + second.rows)


def test_the_ticket_views_history_is_the_audit_logs(store, filed):
    _, ids = filed
    detail = ticket_detail(store, ids[0])
    with store.read() as session:
        events = find_events(session, AuditFilter(ticket_id=ids[0]))
    assert [(h.seq, h.at, h.actor, h.action, h.details) for h in detail.history] == \
        [(e.seq, e.at, e.actor, e.action, e.details) for e in events]
    assert detail.row == list_tickets(store, limit=7).rows[-1]
    assert detail.row.status is TicketStatus.WITHDRAWN and detail.verified_by and detail.caller_name


def test_an_unreachable_database_is_said_so_on_pages_and_the_ticket_view(tmp_path):
    store = Store(make_engine(f"sqlite:///{tmp_path}", create=False))  # a folder: no database opens there
    for read in (lambda: list_tickets(store), lambda: review_queue(store), lambda: ticket_detail(store, 1)):
        with pytest.raises(StoreUnavailable, match="cannot be reached"):
            read()
    store.dispose()
