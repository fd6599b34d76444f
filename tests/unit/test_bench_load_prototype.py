"""The load test's prototype side (tests/bench/load_raw.py, load_saturation.py): the saturation
search that runs the product and its raw prototype in turns, and the judged targets. Here on
made-up points in milliseconds; the replay itself runs on PostgreSQL in
tests/store/test_store_loadmodel.py."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import common  # noqa: E402
from load_report import load_results, must_show, targets  # noqa: E402
from load_saturation import (  # noqa: E402
    LOWER,
    PRECISION,
    RAISE,
    TARGET_RATIO,
    next_rate,
    probe_rate,
    side_by_side,
    summary,
)


def _point(offered: float, ok: bool, side: str = "deskapp", done: float | None = None, others: float = 0.02) -> dict:
    return {"offered_writes_s": offered, "writes_s": offered * 0.97 if done is None else done, "within_limit": ok,
            "side": side, "label": f"{side} at {offered:.0f}", "other_cpu": others}


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


def _load_out(ratio_capacity: float, load: float, *, during: float | None = None, others: float = 0.02) -> dict:
    """`load`: the load average before the stage; `during`: as its own agents push it after."""
    loads = [load, load if during is None else during]
    at256 = dict(_point(57, True, others=others), agents=256, backend="postgresql", via_bouncer=False,
                 interval_s=18.0, latency_ms={"file": {"p99": 30.0}}, lost=0, doubled=0, chain_ok=True,
                 load_average=loads)
    sat = side_by_side(lambda side, rate: _point(rate, rate <= (300 * ratio_capacity if side == "deskapp" else 300),
                                                 side, others=others),
                       {"deskapp": 280.0, "prototype": 280.0}, steps=8, log=lambda _: None)
    sat.update(criterion="p99 <= 250 ms", load_average=loads)
    return {"points": [at256], "saturation": sat}


def test_the_targets_are_judged_only_on_a_quiet_machine():
    quiet = targets(_load_out(0.95, 1.0), max_load=2.0)
    assert [t["met"] for t in quiet] == [True, True] and all(t["judged"] for t in quiet)
    busy = _load_out(0.7, 6.0)
    busy["targets"] = targets(busy, max_load=2.0)
    assert [t["met"] for t in busy["targets"]] == [True, False] and not any(t["judged"] for t in busy["targets"])
    lines = "\n".join(must_show(dict(busy, max_load=2.0)))
    assert "not met, not judged** (load average 6.0 > 2 before it)" in lines and "deskapp / prototype **0.7" in lines
    # The stage fills the cores itself: a load average past them while it runs is its own, and
    # judged; the rest of the machine taking more than OTHERS_LIMIT cores in a point is not.
    own = targets(_load_out(0.95, 0.6, during=3.2), max_load=2.0)
    assert all(t["judged"] and t["met"] for t in own)
    # The study's 256-agent point and search come after its own earlier points: the load average
    # before its first point (`load_before`) is the one that says whether others were busy.
    study = _load_out(0.95, 3.4)
    assert not any(t["judged"] for t in targets(study, max_load=2.0))
    assert all(t["judged"] for t in targets(dict(study, load_before=0.7), max_load=2.0))
    others = _load_out(0.95, 0.6, during=3.2, others=0.6)
    others["targets"] = targets(others, max_load=2.0)
    assert not any(t["judged"] for t in others["targets"])
    assert "not judged** (the rest of the machine took up to 0.60 cores > 0.25)" in "\n".join(
        must_show(dict(others, max_load=2.0)))


def test_the_search_never_offers_more_than_its_cap_and_is_done_at_it():
    # The first rate does not cap the search (loadtest.py --steps gave its largest value as a cap).
    assert next_rate([_point(250, True)], 250.0, most=1200.0) == 250 * RAISE
    assert next_rate([_point(1000, True)], 1000.0, most=1200.0) == 1200.0
    assert next_rate([_point(1000, True), _point(1200, True)], 1000.0, most=1200.0) is None
    assert probe_rate([_point(1000, True), _point(1200, True)], 1000.0, most=1200.0) is None


def test_the_stages_search_goes_from_a_probe_past_the_limit_to_the_writes_it_did():
    assert probe_rate([], 600.0) == 600.0
    # Past the limit, 360 done: the next rate is what it did.
    assert probe_rate([_point(600, False, done=360)], 600.0) == 360
    # Failed by its latency alone (done about as offered): a little below it.
    assert probe_rate([_point(375, False, done=370)], 375.0) == 375 / PRECISION ** 0.5
    # A broken point (hardly any writes done) does not send the search to the floor.
    assert probe_rate([_point(600, False, done=10)], 600.0) == 600 / LOWER ** 2
    # From the bracket's bottom up by PRECISION at most; done within PRECISION.
    assert probe_rate([_point(600, False, done=360), _point(360, True)], 600.0) == 360 * PRECISION
    assert probe_rate([_point(400, False), _point(360, True)], 600.0) == (400 * 360) ** 0.5
    assert probe_rate([_point(385, False), _point(360, True)], 600.0) is None
    # The probe within the limit: up by RAISE.
    assert probe_rate([_point(600, True)], 600.0) == 600 * RAISE


def test_the_stages_search_brackets_both_sides_in_three_points_each():
    capacity = {"deskapp": 330.0, "prototype": 360.0}
    order = []

    def run(side, writes_s):
        order.append((side, round(writes_s)))
        ok = writes_s <= capacity[side]
        return _point(writes_s, ok, side, done=writes_s * 0.97 if ok else capacity[side] * 1.02)

    out = side_by_side(run, {"deskapp": 600.0, "prototype": 600.0}, steps=4, log=lambda _: None, choose=probe_rate)
    assert order[:2] == [("deskapp", 600), ("prototype", 600)] and order[2][0] == "prototype"
    assert out["points_a_side"] == {"deskapp": 3, "prototype": 3}
    assert 330 / PRECISION * 0.97 <= out["writes_s"] <= 330 * 0.97
    assert 360 / PRECISION * 0.97 <= out["prototype"]["writes_s"] <= 360 * 0.97


def test_the_load_targets_become_results_judged_by_the_benchs_load_limit(monkeypatch):
    busy = _load_out(0.95, 6.0)
    busy["targets"] = targets(busy, max_load=2.0)
    monkeypatch.setattr(common, "LOAD_LIMIT", 2.0)
    filing, saturation = load_results(busy)
    assert (filing.number, saturation.number) == ("9a", "9b")
    assert filing.ratio == 30.0 / 50 and filing.met and not filing.judged and filing.load == 6.0
    assert saturation.ratio == busy["saturation"]["ratio"] and saturation.met and not saturation.judged
    monkeypatch.setattr(common, "LOAD_LIMIT", 8.0)
    assert filing.judged and saturation.judged
    # Others' CPU beside the load test's own: not judged, and the table says why.
    crowded = _load_out(0.95, 1.0, others=0.6)
    crowded["targets"] = targets(crowded, max_load=8.0)
    crowded_filing = load_results(crowded)[0]
    assert not crowded_filing.judged and crowded_filing.busy == "others took 0.60 cores > 0.25"
    # Nothing lost or doubled and the chain verified, or the p99 does not count as met.
    broken = _load_out(0.95, 1.0)
    broken["points"][0]["lost"] = 1
    broken["targets"] = targets(broken, max_load=2.0)
    assert not load_results(broken)[0].met and "1 lost" in load_results(broken)[0].extra["failed"]
    # A load test that gave nothing: both not measured, with its reason.
    missing = load_results({"targets": [], "skipped": ["PostgreSQL: OperationalError: refused"]})
    assert [m.why for m in missing] == ["PostgreSQL: OperationalError: refused"] * 2
