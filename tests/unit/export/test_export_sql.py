"""The masked export's lines made by SQLite (tickets.export.sql) are byte for byte what
the Python code writes (`write_records(iter_records(...))`), on awkward data: triggers (E-2),
quotes, commas and line ends, names and addresses outside ASCII, the caller's name in the free
text (E-1), stored masked text missing or stale, arrays that are not plain strings."""

from __future__ import annotations

import csv
import io
import itertools
import json

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from sqlalchemy import text
from sqlmodel import select
from test_export_support import T0, add_ticket, insert_agent_row, small_desk

from tickets.enums import AgentRole, TicketKind, TicketStatus
from tickets.export import records
from tickets.export import sql as export_sql
from tickets.export.records import TRIGGERS, ExportFilter, iter_records, neutralise_cell, write_records
from tickets.export.run import write_export
from tickets.masking import scrub_stored, scrub_text
from tickets.store.models import Organization, Person

PEOPLE = [
    ("Ann", "Smith", "ann.smith2@contoso.co.uk", "+442079460958"),
    ("Chloé", "Müller", "chloe.mueller@contoso.de", "+4930123456789"),
    ("élodie", "Ørsted", "elodie@contoso.dk", "+4533123456"),
    ("Jo", "Li", "+jo@contoso.com", "+442079460959"),
    ("A", "B", "a,b@contoso.com", "+123"),
    ("Ann ", "Lee", "x@y@contoso.com", "+442079460960"),
    ("Straße", "Kelvin", "ünï@contoso.de", "+442079460961"),
    ("Mary Ann", "O'Brien", "mary@contoso.co.uk", "+442079460962"),
]
REASONS = [
    None, "", "customer is moving to another provider", "ann called about it", "call Ann on +44 20 7946 0123",
    "=SUM(A1:A9) pasted", "Müller asked for it", "MÜLLER asked", 'commas, "quotes"\nand a line end',
    "ﬁle for SMITH", "the Kelvin sign \u212a and ss", "\t-tab first", "line1\r\nline2", "x@y.com about Ann",
    "＝full width", "''=quoted twice", "write to ann.smith@contoso.co.uk",
]
CONTACTS = [None, "it.desk@contoso.co.uk", "=a@b.example", "no-at-sign", 42, "a@b@c.example", "ü@x.example"]
RULES = [["C-1", "C-8"], [], ["=X"], ["a, b"], ['quote"d'], ["back\\slash"], ["é"], ["-x", "y"]]
ORG_NAMES = ["Contoso Ltd.", 'Contoso, "Ltd"\nNorth', "=Evil Corp", "＋Plus", "'=x"]


@pytest.fixture
def awkward(store):
    desk = small_desk(store)
    odd_supervisor = insert_agent_row(store, "@dmin", AgentRole.SUPERVISOR)
    with store.write() as session:
        org = session.get(Organization, desk.organization_id)
        people = []
        for first, last, user_id, phone in PEOPLE:
            person = Person(organization_id=org.id, user_id=user_id, first_name=first, last_name=last,
                            phone_e164=phone, is_primary_contact=False, roles=["admin"])
            session.add(person)
            session.flush()
            people.append(person.id)
    count = 0
    for n, (reason, contact, rules) in enumerate(zip(REASONS, itertools.cycle(CONTACTS), itertools.cycle(RULES))):
        for person_id in (*people, None)[n % 3::3]:
            decided = n % 4 == 0
            add_ticket(
                store, organization_id=desk.organization_id, subscription_id=desk.subscription_ids[n % 3],
                agent_id=desk.agent_id, person_id=person_id, kind=TicketKind.MIGRATION,
                status=TicketStatus.REJECTED if decided else TicketStatus.RESOLVED,
                reason=reason, fields={} if contact is None else {"it_contact": contact}, rules=rules,
                checklist=list(reversed(rules)), decided_by_id=odd_supervisor if decided else None,
                decision_reason=REASONS[-1 - n] if decided else None, needs_callback=n % 2 == 1,
                created_at=T0,
            )
            count += 1
    return store, count


def _store_scrubbed(store, *, except_every: int = 0) -> None:
    """What filing and decisions store beside the free text (all but every n-th ticket)."""
    with store.write() as session:
        rows = session.execute(text("SELECT id, reason, decision_reason FROM ticket")).all()
        for ticket_id, reason, decision_reason in rows:
            if except_every and ticket_id % except_every == 0:
                continue
            session.execute(text("UPDATE ticket SET reason_scrubbed = :r, decision_reason_scrubbed = :d WHERE id = :i"),
                            {"r": scrub_stored(reason), "d": scrub_stored(decision_reason), "i": ticket_id})


def _rename_org(store, name: str) -> None:
    with store.write() as session:
        session.execute(text("UPDATE organization SET name = :n"), {"n": name})


def _both(store, fmt: str, **kwargs) -> tuple[str, str]:
    exported = io.StringIO(newline="")
    write_export(store, exported, fmt=fmt, **kwargs)
    python = io.StringIO(newline="")
    write_records(iter_records(store, kwargs.get("filt")), python, fmt=fmt)
    return exported.getvalue(), python.getvalue()


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_sql_lines_are_the_python_records_byte_for_byte(awkward, fmt):
    store, count = awkward
    _store_scrubbed(store, except_every=5)
    for org_name in ORG_NAMES:
        _rename_org(store, org_name)
        exported, python = _both(store, fmt)
        assert exported == python
        assert len(python.splitlines()) >= count


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_batches_and_since_filters_agree(awkward, fmt):
    store, _count = awkward
    _store_scrubbed(store)
    exported, python = _both(store, fmt, batch_size=3, filt=ExportFilter(since=T0, kinds=(TicketKind.MIGRATION,)))
    assert exported == python


def test_the_sql_writes_most_plain_rows_itself(awkward, monkeypatch):
    """Not vacuous: on SQLite the plain rows are made by the SQL, the rest by Python; on
    PostgreSQL every line is the Python code's (the SQL lines are SQLite's)."""
    store, count = awkward
    _store_scrubbed(store)
    if store.engine.dialect.name != "sqlite":
        def refuse(*args, **kwargs):
            raise AssertionError("SQLite's export SQL ran on PostgreSQL")

        monkeypatch.setattr(export_sql, "write_lines", refuse)
        assert write_export(store, io.StringIO(), fmt="csv") == count
        return
    # The rows the Python code writes whole are those it makes a record for.
    by_python = []
    real = records._record
    monkeypatch.setattr(records, "_record", lambda row, masked: by_python.append(row) or real(row, masked))
    for fmt in ("csv", "jsonl"):
        by_python.clear()
        rows = write_export(store, io.StringIO(newline=""), fmt=fmt)
        made = rows - len(by_python)
        assert rows == count and 5 <= made < count


def test_a_changed_text_drops_its_stored_masked_value(awkward):
    """The migration's trigger: a reason changed without its stored value is masked afresh."""
    store, _count = awkward
    _store_scrubbed(store)
    with store.write() as session:
        first, second = session.execute(text("SELECT id FROM ticket WHERE reason <> '' ORDER BY id LIMIT 2")).scalars()
        session.execute(text("UPDATE ticket SET reason = 'now call +44 20 7946 0999' WHERE id = :i"), {"i": first})
        session.execute(text("UPDATE ticket SET decision_reason = 'checked', decision_reason_scrubbed = 'checked' "
                             "WHERE id = :i"), {"i": second})
        stored = dict(session.execute(text("SELECT id, reason_scrubbed FROM ticket WHERE id IN (:a, :b)"),
                                      {"a": first, "b": second}).all())
        decided = session.execute(text("SELECT decision_reason_scrubbed FROM ticket WHERE id = :i"),
                                  {"i": second}).scalar()
    assert stored[first] is None and stored[second] is not None and decided == "checked"
    exported, python = _both(store, "jsonl")
    assert exported == python and "***0999" in exported and "0999" not in exported.replace("***0999", "")


def test_scrub_stored_is_scrub_text_without_names():
    assert scrub_stored("mail ann@x.example or +44 20 7946 0123, Ann") == scrub_text(
        "mail ann@x.example or +44 20 7946 0123, Ann", ())
    assert scrub_stored(None) is None and scrub_stored("") == ""


# --- the Python checks beside the SQL: each shortcut against the writer it stands for

_SPECIAL = sorted(TRIGGERS) + ["'", '"', ",", "\\", " ", "a", "0", "null", export_sql.SEP, "\x00", "\x7f", "\u2028"]
_texts = st.lists(st.one_of(st.sampled_from(_SPECIAL), st.characters()), max_size=8).map("".join)


def _csv_writer_line(cells) -> str:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerow(cells)
    return buffer.getvalue()


@given(_texts)
def test_csv_cell_is_the_csv_writers_cell(value):
    assert export_sql.csv_cell(value) + ",x\r\n" == _csv_writer_line([neutralise_cell(value), "x"])


@given(st.lists(_texts, min_size=len(export_sql._HEAD_FIELDS), max_size=len(export_sql._HEAD_FIELDS)))
@example(["1", "TK-000001", "=x", "a,b", 'q"', "\n", "'=", "'x", "-1", "", "＋", "@", "\t"] + ["ok"] * 9)
def test_csv_head_is_the_csv_writers_or_refused(cells):
    head = export_sql.SEP.join(cells) + export_sql.SEP
    made = export_sql.csv_head(head)
    if made is None:
        assert any(export_sql.SEP in c for c in cells)
    else:
        assert made + "x\r\n" == _csv_writer_line([*map(neutralise_cell, cells), "x"])


@given(st.lists(st.one_of(st.none(), _texts), min_size=len(export_sql._HEAD_FIELDS),
                max_size=len(export_sql._HEAD_FIELDS)))
@example([None] * 22)
@example(['a"', None, 'b"'] + ["x"] * 19)
@example(["null", None, None, "x\\"] + ["x"] * 18)
def test_json_head_plain_only_where_json_dumps_agrees(values):
    """The head as the SQL writes it (values between quotes as they are, NULL as null, the
    booleans bare) is accepted only where it is json.dumps's."""
    record = dict(zip(export_sql._HEAD_FIELDS, values, strict=True))
    for name in export_sql._JSON_NOT_NULL:
        record[name] = record[name] or ""
    for name in export_sql._JSON_BARE:
        record[name] = True
    sql_like = "{" + ",".join(
        f'"{k}":' + ("true" if k in export_sql._JSON_BARE else "null" if v is None else f'"{v}"')
        for k, v in record.items())
    expected = json.dumps(record, ensure_ascii=False, separators=(",", ":"))[:-1]
    if export_sql.json_head_plain(sql_like):
        assert sql_like == expected
    else:  # refused only where a value needs an escape, or holds `null` (Python writes the row)
        texts = [v for v in record.values() if isinstance(v, str)]
        assert any(v != json.dumps(v, ensure_ascii=False)[1:-1] or "null" in v for v in texts)


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_names_json_would_escape_and_names_in_quoted_text(awkward, fmt):
    """The caller's name is looked for in the JSON-quoted reason: names holding a quote or a
    backslash, and reasons quoting them, are the Python code's; byte for byte as ever."""
    store, _count = awkward
    with store.write() as session:
        person = session.execute(text("SELECT va.person_id FROM ticket t JOIN verification_attempt va ON "
                                      "va.id = t.verification_id ORDER BY t.id LIMIT 1")).scalar()
        session.execute(text("UPDATE person SET first_name = :f, last_name = :l WHERE id = :i"),
                        {"f": 'Zo"e', "l": "Back\\slash", "i": person})
        session.execute(text("UPDATE ticket SET reason = :r WHERE id IN (SELECT t.id FROM ticket t JOIN "
                             "verification_attempt va ON va.id = t.verification_id WHERE va.person_id = :i)"),
                        {"r": 'zo"e wrote: back\\slash, "quoted"', "i": person})
    _store_scrubbed(store)
    exported, python = _both(store, fmt)
    assert exported == python and "Z. B." in exported


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_memos_start_again_past_their_limit(awkward, fmt, monkeypatch):
    """E-3, memory flat: the memoised fragments are bounded; output unchanged when they reset."""
    store, _count = awkward
    _store_scrubbed(store)
    monkeypatch.setattr(export_sql, "MEMO_LIMIT", 1)
    exported, python = _both(store, fmt, batch_size=2)
    assert exported == python


@pytest.mark.engine("sqlite")  # foreign keys can be switched off for a connection on SQLite only
@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_a_caller_whose_person_row_is_gone_is_no_caller(awkward, fmt):
    """The batch reads the verification's person id, not the person row (one join fewer): an id
    naming no person is written as no caller, as the Python code's outer join writes it."""
    store, _count = awkward
    _store_scrubbed(store)
    import sqlite3

    from tickets.export import lite

    connection = sqlite3.connect(lite.sqlite_file(store.engine.url.render_as_string(hide_password=False)))
    try:  # the standard library's connection: foreign keys off unless asked for
        with connection:
            gone = connection.execute("DELETE FROM person WHERE id IN (SELECT va.person_id FROM ticket t JOIN "
                                      "verification_attempt va ON va.id = t.verification_id ORDER BY t.id LIMIT 2)")
            assert gone.rowcount >= 1
    finally:
        connection.close()
    exported, python = _both(store, fmt, batch_size=4)
    assert exported == python


@pytest.mark.engine("sqlite")  # the standard library's path is SQLite's
@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_the_standard_library_export_writes_the_same_bytes_and_audit(awkward, fmt, tmp_path):
    """tickets.export.lite (what `deskapp export` runs on SQLite: sqlite3 alone) writes what
    write_export with a Store writes, including the rows the Python code writes whole, and
    records the same events; with --since and small batches too."""
    from tickets.audit.chain import verify_chain
    from tickets.export import lite
    from tickets.store.models import AuditEvent

    store, _count = awkward
    _store_scrubbed(store, except_every=5)
    path = lite.sqlite_file(store.engine.url.render_as_string(hide_password=False))
    anchors: list = []
    for filt, batch_size in ((None, 2000), (ExportFilter(since=T0, kinds=(TicketKind.MIGRATION,)), 3)):
        expected = io.StringIO(newline="")
        count = write_export(store, expected, fmt=fmt, filt=filt, batch_size=batch_size)
        got = io.StringIO(newline="")
        rows = lite.export_file(path, got, fmt=fmt, filt=filt, clock=store.clock, started=anchors.append,
                                batch_size=batch_size)
        assert got.getvalue() == expected.getvalue() and rows == count > 0
    with store.read() as session:
        events = [e for e in session.exec(select(AuditEvent).order_by(AuditEvent.seq)) if e.subject == "export"]
        assert verify_chain(session).ok
    by_path = [(e.action, {k: v for k, v in e.details.items() if k != "anchor"}) for e in events]
    assert by_path[0:2] == by_path[2:4] and by_path[4:6] == by_path[6:8]  # the Store's, then the lite path's
    assert events[3].details["anchor"] == str(anchors[0]) == f"{events[2].seq}:{events[2].hash}"


@pytest.mark.engine("sqlite")  # the standard library's path is SQLite's
def test_a_failing_stream_is_recorded_by_the_standard_library_export(awkward):
    from tickets.export import lite
    from tickets.store.models import AuditEvent

    store, _count = awkward

    class Closed(io.StringIO):
        def write(self, text):
            if self.tell() > 600:
                raise BrokenPipeError(32, "Broken pipe")
            return super().write(text)

    with pytest.raises(BrokenPipeError):
        lite.export_file(lite.sqlite_file(str(store.engine.url)), Closed(), fmt="csv", clock=store.clock)
    with store.read() as session:
        (failed,) = session.exec(select(AuditEvent).where(AuditEvent.action == "export.failed")).all()
    assert failed.details["error"] == "BrokenPipeError" and failed.details["rows"] >= 1


@pytest.mark.engine("sqlite")  # the standard library's path is SQLite's
def test_a_failing_stream_counts_the_batches_written_whole(awkward):
    """Batches of the SQL's lines go out in one write each: a stream failing part-way leaves
    the lines of the batches written before it in export.failed."""
    from tickets.export import lite
    from tickets.store.models import AuditEvent

    store, _count = awkward
    _store_scrubbed(store)
    writes = []

    class Closed(io.StringIO):
        def write(self, text):
            writes.append(text)
            if len(writes) == 6:  # part-way
                raise BrokenPipeError(32, "Broken pipe")
            return super().write(text)

    with pytest.raises(BrokenPipeError):
        lite.export_file(lite.sqlite_file(str(store.engine.url)), Closed(), fmt="jsonl", clock=store.clock,
                         batch_size=3)
    with store.read() as session:
        (failed,) = session.exec(select(AuditEvent).where(AuditEvent.action == "export.failed")).all()
    assert failed.details["rows"] == sum(text.count("\n") for text in writes[:-1])
    assert writes[0].count("\n") == 3  # the first batch, written whole


_NAMES = st.sampled_from(["Ann", "ann ", "Straße", "STRASSE", "Kelvin", "\u212aelvin", "Ørsted", "O'Brien", "Jo", "A"])


@given(st.one_of(st.none(), _NAMES), st.one_of(st.none(), _NAMES), st.one_of(st.none(), _texts, _NAMES),
       st.one_of(st.none(), _texts, _NAMES), st.sampled_from(["csv", "jsonl"]))
@example("Ann", None, None, "for ann", "csv")
@example("Straße", "Kelvin", "STRASSE", None, "jsonl")
def test_a_row_whose_text_names_the_caller_is_left_to_python(first, last, reason, decision, fmt):
    """E-1: where scrub_text would mask one of the caller's names in the reason or the
    decision's text, _lines leaves the row to the Python code (None), in both formats."""
    parts = export_sql._Fragments(fmt)
    parts.people[7] = parts._caller(first, last, None, None)
    head = (export_sql.SEP.join(["1"] * len(export_sql._HEAD_FIELDS)) + export_sql.SEP if fmt == "csv" else
            "{" + ",".join(f'"{k}":' + ("true" if k in export_sql._JSON_BARE else '"1"')
                           for k in export_sql._HEAD_FIELDS))
    tail = reason if fmt == "csv" or reason is None else json.dumps(reason, ensure_ascii=False)
    (line,) = export_sql._lines([(1, head, tail, 7, None, "[]", "[]", decision)], parts)
    names = (first, last)
    if scrub_text(reason, names) != reason or scrub_text(decision, names) != decision:
        assert line is None
    elif not any(n and len(n.strip()) >= 2 and n.strip().casefold() in (t or "").casefold()
                 for n in names for t in (tail, decision)):
        assert line is not None  # not vacuous: the SQL's line where no name is near
