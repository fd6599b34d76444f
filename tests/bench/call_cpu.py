"""CPU of one load-model call, client and server, measured sequentially.

The same API as load_model.py (start_call -> verify_caller -> account_view -> file_ticket ->
list_tickets on every other call -> end_call) on one thread over a fresh PostgreSQL copy of the
load test's template: the client's CPU by time.process_time, the server's by /proc of the
backends serving that database, and the statements the driver sent (a wrapper on psycopg's
cursor). Robust to a busy machine: CPU, not wall time (medians of --batches batches, min, max).

    python tests/bench/call_cpu.py [--calls 300] [--pg-url URL] [--profile out.prof]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import claim_for  # noqa: E402
from load_db import Databases, agent_ids, make_document, work_items  # noqa: E402
from load_model import WallClock  # noqa: E402
from load_probe import proc_cpu  # noqa: E402

WRITES_PER_CALL = 4


def _backends(admin_url: str, database: str) -> list[int]:
    from sqlalchemy import text

    from tickets.store.database import make_engine

    engine = make_engine(admin_url)
    try:
        with engine.connect() as connection:
            return [r[0] for r in connection.execute(
                text("SELECT pid FROM pg_stat_activity WHERE datname = :d"), {"d": database})]
    finally:
        engine.dispose()


class Recorder:
    """What the product sends through psycopg, in order and per connection: each execute (with
    its cursor class, statement and parameters), commit, rollback and autocommit switch; replayed
    by `replay` with psycopg alone on another copy of the same database (the raw prototype: the
    same statements with nothing of deskapp around them)."""

    def __init__(self) -> None:
        import psycopg

        self.events: list[tuple] = []
        self.statements = 0
        self.paused = False  # while the replay itself runs
        self._originals = {}
        recorder = self

        def wrap(cls, name, make):
            original = getattr(cls, name)
            self._originals[(cls, name)] = original
            setattr(cls, name, make(original))

        def execute(original):
            def run(cursor, query, params=None, **kwargs):
                if recorder.paused:
                    return original(cursor, query, params, **kwargs)
                recorder.statements += 1
                recorder.events.append(("execute", id(cursor.connection), type(cursor), query, params, kwargs))
                return original(cursor, query, params, **kwargs)
            return run

        def executemany(original):
            def run(cursor, query, params_seq, **kwargs):
                params_seq = list(params_seq)
                if recorder.paused:
                    return original(cursor, query, params_seq, **kwargs)
                recorder.statements += 1
                recorder.events.append(("executemany", id(cursor.connection), type(cursor), query, params_seq, kwargs))
                return original(cursor, query, params_seq, **kwargs)
            return run

        def on_connection(kind):
            def make(original):
                def run(connection, *args):
                    if not recorder.paused:
                        recorder.events.append((kind, id(connection), *args))
                    return original(connection, *args)
                return run
            return make

        wrap(psycopg.Cursor, "execute", execute)
        wrap(psycopg.Cursor, "executemany", executemany)
        wrap(psycopg.Connection, "commit", on_connection("commit"))
        wrap(psycopg.Connection, "rollback", on_connection("rollback"))
        wrap(psycopg.Connection, "set_autocommit", on_connection("autocommit"))

    def take(self) -> list[tuple]:
        events, self.events = self.events, []
        return events

    def close(self) -> None:
        for (cls, name), original in self._originals.items():
            setattr(cls, name, original)


def replay(url: str, events: list[tuple], connections: dict) -> None:
    """The recorded events with psycopg alone, one raw connection per recorded connection."""
    import psycopg

    for kind, key, *rest in events:
        connection = connections.get(key)
        if connection is None:
            connection = connections[key] = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"),
                                                            prepare_threshold=None)
        if kind == "execute":
            cls, query, params, kwargs = rest
            cls(connection).execute(query, params, **kwargs)
        elif kind == "executemany":
            cls, query, params_seq, kwargs = rest
            cls(connection).executemany(query, params_seq, **kwargs)
        elif kind == "commit":
            connection.commit()
        elif kind == "rollback":
            connection.rollback()
        else:
            connection.autocommit = rest[0]


def run(url: str, admin_url: str, database: str, document, calls: int, batches: int, profile: str | None,
        raw_copy=None):
    """(client, server) CPU ms a write and driver statements a call, one figure a batch; with
    `raw_copy` (makes another copy of the database once the agents are signed in, and returns
    its URL), also the raw prototype's client CPU ms a write: each batch's statements replayed
    with psycopg alone there, right after the batch (the copy holds the same sessions, so the
    same function calls with the same tokens are accepted there)."""
    from tickets.account import account_view
    from tickets.agents import get_agent
    from tickets.enums import TicketKind
    from tickets.filing import FilingRequest, file_ticket
    from tickets.store.database import Store, make_engine
    from tickets.store.queries import list_tickets
    from tickets.verification import end_call, start_call, verify_caller

    ids = agent_ids(url, 16)
    work = work_items(url, document)
    store = Store(make_engine(url, pool_size=2), WallClock(time.time()))
    agents = [get_agent(store, i) for i in ids]
    try:  # from migration 0011 on, each write names its actor by the session a sign-in opened
        from tickets.agents import authenticate, reset_pin
        from tickets.sessions import check_actor  # noqa: F401 - only to know sessions exist
    except ImportError:
        pass
    else:
        owner = Store(make_engine(url, pool_size=1), WallClock(time.time()))
        for agent in agents:
            reset_pin(owner, agent.name, "24680")  # the owner sets a PIN the bench knows
        owner.dispose()
        agents = [authenticate(store, name=agent.name, pin="24680") for agent in agents]
    raw_url = None
    if raw_copy is not None:
        store.dispose()  # a database is copied with nobody connected to it
        raw_url = raw_copy(database)
    rng = random.Random(5)
    recorder = Recorder()
    n = 0

    def one_call():
        nonlocal n
        org_id, sub_ref, org = work[n]
        agent = agents[n % len(agents)]
        n += 1
        call_id = start_call(store, agent)
        verified = verify_caller(store, agent=agent, organization_id=org_id, claim=claim_for(org), call_id=call_id)
        assert verified.passed
        view = account_view(store, agent=agent, verification_id=verified.verification_id)
        decision = next(d for d in view.subscription(sub_ref).decisions if d.kind is TicketKind.CANCEL_EARLY)
        request = FilingRequest(kind=TicketKind.CANCEL_EARLY, subscription_ref=sub_ref, idempotency_key=f"cpu-{n}",
                                confirmed=frozenset(item.key for item in decision.checklist))
        file_ticket(store, agent=agent, verification_id=verified.verification_id, request=request)
        if rng.random() < 0.5:
            list_tickets(store, filed_by_id=agent.id)
        end_call(store, agent, call_id, "Filed as asked.")

    raw_connections: dict = {}
    try:
        for _ in range(10):  # warm: the pool's connections, the caches
            one_call()
        if raw_url is not None:
            recorder.paused = True
            replay(raw_url, recorder.take(), raw_connections)  # the same warm-up, on the copy
            recorder.paused = False
        pids = _backends(admin_url, database)
        client, server, trips, raw_client = [], [], [], []
        profiler = None
        if profile:
            import cProfile

            profiler = cProfile.Profile(time.process_time)
        for _ in range(batches):
            s0 = sum(proc_cpu(p) for p in pids)
            c0, st0 = time.process_time(), recorder.statements
            if profiler:
                profiler.enable()
            for _ in range(calls):
                one_call()
            if profiler:
                profiler.disable()
            c1, st1 = time.process_time(), recorder.statements
            events = recorder.take()
            if raw_url is not None:  # the same statements with psycopg alone, in turn with the product
                recorder.paused = True
                r0 = time.process_time()
                try:
                    replay(raw_url, events, raw_connections)
                finally:
                    recorder.paused = False
                raw_client.append((time.process_time() - r0) / calls / WRITES_PER_CALL * 1000)
            pids = sorted(set(pids) | set(_backends(admin_url, database)))
            s1 = sum(proc_cpu(p) for p in pids)
            client.append((c1 - c0) / calls / WRITES_PER_CALL * 1000)
            server.append((s1 - s0) / calls / WRITES_PER_CALL * 1000)
            trips.append((st1 - st0) / calls)
    finally:
        recorder.close()
        for connection in raw_connections.values():
            connection.close()
        store.dispose()
    if profiler:
        profiler.dump_stats(profile)
    return client, server, trips, raw_client


def _fmt(values):
    return f"{statistics.median(values):.2f} (min {min(values):.2f}, max {max(values):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100, help="calls a batch")
    parser.add_argument("--batches", type=int, default=5)
    parser.add_argument("--pg-url", default=os.environ.get("DESKAPP_BENCH_PG_URL",
                                                           "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--profile", help="write a cProfile of the measured calls here")
    parser.add_argument("--raw", action="store_true",
                        help="also replay each batch's statements with psycopg alone on a second copy (the raw "
                             "prototype's client CPU a write)")
    args = parser.parse_args()
    document = make_document(max(20, args.calls * (args.batches + 1) // 8 + 20))
    pg = Databases.postgresql(args.pg_url)
    try:
        pg.build_template(document, 16)
        name, url = pg.fresh()
        copies: list[str] = []

        def raw_copy(source: str) -> str:
            copy_name, copy_url = pg.copy(source)
            copies.append(copy_name)
            return copy_url

        try:
            client, server, trips, raw_client = run(url, args.pg_url, name, document, args.calls, args.batches,
                                                    args.profile, raw_copy if args.raw else None)
        finally:
            pg.drop(name)
            for copy in copies:
                pg.drop(copy)
    finally:
        pg.close()
    print(f"load average {os.getloadavg()[0]:.2f}")
    print(f"client CPU ms a write: {_fmt(client)}")
    print(f"server CPU ms a write: {_fmt(server)}")
    print(f"total  CPU ms a write: {_fmt([a + b for a, b in zip(client, server, strict=True)])}")
    print(f"driver statements a call (psycopg cursor executes; BEGIN/COMMIT not counted): {_fmt(trips)}")
    if raw_client:
        ratios = [a / b for a, b in zip(client, raw_client, strict=True)]
        print(f"raw prototype client CPU ms a write (the same statements, psycopg alone): {_fmt(raw_client)}")
        print(f"client CPU, deskapp / raw prototype: {statistics.median(client) / statistics.median(raw_client):.2f} "
              f"(batches {min(ratios):.2f}-{max(ratios):.2f}; target <= 1.3)")


if __name__ == "__main__":
    main()
