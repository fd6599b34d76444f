"""The load model's agents: simulated sessions in a worker process.

A worker process runs many agents on one asyncio loop and a bounded pool of store connections:
the tickets API is called on a thread pool of `pool` threads over an engine of the same size, so
at most `pool` operations (and connections) are in flight, however many agents there are.

Arrivals are open-loop: the worker's calls arrive as a Poisson stream (its agents / the pace), on a
schedule drawn before the clock runs, whatever the system answers. A call goes to the agent idle
longest; every step of it has a scheduled start (the arrival, then the end of the step before
plus the agent's think time), and its latency is measured from there: time spent waiting for a
free agent, for the loop, for a thread or a connection counts. A call's steps, through the real
API: `start_call` -> `verify_caller` -> `account_view` (the page) -> `file_ticket` (an early
cancellation, the checklist the account view shows confirmed) -> `end_call`; and on a share of
calls the agent's own ticket list (`list_tickets`), opened after filing.

Calls that arrive in the warm-up are made and checked but not measured.
"""

from __future__ import annotations

import asyncio
import random
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from generate import T0, claim_for

OPS = ("start", "verify", "page", "file", "end", "list")
WRITES = ("start", "verify", "file", "end")  # each one transaction with its audit event
# Mean think times (s) before each step at ten times a realistic pace: the caller spells out who
# they are, the agent reads the account, confirms the checklist, wraps up. 4.5 s a call: an agent
# is on the phone a quarter of the time at a call every 18 s.
ABANDON = 30.0  # seconds a caller waits for a free agent before hanging up
THINK = {"verify": 1.5, "page": 0.3, "file": 2.0, "end": 0.7, "list": 0.2}


class WallClock:
    """T0 + the wall time since `epoch`: the same "now" in every worker process."""

    def __init__(self, epoch: float) -> None:
        self.epoch = epoch

    def now(self) -> datetime:
        return T0 + timedelta(seconds=time.time() - self.epoch)


@dataclass
class Plan:
    """One worker's share of a load point (handed over by fork: nothing is pickled)."""

    url: str
    pool: int
    agent_ids: list[int]
    work: list[tuple[int, str, dict[str, Any]]]  # (organization id, Intune subscription ref, the org)
    interval: float  # mean seconds between one agent's calls
    epoch: float  # the clock's T0, time.time()
    start: float  # the first possible arrival, time.time()
    warmup: float
    seconds: float
    seed: int
    list_share: float = 0.5
    think_scale: float = 1.0
    tag: str = "load"  # idempotency keys: unique per point
    switch_interval: float = 0.005  # sys.setswitchinterval in the worker (Python's default 5 ms)


@dataclass
class WorkerReport:
    pid: int = 0
    arrivals: int = 0  # calls offered (warm-up included)
    measured_arrivals: int = 0
    calls_done: int = 0
    started: int = 0  # start_call returned a call id
    ended: int = 0
    verifications: int = 0  # verify_caller returned (an attempt recorded)
    filed: list[tuple[int, str]] = field(default_factory=list)  # (ticket id, idempotency key)
    latency: dict[str, list[float]] = field(default_factory=lambda: {op: [] for op in OPS})
    api_cpu_in_window: float = 0.0  # CPU seconds inside the tickets API calls that ended in the window
    writes_in_window: int = 0  # audited write transactions that ended inside the window
    # Audited writes due inside the window: scheduled (a call's arrival, or the step before's end
    # plus the think time) there, whenever they ran. Calls that arrived in the warm-up bring
    # writes into the window and calls that arrive late in it take theirs past its end, so a
    # centre that keeps up does as many writes in the window as fall due there, however short.
    writes_due_in_window: int = 0
    agent_wait: list[float] = field(default_factory=list)  # arrival -> an agent free (measured calls)
    loop_lag: list[float] = field(default_factory=list)  # scheduled -> the loop got to it: the generator
    pool_wait: list[float] = field(default_factory=list)  # the loop -> a thread ran it
    errors: dict[str, int] = field(default_factory=dict)
    error_samples: list[str] = field(default_factory=list)
    retried: int = 0
    out_of_work: int = 0
    abandoned: int = 0
    drain_seconds: float = 0.0

    def error(self, op: str, error: BaseException) -> None:
        self.errors[op] = self.errors.get(op, 0) + 1
        if len(self.error_samples) < 5:
            first = str(error).splitlines()[0][:160] if str(error) else ""
            self.error_samples.append(f"{op}: {type(error).__name__}: {first}")


def arrivals(rate: float, start: float, end: float, rng: random.Random) -> list[float]:
    """A Poisson stream of `rate` a second between start and end (wall times)."""
    out, t = [], start
    while True:
        t += rng.expovariate(rate)
        if t >= end:
            return out
        out.append(t)


def _settle(future: asyncio.Future, outcome: tuple) -> None:
    if not future.done():
        future.set_result(outcome)


async def _until(moment: float) -> None:
    delay = moment - time.time()
    if delay > 0:
        await asyncio.sleep(delay)


class _Worker:
    def __init__(self, plan: Plan, report: WorkerReport) -> None:
        self.plan, self.report = plan, report
        self.open(plan)
        self.executor = ThreadPoolExecutor(plan.pool, thread_name_prefix="agent")
        self.rng = random.Random(plan.seed)
        self.window = (plan.start + plan.warmup, plan.start + plan.warmup + plan.seconds)

    def open(self, plan: Plan) -> None:
        """What the agents' calls go through: the product's store, `plan.pool` connections."""
        from tickets.store.database import Store, make_engine

        self.store = Store(make_engine(plan.url, pool_size=plan.pool), WallClock(plan.epoch))

    def think(self, step: str) -> float:
        return self.rng.expovariate(1 / (THINK[step] * self.plan.think_scale))

    async def op(self, name: str, scheduled: float, measured: bool, fn, *args, **kwargs):
        """Run one API call at its scheduled time; returns (when it ended, its result)."""
        due = max(scheduled, time.time())  # a step already late (waiting for an agent) is not the loop's lag
        if name in WRITES and self.window[0] <= scheduled < self.window[1]:
            self.report.writes_due_in_window += 1
        await _until(scheduled)
        woke = time.time()

        loop = asyncio.get_running_loop()
        future = loop.create_future()

        def run():
            # On a pool thread; the outcome handed to the loop by one call_soon_threadsafe (no
            # concurrent Future chained to an asyncio one, as run_in_executor does: that
            # is the generator's own CPU, counted against the load).
            began, cpu = time.time(), time.thread_time()
            result = error = None
            try:
                result = fn(*args, **kwargs)
            except BaseException as raised:  # raised in the agent's call, as run_in_executor does
                error = raised
            loop.call_soon_threadsafe(_settle, future, (began, time.thread_time() - cpu, error, result))

        self.executor.submit(run)
        began, cpu, error, result = await future
        if error is not None:
            raise error
        done = time.time()
        if self.window[0] <= done < self.window[1]:
            self.report.api_cpu_in_window += cpu  # the tickets code's own CPU: the rest is the generator's
        if measured:
            self.report.latency[name].append(done - scheduled)
            self.report.loop_lag.append(max(0.0, woke - due))
            self.report.pool_wait.append(began - woke)
        if name in WRITES and self.window[0] <= done < self.window[1]:
            self.report.writes_in_window += 1
        return done, result

    async def call(self, n: int, arrival: float, agents: asyncio.Queue) -> None:
        from tickets.account import account_view
        from tickets.enums import TicketKind
        from tickets.filing import FilingRequest, file_ticket
        from tickets.store.queries import list_tickets
        from tickets.verification import end_call, start_call, verify_caller

        report, store = self.report, self.store
        measured = self.window[0] <= arrival < self.window[1]
        report.measured_arrivals += measured
        if n >= len(self.plan.work):
            report.out_of_work += 1
            return
        org_id, sub_ref, org = self.plan.work[n]
        agent = await self.free_agent(agents, arrival, measured)
        if agent is None:
            return
        step = "start"
        try:
            t, call_id = await self.op("start", arrival, measured, start_call, store, agent)
            report.started += 1
            step = "verify"
            t, verified = await self.op("verify", t + self.think("verify"), measured, verify_caller, store,
                                        agent=agent, organization_id=org_id, claim=claim_for(org), call_id=call_id)
            report.verifications += 1
            if verified.passed:
                step = "page"
                t, view = await self.op("page", t + self.think("page"), measured, account_view, store,
                                        agent=agent, verification_id=verified.verification_id)
                decision = next(d for d in view.subscription(sub_ref).decisions if d.kind is TicketKind.CANCEL_EARLY)
                key = f"{self.plan.tag}-{agent.id}-{n}-{report.pid}"
                request = FilingRequest(kind=TicketKind.CANCEL_EARLY, subscription_ref=sub_ref, idempotency_key=key,
                                        confirmed=frozenset(item.key for item in decision.checklist))
                step = "file"
                t, result = await self.file(t + self.think("file"), measured, file_ticket, store, agent,
                                            verified.verification_id, request)
                report.filed.extend((ticket.id, key) for ticket in result.filed)
                if self.rng.random() < self.plan.list_share:
                    step = "list"
                    t, _ = await self.op("list", t + self.think("list"), measured, list_tickets, store,
                                         filed_by_id=agent.id)
            else:
                report.error("verify", RuntimeError("the caller was not verified"))
            step = "end"
            t, _ = await self.op("end", t + self.think("end"), measured, end_call, store, agent, call_id,
                                 "Filed as asked.")
            report.ended += 1
            report.calls_done += 1
        except Exception as error:  # counted; the agent takes the next call
            report.error(step, error)
        finally:
            agents.put_nowait(agent)

    async def free_agent(self, agents: asyncio.Queue, arrival: float, measured: bool):
        """The agent idle longest, or None if the caller hung up first (ABANDON)."""
        if not agents.empty():  # an agent is free: no wait_for (a task and a timer a call) needed
            agent = agents.get_nowait()
        else:
            try:
                agent = await asyncio.wait_for(agents.get(), ABANDON - (time.time() - arrival))
            except TimeoutError:
                self.report.abandoned += 1  # the caller hung up before an agent was free
                return None
        if measured:
            self.report.agent_wait.append(time.time() - arrival)
        return agent

    async def file(self, scheduled: float, measured: bool, file_ticket, store, agent, verification_id, request):
        """Filing; an error whose outcome the client cannot know is retried once with the same
        idempotency key (T-3), as the console's retry does: the replay must not file twice."""
        try:
            return await self.op("file", scheduled, measured, file_ticket, store, agent=agent,
                                 verification_id=verification_id, request=request)
        except Exception as error:
            from tickets.errors import InvalidInput, NotAllowed, NotFound

            if isinstance(error, (InvalidInput, NotAllowed, NotFound)):
                raise
            self.report.retried += 1
            self.report.error("file (retried)", error)
            return await self.op("file", time.time(), False, file_ticket, store, agent=agent,
                                 verification_id=verification_id, request=request)

    def agent(self, agent_id: int):
        """What a call acts as: the agent, as the API takes it."""
        from tickets.agents import get_agent

        return get_agent(self.store, agent_id)

    async def run(self) -> None:
        plan = self.plan
        agents: asyncio.Queue = asyncio.Queue()
        for agent_id in plan.agent_ids:
            agents.put_nowait(self.agent(agent_id))
        end = plan.start + plan.warmup + plan.seconds
        rate = len(plan.agent_ids) / plan.interval
        times = arrivals(rate, plan.start, end, self.rng)
        self.report.arrivals = len(times)
        tasks = []
        for n, at in enumerate(times):
            await _until(at)
            tasks.append(asyncio.create_task(self.call(n, at, agents)))
        await asyncio.gather(*tasks)
        self.report.drain_seconds = max(0.0, time.time() - end)

    def close(self) -> None:
        self.executor.shutdown(wait=True)
        self.store.dispose()


def worker(plan: Plan, results, runner: type | None = None) -> None:
    """One worker process: runs its agents, puts its WorkerReport (as a dict) on `results`;
    `runner`: a _Worker class (load_raw's for the prototype)."""
    import os
    import sys
    from dataclasses import asdict

    report = WorkerReport(pid=os.getpid())
    # Many agents share this process's GIL, where on a real centre each console is a process of its
    # own: a thread back from the database (the audit head's holder, about to commit) should not wait
    # the default 5 ms for a thread that is busy building a page.
    sys.setswitchinterval(plan.switch_interval)
    try:
        made = (runner or _Worker)(plan, report)
        try:
            asyncio.run(made.run())
        finally:
            made.close()
    except Exception:
        report.error("worker", RuntimeError(traceback.format_exc(limit=4)))
    results.put(asdict(report))
