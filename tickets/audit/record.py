"""A-1: what a ticket's and an agent's events record, so that `audit verify` can rebuild every
column from the events alone (tickets.audit.history).

Events carry `history`, the version of these rules they were written under; an event without
it is version 1, written before them, and is checked by version 1's rules (what its details
hold: kind, status, subscription, resource, verification, checklist and rules at filing;
status, decider and decision time later; the callback's presence). From version 2 a filing
records every value of the ticket's row, personal free text only as its SHA-256 digest
(`*_sha256`: proves the text unchanged without keeping it twice), and an agent's creation and
PIN reset the digest of the PIN hash, never the PIN.
"""

from __future__ import annotations

from hashlib import sha256
from typing import Any

from tickets.audit.format import decoded_text

HISTORY = 2  # the version written today
HISTORY_KEY = "history"
ROW_KEY = "row"  # a version-2 filing's row values


def text_digest(text: str | None) -> str | None:
    """The SHA-256 of a free text as stored (None stays None: no text is not an empty one)."""
    return None if text is None else sha256(text.encode()).hexdigest()


def json_digest(value: Any) -> str:
    """The SHA-256 of a JSON value's canonical text (tickets.audit.format.details_text's). By
    its encoder without the cycle check (decoded_text): the values digested here are a filing's
    row values, built by tickets.filing of typed text and the policy's sentences, or decoded
    JSON, never containing themselves."""
    return sha256(decoded_text(value).encode()).hexdigest()


_EMPTY_FIELDS_SHA256 = json_digest({})  # a filing's usual fields: none beyond their own columns

# json_digest by the value's JSON column text (json.dumps'), for values that repeat from filing to
# filing (a decision's consequences): the text fixes the value's JSON, so it fixes its digest
# (as `audit verify` digests a column from its stored text, tickets.audit.filings).
_DIGEST_OF_COLUMN: dict[str, str] = {}
_DIGESTS_KEPT = 256


def column_digest(value: Any, column_text: str) -> str:
    """json_digest(value), where `column_text` is value's JSON column text; kept by that text."""
    found = _DIGEST_OF_COLUMN.get(column_text)
    if found is None:
        if len(_DIGEST_OF_COLUMN) >= _DIGESTS_KEPT:
            _DIGEST_OF_COLUMN.clear()
        found = _DIGEST_OF_COLUMN[column_text] = json_digest(value)
    return found


def filing_record(
    *,
    call_id: int | None,
    idempotency_key: str,
    content_hash: str,
    requested_date: str | None,
    reason: str | None,
    fields: dict[str, Any],
    consequences: dict[str, Any],
    refund_requested: bool,
    needs_review: bool,
    effective_date: str | None,
    data_deletion_date: str | None,
    reversal_deadline: str | None,
    consequences_text: str | None = None,
) -> dict[str, Any]:
    """The details a version-2 `ticket.filed` adds to version 1's: with the event's actor (the
    filer) and time (created), every column the filing wrote, under `row` (apart from the keys
    the ticket view reads: its data deletion date there is the one set on approval).
    `consequences_text`: the consequences' JSON column text, when the caller has made it."""
    return {HISTORY_KEY: HISTORY, ROW_KEY: {
        "call_id": call_id,
        "idempotency_key": idempotency_key,
        "content_hash": content_hash,
        "requested_date": requested_date,
        "reason_sha256": text_digest(reason),
        "fields_sha256": _EMPTY_FIELDS_SHA256 if fields == {} else json_digest(fields),
        "consequences_sha256": (json_digest(consequences) if consequences_text is None
                                else column_digest(consequences, consequences_text)),
        "refund_requested": refund_requested,
        "needs_review": needs_review,
        "effective_date": effective_date,
        "data_deletion_date": data_deletion_date,
        "reversal_deadline": reversal_deadline,
    }}


def callback_record(note: str | None) -> dict[str, Any]:
    """A version-2 `ticket.callback_recorded` (V-8): the note as its digest and length."""
    return {HISTORY_KEY: HISTORY, "rule": "V-8", "note_length": len(note or ""), "note_sha256": text_digest(note)}


def agent_record(pin_hash: str, display_name: str | None = None) -> dict[str, Any]:
    """What a version-2 `agent.created` or `agent.pin_reset` adds: digests, never the PIN."""
    record: dict[str, Any] = {HISTORY_KEY: HISTORY, "pin_hash_sha256": text_digest(pin_hash)}
    if display_name is not None:
        record["display_name_sha256"] = text_digest(display_name)
    return record
