"""The application-role drill (PostgreSQL), every attempt: someone holding the console's
database credentials is refused every write but through the functions, and the functions
refuse what the rules refuse (tests/drills/app_role.py; its table is in docs/security.md)."""

from __future__ import annotations

import pytest

from drills import app_role


@pytest.fixture(scope="module")
def report(postgres_database):
    return app_role.run()


def test_every_attempt_as_the_application_role_is_refused_with_its_reason(report):
    wrong = [(a.name, a.expected, a.refusal) for a in report.attempts if not a.refused_as_expected]
    assert wrong == []
    assert len(report.attempts) >= 40


def test_within_the_rules_the_functions_work_and_nothing_else_is_granted(report):
    assert report.controls[-1].startswith("linus, another supervisor, approved it")
    assert report.problems == []
    assert report.chain.startswith("audit chain verified")


def test_the_drill_covers_every_table_and_rule_of_the_issue(report):
    names = " / ".join(a.name for a in report.attempts)
    for what in ("DELETE FROM ticket", "UPDATE ticket", "INSERT ticket", "DELETE FROM agent", "UPDATE agent",
                 "INSERT agent", "DELETE FROM audit_event", "INSERT audit_event", "UPDATE audit_event",
                 "DELETE FROM call", "UPDATE call", "INSERT call", "DELETE FROM agent_sign_in",
                 "UPDATE agent_sign_in", "INSERT agent_sign_in", "SELECT pin_hash", "copy a supervisor's PIN hash",
                 "promote", "a new supervisor", "another supervisor's identity", "own ticket", "without the callback",
                 "signed out", "disabled agent's session"):
        assert what in names, what
