"""The load test's prototype side (tests/bench/load_raw.py, load_saturation.py): the saturation
search that runs the product and its raw prototype in turns, and the judged targets. Here on
made-up points in milliseconds; the replay itself runs on PostgreSQL in
tests/store/test_store_loadmodel.py."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from load_report import must_show, targets  # noqa: E402
from load_saturation import PRECISION, RAISE, TARGET_RATIO, next_rate, side_by_side, summary  # noqa: E402


def _point(offered: float, ok: bool, side: str = "deskapp") -> dict:
    return {"offered_writes_s": offered, "writes_s": offered * 0.97, "within_limit": ok, "side": side,
            "label": f"{side} at {offered:.0f}"}


def test_the_target_is_one_and_a_half_times_the_issues_ratio():
    assert TARGET_RATIO == 1.5 * 0.6


def test_a_sides_next_rate_brackets_its_limit_then_halves_the_bracket():
    assert next_rate([], 300.0) == 300.0
    assert next_rate([_point(57, True)], 300.0) == 300.0  # the 256-agent point is below the first guess
    assert next_rate([_point(300, True)], 300.0) == 300.0 * RAISE
    assert next_rate([_point(300, False)], 300.0) == 300.0 / 1.4
    assert next_rate([_point(200, True), _point(300, False)], 300.0) == (200 * 300) ** 0.5
    assert next_rate([_point(290, True), _point(300, False)], 300.0) is None  # within PRECISION
    assert next_rate([_point(57, True), _point(300, False)], 300.0) == 300.0 / 1.4  # not halfway to 57
    # A point within the limit above one past it (noise) does not count as the bracket's bottom.
    assert next_rate([_point(350, True), _point(300, False)], 300.0) == 300.0 / 1.4


def test_both_sides_are_searched_in_turns_and_their_ratio_judged():
    capacity = {"deskapp": 300.0, "prototype": 400.0}
    order = []

    def run(side, writes_s):
        order.append(side)
        return _point(writes_s, writes_s <= capacity[side], side)

    out = side_by_side(run, {"deskapp": 250.0, "prototype": 250.0}, steps=8, log=lambda _: None)
    assert order[:4] == ["deskapp", "prototype", "prototype", "deskapp"]  # who goes first alternates
    assert 300 / PRECISION * 0.97 <= out["writes_s"] <= 300 * 0.97
    assert 400 / PRECISION * 0.97 <= out["prototype"]["writes_s"] <= 400 * 0.97
    assert abs(out["ratio"] - 0.75) < 0.1 and not out["met"]
    assert summary([_point(100, False)])["writes_s"] == 0.0


def _load_out(ratio_capacity: float, load: float) -> dict:
    at256 = dict(_point(57, True), agents=256, backend="postgresql", via_bouncer=False, interval_s=18.0,
                 latency_ms={"file": {"p99": 30.0}}, lost=0, doubled=0, chain_ok=True, load_average=[load, load])
    sat = side_by_side(lambda side, rate: _point(rate, rate <= (300 * ratio_capacity if side == "deskapp" else 300),
                                                 side),
                       {"deskapp": 280.0, "prototype": 280.0}, steps=8, log=lambda _: None)
    sat.update(criterion="p99 <= 250 ms", load_average=[load, load])
    return {"points": [at256], "saturation": sat}


def test_the_targets_are_judged_only_on_a_quiet_machine():
    quiet = targets(_load_out(0.95, 1.0), max_load=2.0)
    assert [t["met"] for t in quiet] == [True, True] and all(t["judged"] for t in quiet)
    busy = _load_out(0.7, 6.0)
    busy["targets"] = targets(busy, max_load=2.0)
    assert [t["met"] for t in busy["targets"]] == [True, False] and not any(t["judged"] for t in busy["targets"])
    lines = "\n".join(must_show(dict(busy, max_load=2.0)))
    assert "not met, not judged** (load average up to 6.0 > 2)" in lines and "deskapp / prototype **0.7" in lines
