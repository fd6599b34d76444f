"""The load test's raw prototype: the product's own statements, sent by psycopg alone.

The yardstick of the saturation target: the same load model (agents, arrivals, think times,
pool of connections, the same worker processes and probe) driving not the tickets API but a
replay of the statements it sends, as call_cpu.py's prototype replays them: nothing of
deskapp around them, only psycopg.

`Recordings` records them once per run, on a copy of the load template of its own: the
product makes one call for each work item (start_call -> verify_caller -> account_view ->
file_ticket -> list_tickets -> end_call, one thread, in order) while every psycopg execute is
captured with its cursor class, statement and parameters, step by step. In that copy the ids
of calls, verification attempts and tickets start at distinctive values (RECORDED_IDS), so
that a parameter equal to one of them is that id and nothing else. A recorded call is then
replayed anywhere with what its own run gives back: the call's id from its start, the
attempt's from its verification (the first value of each step's deskapp_api_* function
call), the agent taken from the queue, and the clock's now for every time.

`RawWorker` is load_model's worker with these replays as the agents' steps: the same schedule
(the same random draws in the same order) and the same report, so that loadtest.run_point
and load_db.check treat both sides alike.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from generate import claim_for
from load_model import WallClock, _Worker

# The recording copy's first ids (PostgreSQL integer columns: below 2**31).
RECORDED_IDS = {"call": 1_000_000_000, "verification_attempt": 1_400_000_000, "ticket": 1_800_000_000}
AGENT_PARAMS = ("agent", "filed_by")  # the product's names for the acting agent's id
RECORDING_THREADS = 4


@dataclass(frozen=True)
class Statement:
    cursor: type  # psycopg.Cursor or ClientCursor, as the product used
    query: Any
    params: Any
    live: tuple[tuple[str, str], ...]  # (parameter, "call" | "verification" | "agent" | "now")
    returns: bool  # its first value is the id this step makes (a deskapp_api_* call)


@dataclass(frozen=True)
class RecordedCall:
    steps: dict[str, tuple[Statement, ...]]  # start, verify, page, file, list, end
    key: str  # the filing's idempotency key


class _Capture:
    """Every psycopg execute while active, with the first value of its result."""

    def __init__(self) -> None:
        import psycopg

        self.seen: dict[int, list[tuple[type, Any, Any, str | None]]] = {}  # by thread
        self._original = original = psycopg.Cursor.execute
        self._others = {}
        capture = self

        def execute(cursor, query, params=None, **kwargs):
            if kwargs or not cursor.connection.autocommit:
                raise RuntimeError("the product sent a statement the prototype cannot replay as sent "
                                   f"(options {sorted(kwargs)}, autocommit {cursor.connection.autocommit})")
            result = original(cursor, query, params)
            first = None
            res = cursor.pgresult
            if res is not None and res.status == psycopg.pq.ExecStatus.TUPLES_OK and res.ntuples:
                value = res.get_value(0, 0)
                first = value.decode() if value is not None else None
            kept = dict(params) if isinstance(params, dict) else params
            capture.seen.setdefault(threading.get_ident(), []).append((type(cursor), query, kept, first))
            return result

        def refuse(name):
            def run(*args, **kwargs):
                raise RuntimeError(f"the product used {name} in a call: the prototype replays single statements")
            return run

        psycopg.Cursor.execute = execute
        for name in ("executemany", "stream"):
            self._others[name] = getattr(psycopg.Cursor, name)
            setattr(psycopg.Cursor, name, refuse(name))

    def take(self) -> list[tuple[type, Any, Any, str | None]]:
        """What this thread's statements were since it last took them."""
        return self.seen.pop(threading.get_ident(), [])

    def close(self) -> None:
        import psycopg

        psycopg.Cursor.execute = self._original
        for name, original in self._others.items():
            setattr(psycopg.Cursor, name, original)


def _statements(seen, made: str | None, ids: dict[str, int], agent: int) -> tuple[Statement, ...]:
    """One step's captured statements with what a replay takes from its own run marked; `made`:
    the id (as text) this step's function call returns, if it makes one."""
    out = []
    for cursor, query, params, first in seen:
        live = []
        if isinstance(params, dict):
            for key, value in params.items():
                if isinstance(value, datetime):
                    live.append((key, "now"))
                elif isinstance(value, int) and not isinstance(value, bool):
                    kind = next((k for k, v in ids.items() if v == value), None)
                    if kind is None and key in AGENT_PARAMS and value == agent:
                        kind = "agent"
                    if kind:
                        live.append((key, kind))
                elif isinstance(value, str) and any(str(v) in value for v in ids.values()):
                    raise RuntimeError(f"a recorded id is inside the text parameter {key!r}: not replayable")
        elif params:
            raise RuntimeError("positional parameters: the prototype replays named ones")
        returns = made is not None and first == made and "deskapp_api_" in str(query)
        out.append(Statement(cursor, query, params, tuple(live), returns))
    if made is not None and sum(s.returns for s in out) != 1:
        raise RuntimeError(f"no single deskapp_api_* call of the step returned {made}")
    return tuple(out)


class Recordings:
    """The product's calls, one a work item, recorded on demand on a copy of the template."""

    def __init__(self, databases, document: dict[str, Any], agents: int = 12) -> None:
        self.databases = databases
        self.agents = agents  # the calls are recorded by the template's first agents in turn
        self.document = document
        self.calls: list[RecordedCall] = []
        self.seconds = 0.0  # spent recording
        self._clock = WallClock(time.time())  # one clock for every batch: the copy's times only go on
        self._name: str | None = None
        self._url = ""

    def take(self, count: int) -> list[RecordedCall]:
        if len(self.calls) < count:
            began = time.perf_counter()
            self._record(count)
            self.seconds += time.perf_counter() - began
        return self.calls[:count]

    def _record(self, count: int) -> None:
        from load_db import agent_ids, work_items
        from sqlalchemy import text

        from tickets.account import account_view
        from tickets.agents import get_agent
        from tickets.enums import TicketKind
        from tickets.filing import FilingRequest, file_ticket
        from tickets.store.database import Store, make_engine
        from tickets.store.queries import list_tickets
        from tickets.verification import end_call, start_call, verify_caller

        if self._name is None:
            self._name, self._url = self.databases.fresh()
            engine = make_engine(self._url)
            try:
                with engine.connect() as connection:  # the statements are the same, sooner
                    connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                        f'ALTER DATABASE "{self._name}" SET synchronous_commit = off')
                with engine.begin() as connection:
                    for table, first in RECORDED_IDS.items():
                        connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {first})"))
            finally:
                engine.dispose()
        work = work_items(self._url, self.document)
        if len(work) < count:
            raise RuntimeError(f"{len(work)} subscriptions for {count} recorded calls: a bigger directory is needed")
        store = Store(make_engine(self._url, pool_size=RECORDING_THREADS + 1), self._clock)
        # Connected before the capture starts: the engine's set-up is not the calls'.
        agents = [get_agent(store, i) for i in agent_ids(self._url, self.agents)]
        capture = _Capture()
        made: dict[int, RecordedCall] = {}

        def record(n: int) -> None:
            org_id, sub_ref, org = work[n]
            agent = agents[n % len(agents)]
            steps: dict[str, tuple[Statement, ...]] = {}
            ids = {}
            call_id = start_call(store, agent)
            ids["call"] = call_id
            steps["start"] = _statements(capture.take(), str(call_id), {}, agent.id)
            verified = verify_caller(store, agent=agent, organization_id=org_id, claim=claim_for(org), call_id=call_id)
            if not verified.passed:
                raise RuntimeError(f"work item {n}: the recorded caller was not verified")
            steps["verify"] = _statements(capture.take(), str(verified.verification_id), ids, agent.id)
            ids["verification"] = verified.verification_id
            view = account_view(store, agent=agent, verification_id=verified.verification_id)
            steps["page"] = _statements(capture.take(), None, ids, agent.id)
            decision = next(d for d in view.subscription(sub_ref).decisions if d.kind is TicketKind.CANCEL_EARLY)
            request = FilingRequest(kind=TicketKind.CANCEL_EARLY, subscription_ref=sub_ref,
                                    idempotency_key=(key := f"raw-{n}"),
                                    confirmed=frozenset(item.key for item in decision.checklist))
            result = file_ticket(store, agent=agent, verification_id=verified.verification_id, request=request)
            steps["file"] = _statements(capture.take(), str(result.filed[0].id), ids, agent.id)
            list_tickets(store, filed_by_id=agent.id)
            steps["list"] = _statements(capture.take(), None, ids, agent.id)
            end_call(store, agent, call_id, "Filed as asked.")
            steps["end"] = _statements(capture.take(), None, ids, agent.id)
            made[n] = RecordedCall(steps, key)

        try:  # a few threads: the recording waits on the server's round trips more than on the CPU
            with ThreadPoolExecutor(RECORDING_THREADS) as pool:
                list(pool.map(record, range(len(self.calls), count)))
        finally:
            capture.close()
            store.dispose()
        self.calls.extend(made[n] for n in range(len(self.calls), count))

    def close(self) -> None:
        if self._name is not None:
            self.databases.drop(self._name)
            self._name = None


class _Connections:
    """`pool` psycopg connections in autocommit, as the product's pool keeps them."""

    def __init__(self, url: str, pool: int) -> None:
        import queue

        import psycopg

        self.idle: queue.SimpleQueue = queue.SimpleQueue()
        self.all = [psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True,
                                    prepare_threshold=None) for _ in range(pool)]
        for connection in self.all:
            self.idle.put(connection)

    def close(self) -> None:
        for connection in self.all:
            connection.close()


class RawWorker(_Worker):
    """load_model's worker with each step a replay of the recorded statements."""

    def open(self, plan) -> None:
        self.connections = _Connections(plan.url, plan.pool)
        self.clock = WallClock(plan.epoch)

    def send(self, statements: tuple[Statement, ...], live: dict[str, Any]) -> int | None:
        """The step's statements on a pooled connection; the id its function call returned."""
        connection = self.connections.idle.get()
        made = None
        try:
            for s in statements:
                params = s.params
                if s.live:
                    params = dict(params)
                    for key, kind in s.live:
                        params[key] = self.clock.now() if kind == "now" else live[kind]
                cursor = s.cursor(connection)
                cursor.execute(s.query, params)
                if s.returns:
                    made = int(cursor.pgresult.get_value(0, 0))
        finally:
            self.connections.idle.put(connection)
        return made

    async def call(self, n: int, arrival: float, agents) -> None:
        report = self.report
        measured = self.window[0] <= arrival < self.window[1]
        report.measured_arrivals += measured
        if n >= len(self.plan.work):
            report.out_of_work += 1
            return
        steps = self.plan.work[n].steps
        agent = await self.free_agent(agents, arrival, measured)
        if agent is None:
            return
        live: dict[str, Any] = {"agent": agent}
        step = "start"
        try:  # the same steps and random draws, in the same order, as load_model._Worker.call
            t, live["call"] = await self.op("start", arrival, measured, self.send, steps["start"], live)
            report.started += 1
            step = "verify"
            t, live["verification"] = await self.op("verify", t + self.think("verify"), measured, self.send,
                                                    steps["verify"], live)
            report.verifications += 1
            step = "page"
            t, _ = await self.op("page", t + self.think("page"), measured, self.send, steps["page"], live)
            step = "file"
            t, ticket_id = await self.op("file", t + self.think("file"), measured, self.send, steps["file"], live)
            report.filed.append((ticket_id, self.plan.work[n].key))
            if self.rng.random() < self.plan.list_share:
                step = "list"
                t, _ = await self.op("list", t + self.think("list"), measured, self.send, steps["list"], live)
            step = "end"
            t, _ = await self.op("end", t + self.think("end"), measured, self.send, steps["end"], live)
            report.ended += 1
            report.calls_done += 1
        except Exception as error:
            report.error(step, error)
        finally:
            agents.put_nowait(agent)

    def agent(self, agent_id: int) -> int:
        return agent_id  # the statements take its id

    def close(self) -> None:
        self.executor.shutdown(wait=True)
        self.connections.close()
