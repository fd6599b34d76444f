"""A pooled connection whose server backend went away (killed, or the server restarted) is
replaced when it is next checked out, and the operation succeeds: no error reaches the agent.
The store checks the connection's socket for the server's goodbye instead of pinging it with a
round trip on every checkout."""

from __future__ import annotations

import pytest
from sqlalchemy import event

import testkit
from tickets.agents import create_agent
from tickets.store.database import make_engine
from tickets.store.queries import list_tickets
from tickets.verification import end_call, start_call

pytestmark = pytest.mark.store


def _kill_backends(store) -> int:
    """Terminate every server backend of the store's database but the one doing it, and wait
    until they have gone (pg_terminate_backend only signals them)."""
    where = f"datname = '{store.engine.url.database}' AND pid <> pg_backend_pid()"
    admin = make_engine(testkit.pg_admin_url())
    try:
        with admin.connect() as connection:
            killed = connection.exec_driver_sql(
                f"SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 5000)) FROM pg_stat_activity WHERE {where}"
            ).scalar_one()
    finally:
        admin.dispose()
    return killed


def test_a_killed_backend_is_replaced_at_checkout_without_an_error(backend, store):
    if backend != "postgresql":
        pytest.skip("a server backend to kill: PostgreSQL")
    agent = create_agent(store, name="ada", display_name="Ada", role="agent", pin="1234")
    call_id = start_call(store, agent)
    list_tickets(store, filed_by_id=agent.id)
    # Idle connections to kill: in the pool, or the one the store keeps for its hot actions
    # (tickets.store.held), which is checked the same way before its next use.
    assert store.engine.pool.checkedin() + store.engine.pool.checkedout() >= 1
    assert _kill_backends(store) >= 1
    # Writes (a raw transaction), reads (a pooled driver cursor) and sessions all go on.
    second = start_call(store, agent)
    assert list_tickets(store, filed_by_id=agent.id).rows == ()
    end_call(store, agent, call_id, "")
    end_call(store, agent, second, "")
    with store.read() as session:
        from sqlmodel import select

        from tickets.store.models import Call

        assert all(call.ended_at is not None for call in session.exec(select(Call)).all())


def test_no_round_trip_is_spent_checking_a_live_connection(backend, store):
    """Checking out a pooled connection sends nothing to the server (no pre-ping's SELECT 1)."""
    if backend != "postgresql":
        pytest.skip("the check is PostgreSQL's")
    agent = create_agent(store, name="ada", display_name="Ada", role="agent", pin="1234")
    list_tickets(store, filed_by_id=agent.id)
    statements: list[str] = []
    event.listen(store.engine, "before_cursor_execute", lambda c, cur, stmt, *a: statements.append(stmt))
    with store.read() as session:
        session.connection()
    assert not any(s.strip().upper() == "SELECT 1" for s in statements)
    pool = store.engine.pool
    fairy = pool.connect()
    try:
        pgconn = fairy.dbapi_connection.pgconn
        assert pgconn.transaction_status == 0  # idle: no BEGIN was sent for a ping
    finally:
        fairy.close()
