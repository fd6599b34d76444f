"""The store through PgBouncer in transaction mode, as a call centre runs it: the
application role of `deskapp db roles`, its timeouts set on the role (no session settings), no
server-side prepared statements, consecutive transactions of one client on whatever server
connection is free. A representative set of operations: verify, file, review, export, audit
verify; several clients at once so that transactions change server connections."""

from __future__ import annotations

import io
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from bouncer import PGBOUNCER, PgBouncer
from sqlalchemy import text

import testkit
from tickets.audit.chain import verify_chain
from tickets.enums import TicketKind, TicketStatus
from tickets.export.run import write_export
from tickets.filing import FilingRequest, file_ticket
from tickets.lifecycle import approve, record_callback
from tickets.store.database import Store, make_engine
from tickets.store.queries import review_queue, ticket_detail
from tickets.store.roles import ROLE_SETTINGS, apply_roles

pytestmark = pytest.mark.store
CLIENTS = 4
CALLS_EACH = 12  # each statement well past psycopg's default prepare threshold (5) on a connection


@pytest.fixture
def bounced(backend, request):
    """A database of its own with the two roles, and a store connected as the application role
    through PgBouncer; yields (store, server connection ids seen)."""
    if backend != "postgresql":
        pytest.skip("PgBouncer stands in front of PostgreSQL")
    request.getfixturevalue("postgres_database")  # reachable (else skip, or fail under CI)
    testkit.require_program(PGBOUNCER, "pgbouncer")
    database = testkit.PostgresDatabase()
    database.reset()  # the tests' clock (desk_setting client_clock)
    suffix = uuid.uuid4().hex[:8]
    owner, app = f"deskapp_owner_{suffix}", f"deskapp_app_{suffix}"
    admin = make_engine(database.url)
    try:
        apply_roles(admin, owner=owner, app=app)
        with PgBouncer(testkit.pg_admin_url(), [app]) as bouncer:
            store = testkit.make_store(bouncer.url(app, database.name))
            try:
                # The directory is the owner's to load; the agents sign in through the application role.
                store.directory = testkit.Directory(testkit.make_store(database.url)).signed_in(store)
                yield store
            finally:
                store.dispose()
    finally:
        admin.dispose()
        database.drop()
        with make_engine(testkit.pg_admin_url()).connect() as connection:
            connection.exec_driver_sql(f"DROP ROLE IF EXISTS {app}, {owner}")
            connection.commit()


def _early(key: str) -> FilingRequest:
    return FilingRequest(
        kind=TicketKind.CANCEL_EARLY, subscription_ref="SUB-INT", idempotency_key=key, refund_requested=True,
        confirmed=frozenset({"remove_domains", "update_dns", "save_data"}),
    )


def test_the_store_works_through_pgbouncer_in_transaction_mode(bounced: Store):
    store = bounced
    with store.read() as session:
        # No session settings: the timeouts come from the role (deskapp db roles).
        assert session.execute(text("SHOW lock_timeout")).scalar_one() == ROLE_SETTINGS["lock_timeout"]
        assert session.execute(text("SHOW statement_timeout")).scalar_one() == "2min"
        assert session.execute(text("SELECT current_user")).scalar_one().startswith("deskapp_app_")

    directory = store.directory

    def calls(client: int) -> list[int]:
        return [directory.verified() for _ in range(CALLS_EACH)]

    with ThreadPoolExecutor(CLIENTS) as pool:
        verifications = [v for batch in pool.map(calls, range(CLIENTS)) for v in batch]
    assert len(set(verifications)) == CLIENTS * CALLS_EACH

    ticket = file_ticket(store, agent=directory.agent, verification_id=verifications[-1], request=_early("k1")).filed[0]
    assert ticket.status is TicketStatus.PENDING_REVIEW  # a refund: a supervisor decides (C-4, X-2)
    again = file_ticket(store, agent=directory.agent, verification_id=verifications[-1], request=_early("k1")).filed[0]
    assert again.id == ticket.id  # T-3: the retry is the same ticket
    assert [r.id for r in review_queue(store).rows] == [ticket.id]
    record_callback(store, agent=directory.supervisor, ticket_id=ticket.id, note="called back, confirmed")
    approve(store, supervisor=directory.supervisor2, ticket_id=ticket.id)
    assert ticket_detail(store, ticket.id).row.status is TicketStatus.APPROVED
    assert review_queue(store).rows == ()

    out = io.StringIO()
    assert (
        write_export(store, out, fmt="csv", actor=directory.supervisor) == 1
    )  # a session: the export is audited as its agent
    assert ticket.ref in out.getvalue()
    with store.read() as session:
        report = verify_chain(session)
        assert report.ok, report
        # Every verification, the filing, callback, approval and export are in the chain.
        assert session.execute(text("SELECT count(*) FROM audit_event")).scalar_one() > CLIENTS * CALLS_EACH
