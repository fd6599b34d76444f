"""The desk's time zone in the store: the filing event records it, the cancellation keeps it
(so a later change of the setting moves no deadline already told), instants stay UTC, and a
date-time typed at the desk is read in its zone (tickets.desk_time)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

import testkit
from tickets.account import account_view
from tickets.enums import TicketKind, TicketStatus
from tickets.errors import InvalidInput, NotAllowed
from tickets.filing import FilingRequest, file_ticket, typed_times
from tickets.lifecycle import transition
from tickets.store.models import AuditEvent, Subscription, Ticket

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def directory(store):
    return testkit.Directory(store)


def _cancel_o365(directory, day: date) -> int:
    result = file_ticket(directory.store, agent=directory.agent, verification_id=directory.verified(),
                         request=FilingRequest(kind=TicketKind.CANCEL_EARLY, subscription_ref="SUB-O365",
                                               idempotency_key="z1", requested_date=day,
                                               confirmed=frozenset({"update_dns", "save_data"})))
    return result.filed[0].id


def test_filing_event_records_the_zone_and_the_cancellation_keeps_it(directory):
    """T0 is 12:00 UTC on 2026-11-22, 20:00 in Shanghai. The cancellation takes effect at the
    start of 2026-11-23 in Shanghai (16:00 UTC the day before), recorded with its zone; a desk
    that later switches to Los Angeles reads the same C-8 deletion day."""
    store = directory.store
    store.zone = SHANGHAI
    ticket_id = _cancel_o365(directory, date(2026, 11, 23))
    with store.read() as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "ticket.filed")).one()
        ticket = session.get(Ticket, ticket_id)
    assert event.details["time_zone"] == "Asia/Shanghai"
    assert ticket.consequences["time_zone"] == "Asia/Shanghai"
    assert ticket.data_deletion_date == "2027-02-21"
    for to in (TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED):
        transition(store, actor=directory.supervisor, ticket_id=ticket_id, to=to)
    with store.read() as session:
        sub = session.exec(select(Subscription).where(Subscription.ref == "SUB-O365")).one()
    assert sub.cancelled_zone == "Asia/Shanghai"
    assert sub.cancelled_at.astimezone(UTC) == datetime(2026, 11, 22, 16, 0, tzinfo=UTC)

    store.zone = ZoneInfo("America/Los_Angeles")  # the setting changes after the call
    view = account_view(store, agent=directory.agent, verification_id=directory.verified())
    decisions = view.subscription("SUB-O365").decisions
    c8 = [str(r) for d in decisions for r in d.reasons if r.rule == "C-8"]
    assert c8 and all("cancelled on 2026-11-23" in text and "deleted on 2027-02-21" in text for text in c8)


def test_today_is_the_desk_day_when_filing(directory):
    """At 20:00 in Shanghai it is already the 23rd in Kiritimati (UTC+14) and still the 22nd in
    Shanghai: a requested date of the 22nd is today in Shanghai, in the past in Kiritimati."""
    store = directory.store
    store.zone = SHANGHAI
    assert _cancel_o365(directory, date(2026, 11, 22))
    store.zone = ZoneInfo("Pacific/Kiritimati")
    with pytest.raises(NotAllowed, match="V-1.*today is 2026-11-23"):
        file_ticket(store, agent=directory.agent, verification_id=directory.verified(),
                    request=FilingRequest(kind=TicketKind.CANCEL_EARLY, subscription_ref="SUB-INT",
                                          idempotency_key="z2", requested_date=date(2026, 11, 22),
                                          confirmed=frozenset({"remove_domains", "update_dns", "save_data"})))


def test_a_typed_time_is_read_in_the_desk_zone_and_stored_utc():
    assert typed_times({"transfer_at": "2026-12-01 09:30", "it_contact": "x"}, SHANGHAI) == {
        "transfer_at": "2026-12-01T01:30:00Z", "it_contact": "x"}
    # An explicit offset is taken as typed; text that is no time is left for M-3 to name.
    assert typed_times({"transfer_at": "2026-12-01T09:30+01:00"}, SHANGHAI)["transfer_at"] == "2026-12-01T08:30:00Z"
    assert typed_times({"transfer_at": "next week"}, SHANGHAI)["transfer_at"] == "next week"


def test_a_typed_time_in_a_skipped_hour_is_refused_and_a_repeated_one_is_its_first_reading():
    """Berlin: 2027-03-28 02:30 does not exist (02:00 -> 03:00); 2027-10-31 02:30 happens twice
    (CEST, then CET): the first, 00:30 UTC."""
    with pytest.raises(InvalidInput, match="does not exist in Europe/Berlin.*from 02:00 to 03:00"):
        typed_times({"transfer_at": "2027-03-28 02:30"}, BERLIN)
    assert typed_times({"transfer_at": "2027-10-31 02:30"}, BERLIN)["transfer_at"] == "2027-10-31T00:30:00Z"
