"""Feed drill, short: the feed run 8 times, about half of them SIGKILLed, while tickets are
filed and withdrawn: every change appears in a confirmed run, none in two, on both engines. The
full drill (50 runs) is `.venv/bin/python tests/drills/feed.py` (figures in docs/drills.md)."""

from __future__ import annotations

from drills import feed
from drills.common import full_scale


def test_feed_drill_kills_lose_no_change_and_repeat_none_after_confirmation(store_url, tmp_path):
    runs = 50 if full_scale() else 8
    figures = feed.run(tmp_path, store_url, runs=runs, seed=3, log=lambda *_: None)
    assert figures.failures == []
    assert figures.notes["missing"] == 0 and figures.notes["ticket changes"] > 0
