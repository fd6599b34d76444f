"""V-7: a passed verification authorises the one call, 60 minutes at most."""

from datetime import UTC, datetime, timedelta

import pytest

from identity import CALL_AUTHORISATION, VerifiedCaller

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
CALLER = VerifiedCaller("org-1", "person-1", frozenset({"admin"}), T0)


def test_v7_authorisation_lasts_60_minutes() -> None:
    assert CALL_AUTHORISATION == timedelta(minutes=60)
    assert CALLER.expires_at == T0 + timedelta(minutes=60)


@pytest.mark.parametrize(
    ("minutes", "active"),
    [(0, True), (59, True), (59.99, True), (60, False), (61, False), (-1, False)],
)
def test_v7_active_for_the_call_only(minutes: float, active: bool) -> None:
    assert CALLER.is_active(T0 + timedelta(minutes=minutes)) is active


def test_v7_naive_clock_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        CALLER.is_active(datetime(2026, 11, 2, 9, 30))
    with pytest.raises(ValueError):
        VerifiedCaller("org-1", "person-1", frozenset(), datetime(2026, 11, 2, 9, 0))
