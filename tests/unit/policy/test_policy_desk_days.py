"""Every rule with a day count counts the desk's days (tickets.desk_time), in any zone from
UTC-12 to UTC+14 and in zones with daylight saving: the last allowed local minute is allowed
and the next one refused, for R-1, C-6, C-8/X-3, X-1, V-1/T-1 and U-1."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st
from policy_factories import cancelled, make_caller, make_res, make_sub

from tickets.desk_time import day_start, local_day
from tickets.enums import Channel, Product, TicketKind
from tickets.policy import decide, decide_resource, validate_filing
from tickets.policy.deadlines import expedited_deletion_day, reversal_deadline

MINUTE = timedelta(minutes=1)
DST_ZONES = ("Europe/Berlin", "America/Los_Angeles", "America/Havana", "America/Santiago",
             "Australia/Lord_Howe", "Asia/Shanghai", "Pacific/Kiritimati", "Asia/Kathmandu")

# Fixed offsets from UTC-12 to UTC+14 in quarter hours (Kathmandu's +05:45 is one), and IANA
# zones whose clocks change, some of them at midnight.
fixed_zones = st.integers(min_value=-12 * 4, max_value=14 * 4).map(
    lambda q: timezone(timedelta(minutes=15 * q)))
zones = fixed_zones | st.sampled_from([ZoneInfo(name) for name in DST_ZONES])
instants = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31),
                        timezones=st.just(UTC))


def last_minute(day: date, zone: tzinfo) -> datetime:
    """The last whole minute whose local date is `day`."""
    return day_start(day + timedelta(days=1), zone) - MINUTE


def around(last: datetime) -> tuple[datetime, datetime]:
    return last, last + MINUTE


@settings(max_examples=150, deadline=None)
@given(zone=zones, cancelled_at=instants)
def test_r1_reversal_last_local_minute_allowed_next_refused(zone, cancelled_at):
    sub = cancelled(make_sub(Product.D365), cancelled_at)
    deadline = reversal_deadline(cancelled_at, zone)
    assert deadline == local_day(cancelled_at, zone) + timedelta(days=30)
    allowed, refused = around(last_minute(deadline, zone))
    yes = decide(TicketKind.REVERSAL, sub, make_caller(), allowed, zone=zone)
    no = decide(TicketKind.REVERSAL, sub, make_caller(), refused, zone=zone)
    assert yes.allowed and yes.consequences.reversal_deadline == deadline
    assert not no.allowed and [r.rule for r in no.reasons] == ["R-1"]
    assert f"until {deadline}" in str(no.reasons[0])


@settings(max_examples=150, deadline=None)
@given(zone=zones, purchased_at=instants)
def test_c6_self_service_window_last_local_minute_allowed_next_refused(zone, purchased_at):
    sub = make_sub(Product.O365, licenses_assigned=400, purchased_at=purchased_at,
                   term_start=purchased_at, term_end=purchased_at + timedelta(days=400))
    last = local_day(purchased_at, zone) + timedelta(days=30)
    allowed, refused = around(last_minute(last, zone))
    yes = decide(TicketKind.CANCEL_EARLY, sub, make_caller(), allowed, zone=zone)
    no = decide(TicketKind.CANCEL_EARLY, sub, make_caller(), refused, zone=zone)
    assert yes.consequences.self_service.startswith("C-6: the customer can cancel it themselves")
    assert f"until {last}" in yes.consequences.self_service
    assert no.consequences.self_service.startswith("C-6: only through support")


@settings(max_examples=150, deadline=None)
@given(zone=zones, cancelled_at=instants)
def test_c8_data_kept_90_days_expedite_last_local_minute_allowed_next_refused(zone, cancelled_at):
    sub = cancelled(make_sub(Product.INTUNE), cancelled_at)
    deletion = local_day(cancelled_at, zone) + timedelta(days=90)
    allowed, refused = around(last_minute(deletion - timedelta(days=1), zone))
    yes = decide(TicketKind.EXPEDITED_DEPROVISIONING, sub, make_caller(), allowed, zone=zone)
    no = decide(TicketKind.EXPEDITED_DEPROVISIONING, sub, make_caller(), refused, zone=zone)
    assert yes.allowed
    assert not no.allowed and [r.rule for r in no.reasons] == ["X-3"]
    assert f"deleted on {deletion}" in str(no.reasons[0])


@settings(max_examples=150, deadline=None)
@given(zone=zones, approved=instants)
def test_x1_three_days_count_from_the_local_day_of_approval(zone, approved):
    day = local_day(approved, zone)
    late, next_day = around(last_minute(day, zone))
    assert expedited_deletion_day(late, zone) == day + timedelta(days=3)
    assert expedited_deletion_day(next_day, zone) == day + timedelta(days=4)
    sub = make_sub(Product.INTUNE)
    decided = decide(TicketKind.EXPEDITED_DEPROVISIONING, sub, make_caller(), late, zone=zone,
                     approved_at=late)
    assert decided.consequences.data_deletion_date == day + timedelta(days=3)
    assert decided.consequences.effective_date == day


@settings(max_examples=150, deadline=None)
@given(zone=zones, now=instants)
def test_v1_t1_requested_date_today_until_the_last_local_minute(zone, now):
    today = local_day(now, zone)
    sub = make_sub(Product.INTUNE, term_start=now - timedelta(days=10), term_end=now + timedelta(days=300),
                   channel=Channel.ONLINE)
    allowed, refused = around(last_minute(today, zone))
    yes = decide(TicketKind.CANCEL_EARLY, sub, make_caller(), allowed, zone=zone, requested_date=today)
    no = decide(TicketKind.CANCEL_EARLY, sub, make_caller(), refused, zone=zone, requested_date=today)
    assert yes.allowed and yes.consequences.effective_date == today
    assert not no.allowed and "V-1" in [r.rule for r in no.reasons]
    blocking = validate_filing(yes, confirmed={i.key for i in yes.checklist},
                               fields={"requested_date": today.isoformat()}, now=refused, zone=zone)
    assert [r.rule for r in blocking] == ["V-1"]


@settings(max_examples=150, deadline=None)
@given(zone=zones, effective=instants)
def test_u1_unsubscribe_until_the_minute_before_the_effective_time(zone, effective):
    effective = effective.replace(second=0, microsecond=0)
    res = make_res(effective_at=effective)
    yes = decide_resource(res, make_caller(), effective - MINUTE, zone)
    no = decide_resource(res, make_caller(), effective, zone)
    assert yes.allowed and no.reasons[0].rule == "U-1"
    assert f"took effect on {local_day(effective, zone)}" in str(no.reasons[0])


# --- the example, and daylight saving ---------------------------------------------------

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")


def test_r1_shanghai_cancellation_at_one_in_the_night_is_that_local_day():
    """At 01:00 CST on 2026-10-24 (17:00 UTC the day before) the cancellation took effect on the
    24th at the desk, and can be reversed until 23:59 CST on 2026-11-23."""
    at = datetime(2026, 10, 24, 1, 0, tzinfo=SHANGHAI)
    sub = cancelled(make_sub(Product.D365), at.astimezone(UTC))
    last = datetime(2026, 11, 23, 23, 59, tzinfo=SHANGHAI)
    yes = decide(TicketKind.REVERSAL, sub, make_caller(), last, zone=SHANGHAI)
    assert yes.allowed and yes.consequences.reversal_deadline == date(2026, 11, 23)
    assert "cancelled on 2026-10-24" in str(yes.reasons[-1])
    assert not decide(TicketKind.REVERSAL, sub, make_caller(), last + MINUTE, zone=SHANGHAI).allowed
    # The same cancellation told by a UTC desk: the 23rd, until the end of 2026-11-22 UTC.
    assert decide(TicketKind.REVERSAL, sub, make_caller(), last, zone=UTC).consequences is None


def test_r1_the_zone_the_cancellation_was_told_in_wins_over_a_later_setting():
    """A later change of the desk's zone does not move a deadline already told to the caller:
    the subscription keeps the zone its cancellation was filed in (cancelled_zone)."""
    at = datetime(2026, 10, 24, 1, 0, tzinfo=SHANGHAI).astimezone(UTC)
    sub = cancelled(make_sub(Product.D365), at, cancelled_zone="Asia/Shanghai")
    last = datetime(2026, 11, 23, 23, 59, tzinfo=SHANGHAI)
    for desk in (UTC, LOS_ANGELES, ZoneInfo("Pacific/Kiritimati")):
        yes = decide(TicketKind.REVERSAL, sub, make_caller(), last, zone=desk)
        assert yes.allowed and yes.consequences.reversal_deadline == date(2026, 11, 23)
        assert not decide(TicketKind.REVERSAL, sub, make_caller(), last + MINUTE, zone=desk).allowed


def test_r1_deadline_on_a_daylight_saving_day_ends_at_local_midnight():
    """Berlin springs forward on 2027-03-28 (02:00 -> 03:00, a 23-hour day) and Los Angeles
    falls back on 2027-11-07 (01:00-02:00 twice, a 25-hour day): a deadline on such a day still
    ends at 23:59 local; the skipped and repeated hours are inside it, not at its edge."""
    for zone, deadline, hours in ((BERLIN, date(2027, 3, 28), 23), (LOS_ANGELES, date(2027, 11, 7), 25)):
        cancelled_on = deadline - timedelta(days=30)
        sub = cancelled(make_sub(Product.D365), day_start(cancelled_on, zone) + timedelta(hours=12))
        assert day_start(deadline + timedelta(days=1), zone) - day_start(deadline, zone) == timedelta(hours=hours)
        last = datetime.combine(deadline, datetime.min.time().replace(hour=23, minute=59), tzinfo=zone)
        assert decide(TicketKind.REVERSAL, sub, make_caller(), last, zone=zone).allowed
        assert not decide(TicketKind.REVERSAL, sub, make_caller(), last + MINUTE, zone=zone).allowed


def test_a_day_whose_midnight_is_skipped_starts_when_the_clocks_jump():
    """America/Havana skips 00:00-01:00 on 2027-03-14: that day starts at 01:00 CDT."""
    havana = ZoneInfo("America/Havana")
    start = day_start(date(2027, 3, 14), havana)
    assert start.astimezone(havana).strftime("%Y-%m-%d %H:%M %Z") == "2027-03-14 01:00 CDT"
    assert local_day(start - timedelta(microseconds=1), havana) == date(2027, 3, 13)


@settings(max_examples=200, deadline=None)
@given(zone=zones, day=st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31)))
def test_day_start_is_the_first_instant_of_the_local_day(zone, day):
    start = day_start(day, zone)
    assert local_day(start, zone) == day
    assert local_day(start - timedelta(microseconds=1), zone) < day


def test_reversal_deadline_is_one_function():
    """R-1's formula is written once (tickets.policy.deadlines); the policy modules ask it."""
    import inspect

    import tickets.policy.cancel_early as early
    import tickets.policy.reversal as reversal
    import tickets.policy.shared as shared

    for module in (early, reversal, shared):
        assert "REVERSAL_DAYS" not in inspect.getsource(module)
