"""The dashboard's "today" is the desk's day (its time zone), not a UTC day; storage stays UTC.
Shanghai (UTC+8, no DST) and Los Angeles (UTC-8 in November, DST in spring) around midnight."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from test_dashboard_figures import K, S, add_call, add_ticket, desk  # noqa: F401 - fixture

from tickets.dashboard import compute_dashboard, day_start

SHANGHAI = ZoneInfo("Asia/Shanghai")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")


def test_shanghai_today_starts_at_its_own_midnight(store, desk):  # noqa: F811
    now = datetime(2026, 11, 22, 16, 30, tzinfo=UTC)  # 00:30 on the 23rd in Shanghai
    add_ticket(store, desk, agent="ana", kind=K.CANCEL_END_OF_TERM, status=S.OPEN,
               when=datetime(2026, 11, 22, 16, 10, tzinfo=UTC))  # 00:10 Shanghai: today there
    add_ticket(store, desk, agent="ana", kind=K.CANCEL_END_OF_TERM, status=S.OPEN,
               when=datetime(2026, 11, 22, 15, 50, tzinfo=UTC))  # 23:50 on the 22nd there
    add_call(store, desk, datetime(2026, 11, 22, 16, 0, tzinfo=UTC))  # 00:00:00 exactly: today
    add_call(store, desk, datetime(2026, 11, 22, 15, 59, 59, tzinfo=UTC))  # yesterday there

    board = compute_dashboard(store, now, SHANGHAI)
    assert board.today_start == datetime(2026, 11, 22, 16, 0, tzinfo=UTC)
    assert (board.tickets_today, board.tickets_week) == (1, 2)
    assert board.calls_per_day[-1].day == date(2026, 11, 23)
    assert board.call_counts[-2:] == [1, 1]

    utc_board = compute_dashboard(store, now)  # the same rows counted as UTC days
    assert (utc_board.tickets_today, utc_board.call_counts[-1]) == (2, 2)
    assert utc_board.calls_per_day[-1].day == date(2026, 11, 22)


def test_los_angeles_evening_is_still_its_today(store, desk):  # noqa: F811
    now = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)  # 23:30 on the 22nd in Los Angeles
    add_ticket(store, desk, agent="ben", kind=K.CANCEL_EARLY, status=S.OPEN,
               when=datetime(2026, 11, 23, 1, 0, tzinfo=UTC))  # 17:00 on the 22nd there
    add_ticket(store, desk, agent="ben", kind=K.CANCEL_EARLY, status=S.OPEN,
               when=datetime(2026, 11, 22, 7, 59, tzinfo=UTC))  # 23:59 on the 21st there
    add_ticket(store, desk, agent="ben", kind=K.CANCEL_EARLY, status=S.OPEN,
               when=datetime(2026, 11, 22, 20, 0, tzinfo=UTC))  # noon on the 22nd there
    board = compute_dashboard(store, now, LOS_ANGELES)
    assert board.today_start == datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
    assert board.calls_per_day[-1].day == date(2026, 11, 22)
    assert (board.tickets_today, board.tickets_week) == (2, 3)
    assert compute_dashboard(store, now).tickets_today == 1  # a UTC desk is already on the 23rd


def test_a_week_across_the_spring_change_counts_calendar_days(store, desk):  # noqa: F811
    # 2027-03-14: Los Angeles moves from UTC-8 to UTC-7; that day has 23 hours.
    now = datetime(2027, 3, 17, 18, 0, tzinfo=UTC)  # 11:00 on the 17th there
    board = compute_dashboard(store, now, LOS_ANGELES)
    assert board.week_start == datetime(2027, 3, 11, 8, 0, tzinfo=UTC)  # midnight on the 11th (UTC-8)
    assert board.today_start == datetime(2027, 3, 17, 7, 0, tzinfo=UTC)  # midnight on the 17th (UTC-7)
    add_call(store, desk, datetime(2027, 3, 14, 7, 30, tzinfo=UTC))  # 23:30 on the 13th (UTC-8)
    add_call(store, desk, datetime(2027, 3, 15, 6, 30, tzinfo=UTC))  # 23:30 on the 14th (UTC-7)
    board = compute_dashboard(store, now, LOS_ANGELES)
    days = {d.day: d.calls for d in board.calls_per_day}
    assert days[date(2027, 3, 13)] == 1 and days[date(2027, 3, 14)] == 1 and sum(days.values()) == 2


def test_day_start_in_a_zone():
    moment = datetime(2026, 11, 22, 16, 30, tzinfo=UTC)
    assert day_start(moment, SHANGHAI) == datetime(2026, 11, 22, 16, 0, tzinfo=UTC)
    assert day_start(moment, LOS_ANGELES) == datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
    assert day_start(moment) == datetime(2026, 11, 22, 0, 0, tzinfo=UTC)
    assert day_start(moment, SHANGHAI) + timedelta(days=1) > moment
