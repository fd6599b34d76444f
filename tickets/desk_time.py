"""The desk's days: every rule that counts days (C-6's 30 days after purchase, C-8's 90 days,
R-1's 30 days, X-1's 3 days, T-1's dates, U-1's effective times) counts them here, in the
desk's time zone, so "30 days" means what the caller in Shanghai or Seattle hears.

Instants stay aware UTC everywhere (store, audit, exports); only the question "which calendar
day is it at the desk" is asked in the zone. A day-counted window is allowed up to and
including its last local day: it closes at the first instant whose local date is later
(`window_end`), which is the next local midnight.

Daylight saving: a window always ends at a local midnight, so a Berlin or Los Angeles deadline
never falls in a skipped or repeated hour (their clocks change at 02:00/03:00 and 01:00/02:00).
Where a zone's clocks change at midnight (America/Havana skips 00:00-01:00 in March;
America/Santiago repeats 23:00-24:00 in April) a day starts at the first instant whose local
date is that day: the day after a skipped midnight starts at 01:00, and a repeated hour before
midnight belongs to the day it reads. A time typed by an agent (M-3's transfer time) that
falls in a skipped hour does not exist and is refused, naming the gap; one in a repeated hour
is the first of its two readings (the earlier instant, which never promises the caller more
than the desk can do) and is shown with its UTC offset so nobody has to guess.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tickets.errors import InvalidInput

__all__ = [
    "DeskZone",
    "day_start",
    "desk_zone",
    "is_within",
    "last_day",
    "local_day",
    "local_wall_time",
    "window_end",
    "zone_key",
]

DeskZone = tzinfo


def desk_zone(name: str | tzinfo | None) -> tzinfo:
    """A zone from its IANA name (None and "" are UTC); an unknown name raises InvalidInput."""
    if name is None or name == "":
        return UTC
    if isinstance(name, tzinfo):
        return name
    if name == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput({"time_zone": f"{name!r} is not an IANA time zone such as Asia/Shanghai"}) from None


def zone_key(zone: tzinfo) -> str:
    """The zone's IANA name as it is recorded in a filing event ("UTC" for UTC)."""
    return getattr(zone, "key", None) or ("UTC" if zone in (UTC,) else str(zone))


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def local_day(moment: datetime, zone: tzinfo) -> date:
    """The desk's calendar day at an instant (a naive instant is UTC, as SQLite returns it)."""
    return _aware(moment).astimezone(zone).date()


def day_start(day: date, zone: tzinfo) -> datetime:
    """The first instant (aware UTC) whose local date in `zone` is `day`.

    Local midnight, or, where the zone skips midnight, the instant its clocks jump past it."""
    naive = datetime.combine(day, time())
    candidates = []
    for fold in (0, 1):
        instant = naive.replace(tzinfo=zone, fold=fold).astimezone(UTC)
        if instant.astimezone(zone).date() == day:
            candidates.append(instant)
    if candidates:
        return min(candidates)
    # Midnight does not exist and the readings fall on either side: the gap's end is the start.
    before = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    step = timedelta(minutes=1)
    probe = before - timedelta(hours=3)
    while probe.astimezone(zone).date() < day:
        probe += step
    return probe


def last_day(start: datetime | date, days: int, zone: tzinfo) -> date:
    """The last local day of a window of `days` days counted from the local day of `start`."""
    first = start if isinstance(start, date) and not isinstance(start, datetime) else local_day(start, zone)
    return first + timedelta(days=days)


def window_end(last: date, zone: tzinfo) -> datetime:
    """The first instant no longer inside a window whose last local day is `last`."""
    return day_start(last + timedelta(days=1), zone)


def is_within(now: datetime, last: date, zone: tzinfo) -> bool:
    """Whether `now` falls on or before the window's last local day."""
    return local_day(now, zone) <= last


def local_wall_time(value: datetime, zone: tzinfo, *, field: str = "time") -> datetime:
    """A date-time typed at the desk as an aware UTC instant.

    An explicit offset is taken as given. A wall time the zone skips is refused (InvalidInput
    naming the gap); one the zone repeats is its first reading (fold 0)."""
    if value.tzinfo is not None:
        return value.astimezone(UTC)
    first = value.replace(tzinfo=zone, fold=0)
    instant = first.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != value:
        jump = _transition(value.replace(tzinfo=zone, fold=1).astimezone(UTC), instant, zone)
        before = (jump - timedelta(microseconds=1)).astimezone(zone)
        after = jump.astimezone(zone)
        raise InvalidInput({field: (
            f"{value:%Y-%m-%d %H:%M} does not exist in {zone_key(zone)}: at daylight saving the "
            f"clocks jump from {before + timedelta(microseconds=1):%H:%M} to {after:%H:%M}"
        )})
    return instant


def _transition(early: datetime, late: datetime, zone: tzinfo) -> datetime:
    """The instant between `early` and `late` at which the zone's UTC offset changes."""
    offset = early.astimezone(zone).utcoffset()
    while late - early > timedelta(seconds=1):
        middle = early + (late - early) / 2
        if middle.astimezone(zone).utcoffset() == offset:
            early = middle
        else:
            late = middle
    return late.replace(microsecond=0)
