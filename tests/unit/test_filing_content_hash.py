"""T-3: a filing request's content hash, as a retry must repeat it: the digests below were
made by the first definition (fields copied in key order, then json.dumps sorted); a change of
how it is computed must keep every one, or a retry across an upgrade would be refused."""

from __future__ import annotations

from datetime import date

import pytest

from tickets.enums import TicketKind
from tickets.filing import FilingRequest

CASES = [
    (FilingRequest(kind=TicketKind.CANCEL_EARLY, subscription_ref="SUB-1", idempotency_key="k",
                   confirmed=frozenset({"save_data", "update_dns"})),
     "bd97a768d595c2ba34f4779985f0134770f86af8da3c7a2635a08a9837abe4a0"),
    (FilingRequest(kind=TicketKind.MIGRATION, subscription_ref="SUB-2", idempotency_key="k2",
                   fields={"transfer_at": "2027-01-04T10:00", "it_contact": "Zoë, +44 20 7946 0123", "note": "é"},
                   reason="Budget cut.", requested_date=date(2027, 1, 4), refund_requested=True),
     "5c9cdae9c38bdf89fd9391c22e6d32d79279f9371b6c03b360c77519de1029ae"),
    (FilingRequest(kind=TicketKind.UNSUBSCRIBE_RESOURCE, subscription_ref="SUB-3", idempotency_key="k3",
                   resource_refs=("RES-2", "RES-1"), fields={"b": "1", "a": "2"}),
     "ca3cef43f92b44d77614b4cdd9d599f4eeb090b1b2a58af827b677efcd04bb90"),
]


@pytest.mark.parametrize(("request_", "digest"), CASES)
def test_the_content_hash_is_the_one_first_defined(request_: FilingRequest, digest: str) -> None:
    assert request_.content_hash() == digest


def test_the_key_is_not_part_of_it_and_the_fields_order_is_not_either() -> None:
    first, _ = CASES[2]
    same = FilingRequest(kind=first.kind, subscription_ref=first.subscription_ref, idempotency_key="other",
                         resource_refs=first.resource_refs, fields={"a": "2", "b": "1"})
    assert same.content_hash() == first.content_hash()
