"""App tests: a migrated store seeded with the demo directory, copied from one seeded file per
test session (seeding hashes four PINs with scrypt; copying a file is instant)."""

from __future__ import annotations

import pytest

from deskapp_testing import SeededTemplate


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory) -> SeededTemplate:
    return SeededTemplate(tmp_path_factory.mktemp("seeded"))


@pytest.fixture
def seeded(seeded_template, tmp_path, clock):
    """A store holding the demo directory dated relative to testkit.T0, on the test's clock."""
    store = seeded_template.store(tmp_path, clock)
    yield store
    store.dispose()


@pytest.fixture(autouse=True)
def _work_in_a_temporary_directory(tmp_path, monkeypatch):
    """Exports default to the current directory: keep what app tests write out of the repo."""
    monkeypatch.chdir(tmp_path)
