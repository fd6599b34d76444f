"""tickets.dates: the one reader of dates and date-times (there were about ten)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tickets.dates import as_utc, parse_when, read_date, read_datetime, utc_day
from tickets.errors import InvalidInput

aware = st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(2999, 12, 30),
                     timezones=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30)),
                                                timezone(timedelta(hours=-8))]))


@given(st.dates())
def test_a_date_reads_back_from_its_iso_text(day):
    assert read_date(day.isoformat()) == day == read_date(f"  {day.isoformat()} ")
    assert read_date(day) == day


@given(aware)
def test_an_instant_reads_back_as_the_same_instant_in_utc(moment):
    read = read_datetime(moment.isoformat())
    assert read == moment and read.tzinfo is UTC
    assert read_date(moment) == utc_day(moment) == moment.astimezone(UTC).date()


@given(st.datetimes())
def test_naive_means_utc(moment):
    assert as_utc(moment) == moment.replace(tzinfo=UTC)
    assert read_datetime(moment.isoformat(sep=" ")) == moment.replace(tzinfo=UTC)


@given(st.one_of(st.text(max_size=40), st.none(), st.integers(), st.floats()))
def test_anything_else_is_none_never_an_exception(value):
    if isinstance(value, str):
        try:
            expected = date.fromisoformat(value.strip())
        except ValueError:
            expected = None
        assert read_date(value) == (expected if value.strip() else None)
    else:
        assert read_date(value) is None and read_datetime(value) is None


def test_parse_when_reads_a_day_as_its_midnight_utc_and_names_the_option_when_bad():
    assert parse_when("2026-11-01", option="--since") == datetime(2026, 11, 1, tzinfo=UTC)
    assert parse_when("2026-11-01T08:30:00+01:00", option="--since") == datetime(2026, 11, 1, 7, 30, tzinfo=UTC)
    assert parse_when("2026-11-01 08:30", option="--since") == datetime(2026, 11, 1, 8, 30, tzinfo=UTC)
    with pytest.raises(InvalidInput, match="--until: 'next week' is not an ISO 8601 date"):
        parse_when("next week", option="--until")
    with pytest.raises(InvalidInput, match="--until"):
        parse_when("2026-13-01", option="--until")
