"""Filing and the lifecycle on both engines: T-1 .. T-3, C-9, X-2, V-8, U-2."""

from __future__ import annotations

import multiprocessing
from datetime import date, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

import testkit
from tickets.enums import TicketKind, TicketStatus
from tickets.errors import Conflict, InvalidInput, NotAllowed
from tickets.filing import FilingRequest, file_ticket
from tickets.lifecycle import approve, record_callback, reject, transition
from tickets.store.models import AuditEvent, Subscription, Ticket
from tickets.store.queries import list_tickets, review_queue, ticket_detail


@pytest.fixture
def directory(store):
    return testkit.Directory(store)


def _early(key="k1", **changes) -> FilingRequest:
    values = dict(
        kind=TicketKind.CANCEL_EARLY, subscription_ref="SUB-INT", idempotency_key=key,
        confirmed=frozenset({"remove_domains", "update_dns", "save_data"}),
    )
    values.update(changes)
    return FilingRequest(**values)


def test_t1_filed_ticket_carries_its_computed_dates(directory):
    result = file_ticket(directory.store, agent=directory.agent, verification_id=directory.verified(), request=_early())
    detail = ticket_detail(directory.store, result.filed[0].id)
    assert detail.row.status is TicketStatus.OPEN
    assert detail.row.effective_date == "2026-11-22"
    assert detail.data_deletion_date == (date(2026, 11, 22) + timedelta(days=90)).isoformat()
    assert set(detail.checklist) == {"remove_domains", "update_dns", "save_data"}
    assert [h.action for h in detail.history] == ["ticket.filed"]


def test_checklist_must_be_confirmed_before_filing(directory):
    with pytest.raises(InvalidInput, match="C-7"):
        file_ticket(
            directory.store, agent=directory.agent, verification_id=directory.verified(),
            request=_early(confirmed=frozenset()),
        )


def test_t3_retry_returns_the_same_ticket_and_a_clash_is_refused(directory):
    verification = directory.verified()
    first = file_ticket(directory.store, agent=directory.agent, verification_id=verification, request=_early())
    again = file_ticket(directory.store, agent=directory.agent, verification_id=verification, request=_early())
    assert again.replayed and again.filed[0].id == first.filed[0].id
    with pytest.raises(Conflict, match="T-3"):
        file_ticket(
            directory.store, agent=directory.agent, verification_id=verification,
            request=_early(refund_requested=True),
        )
    with directory.store.read() as session:
        assert len(session.exec(select(Ticket)).all()) == 1


def test_c9_second_open_cancellation_is_refused_with_the_open_ticket(directory):
    verification = directory.verified()
    first = file_ticket(directory.store, agent=directory.agent, verification_id=verification, request=_early())
    with pytest.raises(NotAllowed, match=f"C-9.*{first.filed[0].ref}"):
        file_ticket(
            directory.store, agent=directory.agent, verification_id=verification,
            request=_early(key="k2", kind=TicketKind.CANCEL_END_OF_TERM, confirmed=frozenset()),
        )


def test_c9_enforced_by_the_database_itself(directory):
    verification = directory.verified()
    first = file_ticket(directory.store, agent=directory.agent, verification_id=verification, request=_early())
    with pytest.raises(IntegrityError):
        with directory.store.write() as session:
            row = session.get(Ticket, first.filed[0].id)
            clone = Ticket(**{k: v for k, v in row.model_dump().items() if k != "id"})
            clone.idempotency_key = "other"
            session.add(clone)


def test_v7_filing_needs_a_live_verification(directory, clock):
    verification = directory.verified()
    clock.advance(timedelta(minutes=61))
    with pytest.raises(NotAllowed, match="V-7"):
        file_ticket(directory.store, agent=directory.agent, verification_id=verification, request=_early())


def test_v6_credentials_in_free_text_are_refused(directory):
    with pytest.raises(InvalidInput, match="V-6"):
        file_ticket(
            directory.store, agent=directory.agent, verification_id=directory.verified(),
            request=_early(reason="caller said password is Hunter2!xyz"),
        )


def test_u2_batch_of_ten_with_four_blocked(directory):
    refs = tuple(f"RES-{i:02d}" for i in range(10))
    result = file_ticket(
        directory.store, agent=directory.agent, verification_id=directory.verified(),
        request=FilingRequest(
            kind=TicketKind.UNSUBSCRIBE_RESOURCE, subscription_ref="SUB-CLD", idempotency_key="batch",
            resource_refs=refs, reason="moving to another provider",
            confirmed=frozenset({"confirm_unsubscription"}),
        ),
    )
    assert sorted(t.resource_ref for t in result.filed) == list(refs[4:])
    refused = dict(result.refused)
    assert sorted(refused) == list(refs[:4])
    assert all(any(r.rule == "U-1" for r in reasons) for reasons in refused.values())


def _file_expedited(directory) -> int:
    result = file_ticket(
        directory.store, agent=directory.agent, verification_id=directory.verified(),
        request=FilingRequest(
            kind=TicketKind.EXPEDITED_DEPROVISIONING, subscription_ref="SUB-INT", idempotency_key="x1",
            confirmed=frozenset({"acknowledge_data_loss", "remove_domains", "update_dns", "save_data"}),
        ),
    )
    assert result.filed[0].status is TicketStatus.PENDING_REVIEW
    return result.filed[0].id


def test_x2_four_eyes_and_callback_before_approval(directory, clock):
    ticket_id = _file_expedited(directory)
    assert [r.id for r in review_queue(directory.store).rows] == [ticket_id]
    with pytest.raises(NotAllowed, match="V-8"):
        approve(directory.store, supervisor=directory.supervisor, ticket_id=ticket_id)
    record_callback(directory.store, agent=directory.agent, ticket_id=ticket_id, note="confirmed by phone")
    with pytest.raises(NotAllowed, match="X-2"):
        approve(directory.store, supervisor=directory.agent, ticket_id=ticket_id)
    approve(directory.store, supervisor=directory.supervisor, ticket_id=ticket_id)
    detail = ticket_detail(directory.store, ticket_id)
    assert detail.row.status is TicketStatus.APPROVED and detail.decided_by == "Grace"
    assert detail.data_deletion_date == (clock.now() + timedelta(days=3)).date().isoformat()


def test_x2_a_supervisor_cannot_approve_their_own_filing_even_in_the_database(directory):
    result = file_ticket(
        directory.store, agent=directory.supervisor, verification_id=directory.verified(directory.supervisor),
        request=FilingRequest(
            kind=TicketKind.EXPEDITED_DEPROVISIONING, subscription_ref="SUB-INT", idempotency_key="own",
            confirmed=frozenset({"acknowledge_data_loss", "remove_domains", "update_dns", "save_data"}),
        ),
    )
    ticket_id = result.filed[0].id
    record_callback(directory.store, agent=directory.supervisor, ticket_id=ticket_id)
    with pytest.raises(NotAllowed, match="four eyes"):
        approve(directory.store, supervisor=directory.supervisor, ticket_id=ticket_id)
    with pytest.raises(IntegrityError):
        with directory.store.write() as session:
            session.exec(
                text("UPDATE ticket SET decided_by_id = filed_by_id, status = 'approved' WHERE id = :id"),
                params={"id": ticket_id},
            )


def test_two_supervisors_deciding_at_once_one_wins(directory):
    ticket_id = _file_expedited(directory)
    record_callback(directory.store, agent=directory.agent, ticket_id=ticket_id)
    reject(directory.store, supervisor=directory.supervisor2, ticket_id=ticket_id, reason="caller hesitated")
    with pytest.raises(Conflict, match="already decided by Linus: it is now rejected"):
        approve(directory.store, supervisor=directory.supervisor, ticket_id=ticket_id)
    detail = ticket_detail(directory.store, ticket_id)
    assert detail.row.status is TicketStatus.REJECTED and detail.decision_reason == "caller hesitated"


def test_t2_illegal_transitions_are_refused_with_reasons(directory):
    result = file_ticket(directory.store, agent=directory.agent, verification_id=directory.verified(), request=_early())
    ticket_id = result.filed[0].id
    with pytest.raises(
        NotAllowed, match="T-2: a open ticket cannot become resolved|T-2: an? open ticket cannot become resolved"
    ):
        transition(directory.store, actor=directory.agent, ticket_id=ticket_id, to=TicketStatus.RESOLVED)
    with pytest.raises(InvalidInput, match="reason"):
        transition(directory.store, actor=directory.agent, ticket_id=ticket_id, to=TicketStatus.WITHDRAWN)
    with pytest.raises(NotAllowed, match="withdraw"):
        transition(directory.store, actor=directory.agent2, ticket_id=ticket_id, to=TicketStatus.WITHDRAWN, reason="x")
    transition(directory.store, actor=directory.agent, ticket_id=ticket_id, to=TicketStatus.IN_PROGRESS)
    transition(directory.store, actor=directory.agent, ticket_id=ticket_id, to=TicketStatus.RESOLVED)
    with directory.store.read() as session:
        sub = session.exec(select(Subscription).where(Subscription.ref == "SUB-INT")).one()
        assert sub.state == "cancelled"
    with pytest.raises(NotAllowed, match="final"):
        transition(directory.store, actor=directory.agent, ticket_id=ticket_id, to=TicketStatus.WITHDRAWN, reason="x")
    actions = [h.action for h in ticket_detail(directory.store, ticket_id).history]
    assert actions == ["ticket.filed", "ticket.in_progress", "ticket.resolved"]


def test_ticket_lists_page_by_keyset(directory, clock):
    verification = directory.verified()
    for i in range(7):
        clock.advance(timedelta(seconds=1))
        result = file_ticket(
            directory.store, agent=directory.agent, verification_id=verification,
            request=_early(key=f"p{i}", subscription_ref="SUB-O365", confirmed=frozenset({"update_dns", "save_data"})),
        )
        transition(
            directory.store,
            actor=directory.agent,
            ticket_id=result.filed[0].id,
            to=TicketStatus.WITHDRAWN,
            reason="test",
        )
    first = list_tickets(directory.store, filed_by_id=directory.agent.id, limit=3)
    second = list_tickets(directory.store, filed_by_id=directory.agent.id, limit=3, after=first.next_cursor)
    third = list_tickets(directory.store, filed_by_id=directory.agent.id, limit=3, after=second.next_cursor)
    ids = [r.id for page in (first, second, third) for r in page.rows]
    assert ids == sorted(ids, reverse=True) and len(ids) == 7 and third.next_cursor is None
    assert list_tickets(directory.store, statuses=[TicketStatus.OPEN]).rows == ()
    assert len(list_tickets(directory.store, kinds=[TicketKind.CANCEL_EARLY]).rows) == 7


def _race_filing(
    url: str, agent_id: int, verification_id: int, worker: int, tries: int, barrier
) -> tuple[int, int, list[str]]:
    from tickets.agents import get_agent

    store = testkit.make_store(url)
    agent = get_agent(store, agent_id)
    barrier.wait()
    filed = refused = 0
    unexpected: list[str] = []
    for attempt in range(tries):
        try:
            file_ticket(store, agent=agent, verification_id=verification_id,
                        request=_early(key=f"w{worker}-{attempt}"))
            filed += 1
        except (Conflict, NotAllowed) as error:
            refused += 1
            if "C-9" not in str(error):
                unexpected.append(str(error))
        except Exception as error:  # noqa: BLE001 - e.g. "database is locked" must not happen
            unexpected.append(f"{type(error).__name__}: {error}")
    store.dispose()
    return filed, refused, unexpected


def test_c9_eight_processes_fifty_tries_one_open_cancellation(directory, store_url):
    verification = directory.verified()
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        barrier = manager.Barrier(8)
        with context.Pool(8) as pool:
            results = pool.starmap(
                _race_filing, [(store_url, directory.agent.id, verification, w, 50, barrier) for w in range(8)]
            )
    assert sum(r[0] for r in results) == 1
    assert sum(r[1] for r in results) == 399
    assert [u for r in results for u in r[2]] == []
    with directory.store.read() as session:
        tickets = session.exec(select(Ticket)).all()
        filed_events = session.exec(select(AuditEvent).where(AuditEvent.action == "ticket.filed")).all()
    assert len(tickets) == 1 and len(filed_events) == 1


def test_t3_batch_retry_replays_and_another_batch_under_the_key_is_refused(directory):
    verification = directory.verified()

    def batch(*refs):
        return FilingRequest(
            kind=TicketKind.UNSUBSCRIBE_RESOURCE, subscription_ref="SUB-CLD", idempotency_key="b1",
            resource_refs=refs, reason="no longer needed", confirmed=frozenset({"confirm_unsubscription"}),
        )

    first = file_ticket(
        directory.store, agent=directory.agent, verification_id=verification, request=batch("RES-04", "RES-05")
    )
    again = file_ticket(
        directory.store, agent=directory.agent, verification_id=verification, request=batch("RES-05", "RES-04")
    )
    assert again.replayed and [t.id for t in again.filed] == [t.id for t in first.filed]
    with pytest.raises(Conflict, match="T-3"):
        file_ticket(directory.store, agent=directory.agent, verification_id=verification, request=batch("RES-06"))


def test_each_ticket_value_is_stored_once_and_migration_0004_moves_old_copies(directory):
    """requested_date and reason live only in their columns, the T-1 dates only in theirs; the
    detail still shows them all. Downgrading past 0004 writes the old copies back (as they were
    stored); upgrading again moves them out without losing a value."""
    from sqlalchemy import update

    from tickets.store.schema import downgrade, upgrade

    store = directory.store
    result = file_ticket(store, agent=directory.agent, verification_id=directory.verified(),
                         request=_early(requested_date=date(2026, 12, 1), reason="moving to another provider"))
    ticket_id = result.filed[0].id

    def row():
        with store.read() as session:
            return session.get(Ticket, ticket_id)

    stored = row()
    assert (stored.requested_date, stored.reason) == ("2026-12-01", "moving to another provider")
    assert not {"requested_date", "reason"} & set(stored.fields)
    assert not {"effective_date", "data_deletion_date", "reversal_deadline"} & set(stored.consequences)
    detail = ticket_detail(store, ticket_id)
    assert detail.consequences["effective_date"] == "2026-12-01" == detail.row.effective_date
    assert detail.consequences["data_deletion_date"] == "2027-03-01" == detail.data_deletion_date

    downgrade(store.engine, "0004-1")  # before 0004: as tickets were stored, copies in the documents
    old = row()
    assert old.fields["requested_date"] == "2026-12-01" and old.fields["reason"] == "moving to another provider"
    assert old.consequences["effective_date"] == "2026-12-01"
    with store.write() as session:  # a copy whose column is empty must not be lost
        session.execute(update(Ticket).where(Ticket.id == ticket_id).values(reversal_deadline=None, reason=None))
        session.execute(update(Ticket).where(Ticket.id == ticket_id).values(
            consequences={**old.consequences, "reversal_deadline": "2026-12-31"}))

    upgrade(store.engine)
    moved = row()
    assert (moved.requested_date, moved.reason, moved.reversal_deadline) == (
        "2026-12-01", "moving to another provider", "2026-12-31")
    assert not {"requested_date", "reason"} & set(moved.fields)
    assert not {"effective_date", "data_deletion_date", "reversal_deadline"} & set(moved.consequences)
    assert moved.consequences["notes"] == stored.consequences["notes"]


def test_filing_and_deciding_store_the_masked_text_the_export_uses(directory):
    """E-1 (migration 0008): the texts are stored masked when written, so a masked
    export of a new ticket takes the SQL path instead of masking the text afresh."""
    from tickets.masking import scrub_stored

    decided_id = _file_expedited(directory)
    record_callback(directory.store, agent=directory.agent, ticket_id=decided_id)
    decided = "confirmed by ann@example.com"
    reject(directory.store, supervisor=directory.supervisor2, ticket_id=decided_id, reason=decided)
    filed = "call back on +44 20 7946 0999"
    result = file_ticket(directory.store, agent=directory.agent, verification_id=directory.verified(),
                         request=_early(reason=filed))
    with directory.store.read() as session:
        stored = session.execute(text("SELECT reason_scrubbed FROM ticket WHERE id = :i"),
                                 {"i": result.filed[0].id}).scalar()
        decision = session.execute(text("SELECT decision_reason_scrubbed FROM ticket WHERE id = :i"),
                                   {"i": decided_id}).scalar()
    assert stored == scrub_stored(filed) and "0999" in stored and "7946" not in stored
    assert decision == scrub_stored(decided) and "ann@" not in decision
