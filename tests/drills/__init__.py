"""Reliability drills: crash, race, hostile input, console fuzzing, backup and restore.

Run them all with `.venv/bin/python tests/drills/run.py` (see tests/drills/README.md). They are
not collected by the default test run; short versions of each run in the normal suite
(tests/store/test_drill_*.py, tests/unit/test_hostile_*.py, tests/app/test_fuzz_*.py).
"""
