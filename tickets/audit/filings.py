"""A-1: each ticket row's fixed columns against its `ticket.filed` event, as verify walks the chain.

The rows are read by id beside the events (a merge: tickets are filed in id order, so the row
of the ticket being filed is the next one, or a few ahead where concurrent filings committed out
of order), and compared at once: nothing a ticket is kept for it until the rows are read again
(tickets.audit.compare, the columns that change), only a bit saying it differs. Before, a 16-byte
digest a ticket waited for that read (16 MB at a million tickets).

The comparison is the digest's: the values' reprs (tickets.audit.history.static_digest took
them), so that 1 and 1.0, or True and 1, still differ. Rows met before their filing event are
read again when it comes (a few ids kept); a row whose filer is not yet an agent of the events
(its creation event later in the chain) is compared at the end with every agent known, as it
was before (its filing's digest kept).
"""

from __future__ import annotations

import json.scanner
from collections.abc import Callable, Iterator
from datetime import datetime
from hashlib import sha256
from typing import Any

from tickets.audit.format import at_text, decoded_text
from tickets.audit.history import FIXED_DIFFERS, Histories, masked, static_digest
from tickets.audit.record import text_digest
from tickets.audit.source import Reader
from tickets.store.sqltext import Sql

# A ticket row's fixed columns, at the places of tickets.audit.compare's row (the columns that
# change read there, NULL here: each column is read once).
TICKETS = Sql(
    "SELECT t.id, t.kind, NULL, t.filed_by_id, t.created_at, NULL, s.ref AS subscription_ref, "
    "r.ref AS resource_ref, t.verification_id, "
    "t.call_id, t.idempotency_key, t.content_hash, t.requested_date, t.reason, t.fields, t.checklist, "
    "t.consequences, t.rules, t.needs_review, NULL, NULL, NULL, NULL, NULL, NULL, NULL, t.effective_date, NULL, "
    "t.reversal_deadline FROM ticket t LEFT JOIN subscription s ON s.id = t.subscription_id "
    "LEFT JOIN renewal_resource r ON r.id = t.resource_id WHERE t.id > :after ORDER BY t.id LIMIT :limit"
)
FILER = 3  # the row's filed_by_id, by place


def canonical_at(stored: str | datetime) -> str:
    """A stored time as the chain hashes it; SQLite stores "YYYY-MM-DD HH:MM:SS.ffffff" (UTC)."""
    if isinstance(stored, str) and len(stored) == 26 and stored[10] == " ":
        return f"{stored[:10]}T{stored[11:]}Z"
    if isinstance(stored, str) and stored.endswith("Z"):
        return stored  # PostgreSQL's to_char
    from tickets.store.rawsql import read_time  # PostgreSQL's datetimes (SQLAlchemy is loaded there)

    return at_text(read_time(stored))


def _at(stored: str | datetime | None) -> str | None:
    return None if stored is None else canonical_at(stored)


# json.loads without its wrappers (the C scanner): verify reads every event's details with it too.
scan = json.scanner.make_scanner(json.JSONDecoder())  # type: ignore[arg-type]
_decoded: dict[str, Any] = {}  # JSON texts that repeat from ticket to ticket (a kind's checklist, rules)


def _memo(fn: Callable[[Any], Any], size: int = 1024) -> Callable[[Any], Any]:
    """`fn` of texts that repeat from row to row (a reason, a form's fields, a mask): each once
    while at most `size` are kept (then forgotten at once: memory stays bounded)."""
    cache: dict[Any, Any] = {}

    def memo(value: Any) -> Any:
        try:
            return cache[value]
        except KeyError:
            pass
        except TypeError:  # unhashable: psycopg's decoded JSON
            return fn(value)
        if len(cache) >= size:
            cache.clear()
        found = cache[value] = fn(value)
        return found

    return memo


def _json_digest(value: Any) -> str:
    """json_digest of a JSON column (sqlite3: its text; psycopg: the value)."""
    return sha256(decoded_text(scan(value, 0)[0] if value.__class__ is str else value).encode()).hexdigest()


_column_digest = _memo(_json_digest)
_text_digest = _memo(text_digest)


def _json(value: Any) -> Any:
    """A JSON column: psycopg decodes it, sqlite3 hands back the text (read with the C scanner)."""
    if value.__class__ is str:
        found = _decoded.get(value)
        if found is None:
            if len(_decoded) > 512:
                _decoded.clear()
            found = _decoded[value] = scan(value, 0)[0]
        return found
    return value


def row_values(version: int, row: tuple, filer: str | None, mask: int) -> tuple:
    """The fixed columns of a ticket row (TICKETS's) in STATIC_V1 / STATIC_V2's order and form,
    None where its filing recorded nothing (tickets.audit.history.filed_mask); `filer`: the name
    of the agent its filed_by_id is by the events (None: none)."""
    values: tuple = (row[1], filer, _at(row[4]), row[6], row[7], row[8], _json(row[15]),
                     _json(row[17]))
    if version >= 2:
        values += (row[9], row[10], row[11], row[12], _text_digest(row[13]), _column_digest(row[14]),
                   _column_digest(row[16]), bool(row[18]), row[26], row[28])
    return masked(values, mask)


def ticket_row(raw: Reader, ticket_id: int) -> tuple | None:
    """One ticket's fixed columns (TICKETS's), or None."""
    found = raw.first(TICKETS, {"after": ticket_id - 1, "limit": 1})
    return found if found is not None and found[0] == ticket_id else None


class FiledRows:
    """The ticket rows in id order, met as their filings are (`row`)."""

    __slots__ = ("raw", "_rows", "_next", "early")

    def __init__(self, raw: Reader) -> None:
        self.raw = raw
        self._rows: Iterator[tuple] | None = None  # opened at the first filing: a chain without one reads none
        self._next: tuple | None = None
        self.early: set[int] = set()  # ids of rows met before their filing event (read again then)

    def row(self, ticket_id: int) -> tuple | None:
        """The row of the ticket whose filing event is being read, None if there is none."""
        if self._rows is None:
            self._rows = iter(self.raw.stream(TICKETS))
            self._next = next(self._rows, None)
        found = self._next
        while found is not None and found[0] < ticket_id:
            self.early.add(found[0])
            found = next(self._rows, None)
        if found is not None and found[0] == ticket_id:
            self._next = next(self._rows, None)
            return found
        self._next = found
        if ticket_id in self.early:
            self.early.discard(ticket_id)
            return ticket_row(self.raw, ticket_id)
        return None


def fixed_check(raw: Reader, histories: Histories) -> Callable[[int, int, int, int, tuple], None]:
    """What Histories calls on each filing (`on_filed`): the ticket's row compared with the values
    its filing fixed, FIXED_DIFFERS set on the ticket if they differ; its filing's digest kept for
    the end (`histories.deferred`) when its filer is not yet an agent of the events."""
    rows = FiledRows(raw)
    agents, flags, deferred = histories.agents, histories.flags, histories.deferred

    def on_filed(ticket_id: int, slot: int, version: int, mask: int, values: tuple) -> None:
        row = rows.row(ticket_id)
        if row is None:
            return  # no row: the rows' pass says so (its events have no row)
        filer = row[FILER]
        if filer is not None and filer not in agents:
            deferred[slot] = static_digest(values)
        elif repr(values) != repr(row_values(version, row, None if filer is None else agents[filer].name, mask)):
            flags[slot] |= FIXED_DIFFERS  # as static_digest compared them: by their reprs

    return on_filed
