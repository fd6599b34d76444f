"""The call-centre load test: N agent processes taking scripted calls through the store.

Each agent process takes calls one after another until its time is up (or its share of the
subscriptions is used): `start_call` -> `verify_caller` (every factor right) -> `account_view`
-> `file_ticket` (an early cancellation of an Intune subscription, with the checklist the
account view asks for) -> `end_call`. Every agent has its own organizations and subscriptions,
so C-9 refuses nothing; a refusal would be counted. Run against SQLite (WAL, synchronous=FULL,
one file) and PostgreSQL, each on a fresh copy of the directory database, for N = 1, 4, 16, 64.

Afterwards, per run: every filing an agent was told succeeded is in the database exactly once
(by id and idempotency key), there is no ticket nobody reported, the count of `ticket.filed`
events equals the count of tickets, and `tickets.audit.verify_chain` passes.

    python tests/bench/loadtest.py --sqlite-template T.db [--pg-url URL] [--agents 1,4,16,64] [--seconds 8]

It forks its agents from a process that has imported the store already (so that 64 agents
start in well under a second on two cores); each agent makes its own engine after the fork.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import time
import traceback
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import BENCH_ORG, T0, claim_for, copy_database, make_directory  # noqa: E402

PG_TEMPLATE = "deskapp_bench_tpl"
PG_RUN = "deskapp_bench_run"


class WallClock:
    """T0 + the wall time since `epoch`: the same "now" in every agent process."""

    def __init__(self, epoch: float) -> None:
        self.epoch = epoch

    def now(self) -> datetime:
        return T0 + timedelta(seconds=time.time() - self.epoch)


@dataclass
class AgentReport:
    agent: str
    calls: int = 0
    filed: list[tuple[int, str]] = field(default_factory=list)  # (ticket id, idempotency key)
    latencies: list[float] = field(default_factory=list)  # file_ticket, seconds
    call_seconds: list[float] = field(default_factory=list)  # the whole call
    refused: int = 0  # C-9 or another rule said no
    errors: list[str] = field(default_factory=list)
    # Per write transaction: how long it held what serialises writers. PostgreSQL: the
    # audit_head row lock, from append_event's SELECT .. FOR UPDATE to the end of COMMIT.
    # SQLite: the database write lock, from BEGIN IMMEDIATE to the end of COMMIT.
    holds: list[float] = field(default_factory=list)


def _agent(url: str, agent_id: int, work: list[tuple[int, str, dict[str, Any]]], epoch: float, start: float,
           deadline: float, results) -> None:
    """One agent process."""
    report = AgentReport(agent=str(agent_id))
    try:
        from tickets.agents import get_agent
        from tickets.account import account_view
        from tickets.enums import TicketKind
        from tickets.errors import Conflict, NotAllowed
        from tickets.filing import FilingRequest, file_ticket
        from tickets.store import Store, make_engine
        from tickets.verification import end_call, start_call, verify_caller

        store = _timed_store(Store, make_engine(url, pool_size=1), WallClock(epoch), report.holds)
        agent = get_agent(store, agent_id)
        report.agent = agent.name
        while time.time() < start:
            time.sleep(0.001)
        for n, (org_id, sub_ref, org) in enumerate(work):
            if time.time() >= deadline:
                break
            began = time.perf_counter()
            try:
                call_id = start_call(store, agent)
                verified = verify_caller(store, agent=agent, organization_id=org_id, claim=claim_for(org), call_id=call_id)
                if not verified.passed:
                    report.errors.append("verification failed")
                    end_call(store, agent, call_id, "Caller not verified.")
                    continue
                view = account_view(store, agent=agent, verification_id=verified.verification_id)
                decision = next(d for d in view.subscription(sub_ref).decisions if d.kind is TicketKind.CANCEL_EARLY)
                key = f"load-{agent.name}-{n}"
                request = FilingRequest(kind=TicketKind.CANCEL_EARLY, subscription_ref=sub_ref, idempotency_key=key,
                                        confirmed=frozenset(item.key for item in decision.checklist))
                filed_at = time.perf_counter()
                try:
                    result = file_ticket(store, agent=agent, verification_id=verified.verification_id, request=request)
                except (Conflict, NotAllowed):
                    report.refused += 1
                else:
                    report.latencies.append(time.perf_counter() - filed_at)
                    report.filed.extend((t.id, key) for t in result.filed)
                end_call(store, agent, call_id, "Filed as asked.")
                report.calls += 1
                report.call_seconds.append(time.perf_counter() - began)
            except Exception as error:  # counted, and the agent takes the next call
                report.errors.append(f"{type(error).__name__}: {str(error).splitlines()[0][:160] if str(error) else ''}")
        store.dispose()
    except Exception:
        report.errors.append(traceback.format_exc(limit=3))
    results.put(asdict(report))


def _timed_store(store_class, engine, clock, holds: list[float]):
    """The store, noting how long each write transaction held the lock that serialises writers
    (measured in the agent process, around the real code: tickets/ is not changed)."""
    from contextlib import contextmanager

    import tickets.audit
    import tickets.filing
    import tickets.verification

    sqlite = engine.dialect.name == "sqlite"
    locked_at: list[float | None] = [None]
    original = tickets.audit.append_event

    def append_event(session, **kwargs):
        if locked_at[0] is None:
            locked_at[0] = time.perf_counter()
        return original(session, **kwargs)

    for module in (tickets.filing, tickets.verification):
        module.append_event = append_event
    if sqlite:
        from sqlalchemy import event

        def begun(connection) -> None:  # runs after the store's own listener issued BEGIN IMMEDIATE
            locked_at[0] = time.perf_counter()

        event.listen(engine, "begin", begun)

    class TimedStore(store_class):
        @contextmanager
        def write(self):
            locked_at[0] = None
            with super().write() as session:
                yield session
            if locked_at[0] is not None:
                holds.append(time.perf_counter() - locked_at[0])
            locked_at[0] = None

    return TimedStore(engine, clock)


def _assignments(url: str, document: dict[str, Any], agents: int) -> list[list[tuple[int, str, dict[str, Any]]]]:
    """Each agent's own calls: organizations dealt round-robin, their Intune subscriptions in turn."""
    from sqlalchemy import text

    from tickets.store import make_engine

    engine = make_engine(url)
    with engine.connect() as connection:
        ids = dict(connection.execute(text("SELECT ref, id FROM organization")).all())
    engine.dispose()
    orgs = [o for o in document["organizations"] if o["ref"] != BENCH_ORG]
    work: list[list[tuple[int, str, dict[str, Any]]]] = [[] for _ in range(agents)]
    for index, org in enumerate(orgs):
        intune = [s["ref"] for s in org["subscriptions"] if s["product"] == "intune"]
        for sub_ref in intune:
            work[index % agents].append((ids[org["ref"]], sub_ref, org))
    # Interleave each agent's list so that consecutive calls are for different organizations.
    return [sorted(w, key=lambda item: (item[1][-4:], item[0])) for w in work]


def _agent_ids(url: str, count: int) -> list[int]:
    from sqlalchemy import text

    from tickets.store import make_engine

    engine = make_engine(url)
    with engine.connect() as connection:
        ids = [r[0] for r in connection.execute(
            text("SELECT id FROM agent WHERE role = 'agent' AND active ORDER BY id LIMIT :n"), {"n": count})]
    engine.dispose()
    if len(ids) < count:
        raise RuntimeError(f"the load database has {len(ids)} agents, {count} needed")
    return ids


@dataclass
class RunResult:
    backend: str
    agents: int
    seconds: float
    calls: int
    tickets: int
    tickets_per_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    call_p50_ms: float
    hold_p50_ms: float
    hold_p95_ms: float
    writes: int
    refused: int
    errors: int
    lost: int
    doubled: int
    unreported: int
    filed_events: int
    db_tickets: int
    chain_ok: bool
    chain_text: str
    error_samples: list[str]


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(q * (len(values) - 1))))] * 1000


def _check(url: str, reports: list[dict[str, Any]]) -> tuple[int, int, int, int, int, bool, str]:
    """(lost, doubled, unreported, ticket.filed events, tickets in the database, chain ok, text)."""
    from sqlalchemy import text

    from tickets.audit import verify_chain
    from tickets.store import Store, make_engine

    reported = [tuple(f) for r in reports for f in r["filed"]]
    store = Store(make_engine(url))
    with store.engine.connect() as connection:
        rows = connection.execute(text("SELECT id, idempotency_key FROM ticket")).all()
        filed_events = connection.execute(
            text("SELECT count(*) FROM audit_event WHERE action = 'ticket.filed'")).scalar_one()
    in_db: dict[int, list[str]] = {}
    for ticket_id, key in rows:
        in_db.setdefault(ticket_id, []).append(key)
    keys_in_db: dict[str, int] = {}
    for _, key in rows:
        keys_in_db[key] = keys_in_db.get(key, 0) + 1
    lost = sum(1 for ticket_id, key in reported if key not in in_db.get(ticket_id, []))
    doubled = sum(1 for count in keys_in_db.values() if count > 1) + (len(reported) - len(set(reported)))
    reported_ids = {ticket_id for ticket_id, _ in reported}
    unreported = sum(1 for ticket_id in in_db if ticket_id not in reported_ids)
    with store.read() as session:
        report = verify_chain(session)
    store.dispose()
    return lost, doubled, unreported, filed_events, len(rows), report.ok, str(report)


def run(backend: str, url: str, document: dict[str, Any], agents: int, seconds: float) -> RunResult:
    ctx = multiprocessing.get_context("fork")
    results = ctx.Queue()
    ids = _agent_ids(url, agents)
    work = _assignments(url, document, agents)
    epoch = time.time()
    start = epoch + 0.5 + 0.02 * agents  # every agent forked and connected-to-be before the clock runs
    deadline = start + seconds
    processes = [ctx.Process(target=_agent, args=(url, ids[i], work[i], epoch, start, deadline, results))
                 for i in range(agents)]
    for process in processes:
        process.start()
    reports = [results.get(timeout=seconds + 300) for _ in processes]
    ended = time.time()
    for process in processes:
        process.join(timeout=30)
    elapsed = max(ended - start, 1e-9)
    lost, doubled, unreported, filed_events, db_tickets, chain_ok, chain_text = _check(url, reports)
    latencies = [x for r in reports for x in r["latencies"]]
    calls = [x for r in reports for x in r["call_seconds"]]
    holds = [x for r in reports for x in r["holds"]]
    tickets = sum(len(r["filed"]) for r in reports)
    errors = [e for r in reports for e in r["errors"]]
    return RunResult(
        backend=backend, agents=agents, seconds=elapsed, calls=sum(r["calls"] for r in reports), tickets=tickets,
        tickets_per_s=tickets / elapsed, p50_ms=_pct(latencies, 0.50), p95_ms=_pct(latencies, 0.95),
        p99_ms=_pct(latencies, 0.99), call_p50_ms=_pct(calls, 0.5),
        hold_p50_ms=_pct(holds, 0.5), hold_p95_ms=_pct(holds, 0.95), writes=len(holds), refused=sum(r["refused"] for r in reports),
        errors=len(errors), lost=lost, doubled=doubled, unreported=unreported, filed_events=filed_events,
        db_tickets=db_tickets, chain_ok=chain_ok, chain_text=chain_text, error_samples=sorted(set(errors))[:3],
    )


# --- the databases ---------------------------------------------------------------------------


def pg_admin(url: str):
    from tickets.store import make_engine

    return make_engine(url).execution_options(isolation_level="AUTOCOMMIT")


def pg_url(admin_url: str, name: str) -> str:
    return admin_url.rsplit("/", 1)[0] + "/" + name


def pg_free_connections(admin_url: str) -> int:
    from sqlalchemy import text

    engine = pg_admin(admin_url)
    with engine.connect() as connection:
        limit = int(connection.execute(text("SHOW max_connections")).scalar_one())
        reserved = int(connection.execute(text("SHOW superuser_reserved_connections")).scalar_one())
        used = connection.execute(text("SELECT count(*) FROM pg_stat_activity")).scalar_one()
    engine.dispose()
    return limit - reserved - used


def pg_prepare_template(admin_url: str, document: dict[str, Any], agents: int) -> float:
    """deskapp_bench_tpl: the schema, the directory imported through the store, the agents."""
    from sqlalchemy import text

    from tickets.agents import create_agent
    from tickets.clock import FixedClock
    from tickets.directory import import_directory
    from tickets.schema import upgrade
    from tickets.store import Store, make_engine

    started = time.time()
    admin = pg_admin(admin_url)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{PG_RUN}" WITH (FORCE)'))
        connection.execute(text(f'DROP DATABASE IF EXISTS "{PG_TEMPLATE}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{PG_TEMPLATE}"'))
    admin.dispose()
    store = Store(make_engine(pg_url(admin_url, PG_TEMPLATE)), FixedClock(T0))
    upgrade(store.engine)
    import_directory(store, json.dumps(document, ensure_ascii=False).encode())
    for n in range(agents):
        create_agent(store, name=f"agent{n + 1:03d}", display_name=f"Agent{n + 1:03d}", role="agent", pin="1111")
    store.dispose()
    return time.time() - started


def pg_fresh_run_database(admin_url: str) -> str:
    from sqlalchemy import text

    admin = pg_admin(admin_url)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{PG_RUN}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{PG_RUN}" TEMPLATE "{PG_TEMPLATE}"'))
    admin.dispose()
    return pg_url(admin_url, PG_RUN)


def pg_drop(admin_url: str) -> None:
    from sqlalchemy import text

    admin = pg_admin(admin_url)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{PG_RUN}" WITH (FORCE)'))
        connection.execute(text(f'DROP DATABASE IF EXISTS "{PG_TEMPLATE}" WITH (FORCE)'))
    admin.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="deskapp call-centre load test")
    parser.add_argument("--sqlite-template", type=Path, required=True, help="a database made by generate.build_template")
    parser.add_argument("--orgs", type=int, default=2000, help="the template's directory size")
    parser.add_argument("--bench-subs", type=int, default=1200)
    parser.add_argument("--pg-url", default=os.environ.get("DESKAPP_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument("--agents", default="1,4,16,64")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--workdir", type=Path, default=Path("bench-output/db"))
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args(argv)
    document = make_directory(args.orgs, bench_subs=args.bench_subs)
    counts = [int(n) for n in args.agents.split(",")]
    out: dict[str, Any] = {"runs": [], "skipped": []}
    backends: list[str] = ["sqlite"]
    if not args.no_pg:
        try:
            out["pg_template_seconds"] = pg_prepare_template(args.pg_url, document, max(counts))
            backends.append("postgresql")
        except Exception as error:
            out["skipped"].append(f"PostgreSQL: {type(error).__name__}: {str(error).splitlines()[0]}")
    try:
        for backend in backends:
            for agents in counts:
                if backend == "sqlite":
                    path = args.workdir / "load.db"
                    copy_database(args.sqlite_template, path)
                    url = f"sqlite:///{path}"
                else:
                    free = pg_free_connections(args.pg_url)
                    if free < agents + 2:
                        out["skipped"].append(f"PostgreSQL, {agents} agents: only {free} connections free")
                        continue
                    url = pg_fresh_run_database(args.pg_url)
                result = run(backend, url, document, agents, args.seconds)
                out["runs"].append(asdict(result))
                print(f"{backend:10} {agents:3} agents: {result.tickets:5} tickets, {result.tickets_per_s:7.1f}/s, "
                      f"p50 {result.p50_ms:6.1f} ms, p95 {result.p95_ms:6.1f} ms, p99 {result.p99_ms:7.1f} ms, "
                      f"errors {result.errors}, lost {result.lost}, doubled {result.doubled}, chain "
                      f"{'ok' if result.chain_ok else 'BROKEN'}", file=sys.stderr, flush=True)
                if backend == "sqlite":
                    for suffix in ("", "-wal", "-shm"):
                        Path(f"{path}{suffix}").unlink(missing_ok=True)
    finally:
        if "postgresql" in backends:
            pg_drop(args.pg_url)
    if args.json:
        args.json.write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
