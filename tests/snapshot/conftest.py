"""Snapshot tests: the same seeded demo store as the app tests (tests/app/deskapp_testing.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "app"))

from deskapp_testing import SeededTemplate  # noqa: E402


@pytest.fixture(scope="session")
def snapshot_template(tmp_path_factory) -> SeededTemplate:
    return SeededTemplate(tmp_path_factory.mktemp("snapshot-seeded"))


@pytest.fixture
def seeded_store(snapshot_template, tmp_path, clock, monkeypatch):
    """A fresh copy of the seeded demo store; exports default to a fixed folder (it shows)."""
    monkeypatch.setenv("XDG_DATA_HOME", "/tmp/deskapp-snapshots")
    store = snapshot_template.store(tmp_path, clock)
    yield store
    store.dispose()


@pytest.fixture
def seeded_app(snapshot_template, tmp_path, clock):
    """A console on a fresh copy of the seeded demo store, its clock frozen at testkit.T0."""
    from deskapp.app import DeskApp

    store = snapshot_template.store(tmp_path, clock)
    yield DeskApp(store=store, clock=clock)
    store.dispose()
