"""The masked export on SQLite: the database and a few memoised fragments make each line.

A Python call per cell (masking, neutralising, ISO dates, JSON decoding of `rules` and
`checklist`) cost five to ten times what the `sqlite3` shell needs for the same rows. Here one
statement per batch returns, for each ticket, the line's `head` (the fields up to `callback_at`:
dates, booleans, `TK-` refs, the stored masked free text, in one `printf`), its `tail` (the
`reason`), and the raw values of the fields between them. Those repeat from ticket to ticket
(rules, checklist, the caller, the IT contact) and are made by the Python code's own functions
(masking E-1, JSON decoding, CSV cells) once per distinct value (_Fragments).

What the SQL does not escape, Python checks with a few C-speed string tests per line: CSV cells
that need RFC 4180 quoting or E-2 neutralising (csv_head, csv_cell), JSON values that would
need an escape (json_head_plain), and the caller's names in the free text (scrub_text's own
casefold test, in _lines), which would make the stored masked text (`reason_scrubbed`,
tickets.masking.scrub_stored) differ from what the export writes. A row that fails a test, or
whose stored masked text is stale, is written by the Python code whole (`tickets.export.records._record`,
loaded only then),
so the output is byte for byte what `write_records` writes.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from json.encoder import py_encode_basestring
from typing import TYPE_CHECKING, Any, Protocol, TextIO, cast, runtime_checkable

from tickets.export.fields import (
    BATCH_SIZE,
    FIELDS,
    PROGRESS_EVERY,
    SCHEMA_VERSION,
    TRIGGERS,
    ExportFilter,
    Format,
    csv_row,
    neutralise_cell,
)
from tickets.masking import mask_email, mask_name, mask_phone
from tickets.store.lite import sqlite_time

if TYPE_CHECKING:  # pragma: no cover
    from tickets.store.database import Store

def _iso(v: str, *, nullable: bool = False) -> str:
    """`2026-11-22 12:00:00.000000` (UTCDateTime's text in SQLite) -> `2026-11-22T12:00:00Z`."""
    made = f"printf('%.10sT%.8sZ', {v}, substr({v}, 12))"
    return f"CASE WHEN {v} IS NOT NULL THEN {made} END" if nullable else made


def _free_text(text: str) -> str:
    return f"CASE WHEN t.{text} IS NULL OR t.{text} = '' THEN t.{text} ELSE t.{text}_scrubbed END"


# One batch, one row a ticket: `head`, the line's fields up to `callback_at` made by SQLite
# (CSV: raw cells separated by SEP, checked and joined in Python; JSON Lines: final), `tail` its
# last field (`reason`), and the raw values of the fields between them, which repeat from row to
# row and are made once each by the Python code itself (rules, checklist, the caller, it_contact:
# _Fragments). `head` is NULL where the free text cannot be taken from the stored masked value
# (the caller's name may be in it): such rows are written by the Python code whole.
SEP = "\x1f"
_HEAD_FIELDS = FIELDS[:FIELDS.index("callback_at") + 1]
_MEMO_FIELDS = ("rules", "checklist", "caller_name", "caller_user_id", "caller_phone", "it_contact")
assert FIELDS == (*_HEAD_FIELDS, *_MEMO_FIELDS, "reason")

# json_extract parses the whole document: only where the key may be (its name, or an escape).
# The caller is va.person_id, its person read once (_Fragments.read_people; a person row that
# is gone reads as no caller, as an outer join to it would): one join a row fewer.
_BATCH = """SELECT t.id AS ticket_id, CASE WHEN {ok} THEN {head} END AS head, {tail} AS tail, va.person_id AS person_id,
 CASE WHEN instr(t.fields, 'it_contact') OR instr(t.fields, '\\') THEN json_extract(t.fields, '$."it_contact"') END
 AS it_contact, t.rules, t.checklist, {decision} AS decision
FROM ticket AS t
 JOIN organization AS o ON o.id = t.organization_id
 JOIN subscription AS s ON s.id = t.subscription_id
 JOIN agent AS filer ON filer.id = t.filed_by_id
 LEFT OUTER JOIN agent AS decider ON decider.id = t.decided_by_id
 LEFT OUTER JOIN renewal_resource AS rr ON rr.id = t.resource_id
 LEFT OUTER JOIN verification_attempt AS va ON va.id = t.verification_id
WHERE t.id > :last_id{where}
ORDER BY t.id LIMIT :limit"""

# The stored masked text is missing (stale: the text changed since) where it is NULL and the text is not.
_OK = " AND ".join(f"(t.{text} IS NULL OR t.{text} = '' OR t.{text}_scrubbed IS NOT NULL)"
                   for text in ("reason", "decision_reason"))

# The head's values: (printf conversion, arguments) for CSV, and for JSON Lines where it differs.
_ISO_FORM = ("%.10sT%.8sZ", "{v}, substr({v}, 12)")
_HEAD: dict[str, tuple[str, str]] = {
    "schema_version": (SCHEMA_VERSION, ""),
    "ticket_ref": ("TK-%06d", "t.id"),
    "kind": ("%s", "t.kind"), "status": ("%s", "t.status"),
    "created_at": (_ISO_FORM[0], _ISO_FORM[1].format(v="t.created_at")),
    "updated_at": (_ISO_FORM[0], _ISO_FORM[1].format(v="t.updated_at")),
    "organization_ref": ("%s", "o.ref"), "organization_name": ("%s", "o.name"),
    "subscription_ref": ("%s", "s.ref"), "product": ("%s", "s.product"), "resource_ref": ("%s", "rr.ref"),
    "filed_by": ("%s", "filer.name"), "decided_by": ("%s", "decider.name"),
    "decided_at": ("%s", _iso("t.decided_at", nullable=True)),
    "decision_reason": ("%s", _free_text("decision_reason")),
    "requested_date": ("%s", "t.requested_date"), "effective_date": ("%s", "t.effective_date"),
    "data_deletion_date": ("%s", "t.data_deletion_date"), "reversal_deadline": ("%s", "t.reversal_deadline"),
    "needs_review": ("%s", "CASE WHEN t.needs_review THEN 'true' ELSE 'false' END"),
    "needs_callback": ("%s", "CASE WHEN t.needs_callback THEN 'true' ELSE 'false' END"),
    "callback_at": ("%s", _iso("t.callback_at", nullable=True)),
}
assert tuple(_HEAD) == _HEAD_FIELDS
# JSON Lines: each value between quotes as it is, NULL as null; Python checks that none needed
# escaping (_json_head_plain). Values that are never NULL (NOT NULL columns, inner joins):
_JSON_NOT_NULL = ("schema_version", "ticket_ref", "kind", "status", "created_at", "updated_at", "organization_ref",
                  "organization_name", "subscription_ref", "product", "filed_by")
_JSON_BARE = ("needs_review", "needs_callback")  # true / false


def _csv_head() -> str:
    """The head's cells as the record holds them (neither neutralised nor quoted), each followed
    by SEP."""
    form = "".join(conv + SEP for conv, _ in _HEAD.values())
    args = ", ".join(a for _, a in _HEAD.values() if a)
    return f"printf('{form}', {args})"


def _jsonl_head() -> str:
    """`{"schema_version":"1",...,"callback_at":...` with each text value between quotes as it
    is (no escaping: Python checks the head, see _json_head_plain) and NULL as null."""
    keys, args = [], []
    for name, (conv, arg) in _HEAD.items():
        if name in _JSON_BARE:
            keys.append(f'"{name}":{conv}')
        elif name in _JSON_NOT_NULL:
            keys.append(f'"{name}":"{conv}"')
        else:
            keys.append(f'"{name}":%s')
            arg = f"""coalesce('"' || {arg} || '"', 'null')"""
        if arg:
            args.append(arg)
    return "printf('{" + ",".join(keys) + "', " + ", ".join(args) + ")"


# Each key's two quotes, and two for each value that is not NULL or a boolean.
_JSON_HEAD_QUOTES = 2 * len(_HEAD) + 2 * (len(_HEAD) - len(_JSON_BARE))


def json_head_plain(head: str) -> bool:
    """The head as json.dumps(ensure_ascii=False) would write it: no value holds a quote, a
    backslash or a control character (it needs no escape). The JSON encoder's own escaping
    lengthens the head by one or more for each of those, the head's own quotes included; a NULL
    takes two quotes away and adds a `null`, and so does `null` in a value: so the length is
    right only if no value needed an escape."""
    nulls = head.count("null")
    if head.isascii():  # the same test, faster: keep only what JSON escapes; all must be quotes
        return nulls <= _JSON_HEAD_QUOTES // 2 and head.encode().translate(None, _NOT_ESCAPED) == _JSON_QUOTES[nulls]
    return len(_escaped(head)) == len(head) + 2 + _JSON_HEAD_QUOTES - 2 * nulls


# The C encoder where the interpreter has one (json.encoder's c_encode_basestring, None
# otherwise; typeshed does not declare it), else the Python one.
_escaped: Callable[[str], str] = getattr(json.encoder, "c_encode_basestring", None) or py_encode_basestring
# The head's own quotes, by the number of nulls in it.
_JSON_QUOTES = [b'"' * (_JSON_HEAD_QUOTES - 2 * nulls) for nulls in range(_JSON_HEAD_QUOTES // 2 + 1)]
_NOT_ESCAPED = bytes(b for b in range(128) if b >= 0x20 and b not in b'"\\')  # ASCII that JSON writes as it is


# The tail is the reason as stored (masked) in both formats: JSON Lines quotes it in Python,
# with json.dumps's own encoder (cheaper than json_quote and the concatenations in SQL).
_PARTS = {"csv": (_csv_head(), _free_text("reason")), "jsonl": (_jsonl_head(), _free_text("reason"))}


# Where batch_sql's row holds the ticket's id and the person's: the hot loop reads these rows by
# position (the plain sqlite3 source of tickets.export.lite yields tuples, which cost least).
TICKET_ID, PERSON_ID = 0, 3


def batch_sql(fmt: str, filt: ExportFilter) -> tuple[str, dict[str, object]]:
    """The statement for one batch (`:last_id`, `:limit` to be bound) and the filter's values.

    Each row is `(ticket_id, head, tail, person_id, it_contact, rules, checklist, decision)`; the head is
    NULL where the Python code has to write the whole line."""
    where: list[str] = []
    params: dict[str, object] = {}
    if filt.since is not None:
        where.append("t.created_at >= :since")
        params["since"] = _stored_time(filt.since)
    if filt.until is not None:
        where.append("t.created_at < :until")
        params["until"] = _stored_time(filt.until)
    for column, values in (("kind", filt.kinds), ("status", filt.statuses)):
        if values:
            names = [f"{column}_{n}" for n in range(len(values))]
            where.append(f"t.{column} IN ({', '.join(':' + n for n in names)})")
            params.update(zip(names, (v.value for v in values), strict=True))
    head, tail = _PARTS[fmt]
    sql = _BATCH.format(where="".join(" AND " + w for w in where), ok=_OK, head=head, tail=tail,
                        decision=_free_text("decision_reason"))
    return sql, params


def _stored_time(moment) -> str:
    return sqlite_time(moment)


# CSV: a head needs more than joining its cells with commas where a cell holds a quote, a comma
# or a line end (RFC 4180 quoting) or may start a formula (E-2: a trigger or a quote first).
_CSV_SPECIAL_START = re.compile(SEP + "['" + re.escape("".join(sorted(TRIGGERS))) + "]")
_CSV_HEAD_SEPS = len(_HEAD_FIELDS)
_MAY_START_FORMULA = frozenset(TRIGGERS | {"'"})


def csv_cell(value: str | None) -> str:
    """One text cell as `csv_row` and csv.writer (QUOTE_MINIMAL, `\r\n`) write it."""
    if not value:
        return ""
    if value[0] in _MAY_START_FORMULA:
        value = neutralise_cell(value)
    if '"' in value or "," in value or "\r" in value or "\n" in value:
        return '"' + value.replace('"', '""') + '"'
    return value


# Lines joined into one write: a write a line costs more than the join, and a chunk past
# malloc's mmap threshold (128 KiB) costs page faults each time (0.20 against 0.33 us a line
# written one by one and 0.44 a batch at once, 560-character lines).
WRITE_LINES = 128
MEMO_LIMIT = 20_000  # values a memo holds at most (a few MB)


class _Memo(dict):
    """A dict that makes a missing value with `make(key)` once."""

    __slots__ = ("make",)

    def __init__(self, make: Callable[[Any], Any]) -> None:
        super().__init__()
        self.make = make

    def __missing__(self, key: Any) -> Any:
        made = self[key] = self.make(key)
        return made


class _Fragments:
    """The fields between head and tail, made by the Python code (masking, JSON decoding) once
    for each distinct value in an export: a ticket's rules and checklist repeat, and so do
    callers (by person id, read once) and IT contacts. Each fragment ends with the separator
    the next field needs."""

    def __init__(self, fmt: Format) -> None:
        self.csv = fmt == "csv"
        self.encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
        # As the JSON column type and _record read them.
        self.rules = _Memo(lambda stored: self._value("rules", [str(v) for v in json.loads(stored) or ()]))
        self.checklist = _Memo(lambda stored: self._value("checklist", [str(v) for v in json.loads(stored) or ()]))
        self.contacts = _Memo(lambda stored: self._value(
            "it_contact", mask_email(stored if stored is None or isinstance(stored, str) else str(stored))))
        self.people: dict[int | None, tuple[str, tuple[str, ...]]] = {None: self._caller(None, None, None, None)}

    def _value(self, name: str, value: Any) -> str:
        if self.csv:
            return ("" if value is None else csv_cell(" ".join(value) if isinstance(value, list) else value)) + ","
        return f',"{name}":' + self.encode(value)

    def _caller(self, first_name, last_name, user_id, phone) -> tuple[str, tuple[str, ...]]:
        """The caller's three fields, and the names scrub_text would look for in free text
        (stripped, 2 characters or more, casefolded)."""
        name = mask_name(first_name, last_name) if first_name or last_name else None
        fragment = (self._value("caller_name", name) + self._value("caller_user_id", mask_email(user_id))
                    + self._value("caller_phone", mask_phone(phone)))
        words = tuple(n.strip().casefold() for n in (first_name, last_name) if n and len(n.strip()) >= 2)
        return fragment, words

    def bound(self) -> None:
        """Memory stays flat (E-3): a memo grown past MEMO_LIMIT values (IT contacts may all
        differ) starts again; call it between batches."""
        for memo in (self.rules, self.checklist, self.contacts):
            if len(memo) > MEMO_LIMIT:
                memo.clear()
        if len(self.people) > MEMO_LIMIT:
            nobody = self.people[None]
            self.people.clear()
            self.people[None] = nobody

    def read_people(self, batch: Batch, ids: set[int]) -> None:
        ids = ids.difference(self.people)
        if ids:
            for person_id, *values in batch.people(json.dumps(sorted(ids))):
                self.people[person_id] = self._caller(*values)
            nobody = self.people[None]
            for person_id in ids.difference(self.people):  # no such person: as the outer join's NULL
                self.people[person_id] = nobody


_PEOPLE = ("SELECT id, first_name, last_name, user_id, phone_e164 FROM person "
           "WHERE id IN (SELECT value FROM json_each(?))")


def csv_head(head: str) -> str | None:
    """The head's cells (each followed by SEP) as CSV cells (each followed by a comma), or None
    if a value holds SEP itself."""
    if head.count(SEP) != _CSV_HEAD_SEPS:
        return None
    if ('"' in head or "," in head or "\r" in head or "\n" in head or head[:1] in _MAY_START_FORMULA
            or _CSV_SPECIAL_START.search(head)):
        return ",".join(map(csv_cell, head.split(SEP)))
    return head.replace(SEP, ",")


def _lines(rows: list[tuple], parts: _Fragments) -> list[str | None]:
    """Each row's line, None where the Python code has to write the row: where one of the
    caller's names is in the casefold of the reason or the decision's text (scrub_text's test:
    the stored masked text would not be what the export writes; a name found across the two,
    joined by NUL, only sends a row to Python too), or where a test below refuses the head.
    csv_head's common case is written out here (a call a row costs)."""
    people, contacts, rules_of, checklist_of = parts.people, parts.contacts, parts.rules, parts.checklist
    is_csv, may_start, plain = parts.csv, _MAY_START_FORMULA, json_head_plain
    not_escaped, quotes, max_nulls = _NOT_ESCAPED, _JSON_QUOTES, _JSON_HEAD_QUOTES // 2
    seps, special, quote = _CSV_HEAD_SEPS, _CSV_SPECIAL_START.search, _escaped
    lines: list[str | None] = []
    append = lines.append
    for _ticket_id, head, tail, person_id, it_contact, rules, checklist, decision in rows:
        caller, words = people[person_id]
        if head is None:
            append(None)
            continue
        if words:
            folded = (f"{tail or ''}\x00{decision}" if decision else tail or "").casefold()
            found = False
            for word in words:
                if word in folded:
                    found = True
                    break
            if found:
                append(None)
                continue
        if not is_csv:  # json_head_plain, its ASCII case written out
            if head.isascii():
                nulls = head.count("null")
                if nulls > max_nulls or head.encode().translate(None, not_escaped) != quotes[nulls]:
                    append(None)
                    continue
            elif not plain(head):
                append(None)
                continue
            tail = f',"reason":{quote(tail)}}}\n' if tail is not None else ',"reason":null}\n'
        else:
            if (head.count(SEP) == seps and '"' not in head and "," not in head and "\r" not in head
                    and "\n" not in head and head[:1] not in may_start and not special(head)):
                head = head.replace(SEP, ",")  # csv_head's common case
            elif (head := csv_head(head)) is None:
                append(None)
                continue
            if not tail:
                tail = "\r\n"
            elif tail[0] in may_start or '"' in tail or "," in tail or "\r" in tail or "\n" in tail:
                tail = csv_cell(tail) + "\r\n"
            else:
                tail += "\r\n"
        append(f"{head}{rules_of[rules]}{checklist_of[checklist]}{caller}{contacts[it_contact]}{tail}")
    return lines


class Batch(Protocol):
    """One batch's reads, in one snapshot."""

    def rows(self, sql: str, params: dict[str, Any]) -> list[tuple]: ...

    def people(self, ids_json: str) -> Iterable[tuple]: ...

    def python_rows(self, filt: ExportFilter, ids: list[int]) -> dict[int, tuple]:
        """Whole rows of `tickets.export.records._base_query` (read as it reads them), by ticket id."""
        ...


@runtime_checkable
class Source(Protocol):
    """Where the batches come from: a Store (SQLAlchemy) or tickets.export.lite's plain sqlite3."""

    def start_after(self, filt: ExportFilter) -> int | None: ...

    def batch(self) -> contextlib.AbstractContextManager[Batch]: ...


class _StoreBatch:
    def __init__(self, session) -> None:
        self.session = session

    def rows(self, sql: str, params: dict[str, Any]) -> list[tuple]:
        from tickets.store import rawsql

        return rawsql.rows(self.session, rawsql.Sql(sql), params)

    def people(self, ids_json: str) -> Iterable[tuple]:
        return self.session.connection().exec_driver_sql(_PEOPLE, (ids_json,))

    def python_rows(self, filt: ExportFilter, ids: list[int]) -> dict[int, tuple]:
        return python_rows(self.session.connection(), filt, ids)


class StoreSource:
    def __init__(self, store: Store) -> None:
        self.store = store

    def start_after(self, filt: ExportFilter) -> int | None:
        from tickets.export.records import start_after

        return start_after(self.store, filt)

    @contextmanager
    def batch(self) -> Iterator[Batch]:
        with self.store.read() as session:
            yield _StoreBatch(session)


def python_rows(connection, filt: ExportFilter, ids: list[int]) -> dict[int, tuple]:
    """The rows the Python code writes whole, on a SQLAlchemy connection (loaded only when a
    batch has such a row)."""
    from sqlmodel import col

    from tickets.export.records import _base_query
    from tickets.store.models import Ticket

    query = _base_query(filt).where(col(Ticket.id).in_(ids))
    return {row.id: tuple(row) for row in connection.execute(query)}


def write_lines(
    store: Store | Source,
    out: TextIO,
    *,
    fmt: Format,
    filt: ExportFilter,
    tally: list[int],
    progress: Callable[[int], None] | None = None,
    batch_size: int = BATCH_SIZE,
) -> int:
    """The masked export of `filt` to `out`, as `write_records(iter_records(...))` writes it,
    in keyset batches of `batch_size` (E-3). `tally[0]` counts the lines written so far: the
    SQL's lines in chunks of WRITE_LINES a write (counted once it returns), a batch with lines
    the Python code makes one write a line, so that a failing stream leaves a true count
    behind. `store` is a Store or another Source of batches (tickets.export.lite)."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    source = store if isinstance(store, Source) else StoreSource(store)
    sql, params = batch_sql(fmt, filt)
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    parts = _Fragments(fmt)
    if fmt == "csv":
        csv.writer(out, lineterminator="\r\n").writerow(FIELDS)
    last_id = source.start_after(filt)
    written = 0
    while last_id is not None:
        with source.batch() as batch:
            rows = batch.rows(sql, {**params, "last_id": last_id, "limit": batch_size})
            parts.bound()
            parts.read_people(batch, {row[PERSON_ID] for row in rows if row[PERSON_ID] is not None})
            lines = _lines(rows, parts)
            missing = (
                [row[TICKET_ID] for row, line in zip(rows, lines, strict=True) if line is None]
                if None in lines else None
            )
            if missing:  # rows the SQL does not write exactly: the Python code writes them
                raw = batch.python_rows(filt, missing)
        write, done = out.write, 0
        try:
            if missing:
                from tickets.export import records

                for row, line in zip(rows, lines, strict=True):
                    if line is None:
                        record = records._record(raw[row[TICKET_ID]], True)
                        line = _csv_line_of(record) if fmt == "csv" else encode(record) + "\n"
                    write(line)
                    done += 1
            else:  # no None among the lines (`missing` is empty): a write a chunk, counted once it returns
                for start in range(0, len(lines), WRITE_LINES):
                    chunk = cast(list[str], lines[start:start + WRITE_LINES])
                    write("".join(chunk))
                    done += len(chunk)
        finally:
            tally[0] += done
        if progress is not None:
            first = (written // PROGRESS_EVERY + 1) * PROGRESS_EVERY
            for count in range(first, written + len(rows) + 1, PROGRESS_EVERY):
                progress(count)
        written += len(rows)
        last_id = rows[-1][TICKET_ID] if len(rows) == batch_size else None
    out.flush()
    if progress is not None:
        progress(written)
    return written


def _csv_line_of(record: dict[str, Any]) -> str:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerow(csv_row(record))
    return buffer.getvalue()
