"""Records from the store: the documented schema, streaming in batches (E-3), filters, audit."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import event
from sqlmodel import col, select
from test_export_support import T0, desk_ticket, small_desk

import tickets.export.records as export
from tickets.agents import get_agent
from tickets.audit.chain import verify_chain
from tickets.enums import Product, TicketKind, TicketStatus
from tickets.errors import NotAllowed, StoreUnavailable
from tickets.export.records import FIELDS, ExportFilter, iter_records, load_schema
from tickets.export.run import write_export
from tickets.store.models import AuditEvent


def _varied(store, desk):
    """Tickets with every optional part present or absent."""
    desk_ticket(store, desk, 0, status=TicketStatus.OPEN, rules=["C-1", "C-8"], checklist=["domains_removed"])
    desk_ticket(
        store, desk, 1, kind=TicketKind.EXPEDITED_DEPROVISIONING, status=TicketStatus.APPROVED,
        decided_by_id=desk.supervisor_id, decision_reason="=approved after callback", needs_callback=True,
        rules=["X-1", "X-2", "V-8"], checklist=["data_loss_acknowledged"], created_at=T0 + timedelta(hours=1),
    )
    desk_ticket(
        store, desk, 2, kind=TicketKind.MIGRATION, status=TicketStatus.PENDING_REVIEW,
        fields={"it_contact": "it.desk@contoso.co.uk", "transfer_at": "2026-12-01T09:00:00Z"},
        reason="-moving on premises", rules=["M-1", "M-3"], created_at=T0 + timedelta(hours=2),
    )
    desk_ticket(store, desk, 0, person_id=None, reason=None, created_at=T0 + timedelta(hours=3))


def _jsonl(store, **kwargs):
    out = io.StringIO()
    count = write_export(store, out, fmt="jsonl", **kwargs)
    lines = out.getvalue().splitlines()
    assert len(lines) == count
    return [json.loads(line) for line in lines]


def test_jsonl_validates_against_the_shipped_schema(store):
    desk = small_desk(store)
    _varied(store, desk)
    schema = load_schema()
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    supervisor = get_agent(store, desk.supervisor_id)
    for masked in (True, False):
        records = _jsonl(store, masked=masked, actor=supervisor)
        assert len(records) == 4
        for record in records:
            validator.validate(record)
            assert list(record) == list(FIELDS)
    assert schema["$id"].endswith(":" + export.SCHEMA_VERSION)


def test_schema_field_order_and_vocabulary_match_the_code_and_the_docs():
    schema = load_schema()
    assert list(schema["properties"]) == list(FIELDS) == schema["required"]
    assert schema["properties"]["kind"]["enum"] == [k.value for k in TicketKind]
    assert schema["properties"]["status"]["enum"] == [s.value for s in TicketStatus]
    assert schema["properties"]["product"]["enum"] == [p.value for p in Product]
    formats = (Path(__file__).resolve().parents[3] / "docs" / "formats.md").read_text()
    documented = re.findall(r"^\| \d+ \| `(\w+)` \|", formats, flags=re.MULTILINE)  # docs/formats.md
    assert documented == list(FIELDS)


def test_csv_header_is_the_documented_order_and_cells_are_neutralised(store):
    desk = small_desk(store)
    _varied(store, desk)
    out = io.StringIO(newline="")
    assert write_export(store, out, fmt="csv") == 4
    header, *rows = list(csv.reader(io.StringIO(out.getvalue(), newline="")))
    assert header == list(FIELDS)
    by_ref = {row[1]: dict(zip(FIELDS, row, strict=True)) for row in rows}
    approved = next(r for r in by_ref.values() if r["status"] == "approved")
    assert approved["decision_reason"] == "'=approved after callback"  # E-2
    assert approved["rules"] == "X-1 X-2 V-8" and approved["needs_callback"] == "true"
    assert approved["decided_by"] == "sam" and approved["decided_at"] == "2026-11-22T14:00:00Z"
    migration = next(r for r in by_ref.values() if r["kind"] == "migration_on_premises")
    assert migration["reason"] == "'-moving on premises"
    assert migration["it_contact"] == "i***@contoso.co.uk"
    assert migration["caller_name"] == "A. S." and migration["caller_phone"] == "***0958"
    assert migration["caller_user_id"] == "a***@contoso.co.uk"
    no_caller = rows[-1]
    assert no_caller[FIELDS.index("caller_name")] == "" and no_caller[FIELDS.index("reason")] == ""


def test_jsonl_keeps_free_text_raw_and_unmasked_shows_the_caller(store):
    desk = small_desk(store)
    _varied(store, desk)
    records = _jsonl(store, masked=False, actor=get_agent(store, desk.supervisor_id))
    assert records[1]["decision_reason"] == "=approved after callback"
    assert records[0]["caller_name"] == "Ann Smith"
    assert records[0]["caller_phone"] == "+442079460958"
    assert records[0]["caller_user_id"] == "ann.smith@contoso.co.uk"
    assert records[2]["it_contact"] == "it.desk@contoso.co.uk"
    assert records[0]["created_at"] == "2026-11-22T12:00:00Z"
    assert records[3]["caller_name"] is None and records[3]["reason"] is None


def test_e1_unmasked_needs_a_supervisor_in_the_core_too(store):
    desk = small_desk(store)
    with pytest.raises(NotAllowed, match="E-1"):
        write_export(store, io.StringIO(), fmt="jsonl", masked=False)
    with pytest.raises(NotAllowed, match="E-1: only supervisors"):
        write_export(store, io.StringIO(), fmt="jsonl", masked=False, actor=get_agent(store, desk.agent_id))
    # both refusals are in the audit trail, and nothing was started.
    refused = _events(store, "export.refused")
    assert [e.details["by"] for e in refused] == ["cli", get_agent(store, desk.agent_id).name]
    assert _events(store, "export.started") == []


def test_a1_an_export_that_cannot_be_recorded_writes_nothing(store, monkeypatch):
    small_desk(store)
    import tickets.export.run as run

    def refuse(*args, **kwargs):
        raise StoreUnavailable("the database cannot be reached: attempt to write a readonly database")

    # The export's own audit write (a database function on PostgreSQL, append_event on SQLite).
    monkeypatch.setattr(run, "_audit", refuse)
    out = io.StringIO()
    with pytest.raises(StoreUnavailable):
        write_export(store, out, fmt="jsonl")
    assert out.getvalue() == ""


def _events(store, action):
    with store.read() as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.action == action).order_by(col(AuditEvent.seq))))


def test_e1_a1_every_export_is_audited_after_streaming(store):
    desk = small_desk(store)
    _varied(store, desk)
    seen_events = []

    def progress(count):
        seen_events.append(len(_events(store, "export.created")))

    filt = ExportFilter(since=T0, kinds=(TicketKind.CANCEL_END_OF_TERM,))
    assert write_export(store, io.StringIO(newline=""), fmt="csv", filt=filt, progress=progress) == 2
    assert seen_events == [0]  # nothing recorded while records were still being written
    (started,) = _events(store, "export.started")
    (created,) = _events(store, "export.created")
    assert created.actor == "cli" and created.subject == "export" and started.seq < created.seq
    assert created.details == {
        "format": "csv", "schema_version": "1", "masked": True, "rows": 2, "by": "cli", "agent_role": None,
        "rule": "E-1", "anchor": f"{started.seq}:{started.hash}",
        "filters": {"since": "2026-11-22T12:00:00Z", "until": None, "kinds": ["cancel_end_of_term"], "statuses": []},
    }
    assert {k: v for k, v in started.details.items()} == {
        k: v for k, v in created.details.items() if k not in ("rows", "anchor")
    }
    with store.read() as session:
        assert verify_chain(session).ok


def test_a1_a_failed_export_is_audited_with_how_far_it_got(store):
    desk = small_desk(store)
    _varied(store, desk)

    class Broken(io.StringIO):
        def write(self, text):
            if self.tell() > 0:  # the first record goes out, the second fails
                raise OSError("disk full")
            return super().write(text)

    with pytest.raises(OSError):
        write_export(store, Broken(), fmt="jsonl")
    assert _events(store, "export.created") == []
    assert len(_events(store, "export.started")) == 1
    (failed,) = _events(store, "export.failed")
    assert failed.details["rows"] == 1 and failed.details["error"] == "OSError"


# --- E-3: streaming --------------------------------------------------------------------------


def test_e3_records_stream_in_bounded_keyset_batches(store):
    desk = small_desk(store)
    ids = [desk_ticket(store, desk, created_at=T0 + timedelta(minutes=i)) for i in range(5)]
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and "ticket" in statement:
            statements.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", count)
    try:
        records = iter_records(store, ExportFilter(), batch_size=2)
        assert statements == []  # lazy: nothing read before the first record is asked for
        first = [next(records), next(records)]
        assert len(statements) == 1  # two records: one batch, not the table
        rest = list(records)
    finally:
        event.remove(store.engine, "before_cursor_execute", count)
    assert [r["ticket_ref"] for r in first + rest] == [f"TK-{i:06d}" for i in ids]
    assert len(statements) == 3  # 2 + 2 + 1: the short batch is the last
    for statement, _ in statements:
        assert "LIMIT" in statement.upper() and "ORDER BY ticket.id" in statement
        assert "ticket.id >" in statement  # keyset, never skipping rows by OFFSET


def test_e3_a_full_last_batch_costs_one_empty_query(store):
    desk = small_desk(store)
    for i in range(4):
        desk_ticket(store, desk, created_at=T0 + timedelta(minutes=i))
    queries = []
    listener = lambda *args: queries.append(args[2]) if args[2].lstrip().upper().startswith("SELECT") else None  # noqa: E731
    event.listen(store.engine, "before_cursor_execute", listener)
    try:
        assert len(list(iter_records(store, batch_size=2))) == 4
    finally:
        event.remove(store.engine, "before_cursor_execute", listener)
    assert len(queries) == 3


# --- filters ---------------------------------------------------------------------------------


def test_filters_since_until_kind_status(store):
    desk = small_desk(store)
    day = timedelta(days=1)
    a = desk_ticket(store, desk, 0, created_at=T0 - 2 * day)
    b = desk_ticket(store, desk, 1, created_at=T0 - day, kind=TicketKind.CANCEL_EARLY, status=TicketStatus.OPEN)
    c = desk_ticket(store, desk, 0, created_at=T0, kind=TicketKind.REVERSAL, status=TicketStatus.WITHDRAWN)
    d = desk_ticket(store, desk, 2, created_at=T0 + day, status=TicketStatus.PENDING_REVIEW)

    def refs(**kwargs):
        return [r["ticket_ref"] for r in iter_records(store, ExportFilter(**kwargs))]

    ref = {t: f"TK-{t:06d}" for t in (a, b, c, d)}
    assert refs() == [ref[a], ref[b], ref[c], ref[d]]
    assert refs(since=T0 - day) == [ref[b], ref[c], ref[d]]  # inclusive
    assert refs(until=T0) == [ref[a], ref[b]]  # exclusive
    assert refs(since=T0 - day, until=T0 + day) == [ref[b], ref[c]]
    assert refs(kinds=(TicketKind.CANCEL_EARLY, TicketKind.REVERSAL)) == [ref[b], ref[c]]
    assert refs(statuses=(TicketStatus.RESOLVED,)) == [ref[a]]
    assert refs(statuses=(TicketStatus.OPEN, TicketStatus.PENDING_REVIEW), kinds=(TicketKind.CANCEL_END_OF_TERM,)) == [
        ref[d]
    ]
    assert refs(since=T0 + 2 * day) == []
