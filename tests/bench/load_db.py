"""The load test's databases and its after-the-fact check.

A template per run, filled once through the store: the schema (Alembic), a generated directory
imported with `tickets.directory.import_directory`, and agents (one shared scrypt PIN hash; each
agent's `agent.created` event appended with `tickets.audit.chain.append_event`, so the chain is the
store's own). Each load point gets a fresh copy: on PostgreSQL `CREATE DATABASE .. TEMPLATE`
under a name of its own (deskapp_load_<run>_<n>: never a fixed name, never dropped WITH FORCE),
on SQLite a backup-API copy of the file.

After a point, `check` compares what the clients were told with what the database holds: every
ticket a client was told was filed is there under its id and idempotency key (else lost), no key
is there twice and no ticket was reported twice (else doubled), no ticket nobody reported, the
counts of calls started and ended, of verification attempts and of `ticket.filed` events match
the clients' own, and `tickets.audit.chain.verify_chain` passes.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from generate import COUNTRIES, T0, _organization, add_agents_with_store_chain, copy_database, new_database

INTUNE_PER_ORG = 8  # free Intune subscriptions an organization brings: one early cancellation each


def make_document(orgs: int, *, seed: int = 11) -> dict[str, Any]:
    """A directory of `orgs` organizations with INTUNE_PER_ORG Intune subscriptions each."""
    rng = random.Random(seed)
    countries = list(COUNTRIES)
    return {"format": "deskapp-directory", "version": 1, "organizations": [
        _organization(rng, i, countries[i % len(countries)], T0, intune=INTUNE_PER_ORG) for i in range(1, orgs + 1)
    ]}


def orgs_for(calls: int) -> int:
    """Organizations enough for `calls` filings (each uses up one subscription), with a margin."""
    return max(20, -(-int(calls * 1.2) // INTUNE_PER_ORG))


def add_agents_through_store(url: str, count: int) -> None:
    """`count` agents (load0001 ..), PIN 1111 under one shared hash, each with its event."""
    from tickets.agents import hash_pin
    from tickets.audit.chain import append_event
    from tickets.clock import FixedClock
    from tickets.store.database import Store, make_engine
    from tickets.store.models import Agent

    pin_hash = hash_pin("1111")
    at = T0 - timedelta(days=30)
    store = Store(make_engine(url), FixedClock(at))
    try:
        with store.write() as session:
            for n in range(count):
                name = f"load{n + 1:04d}"
                agent = Agent(name=name, display_name=name.capitalize(), role="agent", pin_hash=pin_hash, created_at=at)
                session.add(agent)
                session.flush()
                append_event(session, at=at, actor="system", action="agent.created", subject=f"agent:{agent.id}",
                             details={"name": name, "role": "agent"})
    finally:
        store.dispose()


def _import(url: str, document: dict[str, Any]) -> None:
    from tickets.clock import FixedClock
    from tickets.directory import import_directory
    from tickets.store.database import Store, make_engine

    store = Store(make_engine(url), FixedClock(T0))
    try:
        import_directory(store, json.dumps(document, ensure_ascii=False).encode())
    finally:
        store.dispose()


def seed(url: str, document: dict[str, Any], agents: int) -> None:
    """Fill an empty, migrated database: the directory, then the agents."""
    _import(url, document)
    add_agents_through_store(url, agents)


@dataclass
class Databases:
    """Where a run's databases live: PostgreSQL (admin_url) or SQLite files (workdir)."""

    backend: str
    admin_url: str = ""
    workdir: Path | None = None
    run: str = ""
    template: str = ""  # a database name or a file path
    made: int = 0
    seconds: float = 0.0  # to build the template

    @classmethod
    def postgresql(cls, admin_url: str) -> Databases:
        return cls("postgresql", admin_url=admin_url, run=time.strftime("%m%d%H%M%S") + uuid.uuid4().hex[:4])

    @classmethod
    def sqlite(cls, workdir: Path) -> Databases:
        return cls("sqlite", workdir=workdir, run=uuid.uuid4().hex[:6])

    def url_of(self, name: str) -> str:
        if self.backend == "sqlite":
            return f"sqlite:///{name}"
        return self.admin_url.rsplit("/", 1)[0] + "/" + name

    def _admin(self, sql: str) -> None:
        from tickets.store.database import make_engine

        engine = make_engine(self.admin_url).execution_options(isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                connection.exec_driver_sql(sql)
        finally:
            engine.dispose()

    def build_template(self, document: dict[str, Any], agents: int) -> None:
        from tickets.store.database import make_engine
        from tickets.store.schema import upgrade

        started = time.perf_counter()
        if self.backend == "sqlite":
            assert self.workdir is not None
            self.template = str(self.workdir / f"load-{self.run}-template.db")
            new_database(Path(self.template))
            _import(self.url_of(self.template), document)
            add_agents_with_store_chain(Path(self.template), agents=agents, supervisors=0)
        else:
            self.template = f"deskapp_load_{self.run}_tpl"
            self._admin(f'CREATE DATABASE "{self.template}"')
            engine = make_engine(self.url_of(self.template))
            try:
                upgrade(engine)
                with engine.begin() as connection:  # the load's clock is T0-based: the database's
                    # write functions take it (migration 0011; a real desk keeps the database's)
                    connection.exec_driver_sql("INSERT INTO desk_setting (name, value) VALUES ('client_clock', 'on')")
            finally:
                engine.dispose()
            seed(self.url_of(self.template), document, agents)
        self.seconds = time.perf_counter() - started

    def fresh(self) -> tuple[str, str]:
        """(name, url) of a new copy of the template."""
        self.made += 1
        if self.backend == "sqlite":
            assert self.workdir is not None
            path = self.workdir / f"load-{self.run}-{self.made}.db"
            copy_database(Path(self.template), path)
            return str(path), self.url_of(str(path))
        name = f"deskapp_load_{self.run}_{self.made}"
        self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        return name, self.url_of(name)

    def drop(self, name: str) -> None:
        """Drop one of this run's own databases (its clients are gone: no FORCE)."""
        if self.backend == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(f"{name}{suffix}").unlink(missing_ok=True)
            return
        self._admin_when_alone(f'DROP DATABASE IF EXISTS "{name}"')

    def copy(self, source: str, suffix: str = "copy") -> tuple[str, str]:
        """(name, url) of a copy of one of this run's databases as it is now (its clients gone)."""
        name = f"{source}_{suffix}"
        self._admin_when_alone(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
        return name, self.url_of(name)

    def _admin_when_alone(self, sql: str) -> None:
        """An admin statement that needs a database's clients gone: a backend may take a moment
        to go after its client closed."""
        for attempt in range(20):
            try:
                self._admin(sql)
                return
            except Exception:
                if attempt == 19:
                    raise
                time.sleep(0.5)

    def close(self) -> None:
        if self.template:
            self.drop(self.template)


def agent_ids(url: str, count: int) -> list[int]:
    from sqlalchemy import text

    from tickets.store.database import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            ids = [r[0] for r in connection.execute(
                text("SELECT id FROM agent WHERE role = 'agent' AND active ORDER BY id LIMIT :n"), {"n": count})]
    finally:
        engine.dispose()
    if len(ids) < count:
        raise RuntimeError(f"the load database has {len(ids)} agents, {count} needed")
    return ids


def work_items(url: str, document: dict[str, Any]) -> list[tuple[int, str, dict[str, Any]]]:
    """Every Intune subscription once, as (organization id, ref, organization); consecutive items
    are for different organizations (the k-th subscription of every organization, then the next)."""
    from sqlalchemy import text

    from tickets.store.database import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            ids = dict(connection.execute(text("SELECT ref, id FROM organization")).all())
    finally:
        engine.dispose()
    per_org = [(org, [s["ref"] for s in org["subscriptions"] if s["product"] == "intune"])
               for org in document["organizations"]]
    depth = max(len(subs) for _, subs in per_org)
    return [(ids[org["ref"]], subs[k], org) for k in range(depth) for org, subs in per_org if k < len(subs)]


@dataclass
class Check:
    lost: int
    doubled: int
    unreported: int
    db_tickets: int
    filed_events: int
    counts_match: bool  # calls started/ended, verification attempts, ticket.filed events = the clients'
    counts_text: str
    chain_ok: bool
    chain_text: str
    chain_seconds: float


def check(url: str, reports: list[dict[str, Any]]) -> Check:
    from sqlalchemy import text

    from tickets.audit.chain import verify_chain
    from tickets.store.database import Store, make_engine

    reported = [tuple(f) for r in reports for f in r["filed"]]
    store = Store(make_engine(url))
    try:
        with store.engine.connect() as connection:
            rows = connection.execute(text("SELECT id, idempotency_key FROM ticket")).all()
            counted = {name: connection.execute(text(sql)).scalar_one() for name, sql in (
                ("filed events", "SELECT count(*) FROM audit_event WHERE action = 'ticket.filed'"),
                ("calls started", "SELECT count(*) FROM call"),
                ("calls ended", "SELECT count(*) FROM call WHERE ended_at IS NOT NULL"),
                ("verifications", "SELECT count(*) FROM verification_attempt"),
            )}
        started = time.perf_counter()
        with store.read() as session:
            chain = verify_chain(session)
        chain_seconds = time.perf_counter() - started
    finally:
        store.dispose()
    in_db = {(ticket_id, key) for ticket_id, key in rows}
    keys: dict[str, int] = {}
    for _, key in rows:
        keys[key] = keys.get(key, 0) + 1
    lost = sum(1 for item in reported if item not in in_db)
    doubled = sum(count - 1 for count in keys.values() if count > 1) + (len(reported) - len(set(reported)))
    reported_ids = {ticket_id for ticket_id, _ in reported}
    unreported = sum(1 for ticket_id, _ in rows if ticket_id not in reported_ids)
    client = {
        "filed events": len(reported), "calls started": sum(r["started"] for r in reports),
        "calls ended": sum(r["ended"] for r in reports), "verifications": sum(r["verifications"] for r in reports),
    }
    mismatched = [f"{name}: database {counted[name]}, clients {client[name]}" for name in client
                  if counted[name] != client[name]]
    return Check(
        lost=lost, doubled=doubled, unreported=unreported, db_tickets=len(rows), filed_events=counted["filed events"],
        counts_match=not mismatched, counts_text="; ".join(mismatched) or "all match",
        chain_ok=chain.ok, chain_text=str(chain), chain_seconds=chain_seconds,
    )
