"""Reading dates and date-times, the one place that does it: what agents type, what the policy
receives in ticket fields, what the store and the command line hand over. ISO 8601; every
instant comes out aware UTC, and a date-time without an offset is taken to be UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo

from tickets.errors import InvalidInput

__all__ = ["as_utc", "parse_when", "read_date", "read_datetime", "utc_day"]


def as_utc(moment: datetime) -> datetime:
    """Aware UTC; a naive datetime is taken to be UTC already (as SQLite returns them)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def utc_day(moment: datetime) -> date:
    """The UTC calendar day of an instant."""
    return as_utc(moment).date()


def read_date(value: object) -> date | None:
    """A date from a date, a datetime (its UTC day) or ISO text such as ``2026-12-01``; None
    for anything else (blank, not a date)."""
    if isinstance(value, datetime):
        return utc_day(value)
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value.strip():
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def read_datetime(value: object) -> datetime | None:
    """An aware UTC instant from a datetime or ISO text (``2026-12-01 09:00``, ``...T09:00Z``);
    None for anything else."""
    if isinstance(value, datetime):
        return as_utc(value)
    if isinstance(value, str) and value.strip():
        try:
            return as_utc(datetime.fromisoformat(value.strip()))
        except ValueError:
            return None
    return None


def parse_when(text: str, *, option: str, zone: tzinfo = UTC) -> datetime:
    """An ISO date (the start of that day in `zone`) or date-time (in `zone` unless it says
    otherwise), as an aware UTC instant. `zone` is the desk's where a person types it.

    A bad value raises InvalidInput naming the option, e.g. `--since: ...`.
    """
    from tickets.desk_time import day_start, local_wall_time

    raw = text.strip()
    moment = None
    try:
        typed = datetime.fromisoformat(raw)
    except ValueError:
        typed = None
    if typed is not None:
        moment = local_wall_time(typed, zone, field=option)
    if len(raw) == 10:  # a date alone: read as one, so 2026-11-01 is that day's first instant
        day = read_date(raw)
        moment = day_start(day, zone) if day is not None else None
    if moment is None:
        raise InvalidInput(
            {option: f"{text!r} is not an ISO 8601 date or date-time (e.g. 2026-11-01 or 2026-11-01T08:30:00Z)"}
        )
    return moment
