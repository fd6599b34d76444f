"""The masked export on SQLite: the database writes each line, Python only passes it on (issue 12).

A Python call per cell (masking, neutralising, ISO dates, JSON decoding of `rules` and
`checklist`) cost five to ten times what the `sqlite3` shell needs for the same rows. Here one
statement per batch builds every CSV or JSON Lines line in SQL (one `printf` per line): dates,
booleans, `TK-` refs, E-2 neutralising and RFC 4180 quoting (CSV), `json_quote` (JSON Lines,
whose escaping is that of `json.dumps(ensure_ascii=False)`), and E-1 masking of the caller's
e-mail, phone and initials. Free text is masked from the values stored when it was written
(`reason_scrubbed`, tickets.masking.scrub_stored); only the caller's names are looked for here.

The SQL takes only the cases it does exactly as the Python code would (plain ASCII names and
addresses, one `@`, an E.164 phone, arrays of plain strings, stored masked text and no caller's
name in it). Any other row comes back without a line and is written by the Python code
(`tickets.export._record`), so the output is byte for byte what `write_records` writes.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Any, TextIO

from sqlmodel import col

import tickets.export as export
from tickets import rawsql
from tickets.export import (
    BATCH_SIZE,
    FIELDS,
    PROGRESS_EVERY,
    SCHEMA_VERSION,
    TRIGGERS,
    ExportFilter,
    Format,
    _base_query,
    csv_row,
    start_after,
)
from tickets.models import Ticket
from tickets.store import Store

# GLOB classes (SQLite matches them by character): what may need E-2 (a quote or a trigger
# first; `-` last in the class) or RFC 4180 quoting (a comma, a quote, a line end anywhere).
_MAY_NEUTRALISE = "[''" + "".join(sorted(TRIGGERS - {"-"})) + "-]"
_MAY_QUOTE = "[\",\r\n]"
_TRIGGER_LIST = ", ".join("'" + c + "'" for c in sorted(TRIGGERS))
_QUOTE = "''''"  # one ' as an SQL literal
_ASCII = chr(1) + "-" + chr(127)
# Characters outside ASCII whose str.casefold() holds ASCII (ß -> ss, K -> k, ﬁ -> fi ...), and
# those that str.strip() removes: tests/unit/export/test_export_sql.py recomputes both.
CASEFOLD_TO_ASCII = "\u00df\u0130\u0149\u017f\u01f0\u1e96\u1e97\u1e98\u1e99\u1e9a\u1e9e\u212a\ufb00\ufb01\ufb02\ufb03\ufb04\ufb05\ufb06"
UNICODE_SPACES = "\u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"


def _cell(v: str) -> str:
    """One CSV cell exactly as `csv_row` and csv.writer make it (E-2, QUOTE_MINIMAL)."""
    neutral = f"CASE WHEN substr(ltrim({v}, {_QUOTE}), 1, 1) IN ({_TRIGGER_LIST}) THEN {_QUOTE} || {v} ELSE {v} END"
    return (f"CASE WHEN ({neutral}) GLOB '*{_MAY_QUOTE}*' THEN '\"' || replace({neutral}, '\"', '\"\"') || '\"' "
            f"ELSE {neutral} END")


def _email_ok(v: str) -> str:
    """mask_email is `first character***@domain`: one `@` after an ASCII letter or digit, printable
    ASCII without space, comma or quote (so the masked value is a plain cell as well)."""
    return f"({v} GLOB '[A-Za-z0-9]*@*' AND {v} NOT GLOB '*[^!#-+--~]*' AND {v} NOT GLOB '*@*@*')"


def _email(v: str) -> str:
    return f"substr({v}, 1, 1) || '***@' || substr({v}, instr({v}, '@') + 1)"


def _name_absent(name: str, text: str) -> str:
    """scrub_text masks the caller's name (2 characters or more once stripped) where its
    casefold is in the text's; the text here is ASCII (see _free_text_ok). A printable ASCII
    name (starting with a letter or digit, see _OK): LIKE ignores ASCII case (`%` or `_` in a
    name can only match more, and Python decides). Any other name is not in ASCII text if it
    holds a character that is no space and folds outside ASCII."""
    return (f"CASE WHEN {name} NOT GLOB '*[^ -~]*' THEN (rtrim({name}) NOT GLOB '??*' OR {text} NOT LIKE '%' || "
            f"rtrim({name}) || '%') ELSE {name} GLOB '*[^{_ASCII}{CASEFOLD_TO_ASCII}{UNICODE_SPACES}]*' END")


def _free_text_ok(text: str) -> str:
    """The stored masked text, all ASCII (length in characters = length in bytes), without the
    caller's names."""
    stored = f"{text}_scrubbed"
    return (f"({text}_raw IS NULL OR {text}_raw = '' OR (length({stored}) = length(CAST({stored} AS BLOB)) AND "
            f"(person IS NULL OR ({_name_absent('first_name', stored)} AND {_name_absent('last_name', stored)}))))")


def _array_ok(name: str) -> str:
    """A JSON array of strings without escapes (as json.dumps writes rule IDs and checklist
    keys): joined with spaces for CSV, no `"` may be left."""
    return f"({name} = '[]' OR ({name} GLOB '[[]\"*\"]' AND {name}_csv NOT GLOB '*[\"\\]*'))"


def _iso(v: str, *, nullable: bool = False) -> str:
    """`2026-11-22 12:00:00.000000` (UTCDateTime's text in SQLite) -> `2026-11-22T12:00:00Z`."""
    made = f"printf('%.10sT%.8sZ', {v}, substr({v}, 12))"
    return f"CASE WHEN {v} IS NOT NULL THEN {made} END" if nullable else made


def _array(v: str) -> str:
    return f"replace(coalesce({v}, '[]'), '\", \"', '\",\"')"


def _array_csv(v: str) -> str:
    return f"CASE WHEN {v} IS NULL OR {v} = '[]' THEN '' ELSE replace(replace(substr({v}, 3, length({v}) - 4), '\", \"', ' '), '\",\"', ' ') END"


def _free_text(text: str) -> str:
    return f"CASE WHEN t.{text} IS NULL OR t.{text} = '' THEN t.{text} ELSE t.{text}_scrubbed END"


# One batch: each value computed once into a small table (MATERIALIZED: a line uses most of
# them more than once), raw where the checks need it, masked and formatted where lines do.
_BATCH = f"""WITH b AS MATERIALIZED (SELECT
 t.id AS id, printf('TK-%06d', t.id) AS ticket_ref, t.kind AS kind, t.status AS status,
 {_iso("t.created_at")} AS created_at, {_iso("t.updated_at")} AS updated_at,
 o.ref AS organization_ref, o.name AS organization_name, s.ref AS subscription_ref, s.product AS product,
 rr.ref AS resource_ref, filer.name AS filed_by, decider.name AS decided_by,
 {_iso("t.decided_at", nullable=True)} AS decided_at,
 t.requested_date AS requested_date, t.effective_date AS effective_date,
 t.data_deletion_date AS data_deletion_date, t.reversal_deadline AS reversal_deadline,
 CASE WHEN t.needs_review THEN 'true' ELSE 'false' END AS needs_review,
 CASE WHEN t.needs_callback THEN 'true' ELSE 'false' END AS needs_callback,
 {_iso("t.callback_at", nullable=True)} AS callback_at,
 {_array("t.rules")} AS rules, {_array_csv("t.rules")} AS rules_csv,
 {_array("t.checklist")} AS checklist, {_array_csv("t.checklist")} AS checklist_csv,
 p.id AS person, p.first_name AS first_name, p.last_name AS last_name, p.user_id AS user_id,
 p.phone_e164 AS phone, json_extract(t.fields, '$."it_contact"') AS it_contact_raw,
 t.reason AS reason_raw, t.reason_scrubbed AS reason_scrubbed, {_free_text("reason")} AS reason,
 t.decision_reason AS decision_reason_raw, t.decision_reason_scrubbed AS decision_reason_scrubbed,
 {_free_text("decision_reason")} AS decision_reason{{extra}}
FROM ticket AS t
 JOIN organization AS o ON o.id = t.organization_id
 JOIN subscription AS s ON s.id = t.subscription_id
 JOIN agent AS filer ON filer.id = t.filed_by_id
 LEFT OUTER JOIN agent AS decider ON decider.id = t.decided_by_id
 LEFT OUTER JOIN renewal_resource AS rr ON rr.id = t.resource_id
 LEFT OUTER JOIN verification_attempt AS va ON va.id = t.verification_id
 LEFT OUTER JOIN person AS p ON p.id = va.person_id
WHERE t.id > :last_id{{where}}
ORDER BY t.id LIMIT :limit)
SELECT id, CASE WHEN {{ok}} THEN {{line}} END FROM b ORDER BY id"""

# Rows the SQL writes exactly as the Python code would; the others go to Python.
_OK = " AND ".join((
    "(person IS NULL OR (first_name GLOB '[A-Za-z0-9]*' AND last_name GLOB '[A-Za-z0-9]*' AND "
    f"{_email_ok('user_id')} AND phone GLOB '+[0-9][0-9][0-9][0-9][0-9][0-9][0-9]*' AND phone NOT GLOB '+*[^0-9]*'))",
    f"(it_contact_raw IS NULL OR {_email_ok('it_contact_raw')})",
    _free_text_ok("reason"),
    _free_text_ok("decision_reason"),
    _array_ok("rules"),
    _array_ok("checklist"),
))

# Values made here (masked), over the batch's columns; the other fields are its columns.
_MADE: dict[str, str] = {
    "schema_version": f"'{SCHEMA_VERSION}'",
    "caller_name": "CASE WHEN person IS NOT NULL THEN upper(substr(first_name, 1, 1)) || '. ' || "
                   "upper(substr(last_name, 1, 1)) || '.' END",
    "caller_user_id": _email("user_id"),
    "caller_phone": "'***' || substr(phone, -4)",
    "it_contact": _email("it_contact_raw"),
    "rules": "rules_csv",
    "checklist": "checklist_csv",
}
# Values of a fixed shape, never a trigger, comma, quote or line end (the e-mails: see _OK).
_FIXED = ("schema_version", "ticket_ref", "created_at", "updated_at", "decided_at", "needs_review",
          "needs_callback", "callback_at", "caller_name", "caller_user_id", "caller_phone", "it_contact")
_VARIABLE = tuple(name for name in FIELDS if name not in _FIXED)


# The variable values as the batch computes them (so that `joined` and `firsts` can be made
# there, once per row, not once per use).
_RAW = {
    "kind": "t.kind", "status": "t.status", "organization_ref": "o.ref", "organization_name": "o.name",
    "subscription_ref": "s.ref", "product": "s.product", "resource_ref": "rr.ref", "filed_by": "filer.name",
    "decided_by": "decider.name", "decision_reason": _free_text("decision_reason"),
    "requested_date": "t.requested_date", "effective_date": "t.effective_date",
    "data_deletion_date": "t.data_deletion_date", "reversal_deadline": "t.reversal_deadline",
    "rules": _array_csv("t.rules"), "checklist": _array_csv("t.checklist"), "reason": _free_text("reason"),
}
assert set(_RAW) == set(_VARIABLE)
_CSV_EXTRA = (
    ",\n printf('" + "%s" * len(_VARIABLE) + "', " + ", ".join(_RAW[n] for n in _VARIABLE) + ") AS joined"
    ",\n printf('" + "%!.1s" * len(_VARIABLE) + "', " + ", ".join(_RAW[n] for n in _VARIABLE) + ") AS firsts"
)


def _neutral_only(v: str) -> str:
    return f"CASE WHEN {v} GLOB '{_MAY_NEUTRALISE}*' THEN {_cell(v)} ELSE {v} END"


def _csv_line() -> str:
    """One printf (`||` would copy the line so far at every step; printf writes NULL as '').
    Most rows need no E-2 and no quoting (nothing in `joined`, the variable values, needs
    quotes; no value starts with a trigger: `firsts`); some need E-2 only; the rest get the
    exact expression for every variable value."""
    made = [_MADE.get(name, name) for name in FIELDS]
    form = "'" + ",".join(["%s"] * len(FIELDS)) + "' || char(13, 10)"

    def line(cell) -> str:
        return f"printf({form}, {', '.join(v if n in _FIXED else cell(v) for n, v in zip(FIELDS, made))})"

    quotes = " OR ".join(f"instr(joined, {c}) > 0" for c in ("','", "'\"'", "char(10)", "char(13)"))
    return (f"CASE WHEN {quotes} THEN {line(_cell)} WHEN firsts GLOB '*{_MAY_NEUTRALISE}*' "
            f"THEN {line(_neutral_only)} ELSE {line(lambda v: v)} END")


def _jsonl_line() -> str:
    """One printf; json_quote escapes as json.dumps(ensure_ascii=False) does and writes NULL as
    null; the arrays (checked) and booleans go in as they are."""
    keys, values = [], []
    for name in FIELDS:
        value = _MADE.get(name, name)
        if name in ("rules", "checklist", "needs_review", "needs_callback"):
            keys.append(f'"{name}":%s')
            values.append(name)
        elif name in ("ticket_ref", "created_at", "updated_at"):
            keys.append(f'"{name}":"%s"')
            values.append(value)
        else:
            keys.append(f'"{name}":%s')
            values.append(f"json_quote({value})")
    return "printf('{" + ",".join(keys) + "}' || char(10), " + ", ".join(values) + ")"


_LINES = {"csv": _csv_line(), "jsonl": _jsonl_line()}


def batch_sql(fmt: str, filt: ExportFilter) -> tuple[str, dict[str, object]]:
    """The statement for one batch (`:last_id`, `:limit` to be bound) and the filter's values.

    Each row is `(ticket id, line)`; the line is NULL where the Python code has to write it."""
    where, params = [], {}
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
    sql = _BATCH.format(where="".join(" AND " + w for w in where), ok=_OK, line=_LINES[fmt],
                        extra=_CSV_EXTRA if fmt == "csv" else "")
    return sql, params


def _stored_time(moment) -> str:
    return rawsql.bind_time(moment, "sqlite")


def write_lines(
    store: Store,
    out: TextIO,
    *,
    fmt: Format,
    filt: ExportFilter,
    tally: list[int],
    progress: Callable[[int], None] | None = None,
    batch_size: int = BATCH_SIZE,
) -> int:
    """The masked export of `filt` to `out`, as `write_records(iter_records(...))` writes it,
    in keyset batches of `batch_size` (E-3). `tally[0]` counts the lines written so far (one
    write each, so that a failing stream leaves an exact count behind)."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    text, params = batch_sql(fmt, filt)
    sql = rawsql.Sql(text)
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    if fmt == "csv":
        csv.writer(out, lineterminator="\r\n").writerow(FIELDS)
    last_id = start_after(store, filt)
    written = 0
    while last_id is not None:
        with store.read() as session:
            rows = rawsql.rows(session, sql, {**params, "last_id": last_id, "limit": batch_size})
            missing = [ticket_id for ticket_id, line in rows if line is None]
            if missing:  # rows the SQL does not write exactly: the Python code writes them
                query = _base_query(filt).where(col(Ticket.id).in_(missing))
                raw = {row[0]: tuple(row) for row in session.connection().execute(query)}
        write = out.write
        for ticket_id, line in rows:
            if line is None:
                record = export._record(raw[ticket_id], True)
                line = _csv_line_of(record) if fmt == "csv" else encode(record) + "\n"
            write(line)
            tally[0] += 1
        if progress is not None:
            for count in range((written // PROGRESS_EVERY + 1) * PROGRESS_EVERY, written + len(rows) + 1, PROGRESS_EVERY):
                progress(count)
        written += len(rows)
        last_id = rows[-1][0] if len(rows) == batch_size else None
    out.flush()
    if progress is not None:
        progress(written)
    return written


def _csv_line_of(record: dict[str, Any]) -> str:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerow(csv_row(record))
    return buffer.getvalue()
