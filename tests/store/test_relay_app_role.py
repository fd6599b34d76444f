"""PostgreSQL: `deskapp relay` runs as the application role of `deskapp db roles`, which writes
nothing directly: the destinations, the claims and the outcomes go through the
`deskapp_api_handoff_*` functions, and a direct write to the outbox is refused."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

import testkit
from drills.common import DrillDirectory
from drills.receiver import Receiver
from drills.tamper import drop_roles
from tickets.clock import SystemClock
from tickets.enums import TicketKind
from tickets.errors import StoreUnavailable
from tickets.filing import FilingRequest, file_ticket
from tickets.handoff.relay import Relay
from tickets.handoff.settings import Destination, HandoffSettings
from tickets.store.database import Store, make_engine
from tickets.store.roles import apply_roles, privilege_problems

SECRET = b"app-role-relay-secret-0123"


@pytest.fixture
def desk(postgres_database):
    database = testkit.PostgresDatabase()
    database.reset()
    suffix = uuid.uuid4().hex[:8]
    owner_role, app_role = f"dk_owner_{suffix}", f"dk_app_{suffix}"
    owner = Store(make_engine(database.url), SystemClock())
    directory = DrillDirectory(owner, extra_subscriptions=2)
    apply_roles(owner.engine, owner=owner_role, app=app_role)
    app = Store(make_engine(make_url(database.url).set(username=app_role).render_as_string(hide_password=False)),
                SystemClock())
    yield owner, app, directory.signed_in(app), app_role
    app.dispose()
    try:
        drop_roles(owner.engine, owner_role, app_role)
    finally:
        owner.dispose()
        database.drop()


def test_the_relay_delivers_as_the_application_role(desk):
    owner, app, directory, app_role = desk
    assert privilege_problems(owner.engine, app_role) == []
    with Receiver(SECRET, lambda: int(time.time())) as receiver:
        settings = HandoffSettings((Destination("billing", "webhook", timedelta(hours=1), receiver.url, SECRET),),
                                   timeout=timedelta(seconds=5), lease=timedelta(seconds=30))
        relay = Relay(app, settings)
        assert relay.start() == 1
        for n in range(2):
            file_ticket(app, agent=directory.agent, verification_id=directory.verified(), request=FilingRequest(
                kind=TicketKind.CANCEL_EARLY, subscription_ref=directory.sub_refs[n], idempotency_key=f"app-{n}",
                confirmed=frozenset({"remove_domains", "update_dns", "save_data"})))
        assert relay.once().delivered == 2
    assert sorted(receiver.applied.values()) == [1, 1]
    with pytest.raises((ProgrammingError, StoreUnavailable), match="permission denied"):
        with app.write() as session:
            session.execute(text("UPDATE handoff_outbox SET state = 'pending'"))
