"""Backoff: exponential with jitter, never past the destination's retry_for, then parked."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from tickets.handoff import backoff

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


@given(attempt=st.integers(1, 200), seed=st.integers(0, 2**32))
def test_each_wait_is_between_half_and_all_of_its_ceiling(attempt, seed):
    wait = backoff.delay(attempt, random.Random(seed))
    top = backoff.ceiling(attempt)
    assert top / 2 <= wait <= top <= backoff.CAP
    assert top.total_seconds() == min(backoff.CAP.total_seconds(), backoff.BASE.total_seconds() * 2.0 ** (attempt - 1))


@given(retry_seconds=st.integers(1, 7 * 24 * 3600), seed=st.integers(0, 2**32),
       late=st.lists(st.integers(0, 600), max_size=60))
def test_retries_stop_at_retry_for_and_park_after_the_deadline(retry_seconds, seed, late):
    """Whatever each attempt takes (`late`: seconds it ran past its planned time), every planned
    time is after the failure and no later than the deadline, and the row is parked exactly when
    a failure comes at or after the deadline."""
    rng, retry_for = random.Random(seed), timedelta(seconds=retry_seconds)
    deadline, now, attempt = T0 + retry_for, T0, 1
    for extra in [*late, *[0] * 5000]:  # a week at the cap's shortest wait: under 1,400
        planned = backoff.next_attempt(T0, now, attempt, retry_for, rng)
        if now >= deadline:
            assert planned is None
            return
        assert planned is not None and now < planned <= deadline
        now, attempt = planned + timedelta(seconds=extra), attempt + 1
    raise AssertionError("never parked")


def test_the_waits_double_up_to_the_cap():
    assert [backoff.ceiling(n).total_seconds() for n in (1, 2, 3, 4)] == [1, 2, 4, 8]
    assert backoff.ceiling(100) == backoff.CAP
