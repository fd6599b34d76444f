"""App tests: a store holding the demo directory, copied from one demo database per test
session (tests/conftest.py: sqlite_demo_template; seeding hashes four PINs with scrypt, copying
a file is instant)."""

from __future__ import annotations

import pytest

import testkit


@pytest.fixture
def seeded(sqlite_demo_template, tmp_path, clock):
    """A store holding the demo directory dated relative to testkit.T0, on the test's clock."""
    store = testkit.make_store(sqlite_demo_template.new_url(tmp_path), clock)
    yield store
    store.dispose()


@pytest.fixture(autouse=True)
def _work_in_a_temporary_directory(tmp_path, monkeypatch):
    """Exports default to the current directory: keep what app tests write out of the repo."""
    monkeypatch.chdir(tmp_path)
