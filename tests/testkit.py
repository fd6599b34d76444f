"""Helpers shared by the test layers: stores on both engines, a fixed clock, demo data."""

from __future__ import annotations

import os
import shutil
import uuid
from datetime import UTC, datetime
from itertools import count
from pathlib import Path

import pytest
from sqlalchemy import text

from tickets.clock import FixedClock
from tickets.store.database import Store, make_engine
from tickets.store.schema import upgrade

# "Today" for every test that does not move the clock itself.
T0 = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
PG_URL_ENV = "DESKAPP_TEST_PG_URL"
BACKENDS_ENV = "DESKAPP_TEST_BACKENDS"  # comma list: sqlite,postgresql
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


TESTS = Path(__file__).resolve().parent
# The slow layer, marked `slow` by tests/conftest.py so that `pytest -m "not slow"` skips it
# locally (CI runs everything): the console driven by Pilot (app, snapshot), the short drills,
# and the hostile-input properties (hundreds of examples each, values up to 100 kB).
SLOW_LAYERS = ("app", "snapshot", "terminal")
SLOW_FILE_PREFIXES = ("test_drill_", "test_hostile_", "test_fuzz_")


def in_slow_layer(path: Path) -> bool:
    """Whether the test file at `path` belongs to the slow layer."""
    parts = Path(path).resolve().relative_to(TESTS).parts
    return parts[0] in SLOW_LAYERS or parts[-1].startswith(SLOW_FILE_PREFIXES)


def wanted_backends() -> list[str]:
    raw = os.environ.get(BACKENDS_ENV)
    if raw:
        return [b.strip() for b in raw.split(",") if b.strip()]
    return ["sqlite", "postgresql"] if os.environ.get(PG_URL_ENV) else ["sqlite"]


def pg_admin_url() -> str:
    """The PostgreSQL server the tests may create databases and roles on: only one named in
    DESKAPP_TEST_PG_URL (a developer's own server is never used unasked)."""
    url = os.environ.get(PG_URL_ENV)
    if not url:
        raise LookupError(f"{PG_URL_ENV} is not set (for example {DEFAULT_PG_URL})")
    return url


# The reason a test skips when a system program it drives is missing; .ci/run, which installs
# them, fails the run when a skip gives this reason.
MISSING_PROGRAM = "missing system program"


def require_program(path: str, package: str) -> str:
    """`path`, or the test skips: tests never install anything (.ci/run installs `package`)."""
    if not Path(path).exists():
        pytest.skip(f"{MISSING_PROGRAM} {path} (the Debian package {package}, which .ci/run installs)")
    return path


class SqliteTemplate:
    """One migrated database file per test session, copied for each test (fast and real)."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / "template.db"
        engine = make_engine(f"sqlite:///{self.path}")
        upgrade(engine)
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()

    def new_url(self, directory: Path) -> str:
        target = directory / f"deskapp-{uuid.uuid4().hex[:8]}.db"
        shutil.copyfile(self.path, target)
        return f"sqlite:///{target}"


class SeededTemplate(SqliteTemplate):
    def __init__(self, path: Path) -> None:  # noqa: D107 - built by seeded_template()
        self.path = path


def seeded_template(directory: Path) -> SqliteTemplate:
    """A demo database (tickets.demo.create_demo_store) seeded at T0, copied for each test."""
    from tickets.demo import create_demo_store

    path = directory / "demo-template.db"
    create_demo_store(path, FixedClock(T0)).dispose()
    return SeededTemplate(path)


class PostgresDatabase:
    """A database of its own for this test session, migrated once and emptied between tests."""

    def __init__(self) -> None:
        admin_url = pg_admin_url()
        self.name = f"deskapp_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self._admin = make_engine(admin_url).execution_options(isolation_level="AUTOCOMMIT")
        with self._admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{self.name}"')
        base = admin_url.rsplit("/", 1)[0]
        self.url = f"{base}/{self.name}"
        engine = make_engine(self.url)
        upgrade(engine)
        with engine.connect() as connection:
            self.tables = [
                row[0]
                for row in connection.exec_driver_sql(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                    "AND tablename <> 'alembic_version'"
                )
            ]
        engine.dispose()

    def reset(self) -> None:
        engine = make_engine(self.url)
        with engine.begin() as connection:
            # Tests start empty; the append-only triggers are set aside for this one statement.
            connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
            connection.exec_driver_sql(
                "TRUNCATE " + ", ".join(f'"{t}"' for t in self.tables) + " RESTART IDENTITY CASCADE"
            )
            connection.execute(
                text("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, :h)"), {"h": "0" * 64}
            )
            # The tests' clock is injected (testkit.T0): the owner lets the database's write
            # functions take the client's time (migration 0011; a real desk keeps the database's).
            connection.exec_driver_sql("INSERT INTO desk_setting (name, value) VALUES ('client_clock', 'on')")
            # A tamper test may have set the append-only guard aside: put it back.
            connection.exec_driver_sql("ALTER TABLE audit_event ENABLE TRIGGER USER")
            connection.exec_driver_sql("ALTER TABLE audit_head ENABLE TRIGGER USER")
        engine.dispose()

    def drop(self) -> None:
        with self._admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self._admin.dispose()


def postgres_reachable() -> str | None:
    """None when a server answers, else why not."""
    if not os.environ.get(PG_URL_ENV):
        return f"{PG_URL_ENV} is not set: PostgreSQL tests run only on a server named there"
    try:
        engine = make_engine(pg_admin_url())
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
        engine.dispose()
        return None
    except Exception as error:  # noqa: BLE001 - any failure means "not reachable"
        return f"PostgreSQL at {pg_admin_url()} is not reachable: {str(error).splitlines()[0]}"


def make_store(url: str, clock: FixedClock | None = None) -> Store:
    return Store(make_engine(url), clock or FixedClock(T0))


# --- a small hand-made directory for store tests ---------------------------------------------

from datetime import timedelta  # noqa: E402

from identity import Address, CallerClaim  # noqa: E402
from tickets.agents import AgentInfo, create_agent  # noqa: E402
from tickets.audit.chain import append_event  # noqa: E402
from tickets.store.models import Organization, Person, RenewalResource, Subscription  # noqa: E402


class Directory:
    """One organization per product, with known callers, inserted straight into the store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        now = store.clock.now()
        with store.write() as session:
            self.org = Organization(
                ref="ORG-T1", name="Fabrikam Ltd.", url="fabrikam.crm4.dynamics.com", country="GB",
                street_lines=["1 Market Street"], city="London", region="", postal_code="EC1A 1BB",
                name_key="fabrikam ltd", updated_at=now,
            )
            session.add(self.org)
            session.flush()
            self.admin = Person(
                organization_id=self.org.id, user_id="ann.admin@fabrikam.co.uk", first_name="Ann",
                last_name="Admin", phone_e164="+442079460958", is_primary_contact=True,
                roles=["admin", "billing_admin"],
            )
            self.plain = Person(
                organization_id=self.org.id, user_id="bob.user@fabrikam.co.uk", first_name="Bob",
                last_name="User", phone_e164="+442079460959", is_primary_contact=False, roles=[],
            )
            session.add_all([self.admin, self.plain])
            base = dict(organization_id=self.org.id, state="active", auto_renew=True, licenses_assigned=10)
            self.intune = Subscription(
                ref="SUB-INT", name="Intune", product="intune", channel="online",
                purchased_at=now - timedelta(days=200), term_start=now - timedelta(days=200),
                term_end=now + timedelta(days=165), custom_domains=["fabrikam.co.uk"], **base,
            )
            self.o365 = Subscription(
                ref="SUB-O365", name="Office 365 E3", product="o365", channel="online",
                purchased_at=now - timedelta(days=200), term_start=now - timedelta(days=200),
                term_end=now + timedelta(days=165), **base,
            )
            self.d365_cancelled = Subscription(
                ref="SUB-D365", name="Dynamics 365 Sales", product="d365", channel="online",
                platform="online_services", purchased_at=now - timedelta(days=400),
                term_start=now - timedelta(days=400), term_end=now + timedelta(days=300),
                **{**base, "state": "cancelled"}, cancelled_at=now - timedelta(days=10),
            )
            self.cloud = Subscription(
                ref="SUB-CLD", name="Cloud servers", product="cloud", channel="online",
                purchased_at=now - timedelta(days=100), term_start=now - timedelta(days=100),
                term_end=now + timedelta(days=265), **base,
            )
            session.add_all([self.intune, self.o365, self.d365_cancelled, self.cloud])
            session.flush()
            self.resources = []
            blocked = ["transaction_in_progress", "special_unsubscription_pending", "in_promotion", "invoice_issued"]
            for i in range(10):
                flags = {blocked[i]: True} if i < 4 else {}
                self.resources.append(
                    RenewalResource(
                        ref=f"RES-{i:02d}", subscription_id=self.cloud.id, description=f"ECS renewal {i}",
                        effective_at=now + timedelta(days=30 + i), state="inactive", cash_coupons_used=500,
                        discount_coupons_used=200, **flags,
                    )
                )
            session.add_all(self.resources)
            append_event(session, at=now, actor="test", action="directory.imported", subject="directory")
        self.agent: AgentInfo = create_agent(store, name="ada", display_name="Ada", role="agent", pin="1111")
        self.agent2: AgentInfo = create_agent(store, name="alan", display_name="Alan", role="agent", pin="3333")
        self.supervisor: AgentInfo = create_agent(
            store, name="grace", display_name="Grace", role="supervisor", pin="2222"
        )
        self.supervisor2: AgentInfo = create_agent(
            store, name="linus", display_name="Linus", role="supervisor", pin="4444"
        )

    def signed_in(self, store: Store | None = None) -> Directory:
        """This directory used through `store` (e.g. a store connected as the application role),
        each of its agents signed in there (AgentInfo.session)."""
        import copy

        from tickets.agents import authenticate

        other = copy.copy(self)
        other.store = store or self.store
        for attr, pin in (("agent", "1111"), ("agent2", "3333"), ("supervisor", "2222"), ("supervisor2", "4444")):
            setattr(other, attr, authenticate(other.store, name=getattr(self, attr).name, pin=pin))
        return other

    def claim(self, **changes) -> CallerClaim:
        values = dict(
            user_id="Ann.Admin@fabrikam.co.uk", phone="020 7946 0958", contact_first_name="Ann",
            contact_last_name="Admin", org_name="Fabrikam Ltd", org_url="https://fabrikam.crm4.dynamics.com/",
            address=Address(("1 Market Street",), "London", "", "EC1A 1BB", "GB"),
        )
        values.update(changes)
        return CallerClaim(**values)

    def verified(self, agent: AgentInfo | None = None, **changes) -> int:
        """A passed verification on a new call; returns its id."""
        from tickets.verification import start_call, verify_caller

        agent = agent or self.agent
        call_id = start_call(self.store, agent)
        result = verify_caller(
            self.store, agent=agent, organization_id=self.org.id, claim=self.claim(**changes), call_id=call_id
        )
        assert result.passed, result
        return result.verification_id


# --- tickets on the demo directory ------------------------------------------------------------

_ticket_keys = count(1)


def file_demo_ticket(
    store, *, user_id: str, kind: str = "cancel_end_of_term", status: str = "open", needs_callback: bool = False,
    agent: str = "ada",
) -> int:
    """A ticket filed by `agent` after the caller with `user_id` passed verification (inserted
    directly: the rules for filing are tested elsewhere)."""
    from sqlmodel import select

    from tickets.agents import list_agents
    from tickets.store.models import Person, Subscription, Ticket, VerificationAttempt

    ada = next(a for a in list_agents(store) if a.name == agent)
    with store.write() as session:
        person = session.exec(select(Person).where(Person.user_id == user_id)).one()
        sub = session.exec(select(Subscription).where(Subscription.organization_id == person.organization_id)).first()
        attempt = VerificationAttempt(organization_id=person.organization_id, agent_id=ada.id, at=T0,
                                      passed=True, person_id=person.id)
        session.add(attempt)
        session.flush()
        ticket = Ticket(
            kind=kind, status=status, organization_id=person.organization_id, subscription_id=sub.id,
            verification_id=attempt.id, filed_by_id=ada.id, created_at=T0, updated_at=T0,
            idempotency_key=f"search-{next(_ticket_keys)}", content_hash="h",
            needs_review=status == "pending_review", needs_callback=needs_callback,
        )
        session.add(ticket)
        session.flush()
        return ticket.id


# --- a review queue of N pending tickets ------------------------------------------------------


def seed_review_queue(store, count_: int, *, now: datetime, step: timedelta = timedelta(minutes=3),
                      agent: str = "ada") -> list[int]:
    """`count_` early cancellations with a refund, waiting for a supervisor (X-2), on as many
    demo subscriptions (C-9: one open cancellation each), filed by `agent` one `step` apart, the
    newest `step` before `now`. Inserted directly (the rules for filing are tested elsewhere);
    no callback is needed (V-8 asks for one on refunds only when the caller's number is not on
    file), so `a` `y` decides one. Returns the ids oldest first, the review queue's order."""
    from sqlmodel import select

    from tickets.agents import list_agents
    from tickets.audit.chain import append_event
    from tickets.store.models import Person, Subscription, Ticket, VerificationAttempt

    filer = next(a for a in list_agents(store) if a.name == agent)
    ids: list[int] = []
    with store.write() as session:
        people = {p.organization_id: p for p in session.exec(select(Person).order_by(Person.id))}
        subscriptions = [s for s in session.exec(select(Subscription).order_by(Subscription.ref))
                         if s.organization_id in people]
        if len(subscriptions) < count_:
            raise ValueError(f"only {len(subscriptions)} subscriptions for {count_} tickets (C-9)")
        for n, sub in enumerate(subscriptions[:count_]):
            at = now - step * (count_ - n)
            attempt = VerificationAttempt(organization_id=sub.organization_id, agent_id=filer.id, at=at,
                                          passed=True, person_id=people[sub.organization_id].id)
            session.add(attempt)
            session.flush()
            ticket = Ticket(
                kind="cancel_early", status="pending_review", organization_id=sub.organization_id,
                subscription_id=sub.id, verification_id=attempt.id, filed_by_id=filer.id, created_at=at,
                updated_at=at, idempotency_key=f"queue-{uuid.uuid4().hex}", content_hash="h",
                reason="seeded for the review queue", fields={"refund": True}, rules=["C-4", "X-2"],
                needs_review=True, needs_callback=False,
            )
            session.add(ticket)
            session.flush()
            assert ticket.id is not None
            append_event(session, at=at, actor=filer.name, action="ticket.filed", subject=f"ticket:{ticket.id}",
                         details={"kind": "cancel_early"})
            ids.append(ticket.id)
    return ids
