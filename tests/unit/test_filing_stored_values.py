"""tickets.filing's stored values made by their fast paths, against the general ones they
replace: the consequences column and its dates (stored_consequences against as_dict() with the
zone, less the date columns), the row's JSON columns and the A-1 digests (encoders made once,
without a cycle check, against json.dumps and details_text)."""

from __future__ import annotations

import json
from datetime import date
from hashlib import sha256
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tickets.audit.format import details_text
from tickets.audit.record import column_digest, filing_record, json_digest
from tickets.filing import _ROW_JSON, stored_consequences
from tickets.policy import Consequences, Reason
from tickets.store.models import TICKET_DATE_COLUMNS
from tickets.store.rawsql import bind_json

texts = st.text(max_size=40)
maybe_text = st.none() | texts
maybe_day = st.none() | st.dates(min_value=date(1900, 1, 1), max_value=date(2999, 12, 31))
consequences = st.builds(
    Consequences, effective_date=maybe_day, early_termination_fee_may_apply=st.booleans(), refund=maybe_text,
    self_service=maybe_text, data_deletion_date=maybe_day, data_deletion_note=maybe_text,
    reversal_deadline=maybe_day, coupon_handling=maybe_text, routing_queue=maybe_text,
    notes=st.lists(st.builds(Reason, rule=st.text(max_size=5), text=texts), max_size=6).map(tuple),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


def _general(found: Consequences | None, time_zone: str) -> tuple[dict[str, Any], Any, Any, Any]:
    """What tickets.filing._row made before: as_dict() with the zone, filtered, and .get."""
    values = found.as_dict() if found else {}
    values["time_zone"] = time_zone
    kept = {k: v for k, v in values.items() if k not in TICKET_DATE_COLUMNS}
    return kept, values.get("effective_date"), values.get("data_deletion_date"), values.get("reversal_deadline")


@given(found=st.none() | consequences, time_zone=st.sampled_from(["UTC", "Asia/Shanghai", "Europe/Berlin"]))
def test_stored_consequences_are_the_general_paths_key_for_key_in_order(found, time_zone):
    fast, general = stored_consequences(found, time_zone), _general(found, time_zone)
    assert fast == general
    assert list(fast[0]) == list(general[0])  # the column is json.dumps'd unsorted: the order is stored
    assert bind_json(fast[0]) == bind_json(general[0])


@given(value=json_values)
def test_row_json_and_digests_are_the_general_encoders(value):
    assert _ROW_JSON(value) == bind_json(value) == json.dumps(value)
    assert json_digest(value) == sha256(details_text(value).encode()).hexdigest()


@given(fields=st.dictionaries(st.text(max_size=8), texts, max_size=3))
def test_the_empty_fields_digest_is_the_digest_of_no_fields(fields):
    record = filing_record(
        call_id=1, idempotency_key="k", content_hash="h", requested_date=None, reason=None, fields=fields,
        consequences={}, refund_requested=False, needs_review=False, effective_date=None, data_deletion_date=None,
        reversal_deadline=None,
    )
    assert record["row"]["fields_sha256"] == sha256(details_text(fields).encode()).hexdigest()


@given(values=st.lists(json_values, min_size=1, max_size=6), again=st.integers(min_value=0, max_value=5))
def test_the_digest_kept_by_column_text_is_json_digest(values, again):
    """column_digest keeps digests by the column's text: each value's, first seen or seen again
    (near misses: values whose texts differ by a type, True against 1, or by key order)."""
    for value in [*values, values[again % len(values)], True, 1, {"a": 1, "b": 2}, {"b": 2, "a": 1}]:
        assert column_digest(value, _ROW_JSON(value)) == json_digest(value)
