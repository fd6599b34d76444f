"""Snapshot tests: the same demo store as the app tests (tests/conftest.py), the console built
by the one factory (deskapp.factory.make_app)."""

from __future__ import annotations

import pytest

import testkit


@pytest.fixture
def seeded_store(sqlite_demo_template, tmp_path, clock, monkeypatch):
    """A fresh copy of the seeded demo store; exports default to a fixed folder (it shows)."""
    monkeypatch.setenv("XDG_DATA_HOME", "/tmp/deskapp-snapshots")
    store = testkit.make_store(sqlite_demo_template.new_url(tmp_path), clock)
    yield store
    store.dispose()


@pytest.fixture
def seeded_app(sqlite_demo_template, tmp_path, clock):
    """A console on a fresh copy of the seeded demo store, its clock frozen at testkit.T0."""
    from deskapp.factory import make_app

    store = testkit.make_store(sqlite_demo_template.new_url(tmp_path), clock)
    yield make_app(store, clock)
    store.dispose()
