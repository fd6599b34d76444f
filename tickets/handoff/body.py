"""The webhook's JSON body for one outbox row (documented field by field in docs/handoff.md):

    {"schema": "deskapp-handoff/1", "event": "ticket.approved", "event_seq": 812,
     "event_at": "2026-12-07T09:14:03.120000+00:00", "idempotency_key": "<the event's hash>",
     "destination": "billing", "ticket": {...the export record, masked...}}

`ticket` is the ticket as the masked export writes it (tickets.export.records: the same fields,
the same masking), read when the row is sent: `event` says what happened, `ticket` where the
ticket stands now.
"""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import col

from tickets.export.fields import ExportFilter
from tickets.handoff.outbox import Claimed
from tickets.store import rawsql
from tickets.store.database import Store
from tickets.store.models import Ticket

SCHEMA = "deskapp-handoff/1"
_EVENT_AT = rawsql.Sql("SELECT at FROM audit_event WHERE seq = :seq")
_DUMPS = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode


def ticket_record(store: Store, ticket_id: int) -> dict[str, Any] | None:
    """The ticket's masked export record (None: no such ticket)."""
    from tickets.export.records import _base_query, _record

    with store.read() as session:
        row = session.connection().execute(_base_query(ExportFilter()).where(col(Ticket.id) == ticket_id)).first()
    return None if row is None else _record(tuple(row), True)


def body_for(store: Store, row: Claimed) -> bytes | None:
    """The bytes to POST for `row` (None: its ticket is gone; nothing to send)."""
    record = ticket_record(store, row.ticket_id)
    if record is None:
        return None
    with store.raw_read() as raw:
        found = raw.first(_EVENT_AT, {"seq": row.event_seq})
    at = rawsql.read_time(found.at).isoformat() if found is not None else None
    return _DUMPS({
        "schema": SCHEMA,
        "event": f"ticket.{row.occasion}",
        "event_seq": row.event_seq,
        "event_at": at,
        "idempotency_key": row.event_key,
        "destination": row.destination,
        "ticket": record,
    }).encode()
