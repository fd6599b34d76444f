"""A-1: the texts an event's content hash is taken over (tickets.audit.format)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st


@given(at=st.datetimes(timezones=st.timezones()))
def test_an_events_time_is_written_as_strftime_writes_it(at) -> None:
    """A-1: the time hashed in an event's content (tickets.audit.format.at_text), whatever the
    instant and its zone, is strftime's text of it in UTC."""
    from datetime import UTC

    from tickets.audit.format import at_text

    try:
        utc = at.astimezone(UTC)
    except OverflowError:
        return  # not an instant in UTC's range: at_text raises as astimezone does
    assert at_text(at) == utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
