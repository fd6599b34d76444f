"""Crash drill, short: SIGKILL a filing process 5 times on SQLite; the database stays whole.

The full drill (200 kills) is `.venv/bin/python tests/drills/run.py` (tests/drills/crash.py).
SQLite only, so it takes no `store` fixture (the PostgreSQL pass of CI runs `-m store`).
"""

from __future__ import annotations

from drills import crash
from drills.common import full_scale


def test_crash_drill_five_kills_leave_a_whole_database(tmp_path):
    figures = crash.run(tmp_path, runs=200 if full_scale() else 5, seed=7, log=lambda *_: None)
    assert figures.failures == []
    assert figures.kills == figures.runs == (200 if full_scale() else 5)
    assert figures.checks > figures.runs * 4
