"""Reading dates and date-times typed by people or written in files: ISO 8601, UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime

from tickets.errors import InvalidInput


def parse_when(text: str, *, option: str) -> datetime:
    """An ISO date (the start of that day, UTC) or date-time (UTC unless it says otherwise).

    A bad value raises InvalidInput naming the option, e.g. `--since: ...`.
    """
    raw = text.strip()
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(
            {option: f"{text!r} is not an ISO 8601 date or date-time (e.g. 2026-11-01 or 2026-11-01T08:30:00Z)"}
        ) from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
