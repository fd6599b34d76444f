"""When to try a failed delivery again: exponential backoff with jitter, within the
destination's retry_for.

Attempt n failed: the next waits a random time between half and all of min(CAP, BASE * 2**(n-1))
(the jitter spreads relays and rows that failed together), but never past the deadline
(created + retry_for): the last try is made at the deadline, and a failure then parks the row.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

BASE = timedelta(seconds=1)
CAP = timedelta(minutes=15)


def ceiling(attempt: int) -> timedelta:
    """The longest wait after the `attempt`-th failure (1 for the first)."""
    if attempt < 1:
        raise ValueError("attempt counts from 1")
    return min(CAP, BASE * 2 ** min(attempt - 1, 40))


def delay(attempt: int, rng: random.Random) -> timedelta:
    top = ceiling(attempt)
    return top / 2 + (top / 2) * rng.random()


def next_attempt(created: datetime, now: datetime, attempt: int, retry_for: timedelta,
                 rng: random.Random) -> datetime | None:
    """When to try again after the `attempt`-th failure at `now`; None: park it (the deadline has
    come, and this failure was at or after it)."""
    deadline = created + retry_for
    if now >= deadline:
        return None
    return min(now + delay(attempt, rng), deadline)
