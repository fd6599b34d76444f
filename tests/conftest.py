"""Fixtures shared by every layer.

`store` runs a test on each configured engine: SQLite always, PostgreSQL when
DESKAPP_TEST_PG_URL is set (or DESKAPP_TEST_BACKENDS names it). Under CI=true an unreachable
PostgreSQL fails the test instead of skipping it.
"""

from __future__ import annotations

import os

import pytest

import testkit

# The drills' `engine_url` (every configured engine, not marked `store`), for any test that asks for it.
from drills.fixtures import engine_url  # noqa: F401 - a fixture: pytest finds it here by name
from tickets.clock import FixedClock


def pytest_collection_modifyitems(config, items):
    # `@pytest.mark.engine("sqlite")`: a test about one engine's own path is not collected for
    # the other (deselected, not skipped: CI counts a skipped PostgreSQL test as a failure).
    other_engine = [item for item in items if _for_another_engine(item)]
    if other_engine:
        config.hook.pytest_deselected(items=other_engine)
        items[:] = [item for item in items if item not in other_engine]
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        # `seeded` (tests/app) is a SQLite copy whatever the engine: a test on it that names its
        # store `store` is no store test, and rerunning it in CI's PostgreSQL pass proves nothing.
        if {"store", "store_url", "demo_store"} & fixtures and "seeded" not in fixtures:
            item.add_marker(pytest.mark.store)
        if testkit.in_slow_layer(item.path):
            item.add_marker(pytest.mark.slow)


def _for_another_engine(item) -> bool:
    marker = item.get_closest_marker("engine")
    callspec = getattr(item, "callspec", None)
    backend = callspec.params.get("backend") if callspec is not None else None
    return marker is not None and backend is not None and backend not in marker.args


@pytest.fixture(autouse=True)
def _own_user_directories(tmp_path_factory, monkeypatch):
    """Config, state and log under a temporary directory: no test reads the user's settings or
    writes their log, and no DESKAPP_* setting of the shell leaks in."""
    home = tmp_path_factory.mktemp("user")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))
    for name in ("DESKAPP_CONFIG", "DESKAPP_DATABASE_PASSWORD_FILE", "DESKAPP_POOL_SIZE",
                 "DESKAPP_TIME_ZONE", "DESKAPP_EXPORT_DIR", "DESKAPP_THEME", "DESKAPP_LISTEN_URL",
                 "DESKAPP_LANGUAGE"):
        monkeypatch.delenv(name, raising=False)
    # The terminal's locale picks the language when no setting does: English unless a test says.
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")


@pytest.fixture(autouse=True)
def _english_after_each_test():
    """A test in zh-CN leaves the process in English for the next (gettext's state is global)."""
    yield
    from tickets.i18n import use_language

    use_language("en", None)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    return testkit.SqliteTemplate(tmp_path_factory.mktemp("template"))


@pytest.fixture(scope="session")
def postgres_database():
    problem = testkit.postgres_reachable()
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{problem} (CI requires the PostgreSQL store tests)")
        pytest.skip(problem)
    database = testkit.PostgresDatabase()
    yield database
    database.drop()


@pytest.fixture(scope="session")
def sqlite_demo_template(tmp_path_factory):
    """A demo database (directory and agents) seeded once at testkit.T0, copied for each test."""
    return testkit.seeded_template(tmp_path_factory.mktemp("demo-template"))


@pytest.fixture(params=testkit.wanted_backends())
def backend(request) -> str:
    return request.param


@pytest.fixture
def store_url(backend, request, tmp_path, sqlite_template) -> str:
    """A URL to an empty, migrated database on the test's engine."""
    if backend == "sqlite":
        return sqlite_template.new_url(tmp_path)
    database = request.getfixturevalue("postgres_database")
    database.reset()
    return database.url


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(testkit.T0)


@pytest.fixture
def store(store_url, clock):
    store = testkit.make_store(store_url, clock)
    yield store
    store.dispose()


@pytest.fixture
def demo_store(backend, request, tmp_path, clock):
    """A store holding the demo directory (dated relative to testkit.T0) and the demo agents."""
    if backend == "sqlite":
        url = request.getfixturevalue("sqlite_demo_template").new_url(tmp_path)
        store = testkit.make_store(url, clock)
    else:
        database = request.getfixturevalue("postgres_database")
        database.reset()
        store = testkit.make_store(database.url, clock)
        from tickets.demo import seed_demo

        seed_demo(store, now=clock.now())
    yield store
    store.dispose()
