"""Exports: tickets as CSV or JSON Lines, personal data masked, streamed, audited (E-1..E-3).

The format (schema version 1: the 29 fields in order, CSV and JSON Lines, masking, formula
neutralising, filters, audit, streaming) is described once, in docs/formats.md ("The export"),
and tests/unit/test_formats_doc.py checks it against FIELDS and `tickets/export/schema.json`.
`write_records` writes the records; running an export with its audit is `tickets.export.run`.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TextIO

from sqlalchemy import func, select
from sqlalchemy.orm import aliased
from sqlmodel import col

from tickets.dates import parse_when
from tickets.errors import InvalidInput
from tickets.export.fields import (  # noqa: F401 - the format, re-exported
    ANONYMOUS_ACTOR,
    BATCH_SIZE,
    FIELDS,
    FORMATS,
    PROGRESS_EVERY,
    SCHEMA_ID,
    SCHEMA_RESOURCE,
    SCHEMA_VERSION,
    TRIGGERS,
    ExportFilter,
    Format,
    csv_row,
    load_schema,
    neutralise_cell,
    recover_cell,
)
from tickets.export.fields import (
    iso as _iso,
)
from tickets.masking import mask_email, mask_name, mask_phone, scrub_text
from tickets.store.database import Store
from tickets.store.models import (
    Agent,
    Organization,
    Person,
    RenewalResource,
    Subscription,
    Ticket,
    VerificationAttempt,
    ticket_ref,
)


def _base_query(filt: ExportFilter):
    decider = aliased(Agent, name="decider")
    filer = aliased(Agent, name="filer")
    query = (
        select(
            col(Ticket.id),
            col(Ticket.kind),
            col(Ticket.status),
            col(Ticket.created_at),
            col(Ticket.updated_at),
            col(Organization.ref),
            col(Organization.name),
            col(Subscription.ref),
            col(Subscription.product),
            col(RenewalResource.ref),
            col(filer.name),
            col(decider.name),
            col(Ticket.decided_at),
            col(Ticket.decision_reason),
            col(Ticket.requested_date),
            col(Ticket.effective_date),
            col(Ticket.data_deletion_date),
            col(Ticket.reversal_deadline),
            col(Ticket.needs_review),
            col(Ticket.needs_callback),
            col(Ticket.callback_at),
            col(Ticket.rules),
            col(Ticket.checklist),
            col(Person.first_name),
            col(Person.last_name),
            col(Person.user_id),
            col(Person.phone_e164),
            # Only the one key of the kind-specific fields, not the whole document (M-3).
            col(Ticket.fields)["it_contact"].as_string(),
            col(Ticket.reason),
        )
        .select_from(Ticket)
        .join(Organization, col(Organization.id) == Ticket.organization_id)
        .join(Subscription, col(Subscription.id) == Ticket.subscription_id)
        .join(filer, col(filer.id) == Ticket.filed_by_id)
        .outerjoin(decider, col(decider.id) == Ticket.decided_by_id)
        .outerjoin(RenewalResource, col(RenewalResource.id) == Ticket.resource_id)
        .outerjoin(VerificationAttempt, col(VerificationAttempt.id) == Ticket.verification_id)
        .outerjoin(Person, col(Person.id) == VerificationAttempt.person_id)
    )
    if filt.since is not None:
        query = query.where(col(Ticket.created_at) >= filt.since)
    if filt.until is not None:
        query = query.where(col(Ticket.created_at) < filt.until)
    if filt.kinds:
        query = query.where(col(Ticket.kind).in_([k.value for k in filt.kinds]))
    if filt.statuses:
        query = query.where(col(Ticket.status).in_([s.value for s in filt.statuses]))
    return query


def _record(row: tuple[Any, ...], masked: bool) -> dict[str, Any]:
    (
        ticket_id, kind, status, created_at, updated_at, org_ref, org_name, sub_ref, product,
        resource, filed_by, decided_by, decided_at, decision_reason, requested_date,
        effective_date, data_deletion_date, reversal_deadline, needs_review, needs_callback,
        callback_at, rules, checklist, first_name, last_name, user_id, phone, it_contact, reason,
    ) = row
    if it_contact is not None and not isinstance(it_contact, str):
        it_contact = str(it_contact)
    if masked:
        caller_name = mask_name(first_name, last_name) if first_name or last_name else None
        user_id, phone, it_contact = mask_email(user_id), mask_phone(phone), mask_email(it_contact)
        names = (first_name, last_name)
        reason, decision_reason = scrub_text(reason, names), scrub_text(decision_reason, names)
    else:
        caller_name = " ".join(p for p in (first_name, last_name) if p) or None
    return {
        "schema_version": SCHEMA_VERSION,
        "ticket_ref": ticket_ref(ticket_id),
        "kind": kind,
        "status": status,
        "created_at": _iso(created_at),
        "updated_at": _iso(updated_at),
        "organization_ref": org_ref,
        "organization_name": org_name,
        "subscription_ref": sub_ref,
        "product": product,
        "resource_ref": resource,
        "filed_by": filed_by,
        "decided_by": decided_by,
        "decided_at": _iso(decided_at),
        "decision_reason": decision_reason,
        "requested_date": requested_date,
        "effective_date": effective_date,
        "data_deletion_date": data_deletion_date,
        "reversal_deadline": reversal_deadline,
        "needs_review": bool(needs_review),
        "needs_callback": bool(needs_callback),
        "callback_at": _iso(callback_at),
        "rules": [str(r) for r in rules or ()],
        "checklist": [str(c) for c in checklist or ()],
        "caller_name": caller_name,
        "caller_user_id": user_id,
        "caller_phone": phone,
        "it_contact": it_contact,
        "reason": reason,
    }


def iter_records(
    store: Store, filt: ExportFilter | None = None, *, masked: bool = True, batch_size: int = BATCH_SIZE
) -> Iterator[dict[str, Any]]:
    """The export records, oldest ticket first (E-3).

    Keyset pagination on the ticket id: each batch is one fresh query in its own short read
    session, selecting plain columns (no ORM objects), so neither memory nor a long-held
    snapshot grows with the table. A batch shorter than `batch_size` is the last one.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    filt = filt or ExportFilter()
    base = _base_query(filt).order_by(Ticket.id).limit(batch_size)
    last_id = start_after(store, filt)
    while last_id is not None:
        with store.read() as session:
            # Core execution on the session's connection: plain rows, no ORM loading machinery.
            rows = session.connection().execute(base.where(Ticket.id > last_id)).all()
        for row in rows:
            yield _record(tuple(row), masked)
        if len(rows) < batch_size:
            return
        last_id = rows[-1].id


def start_after(store: Store, filt: ExportFilter) -> int | None:
    """The ticket id the first batch starts after; None: no ticket matches.

    With `--since`, the first ticket created since then, found on the created_at index: a
    keyset scan from id 0 would read every older ticket before the first one it keeps."""
    if filt.since is None:
        return 0
    with store.read() as session:
        first = session.connection().execute(
            select(func.min(Ticket.id)).where(col(Ticket.created_at) >= filt.since)
        ).scalar()
    return None if first is None else first - 1


# --- writing ---------------------------------------------------------------------------------


def write_records(
    records: Iterable[dict[str, Any]],
    out: TextIO,
    *,
    fmt: Format,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write records to a text stream (opened with `newline=""` for CSV); returns the count.

    `progress(count)` is called every PROGRESS_EVERY records and once at the end.
    """
    count = 0
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(FIELDS)
        for record in records:
            writer.writerow(csv_row(record))
            count += 1
            if progress is not None and count % PROGRESS_EVERY == 0:
                progress(count)
    elif fmt == "jsonl":
        dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
        for record in records:
            out.write(dumps(record) + "\n")
            count += 1
            if progress is not None and count % PROGRESS_EVERY == 0:
                progress(count)
    else:
        raise InvalidInput({"--format": f"must be one of {', '.join(FORMATS)}, not {fmt!r}"})
    out.flush()
    if progress is not None:
        progress(count)
    return count


__all__ = [
    "BATCH_SIZE",
    "FIELDS",
    "FORMATS",
    "SCHEMA_ID",
    "SCHEMA_VERSION",
    "TRIGGERS",
    "ExportFilter",
    "csv_row",
    "iter_records",
    "load_schema",
    "mask_email",
    "mask_name",
    "mask_phone",
    "neutralise_cell",
    "parse_when",
    "recover_cell",
    "scrub_text",
    "start_after",
    "write_records",
]
