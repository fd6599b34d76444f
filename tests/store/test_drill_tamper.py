"""Tamper drill, short (A-1): every form of rewrite on each engine is detected with an anchor
kept outside the database (most without one), or refused outright for the application role on
PostgreSQL; the one limit, a complete forged history after the newest anchor, verifies.

The full drill, with its tables for docs/security.md, is `.venv/bin/python tests/drills/tamper.py`.
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


# Re-hashed by someone holding the owner's rights: the chain is whole again, only the anchor tells.
ANCHOR_ONLY = ("cut_tail", "middle_rehash", "edit_last")


@pytest.mark.parametrize("name", tamper.TAMPERS)
def test_a1_each_tamper_is_detected_with_an_anchor(store_url, backend, fresh_url, name):
    if tamper.ENGINE_ONLY.get(name, backend) != backend:
        pytest.skip(f"{name}: {tamper.ENGINE_ONLY[name]} only")
    outcome = tamper.run_one(fresh_url(), backend, name, as_app=False)
    if name in tamper.LIMITS:
        # The limit, stated in docs/security.md: a complete, well-formed forged history appended
        # after the newest anchor by the owner verifies; only a later anchor or a copy tells.
        assert outcome.result == "the limit" and outcome.plain == outcome.anchored == "passes"
        return
    assert outcome.result == "detected", outcome
    if name in ANCHOR_ONLY:
        assert outcome.plain == "passes"  # without an anchor the rewritten chain verifies ...
        assert "anchored outside the database" in outcome.anchored  # ... the anchor says it was rewritten
    else:
        assert outcome.plain.startswith("fails"), outcome  # no anchor needed


def test_a1_at_least_fifteen_forms_on_each_engine():
    for backend in ("sqlite", "postgresql"):
        forms = [n for n in tamper.TAMPERS if tamper.ENGINE_ONLY.get(n, backend) == backend and n not in tamper.LIMITS]
        assert len(forms) >= 15, forms


@pytest.mark.store  # PostgreSQL only: roles are PostgreSQL's (on SQLite the anchors are the defence)
@pytest.mark.parametrize("name", tamper.APP_TAMPERS)
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
