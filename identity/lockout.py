"""Lockout after failed verifications (V-5).

V-5: failed attempts are counted per organization across all agents; after 3 failures within
24 hours the organization is locked for verification for 24 hours or until a supervisor unlocks
it. This module only decides from the failure times it is given; the store records them.

Semantics, precisely:
- only failures after the last supervisor unlock (``unlocked_at``) and not after ``now`` count;
- a failure is "within the window" of a later time ``t`` when ``t - failure < window``;
- when a failure brings the failures within the window to ``max_failures``, the organization is
  locked from that failure until ``failure + lock_for`` (the lock ends exactly then);
- failures that caused a lock are used up by it, and failures recorded while locked (a race
  between agents) neither extend the lock nor count afterwards;
- ``attempts_left`` is ``max_failures`` minus the failures still counting within the window
  before ``now``; 0 while locked.
All datetimes must be timezone-aware (UTC by house rule); a naive one is a programming error
and raises ``ValueError``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = ["LockoutPolicy", "LockoutState", "lockout_state", "require_aware"]


def require_aware(value: datetime, name: str) -> datetime:
    """Return ``value`` if it is an aware datetime; raise ``ValueError`` otherwise."""
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (UTC), got a naive datetime")
    return value


@dataclass(frozen=True)
class LockoutPolicy:
    """V-5: 3 failures within 24 hours lock verification for 24 hours."""

    max_failures: int = 3
    window: timedelta = timedelta(hours=24)
    lock_for: timedelta = timedelta(hours=24)

    def __post_init__(self) -> None:
        if self.max_failures < 1:
            raise ValueError("max_failures must be at least 1")
        if self.window <= timedelta(0) or self.lock_for <= timedelta(0):
            raise ValueError("window and lock_for must be positive")


@dataclass(frozen=True)
class LockoutState:
    """Whether an organization may be verified now (V-5)."""

    locked: bool
    locked_until: datetime | None
    attempts_left: int


def lockout_state(
    failures: Sequence[datetime],
    now: datetime,
    unlocked_at: datetime | None = None,
    policy: LockoutPolicy = LockoutPolicy(),  # noqa: B008 - frozen, so sharing it is safe
) -> LockoutState:
    """The V-5 lockout state of one organization at ``now``, from its failed attempts' times."""
    require_aware(now, "now")
    if unlocked_at is not None:
        require_aware(unlocked_at, "unlocked_at")
    times = sorted(require_aware(f, "failure") for f in failures)

    counting: list[datetime] = []  # failures since the last lock or unlock, within the window
    locked_until: datetime | None = None
    for failure in times:
        if unlocked_at is not None and failure <= unlocked_at:
            continue
        if failure > now:
            break  # not happened yet as far as this decision goes
        if locked_until is not None and failure < locked_until:
            continue  # recorded while locked: neither extends the lock nor counts later
        counting = [f for f in counting if failure - f < policy.window]
        counting.append(failure)
        if len(counting) >= policy.max_failures:
            locked_until = failure + policy.lock_for
            counting = []  # used up by the lock

    if locked_until is not None and now < locked_until:
        return LockoutState(locked=True, locked_until=locked_until, attempts_left=0)
    recent = sum(1 for f in counting if now - f < policy.window)
    return LockoutState(
        locked=False, locked_until=None, attempts_left=max(0, policy.max_failures - recent)
    )
