"""V-5: 3 failures within 24 hours lock verification for 24 hours or until a supervisor unlocks."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from identity import LockoutPolicy, LockoutState, lockout_state

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
H = timedelta(hours=1)


def test_v5_no_failures_three_attempts() -> None:
    assert lockout_state([], T0) == LockoutState(locked=False, locked_until=None, attempts_left=3)


def test_v5_two_failures_leave_one_attempt() -> None:
    assert lockout_state([T0, T0 + H], T0 + 2 * H) == LockoutState(False, None, 1)


def test_v5_three_failures_within_24h_lock_until_third_plus_24h() -> None:
    failures = [T0, T0 + 5 * H, T0 + 23 * H]
    state = lockout_state(failures, T0 + 23 * H)
    assert state == LockoutState(locked=True, locked_until=T0 + 47 * H, attempts_left=0)
    assert lockout_state(failures, T0 + 47 * H - timedelta(seconds=1)).locked


def test_v5_unlocked_24h_after_the_lock() -> None:
    failures = [T0, T0 + H, T0 + 2 * H]
    assert lockout_state(failures, T0 + 26 * H) == LockoutState(False, None, 3)


def test_v5_three_failures_spread_over_30h_do_not_lock() -> None:
    failures = [T0, T0 + 15 * H, T0 + 30 * H]
    state = lockout_state(failures, T0 + 30 * H)
    assert not state.locked
    assert state.attempts_left == 1  # the first failure has left the window


def test_v5_failures_from_any_agent_count_in_any_order() -> None:
    failures = [T0 + 2 * H, T0, T0 + H]  # as three agents recorded them
    assert lockout_state(failures, T0 + 3 * H).locked_until == T0 + 26 * H


def test_v5_supervisor_unlock_clears_the_lock_and_the_count() -> None:
    failures = [T0, T0 + H, T0 + 2 * H]
    assert lockout_state(failures, T0 + 3 * H, unlocked_at=T0 + 3 * H) == LockoutState(False, None, 3)
    # Failures after the unlock count again.
    later = [*failures, T0 + 4 * H, T0 + 5 * H]
    assert lockout_state(later, T0 + 6 * H, unlocked_at=T0 + 3 * H).attempts_left == 1


def test_v5_failures_recorded_while_locked_do_not_extend_the_lock() -> None:
    failures = [T0, T0 + H, T0 + 2 * H, T0 + 3 * H, T0 + 20 * H]
    state = lockout_state(failures, T0 + 21 * H)
    assert state.locked_until == T0 + 26 * H
    assert lockout_state(failures, T0 + 26 * H) == LockoutState(False, None, 3)


def test_v5_a_new_lock_after_the_first_expires() -> None:
    failures = [T0, T0 + H, T0 + 2 * H, T0 + 27 * H, T0 + 28 * H, T0 + 29 * H]
    assert lockout_state(failures, T0 + 29 * H).locked_until == T0 + 53 * H


def test_v5_future_failures_are_ignored() -> None:
    assert lockout_state([T0 + H], T0).attempts_left == 3


def test_v5_window_boundary() -> None:
    # A failure exactly 24 hours old has left the window.
    assert lockout_state([T0], T0 + 24 * H).attempts_left == 3
    assert not lockout_state([T0, T0 + 12 * H, T0 + 24 * H], T0 + 24 * H).locked


def test_v5_other_utc_offsets_compare_as_instants() -> None:
    cet = timezone(timedelta(hours=1))
    failures = [T0, (T0 + H).astimezone(cet), T0 + 2 * H]
    assert lockout_state(failures, (T0 + 3 * H).astimezone(cet)).locked


def test_v5_custom_policy() -> None:
    policy = LockoutPolicy(max_failures=2, window=H, lock_for=2 * H)
    assert lockout_state(
        [T0, T0 + 30 * timedelta(minutes=1)], T0 + H, policy=policy
    ).locked_until == T0 + 150 * timedelta(minutes=1)


@pytest.mark.parametrize(
    "kwargs", [{"max_failures": 0}, {"window": timedelta(0)}, {"lock_for": -H}]
)
def test_v5_policy_rejects_nonsense(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        LockoutPolicy(**kwargs)


def test_naive_datetimes_are_a_programming_error() -> None:
    naive = datetime(2026, 11, 2, 9, 0)
    with pytest.raises(ValueError, match="timezone-aware"):
        lockout_state([], naive)
    with pytest.raises(ValueError):
        lockout_state([naive], T0)
    with pytest.raises(ValueError):
        lockout_state([], T0, unlocked_at=naive)


OFFSETS = st.lists(st.integers(min_value=0, max_value=72 * 60), max_size=8)


@settings(max_examples=200, deadline=None)
@given(OFFSETS, st.integers(min_value=0, max_value=80 * 60), st.one_of(st.none(), st.integers(0, 72 * 60)))
def test_v5_lockout_state_invariants(minutes: list[int], now_minutes: int, unlock_minutes: int | None) -> None:
    failures = [T0 + timedelta(minutes=m) for m in minutes]
    now = T0 + timedelta(minutes=now_minutes)
    unlocked_at = None if unlock_minutes is None else T0 + timedelta(minutes=unlock_minutes)
    state = lockout_state(failures, now, unlocked_at)
    assert 0 <= state.attempts_left <= 3
    if state.locked:
        assert state.attempts_left == 0
        assert state.locked_until is not None and now < state.locked_until <= now + 24 * H
    else:
        assert state.locked_until is None
        assert state.attempts_left >= 1
    counted = [f for f in failures if (unlocked_at is None or f > unlocked_at) and f <= now]
    if len(counted) < 3:
        assert not state.locked
    # Order of the records never matters.
    assert lockout_state(list(reversed(failures)), now, unlocked_at) == state
