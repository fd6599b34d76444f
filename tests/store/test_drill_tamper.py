"""Tamper drill, short (A-1): every rewrite of the audit trail the tamper review tried, on each
engine, is detected with an anchor kept outside the database, or refused outright for the
application role on PostgreSQL.

The full drill, with its table for README, is `.venv/bin/python tests/drills/tamper.py`.
"""

from __future__ import annotations

import pytest

from drills import tamper


@pytest.fixture
def fresh_url(backend, request, tmp_path, sqlite_template):
    """A new empty, migrated database on the test's engine each call."""

    def new() -> str:
        if backend == "sqlite":
            return sqlite_template.new_url(tmp_path)
        database = request.getfixturevalue("postgres_database")
        database.reset()
        return database.url

    return new


@pytest.mark.parametrize("name", tamper.TAMPERS)
def test_a1_each_tamper_is_detected_with_an_anchor(store_url, backend, fresh_url, name):
    outcome = tamper.run_one(fresh_url(), backend, name, as_app=False)
    assert outcome.result == "detected", outcome
    if name in ("cut_tail", "middle_rehash", "edit_last", "delete_all"):
        # What the tamper review found: without an anchor the rewritten chain verifies ...
        assert outcome.plain == "passes"
        # ... and the anchor says it was cut or rewritten.
        assert "anchored outside the database" in outcome.anchored
    else:
        assert "ticket 2" in outcome.plain  # no anchor needed: the row does not match its history


@pytest.mark.store  # PostgreSQL only: roles are PostgreSQL's (on SQLite the anchors are the defence)
@pytest.mark.parametrize("name", tamper.TAMPERS)
def test_a1_the_application_role_is_refused_every_rewrite(postgres_database, name):
    postgres_database.reset()
    outcome = tamper.run_one(postgres_database.url, "postgresql", name, as_app=True)
    assert outcome.rewrites_allowed == [], outcome
    if name == "cut_tail":  # the guards: every one refused, for the reason it should be
        assert len(outcome.refused) == 2 + len(tamper.GUARD_STATEMENTS)
        reasons = " ".join(outcome.refused)
        assert "permission denied for table audit_event" in reasons
        assert "must be owner of table audit_event" in reasons
        assert "permission denied for table audit_head" in reasons  # migration 0011: no write at all
        assert 'permission denied to set parameter "session_replication_role"' in reasons
        assert outcome.result == "refused" and outcome.anchored == "passes"
    elif name in ("forge_approval", "silent_approval"):  # migration 0011: refused outright
        assert outcome.result == "refused" and "permission denied" in " ".join(outcome.refused), outcome
    else:
        assert outcome.result == "refused"
