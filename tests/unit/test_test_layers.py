"""The `slow` marker covers the slow layer and nothing else, so `pytest -m "not slow"` is the
quick local run (README) and still runs the core's unit and store tests."""

from __future__ import annotations

import testkit

TESTS = testkit.TESTS


def test_the_pilot_layers_drills_and_hostile_properties_are_slow():
    for path in (
        TESTS / "app" / "test_app_call.py",
        TESTS / "snapshot" / "test_snapshot_screens.py",
        TESTS / "store" / "test_drill_race.py",
        TESTS / "unit" / "test_hostile_directory.py",
        TESTS / "app" / "test_fuzz_console.py",
    ):
        assert testkit.in_slow_layer(path), path


def test_the_core_unit_and_store_tests_are_not():
    for path in (
        TESTS / "unit" / "identity" / "test_identity_phone.py",
        TESTS / "unit" / "policy" / "test_policy_cancel.py",
        TESTS / "store" / "test_store_filing.py",
        TESTS / "unit" / "test_import_hygiene.py",
    ):
        assert not testkit.in_slow_layer(path), path


def test_every_slow_layer_exists():
    # A renamed folder would silently make the marker cover nothing.
    for layer in testkit.SLOW_LAYERS:
        assert (TESTS / layer).is_dir(), layer
    for prefix in testkit.SLOW_FILE_PREFIXES:
        assert any(TESTS.rglob(f"{prefix}*.py")), prefix
