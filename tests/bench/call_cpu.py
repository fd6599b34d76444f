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
    """What the product sends through psycopg, in order and per connection: each execute and
    executemany (with its cursor class, statement and parameters), commit, rollback and
    autocommit switch; replayed by `replay` with psycopg alone on another copy of the same
    database (the raw prototype: the same statements with nothing of deskapp around them)."""

    def __init__(self) -> None:
        import psycopg

        self.events: list[tuple] = []
        self.statements = 0
        self.paused = False  # while the replay itself runs
        self._originals: dict = {}
        recorder = self

        def on_cursor(kind):  # execute(query, params) and executemany(query, params_seq) alike
            def make(original):
                def run(cursor, query, params=None, **kwargs):
                    if kind == "executemany":
                        params = list(params)
                    if not recorder.paused:
                        recorder.statements += 1
                        recorder.events.append((kind, id(cursor.connection), type(cursor), query, params, kwargs))
                    return original(cursor, query, params, **kwargs)
                return run
            return make

        def on_connection(kind):
            def make(original):
                def run(connection, *args):
                    if not recorder.paused:
                        recorder.events.append((kind, id(connection), *args))
                    return original(connection, *args)
                return run
            return make

        for cls, name, make in (
            (psycopg.Cursor, "execute", on_cursor("execute")),
            (psycopg.Cursor, "executemany", on_cursor("executemany")),
            (psycopg.Connection, "commit", on_connection("commit")),
            (psycopg.Connection, "rollback", on_connection("rollback")),
            (psycopg.Connection, "set_autocommit", on_connection("autocommit")),
        ):
            self._originals[(cls, name)] = original = getattr(cls, name)
            setattr(cls, name, make(original))

    def take(self) -> list[tuple]:
        events, self.events = self.events, []
        return events

    def close(self) -> None:
        for (cls, name), original in self._originals.items():
            setattr(cls, name, original)


def replay(url: str, events: list[tuple], connections: dict, *, read: bool) -> None:
    """The recorded events with psycopg alone, one raw connection per recorded connection;
    with `read`, each statement's rows are fetched too (every result of a multi-statement
    query), as a prototype that acts on them (the call's id, the verification's outcome,
    the account's rows) would."""
    import psycopg

    for kind, key, *rest in events:
        connection = connections.get(key)
        if connection is None:
            # In autocommit, as the product's pooled connections are kept (tickets.store.held sets
            # it by the property, which the recorder does not see): each function call commits.
            connection = connections[key] = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"),
                                                            prepare_threshold=None, autocommit=True)
        if kind in ("execute", "executemany"):
            cls, query, params, kwargs = rest
            cursor = cls(connection)
            getattr(cursor, kind)(query, params, **kwargs)
            while read and kind == "execute":
                if cursor.pgresult is not None and cursor.pgresult.status == psycopg.pq.ExecStatus.TUPLES_OK:
                    cursor.fetchall()
                if not cursor.nextset():
                    break
        elif kind == "commit":
            connection.commit()
        elif kind == "rollback":
            connection.rollback()
        else:
            connection.autocommit = rest[0]


PROTOTYPES = ("reading", "sending")  # the raw prototype reads each statement's rows; or only sends it


def run(url: str, admin_url: str, database: str, document, calls: int, batches: int, profile: str | None,
        raw_copy=None) -> dict[str, list[float]]:
    """Per batch: the client's and server's CPU ms a write ("client", "server") and driver
    statements a call ("trips"); with `raw_copy` (makes another copy of the database once the
    agents are signed in, and returns its URL), also the raw prototype's client CPU ms a write,
    each batch's statements replayed with psycopg alone right after the batch, on a copy of
    its own for each of PROTOTYPES (the copies hold the same sessions, so the same function
    calls with the same tokens are accepted there), in alternating order."""
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
    raw_urls: dict[str, str] = {}
    if raw_copy is not None:
        store.dispose()  # a database is copied with nobody connected to it
        raw_urls = {kind: raw_copy(database, kind) for kind in PROTOTYPES}
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

    raw_connections: dict[str, dict] = {kind: {} for kind in raw_urls}

    def replayed(events: list[tuple], order: list[str]) -> dict[str, tuple[float, float]]:
        """Each prototype's (client CPU, wall clock) seconds for these events, in this order."""
        spent = {}
        recorder.paused = True
        try:
            for kind in order:
                r0, w0 = time.process_time(), time.perf_counter()
                replay(raw_urls[kind], events, raw_connections[kind], read=kind == "reading")
                spent[kind] = (time.process_time() - r0, time.perf_counter() - w0)
        finally:
            recorder.paused = False
        return spent

    def per_write(seconds: float) -> float:
        return seconds / calls / WRITES_PER_CALL * 1000

    figures: dict[str, list[float]] = {"client": [], "server": [], "trips": [], "rate": [],
                                       **{k: [] for k in raw_urls}, **{f"{k} rate": [] for k in raw_urls}}
    try:
        for _ in range(10):  # warm: the pool's connections, the caches
            one_call()
        replayed(recorder.take(), list(raw_urls))  # the same warm-up, on the copies
        pids = _backends(admin_url, database)
        profiler = None
        if profile:
            import cProfile

            profiler = cProfile.Profile(time.process_time)
        for batch in range(batches):
            s0 = sum(proc_cpu(p) for p in pids)
            c0, w0, st0 = time.process_time(), time.perf_counter(), recorder.statements
            if profiler:
                profiler.enable()
            for _ in range(calls):
                one_call()
            if profiler:
                profiler.disable()
            c1, w1, st1 = time.process_time(), time.perf_counter(), recorder.statements
            # The same statements with psycopg alone, in turn with the product.
            order = list(raw_urls) if batch % 2 == 0 else list(reversed(raw_urls))
            for kind, (cpu, wall) in replayed(recorder.take(), order).items():
                figures[kind].append(per_write(cpu))
                figures[f"{kind} rate"].append(calls * WRITES_PER_CALL / wall)
            pids = sorted(set(pids) | set(_backends(admin_url, database)))
            s1 = sum(proc_cpu(p) for p in pids)
            figures["client"].append(per_write(c1 - c0))
            figures["server"].append(per_write(s1 - s0))
            figures["rate"].append(calls * WRITES_PER_CALL / (w1 - w0))
            figures["trips"].append((st1 - st0) / calls)
    finally:
        recorder.close()
        for connections in raw_connections.values():
            for connection in connections.values():
                connection.close()
        store.dispose()
    if profiler:
        profiler.dump_stats(profile)
    return figures


def measure(pg_url: str, *, calls: int = 100, batches: int = 5, raw: bool = True,
            profile: str | None = None) -> dict[str, list[float]]:
    """`run` on a fresh database from the load test's template (and its copies for the
    prototypes), all dropped afterwards."""
    document = make_document(max(20, calls * (batches + 1) // 8 + 20))
    pg = Databases.postgresql(pg_url)
    try:
        pg.build_template(document, 16)
        name, url = pg.fresh()
        copies: list[str] = []

        def raw_copy(source: str, suffix: str) -> str:
            copy_name, copy_url = pg.copy(source, suffix)
            copies.append(copy_name)
            return copy_url

        try:
            return run(url, pg_url, name, document, calls, batches, profile, raw_copy if raw else None)
        finally:
            pg.drop(name)
            for copy in copies:
                pg.drop(copy)
    finally:
        pg.close()


def _fmt(values):
    return f"{statistics.median(values):.2f} (min {min(values):.2f}, max {max(values):.2f})"


def ratio(figures: dict[str, list[float]], kind: str) -> tuple[float, float, float]:
    """The product's client CPU over a prototype's: of the medians, and the lowest and
    highest of the batches (each batch against its own replay)."""
    client, raw = figures["client"], figures[kind]
    ratios = [a / b for a, b in zip(client, raw, strict=True)]
    return statistics.median(client) / statistics.median(raw), min(ratios), max(ratios)


def bench_call_cpu(pg_url: str, *, calls: int = 100, batches: int = 5):
    """Target 8 for run.py: the client CPU of an audited write against the raw prototype that
    only sends the same statements (the target's own definition, <= 1.3), paired batch by
    batch; the prototype that also reads the rows, and the server's CPU, in the note."""
    from common import Result, Spread

    figures = measure(pg_url, calls=calls, batches=batches)
    seconds = [calls * WRITES_PER_CALL / r for r in figures["rate"]]
    raw_seconds = [calls * WRITES_PER_CALL / r for r in figures["sending rate"]]
    subject = Spread(cpu=[ms / 1000 * calls * WRITES_PER_CALL for ms in figures["client"]], wall=seconds)
    baseline = Spread(cpu=[ms / 1000 * calls * WRITES_PER_CALL for ms in figures["sending"]], wall=raw_seconds)
    reading = ratio(figures, "reading")
    return Result.from_spreads(
        "8", "PostgreSQL audited write, client CPU (one load-model call: 4 writes)", subject, baseline, unit="ms",
        target=1.3, higher_is_better=False, work=calls * WRITES_PER_CALL,
        subject_label="tickets (start_call .. end_call)",
        baseline_label="psycopg replaying the same statements",
        note=f"{batches} batches of {calls} calls; {statistics.median(figures['trips']):.1f} driver statements a "
             f"call; server CPU {_fmt(figures['server'])} ms a write; against a prototype that also reads the rows: "
             f"{reading[0]:.2f} ({reading[1]:.2f}-{reading[2]:.2f})",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100, help="calls a batch")
    parser.add_argument("--batches", type=int, default=5)
    parser.add_argument("--pg-url", default=os.environ.get("DESKAPP_BENCH_PG_URL",
                                                           "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--profile", help="write a cProfile of the measured calls here")
    parser.add_argument("--raw", action="store_true",
                        help="also replay each batch's statements with psycopg alone on copies of the database "
                             "(the raw prototype's client CPU a write: reading the rows, and only sending)")
    args = parser.parse_args()
    figures = measure(args.pg_url, calls=args.calls, batches=args.batches, raw=args.raw, profile=args.profile)
    client, server = figures["client"], figures["server"]
    print(f"load average {os.getloadavg()[0]:.2f}")
    print(f"client CPU ms a write: {_fmt(client)}")
    print(f"server CPU ms a write: {_fmt(server)}")
    print(f"total  CPU ms a write: {_fmt([a + b for a, b in zip(client, server, strict=True)])}")
    print(f"driver statements a call (psycopg cursor executes; BEGIN/COMMIT not counted): {_fmt(figures['trips'])}")
    labels = {"reading": "the same statements, psycopg alone, each one's rows fetched",
              "sending": "the same statements, psycopg alone, rows not fetched"}
    rates = [f"deskapp {_fmt(figures['rate'])}"] + [f"prototype ({k}) {_fmt(figures[f'{k} rate'])}"
                                                     for k in PROTOTYPES if figures.get(k)]
    print(f"audited writes a second, one writer, wall clock (the server's CPU included): {'; '.join(rates)}")
    for kind in PROTOTYPES:
        if figures.get(kind):
            middle, low, high = ratio(figures, kind)
            print(f"raw prototype ({kind}) client CPU ms a write ({labels[kind]}): {_fmt(figures[kind])}")
            print(f"client CPU, deskapp / raw prototype ({kind}): {middle:.2f} (batches {low:.2f}-{high:.2f}; "
                  "target <= 1.3)")


if __name__ == "__main__":
    main()
