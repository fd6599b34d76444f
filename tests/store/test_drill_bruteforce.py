"""Brute-force drill, short: 40 wrong PINs from 4 processes against one agent on each engine;
at most 5 are checked before the lock (the full drill: 1,000, `tests/drills/bruteforce.py`)."""

from __future__ import annotations

from drills import bruteforce
from drills.common import full_scale


def test_guesses_from_four_processes_check_at_most_five_pins(store_url, backend):
    figures = bruteforce.run(store_url, backend=backend, tries=1000 if full_scale() else 40, processes=4,
                             log=lambda *_: None)
    assert figures.failures == []
    assert figures.notes["PINs checked"] == 5
    assert figures.notes["refused unchecked"] == figures.runs - 5
