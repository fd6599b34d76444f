"""`audit verify` checks the database's guards as `deskapp db upgrade` and `db roles` left them
(A-1): the triggers there, enabled and refusing; on PostgreSQL no role holding more than the
application role is granted, PUBLIC nothing, nobody a member of the owner."""

from __future__ import annotations

import uuid

import pytest

from drills.tamper import drop_roles
from tickets.audit.chain import verify_chain
from tickets.store.roles import GUARD_TRIGGERS, apply_roles


def _verify(store):
    with store.read() as session:
        return verify_chain(session)


def test_a1_a_guard_trigger_replaced_by_one_that_refuses_nothing_fails(store, backend):
    assert _verify(store).ok
    with store.engine.begin() as connection:
        if backend == "sqlite":
            connection.exec_driver_sql("DROP TRIGGER audit_event_no_delete")
            connection.exec_driver_sql("CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event "
                                       "BEGIN SELECT 1; END")
        else:
            connection.exec_driver_sql("CREATE OR REPLACE FUNCTION deskapp_audit_append_only() RETURNS trigger "
                                       "LANGUAGE plpgsql AS $$ BEGIN RETURN OLD; END $$")
    try:
        report = _verify(store)
    finally:
        if backend == "postgresql":  # the database is the session's: its function as migration 0001 made it
            with store.engine.begin() as connection:
                connection.exec_driver_sql(
                    "CREATE OR REPLACE FUNCTION deskapp_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS "
                    "$$ BEGIN RAISE EXCEPTION 'A-1: audit events are append-only'; END $$")
    assert not report.ok and "no longer refuses anything" in report.problem
    assert any(name in report.problem for name in GUARD_TRIGGERS[backend])


@pytest.fixture
def roles(store, backend):
    if backend != "postgresql":
        pytest.skip("grants are PostgreSQL's: on SQLite the file's owner is all-powerful")
    suffix = uuid.uuid4().hex[:8]
    owner, app = f"dk_owner_{suffix}", f"dk_app_{suffix}"
    apply_roles(store.engine, owner=owner, app=app)
    yield owner, app
    drop_roles(store.engine, owner, app)


@pytest.mark.store
def test_a1_grants_as_db_roles_left_them_verify(store, roles):
    assert _verify(store).ok, _verify(store)


@pytest.mark.store
@pytest.mark.parametrize("grant, said", [
    ("GRANT DELETE ON audit_event TO {app}", "may DELETE on audit_event"),
    ("GRANT UPDATE (details) ON audit_event TO {app}", "may UPDATE columns of audit_event"),
    ("GRANT TRUNCATE ON ticket TO {app}", "may TRUNCATE on ticket"),
    ("GRANT SELECT ON ticket TO PUBLIC", "the role PUBLIC may SELECT on ticket"),
    ("GRANT {owner} TO {app}", "is a member of"),
])
def test_a1_a_grant_wider_than_db_roles_gives_fails(store, roles, grant, said):
    owner, app = roles
    with store.engine.begin() as connection:
        connection.exec_driver_sql(grant.format(owner=owner, app=app))
    report = _verify(store)
    assert not report.ok and said in report.problem, report
    with store.engine.begin() as connection:  # as they were, for the roles' clean-up
        connection.exec_driver_sql("REVOKE ALL ON ticket FROM PUBLIC")
        connection.exec_driver_sql(f"REVOKE {owner} FROM {app}")
