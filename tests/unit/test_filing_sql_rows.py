"""tickets.store.filing_sql.SubscriptionRow.read, whose SQLite path parses the times itself and
builds the tuple without the named tuple's __new__, against the general path it stands beside:
read_time of each value and the named tuple's constructor."""

from __future__ import annotations

from collections import namedtuple
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from tickets.store.filing_sql import SubscriptionRow, _domains
from tickets.store.lite import sqlite_time
from tickets.store.rawsql import read_time

_Columns = namedtuple("_Columns", SubscriptionRow._fields)
instants = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.sampled_from(
    [UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-5, minutes=-30))]))
# As each driver hands a time back: SQLite's text in UTC, psycopg's aware datetime (or a naive one).
stored_time = instants.map(sqlite_time) | instants | instants.map(lambda t: t.replace(tzinfo=None))


def _general(row) -> SubscriptionRow:
    maybe = [None if value is None else read_time(value)
             for value in (row.cancelled_at, row.expedited_at, row.data_deleted_at)]
    return SubscriptionRow(row.id, row.ref, row.organization_id, row.name, row.product, row.channel, row.platform,
                           row.state, read_time(row.purchased_at), read_time(row.term_start), read_time(row.term_end),
                           bool(row.auto_renew), row.licenses_assigned, _domains(row.custom_domains), *maybe,
                           row.cancelled_zone)


@given(purchased=stored_time, start=stored_time, end=stored_time, cancelled=st.none() | stored_time,
       auto_renew=st.sampled_from([0, 1, True, False]), domains=st.sampled_from(['["a.example"]', "[]", ["b"]]))
def test_read_is_the_general_path(purchased, start, end, cancelled, auto_renew, domains):
    row = _Columns(7, "SUB-1", 3, "Intune", "intune", "online", None, "active", purchased, start, end, auto_renew,
                   10, domains, cancelled, None, cancelled, "Asia/Shanghai")
    fast, general = SubscriptionRow.read(row), _general(row)
    assert type(fast) is SubscriptionRow
    assert fast == general
    assert [type(v) for v in fast] == [type(v) for v in general]
    assert [v.utcoffset() for v in fast if isinstance(v, datetime)] == [
        v.utcoffset() for v in general if isinstance(v, datetime)]
