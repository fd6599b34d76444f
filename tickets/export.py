"""Exports: tickets as CSV or JSON Lines, personal data masked, streamed, audited (E-1..E-3).

## Export format (schema version 1)

`deskapp export --format csv|jsonl` writes one record per ticket, oldest ticket first (by
ticket number). Both formats carry the same fields in the same order; JSON Lines records are
described by the JSON Schema shipped in the package (`tickets/export_schema.json`, draft
2020-12, `$id` `urn:deskapp:schema:export-record:1`).

| # | Field | JSON type | Meaning (rule behind it) |
|---|-------|-----------|--------------------------|
| 1 | `schema_version` | string, always `"1"` | version of this format |
| 2 | `ticket_ref` | string `TK-000123` | the ticket |
| 3 | `kind` | string: `cancel_end_of_term`, `cancel_early`, `expedited_deprovisioning`, `migration_on_premises`, `reversal`, `ims_cancellation`, `unsubscribe_resource` | what was asked for (C, X, M, R, I, U) |
| 4 | `status` | string: `open`, `pending_review`, `approved`, `rejected`, `in_progress`, `resolved`, `withdrawn` | lifecycle (T-2) |
| 5 | `created_at` | date-time | when it was filed |
| 6 | `updated_at` | date-time | last change |
| 7 | `organization_ref` | string | the directory's organization key |
| 8 | `organization_name` | string | as it shows on the subscription (V-1) |
| 9 | `subscription_ref` | string | the subscription |
| 10 | `product` | string: `o365`, `intune`, `d365`, `cloud` | which product's rules apply |
| 11 | `resource_ref` | string or null | the renewal resource (U-1, U-2) |
| 12 | `filed_by` | string | sign-in name of the agent who filed it |
| 13 | `decided_by` | string or null | supervisor who approved or rejected it; never the filer (X-2) |
| 14 | `decided_at` | date-time or null | when (X-2) |
| 15 | `decision_reason` | string or null | the supervisor's reason (free text) |
| 16 | `requested_date` | date or null | the day the customer asked for (V-1 [D365]) |
| 17 | `effective_date` | date or null | when the cancellation takes effect (T-1) |
| 18 | `data_deletion_date` | date or null | when the data is deleted (T-1, C-8, X-1) |
| 19 | `reversal_deadline` | date or null | last day to reverse (T-1, R-1) |
| 20 | `needs_review` | boolean | a supervisor must approve it (X-2) |
| 21 | `needs_callback` | boolean | a callback to the number on file is required (V-8) |
| 22 | `callback_at` | date-time or null | when that callback was made (V-8) |
| 23 | `rules` | array of rule IDs, e.g. `["C-1", "C-8"]` | the rules behind the decision |
| 24 | `checklist` | array of strings | checklist items confirmed with the caller (C-7, X-2, M-3 ...) |
| 25 | `caller_name` | string or null | the verified caller (V-1); masked: initials `A. S.` |
| 26 | `caller_user_id` | string or null | the caller's sign-in ID; masked: `a***@contoso.co.uk` |
| 27 | `caller_phone` | string or null | the caller's phone (E.164); masked: `***0958` |
| 28 | `it_contact` | string or null | IT contact for a migration (M-3); masked like an e-mail |
| 29 | `reason` | string or null | the agent's free-text reason |

- **Dates and times.** Date-times are ISO 8601 UTC to the second, `2026-11-22T12:00:00Z`;
  dates are `2026-11-22`. Absent values are `null` in JSON Lines and an empty cell in CSV.
- **CSV.** UTF-8 without a byte-order mark, comma separated, `\\r\\n` line ends, a header row
  with the field names above, quoted where needed (RFC 4180). Booleans are `true` / `false`;
  `rules` and `checklist` are joined with one space.
- **Masking (E-1).** By default: phone numbers keep only their last 4 digits (`***0958`),
  e-mail addresses and sign-in IDs their first character and domain (`a***@contoso.co.uk`),
  names become initials (`A. S.`). In `reason` and `decision_reason`, text that looks like an
  e-mail address or a phone number (7 digits or more, ISO dates excepted) and the caller's own
  first and last name are masked the same way; this is best effort, the agents are asked not
  to type personal data there.
  `--unmasked` is for supervisors only (`--agent NAME`, PIN asked for) and exports names,
  sign-in IDs, phone numbers and the IT contact in full.
- **Never exported**, masked or not: street address lines and postal codes, PIN hashes,
  verification details. Nothing downstream needs them.
- **Formula neutralising (E-2), CSV only.** A cell that starts with `=`, `+`, `-`, `@`, tab,
  carriage return, line feed or a full-width `＝ ＋ － ＠` is prefixed with one `'` so that
  spreadsheets show it as text. So that this can be undone exactly, a cell that starts with one
  or more `'` followed by one of those characters gets one more `'` as well. To recover the
  original value: if a cell starts with one or more `'` followed by a trigger character,
  remove exactly one leading `'` (`tickets.export.recover_cell`). JSON Lines values are raw.
- **Filters.** `--since` (inclusive) and `--until` (exclusive) compare with `created_at`; each
  takes an ISO date (`2026-11-01`, the start of that day UTC) or date-time (without an offset
  it is taken as UTC). `--kind` and `--status` may be repeated.
- **Audit (E-1, A-1).** Every export appends an `export.started` audit event before the first
  record leaves (so no export leaves without a trace: on a database that cannot record it,
  nothing is exported), and `export.created` after the last one, masked or not: format,
  filters, masked, row count, who (the signed-in agent, or `cli`) and `anchor`, the started
  event's `SEQ:HASH`. An export that fails part-way appends `export.failed` with the rows
  written so far; a refused unmasked export appends `export.refused`. The anchor also goes
  beside the output (tickets.export_run.write_anchor_file): `FILE.anchor`.
- **Streaming (E-3).** Records are read by ticket number in batches of 2,000, each a fresh
  query, so memory stays flat however many tickets there are. Each batch sees the latest
  committed state.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from typing import Any, Literal, TextIO

from sqlalchemy import select
from sqlalchemy.orm import aliased
from sqlmodel import col

from tickets.account import ticket_ref
from tickets.dates import parse_when
from tickets.enums import TicketKind, TicketStatus
from tickets.errors import InvalidInput
from tickets.masking import mask_email, mask_name, mask_phone, scrub_text
from tickets.models import Agent, Organization, Person, RenewalResource, Subscription, Ticket, VerificationAttempt
from tickets.store import Store

SCHEMA_VERSION = "1"
SCHEMA_ID = "urn:deskapp:schema:export-record:1"
SCHEMA_RESOURCE = "export_schema.json"
BATCH_SIZE = 2000
PROGRESS_EVERY = 1000
ANONYMOUS_ACTOR = "cli"  # who the audit event names when no agent signed in
FORMATS = ("csv", "jsonl")
Format = Literal["csv", "jsonl"]

FIELDS: tuple[str, ...] = (
    "schema_version",
    "ticket_ref",
    "kind",
    "status",
    "created_at",
    "updated_at",
    "organization_ref",
    "organization_name",
    "subscription_ref",
    "product",
    "resource_ref",
    "filed_by",
    "decided_by",
    "decided_at",
    "decision_reason",
    "requested_date",
    "effective_date",
    "data_deletion_date",
    "reversal_deadline",
    "needs_review",
    "needs_callback",
    "callback_at",
    "rules",
    "checklist",
    "caller_name",
    "caller_user_id",
    "caller_phone",
    "it_contact",
    "reason",
)


def load_schema() -> dict[str, Any]:
    """The JSON Schema of one JSON Lines record, as shipped in the package."""
    return json.loads(resources.files("tickets").joinpath(SCHEMA_RESOURCE).read_text(encoding="utf-8"))


# --- formula neutralising (E-2) --------------------------------------------------------------

# What makes a spreadsheet read a cell as a formula, half-width and full-width.
TRIGGERS = frozenset("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")
_ESCAPED = re.compile("'*[" + re.escape("".join(sorted(TRIGGERS))) + "]")
_NEUTRALISED = re.compile("'+[" + re.escape("".join(sorted(TRIGGERS))) + "]")


def neutralise_cell(value: str) -> str:
    """E-2: prefix one `'` to a cell that starts with a trigger, or with quotes then a trigger.

    Quotes already in front of a trigger get one more too, so that `recover_cell` can always
    take exactly one away: `=1` -> `'=1`, `'=1` -> `''=1`, `'x` stays `'x`.
    """
    return "'" + value if _ESCAPED.match(value) else value


def recover_cell(value: str) -> str:
    """The inverse of `neutralise_cell`: remove one `'` from `'...'` followed by a trigger."""
    return value[1:] if _NEUTRALISED.match(value) else value


# --- filters ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportFilter:
    """Which tickets: created in [since, until), of these kinds and statuses (empty: all)."""

    since: datetime | None = None
    until: datetime | None = None
    kinds: tuple[TicketKind, ...] = ()
    statuses: tuple[TicketStatus, ...] = ()

    def __post_init__(self) -> None:
        for name in ("since", "until"):
            value = getattr(self, name)
            if value is not None and (value.tzinfo is None or value.utcoffset() is None):
                raise InvalidInput({name: "must be an aware datetime (UTC)"})
        if self.since is not None and self.until is not None and self.since >= self.until:
            raise InvalidInput({"--until": "must be later than --since"})
        object.__setattr__(self, "kinds", tuple(TicketKind(k) for k in self.kinds))
        object.__setattr__(self, "statuses", tuple(TicketStatus(s) for s in self.statuses))

    def as_dict(self) -> dict[str, Any]:
        """For the audit event."""
        return {
            "since": _iso(self.since),
            "until": _iso(self.until),
            "kinds": sorted(k.value for k in self.kinds),
            "statuses": sorted(s.value for s in self.statuses),
        }


# --- reading (E-3) ---------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    """`2026-11-22T12:00:00Z` (isoformat is several times faster than strftime)."""
    if value is None:
        return None
    if value.utcoffset():
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def _base_query(filt: ExportFilter):
    decider = aliased(Agent, name="decider")
    filer = aliased(Agent, name="filer")
    query = (
        select(
            Ticket.id,
            Ticket.kind,
            Ticket.status,
            Ticket.created_at,
            Ticket.updated_at,
            Organization.ref,
            Organization.name,
            Subscription.ref,
            Subscription.product,
            RenewalResource.ref,
            filer.name,
            decider.name,
            Ticket.decided_at,
            Ticket.decision_reason,
            Ticket.requested_date,
            Ticket.effective_date,
            Ticket.data_deletion_date,
            Ticket.reversal_deadline,
            Ticket.needs_review,
            Ticket.needs_callback,
            Ticket.callback_at,
            Ticket.rules,
            Ticket.checklist,
            Person.first_name,
            Person.last_name,
            Person.user_id,
            Person.phone_e164,
            # Only the one key of the kind-specific fields, not the whole document (M-3).
            col(Ticket.fields)["it_contact"].as_string(),
            Ticket.reason,
        )
        .select_from(Ticket)
        .join(Organization, Organization.id == Ticket.organization_id)
        .join(Subscription, Subscription.id == Ticket.subscription_id)
        .join(filer, filer.id == Ticket.filed_by_id)
        .outerjoin(decider, decider.id == Ticket.decided_by_id)
        .outerjoin(RenewalResource, RenewalResource.id == Ticket.resource_id)
        .outerjoin(VerificationAttempt, VerificationAttempt.id == Ticket.verification_id)
        .outerjoin(Person, Person.id == VerificationAttempt.person_id)
    )
    if filt.since is not None:
        query = query.where(Ticket.created_at >= filt.since)
    if filt.until is not None:
        query = query.where(Ticket.created_at < filt.until)
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
    base = _base_query(filt or ExportFilter()).order_by(Ticket.id).limit(batch_size)
    last_id = 0
    while True:
        with store.read() as session:
            # Core execution on the session's connection: plain rows, no ORM loading machinery.
            rows = session.connection().execute(base.where(Ticket.id > last_id)).all()
        for row in rows:
            yield _record(tuple(row), masked)
        if len(rows) < batch_size:
            return
        last_id = rows[-1][0]


# --- writing ---------------------------------------------------------------------------------


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        value = " ".join(value)
    return neutralise_cell(str(value))


def csv_row(record: dict[str, Any]) -> list[str]:
    """One record as CSV cells, in field order, neutralised (E-2)."""
    return [_csv_cell(record[name]) for name in FIELDS]


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


# Running an export (the audit around it) lives in tickets.export_run; imported here last so
# that `from tickets.export import write_export` keeps working.
from tickets.export_run import authorise_unmasked, check_unmasking, write_export  # noqa: E402

__all__ = [
    "BATCH_SIZE",
    "FIELDS",
    "FORMATS",
    "SCHEMA_ID",
    "SCHEMA_VERSION",
    "TRIGGERS",
    "ExportFilter",
    "authorise_unmasked",
    "check_unmasking",
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
    "write_export",
    "write_records",
]
