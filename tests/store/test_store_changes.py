"""tickets.store.changes on both engines: "has anything changed since token X" for the live screens
(a new ticket shows without a key pressed): NOTIFY from migration 0006's triggers on PostgreSQL,
PRAGMA data_version on SQLite."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text

import testkit
from tickets.enums import TicketKind, TicketStatus
from tickets.filing import FilingRequest, file_ticket
from tickets.lifecycle import approve, record_callback
from tickets.store.changes import feed_for
from tickets.store.models import Call
from tickets.store.queries import review_queue

# The live screens promise a new ticket within 2 s; the feed must say so well inside that.
WITHIN_S = 1.0


@pytest.fixture
def directory(store):
    return testkit.Directory(store)


@pytest.fixture
def feed(directory):
    feed = feed_for(directory.store)
    yield feed
    feed.close()


def _needs_review() -> FilingRequest:
    return FilingRequest(
        kind=TicketKind.EXPEDITED_DEPROVISIONING, subscription_ref="SUB-INT", idempotency_key="x1",
        confirmed=frozenset({"acknowledge_data_loss", "remove_domains", "update_dns", "save_data"}),
    )


def _changed_within(feed, since: int, seconds: float = WITHIN_S) -> tuple[bool, float]:
    started = time.monotonic()
    now = feed.wait(since, timeout=seconds)
    return now != since, time.monotonic() - started


def test_nothing_changed_means_the_same_token_after_the_timeout(directory, feed):
    before = feed.token()
    review_queue(directory.store)  # reading is no change
    changed, waited = _changed_within(feed, before, 0.3)
    assert not changed and waited >= 0.25


def test_a_filed_ticket_changes_the_token_at_once(directory, feed):
    verification = directory.verified()
    before = feed.token()
    result = file_ticket(directory.store, agent=directory.agent, verification_id=verification, request=_needs_review())
    assert result.filed[0].status is TicketStatus.PENDING_REVIEW  # the kind of ticket a supervisor's queue shows
    changed, waited = _changed_within(feed, before)
    assert changed and waited < WITHIN_S


def test_a_decision_changes_the_token(directory, feed):
    verification = directory.verified()
    ticket = file_ticket(directory.store, agent=directory.agent, verification_id=verification, request=_needs_review())
    ticket_id = ticket.filed[0].id
    record_callback(directory.store, agent=directory.supervisor, ticket_id=ticket_id, note="called back, confirmed")
    before = feed.wait(feed.token(), timeout=0.3)  # settle what the filing and callback sent
    approve(directory.store, supervisor=directory.supervisor2, ticket_id=ticket_id)
    assert _changed_within(feed, before)[0]


def test_a_rolled_back_write_is_no_change(directory, feed):
    before = feed.token()
    with pytest.raises(RuntimeError):
        with directory.store.write() as session:
            session.add(Call(agent_id=directory.agent.id, started_at=directory.store.clock.now()))
            session.flush()
            raise RuntimeError("abandoned")
    assert not _changed_within(feed, before, 0.3)[0]


def test_a_waiting_feed_wakes_for_a_commit_made_while_it_waits(directory, feed):
    before = feed.token()
    verification = directory.verified()  # its own commits: settle them first
    before = feed.wait(feed.token(), timeout=0.3)

    def file_later() -> None:
        time.sleep(0.2)
        file_ticket(directory.store, agent=directory.agent, verification_id=verification, request=_needs_review())

    writer = threading.Thread(target=file_later)
    writer.start()
    changed, waited = _changed_within(feed, before, 5.0)
    writer.join()
    assert changed and waited < 0.2 + WITHIN_S


def test_the_triggers_exist_on_postgresql_only(directory, backend):
    with directory.store.read() as session:
        if backend == "postgresql":
            names = set(session.execute(text(
                "SELECT tgname FROM pg_trigger WHERE tgname LIKE '%_notify_changed'"
            )).scalars())
            assert names == {
                f"{t}_notify_changed" for t in ("ticket", "call", "verification_attempt", "verification_unlock")
            }
        else:
            assert session.execute(text("PRAGMA data_version")).scalar_one() >= 1
