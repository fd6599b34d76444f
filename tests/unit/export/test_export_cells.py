"""E-2 formula neutralising, E-1 masking and the filter values: pure functions."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tickets.enums import TicketKind
from tickets.errors import InvalidInput
from tickets.export.records import (
    FIELDS,
    TRIGGERS,
    ExportFilter,
    mask_email,
    mask_name,
    mask_phone,
    neutralise_cell,
    parse_when,
    recover_cell,
    scrub_text,
    write_records,
)

# Text that is mostly made of what matters here: triggers, quotes and CSV's own specials.
SPECIAL = sorted(TRIGGERS) + ["'", '"', ",", " ", "a", "0"]
cells = st.text(alphabet=st.one_of(st.sampled_from(SPECIAL), st.characters()), max_size=12)


def _round_trip(rows: list[list[str]]) -> list[list[str]]:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerows([[neutralise_cell(c) for c in row] for row in rows])
    return list(csv.reader(io.StringIO(buffer.getvalue(), newline="")))


@given(st.lists(st.lists(cells, min_size=1, max_size=4), min_size=1, max_size=4))
@example([["=1+1", "'=1", "''@x", "'x", "\uff1dSUM(A1)", "\n-", "\t", ""]])
def test_e2_csv_cells_never_start_a_formula_and_recover_exactly(rows):
    parsed = _round_trip(rows)
    assert len(parsed) == len(rows)
    for original, back in zip(rows, parsed, strict=True):
        assert len(back) == len(original)
        for cell, read in zip(original, back, strict=True):
            assert not read[:1] or read[0] not in TRIGGERS
            assert recover_cell(read) == cell


@given(cells)
def test_e2_neutralise_is_invertible_and_idempotent_on_safe_text(text):
    assert recover_cell(neutralise_cell(text)) == text
    safe = neutralise_cell(text)
    if safe == text:  # nothing to neutralise: nothing to recover either
        assert recover_cell(text) == text


@pytest.mark.parametrize(
    ("cell", "neutralised"),
    [
        ("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"),
        ("+44 20", "'+44 20"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("\nx", "'\nx"),
        ("\uff1d1", "'\uff1d1"),
        ("\uff0b1", "'\uff0b1"),
        ("\uff0d1", "'\uff0d1"),
        ("\uff20x", "'\uff20x"),
        ("'=1", "''=1"),  # a quote already in front of a trigger gets one more
        ("''-x", "'''-x"),
        ("'x", "'x"),  # a quote before anything else is left alone
        ("a=1", "a=1"),
        ("", ""),
    ],
)
def test_e2_neutralise_examples(cell, neutralised):
    assert neutralise_cell(cell) == neutralised
    assert recover_cell(neutralised) == cell


@given(st.text(alphabet=st.sampled_from(SPECIAL), max_size=30))
def test_e2_csv_export_neutralises_free_text_and_jsonl_keeps_it_raw(reason):
    record = dict.fromkeys(FIELDS)
    record.update(schema_version="1", rules=["C-1"], checklist=[], needs_review=False, needs_callback=False)
    record["reason"] = reason
    out = io.StringIO(newline="")
    write_records([record], out, fmt="csv")
    header, row = list(csv.reader(io.StringIO(out.getvalue(), newline="")))
    assert header == list(FIELDS)
    assert all(not cell[:1] or cell[0] not in TRIGGERS for cell in row)
    assert recover_cell(row[FIELDS.index("reason")]) == reason
    out = io.StringIO()
    write_records([record], out, fmt="jsonl")
    assert json.loads(out.getvalue())["reason"] == reason


def test_e1_masks():
    assert mask_phone("+442079460958") == "***0958"
    assert mask_phone("+1 (425) 555-0100") == "***0100"
    assert mask_phone("12345") == "***"  # too short to show any of it
    assert mask_phone(None) is None
    assert mask_email("ann.smith@contoso.co.uk") == "a***@contoso.co.uk"
    assert mask_email("no-at-sign") == "***"
    assert mask_email("") is None
    assert mask_name("Ann", "Smith") == "A. S."
    assert mask_name("Ōta", "'t Hooft") == "Ō. T."
    assert mask_name("", "Smith") == "S."


def test_e1_free_text_scrubbed_but_dates_and_refs_kept():
    text = "call ann.smith@contoso.co.uk on 020 7946 0958 or +44 (20) 7946-0958 before 2026-12-01 re TK-000012"
    scrubbed = scrub_text(text)
    assert "ann.smith" not in scrubbed and "a***@contoso.co.uk" in scrubbed
    assert "7946" not in scrubbed and scrubbed.count("***0958") == 2
    assert "2026-12-01" in scrubbed and "TK-000012" in scrubbed
    named = scrub_text("Ann SMITH asked; Annabel did not", names=("Ann", "Smith"))
    assert named == "A. S. asked; Annabel did not"  # whole words only


def test_filters_parse_dates_as_utc():
    assert parse_when("2026-11-01", option="--since") == datetime(2026, 11, 1, tzinfo=UTC)
    assert parse_when("2026-11-01T08:30", option="--since") == datetime(2026, 11, 1, 8, 30, tzinfo=UTC)
    assert parse_when("2026-11-01T08:30:00+01:00", option="--until") == datetime(2026, 11, 1, 7, 30, tzinfo=UTC)
    assert parse_when("2026-11-01T08:30:00Z", option="--until") == datetime(2026, 11, 1, 8, 30, tzinfo=UTC)


@pytest.mark.parametrize("bad", ["yesterday", "2026-13-01", "2026-11-31", "01/11/2026", ""])
def test_filters_bad_value_names_the_option(bad):
    with pytest.raises(InvalidInput) as raised:
        parse_when(bad, option="--since")
    assert str(raised.value).startswith("--since: ")


def test_filters_until_must_follow_since():
    day = datetime(2026, 11, 1, tzinfo=UTC)
    with pytest.raises(InvalidInput, match="--until"):
        ExportFilter(since=day, until=day)
    with pytest.raises(InvalidInput):
        ExportFilter(since=datetime(2026, 11, 1))  # naive: a guess about the zone
    assert ExportFilter(kinds=("reversal",)).kinds == (TicketKind.REVERSAL,)
