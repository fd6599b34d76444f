"""T-3: a filing request's content hash, as a retry must repeat it."""

from __future__ import annotations

import hashlib
import json
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from tickets.enums import TicketKind
from tickets.filing import FilingRequest

texts = st.text(max_size=12)


def _as_first_written(request: FilingRequest) -> str:
    """The digest as it was first defined: the fields copied in key order, json.dumps sorted."""
    body = {
        "kind": str(request.kind),
        "subscription": request.subscription_ref,
        "resources": sorted(request.resource_refs),
        "requested_date": request.requested_date.isoformat() if request.requested_date else None,
        "refund": request.refund_requested,
        "reason": request.reason,
        "fields": {k: request.fields[k] for k in sorted(request.fields)},
        "confirmed": sorted(request.confirmed),
    }
    return hashlib.sha256(json.JSONEncoder(sort_keys=True).encode(body).encode()).hexdigest()


@given(kind=st.sampled_from(TicketKind), sub=texts, key=texts, resources=st.lists(texts, max_size=3),
       requested=st.none() | st.dates(min_value=date(2000, 1, 1)), refund=st.booleans(), reason=texts,
       fields=st.dictionaries(texts, texts, max_size=4), confirmed=st.frozensets(texts, max_size=4))
def test_the_content_hash_is_unchanged(kind, sub, key, resources, requested, refund, reason, fields, confirmed):
    request = FilingRequest(kind=kind, subscription_ref=sub, idempotency_key=key, resource_refs=tuple(resources),
                            requested_date=requested, refund_requested=refund, reason=reason, fields=fields,
                            confirmed=confirmed)
    assert request.content_hash() == _as_first_written(request)
