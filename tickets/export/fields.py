"""The export's format without any database code: its fields, E-2's neutralising, the filter,
and one record as CSV cells. `deskapp export` on SQLite (tickets.export.lite) loads only this,
the masking and the standard library; tickets.export.records re-exports all of it."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from tickets.enums import TicketKind, TicketStatus
from tickets.errors import InvalidInput
from tickets.frozen import FrozenValue

SCHEMA_VERSION = "1"
SCHEMA_ID = "urn:deskapp:schema:export-record:1"
SCHEMA_RESOURCE = "schema.json"
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
    from importlib import resources

    return json.loads(resources.files("tickets.export").joinpath(SCHEMA_RESOURCE).read_text(encoding="utf-8"))


# --- formula neutralising (E-2) --------------------------------------------------------------

# What makes a spreadsheet read a cell as a formula, half-width and full-width.
TRIGGERS = frozenset("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")
# Compiled on first use (re's cache): most exports never neutralise a cell.
_ESCAPED = "'*[" + re.escape("".join(sorted(TRIGGERS))) + "]"
_NEUTRALISED = "'+[" + re.escape("".join(sorted(TRIGGERS))) + "]"


def neutralise_cell(value: str) -> str:
    """E-2: prefix one `'` to a cell that starts with a trigger, or with quotes then a trigger.

    Quotes already in front of a trigger get one more too, so that `recover_cell` can always
    take exactly one away: `=1` -> `'=1`, `'=1` -> `''=1`, `'x` stays `'x`.
    """
    return "'" + value if re.match(_ESCAPED, value) else value


def recover_cell(value: str) -> str:
    """The inverse of `neutralise_cell`: remove one `'` from `'...'` followed by a trigger."""
    return value[1:] if re.match(_NEUTRALISED, value) else value


# --- filters ---------------------------------------------------------------------------------


class ExportFilter(FrozenValue):
    """Which tickets: created in [since, until), of these kinds and statuses (empty: all).
    Immutable, compared and hashed by value."""

    __slots__ = ("since", "until", "kinds", "statuses")
    since: datetime | None
    until: datetime | None
    kinds: tuple[TicketKind, ...]
    statuses: tuple[TicketStatus, ...]

    def __init__(self, since: datetime | None = None, until: datetime | None = None,
                 kinds: tuple[TicketKind, ...] = (), statuses: tuple[TicketStatus, ...] = ()) -> None:
        for name, value in (("since", since), ("until", until)):
            if value is not None and (value.tzinfo is None or value.utcoffset() is None):
                raise InvalidInput({name: "must be an aware datetime (UTC)"})
        if since is not None and until is not None and since >= until:
            raise InvalidInput({"--until": "must be later than --since"})
        self._set(since=since, until=until, kinds=tuple(TicketKind(k) for k in kinds),
                  statuses=tuple(TicketStatus(s) for s in statuses))

    def as_dict(self) -> dict[str, Any]:
        """For the audit event."""
        return {
            "since": iso(self.since),
            "until": iso(self.until),
            "kinds": sorted(k.value for k in self.kinds),
            "statuses": sorted(s.value for s in self.statuses),
        }


def iso(value: datetime | None) -> str | None:
    """`2026-11-22T12:00:00Z` (isoformat is several times faster than strftime)."""
    if value is None:
        return None
    if value.utcoffset():
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


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


def audit_details(fmt: str, filt: ExportFilter, *, masked: bool, by: str, agent_role: str | None) -> dict[str, Any]:
    """What export.started (then created or failed) records about an export (A-1, E-1)."""
    return {
        "format": fmt,
        "schema_version": SCHEMA_VERSION,
        "filters": filt.as_dict(),
        "masked": masked,
        "by": by,
        "agent_role": agent_role,
        "rule": "E-1",
    }


def write_anchor_file(target: Path, anchor: Any) -> Path:
    """FILE.anchor beside an export FILE: the export.started event's SEQ:HASH (A-1), one line
    `deskapp audit verify --anchors FILE.anchor` reads. CSV has no room for a trailer and JSON
    Lines records follow a fixed schema, so the anchor goes beside the output, not in it."""
    sidecar = target.with_name(target.name + ".anchor")
    # Written beside it under a name nobody could have planted (created exclusively), then
    # renamed over FILE.anchor: a rename replaces a link planted there, it never writes through
    # it to the file it points at.
    import os
    import tempfile

    fd, temporary = tempfile.mkstemp(prefix=f".{sidecar.name}.", dir=sidecar.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(f"{anchor}  export.started for {target.name}\n")
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, sidecar)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return sidecar
