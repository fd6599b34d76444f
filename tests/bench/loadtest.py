"""The call-centre load test: a load model of a real centre on PostgreSQL (and SQLite
for one desk), its latencies, and the saturation point of audited writes.

Agents are simulated sessions with think time (load_model.py): a few worker processes, each
running many agents on an asyncio loop over a bounded pool of store connections, never a
process per agent. Arrivals are open-loop (Poisson, on a schedule drawn before the clock runs)
and every latency is measured from the step's scheduled start, so queueing counts. Calls that
arrive in the warm-up are made and checked but not measured.

The points: 64, 256 and 1,000 agents at ten times a realistic pace (a call every 18 s each;
each call 4 audited writes, a page, and on half of them the agent's ticket list), one of them
through PgBouncer in transaction mode, one on SQLite; then the saturation search: the offered
rate of audited writes raised and lowered until the highest within the limit is found (a p99 of
verification, filing or page within 250 ms, the centre keeping up, no errors), for the product
and, in turns with it, for its raw prototype (load_raw.py: the product's own statements replayed
by psycopg alone under the same load; load_saturation.py: the search and the target, deskapp /
prototype >= 0.9). After every
point: nothing lost or doubled, the counts match the clients', `verify_chain` passes
(load_db.py). Beside every point: client and server CPU and what PostgreSQL's backends were
doing (load_probe.py).

    python tests/bench/loadtest.py [--quick] [--agents 256] [--json out.json] [--md out.md]

This is the study (15 to 22 minutes; `run.py --load`). run.py's own stage, load_stage.py, runs
only what the two targets need (the 256-agent point once, a shorter search from a probe) in
about 2.5 minutes, with these points and this judging.

`measure(...)` returns every figure as a dict (for bench-output/latest.json) with the Markdown
under "markdown".
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
from common import LOAD_LIMIT, cpu_model, pg_version  # noqa: E402
from load_db import Databases, agent_ids, check, make_document, orgs_for, work_items  # noqa: E402
from load_model import OPS, Plan, worker  # noqa: E402
from load_probe import Probe  # noqa: E402
from load_saturation import SIDES, first_guess, next_rate, side_by_side  # noqa: E402

DEFAULT_PG = os.environ.get("DESKAPP_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
PACE = 18.0  # seconds between one agent's calls at ten times a realistic pace
WRITES_PER_CALL = 4  # start, verification, filing, end: each one transaction with its audit event
P99_LIMIT = 0.250  # the saturation criterion (s)
JUDGED = ("verify", "file", "page")
TARGET_AGENTS = 256  # filing p99 under 50 ms at 256 agents at ten times a realistic pace


@dataclass
class Point:
    label: str
    backend: str  # postgresql | sqlite
    agents: int
    interval: float = PACE  # seconds between one agent's calls
    via_bouncer: bool = False
    side: str = "deskapp"  # or "prototype": the same load on the product's statements replayed (load_raw.py)

    @property
    def calls_per_s(self) -> float:
        return self.agents / self.interval


# The saturation search's points a side (load_saturation.py): each point after the first
# narrows the bracket; quick points are 8 s, so its figures are rough.
SATURATION_POINTS = {True: 4, False: 5}
MOST_WRITES_S = 1200.0  # the search offers no more (2 cores: the prototype's limit when quiet is below it)


@dataclass
class Settings:
    seconds: float = 60.0
    warmup: float = 10.0
    # 3 processes of 4 connections: the same 12 connections as 2 x 6, less waiting for a GIL.
    # Measured 2026-11-28, quiet machine, 256 agents at 520 writes/s offered: p99 88 ms (3 x 4),
    # 161 ms (2 x 4), 198 ms (2 x 6); at 560 all three were past 250 ms.
    workers: int = 3
    pool: int = 4  # store connections (and threads) per worker process
    list_share: float = 0.5
    bouncer_pool: int = 8  # PgBouncer's server connections
    seed: int = 1
    switch_interval: float = 0.005  # the workers' GIL switch interval (s)
    repeat: int = 1  # runs of the 256-agent point (a busy machine's p99 moves from run to run)
    # The saturation search's points (None: `seconds`): 30 s in the full run (the least),
    # so that both sides' searches fit the time the product's alone took with 60 s points.
    search_seconds: float | None = None


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))] * 1000


def _ms(values: list[float]) -> dict[str, float]:
    return {"n": len(values), "p50": pct(values, 0.50), "p95": pct(values, 0.95), "p99": pct(values, 0.99)}


def _run_workers(point: Point, settings: Settings, url: str, probe_url: str | None, database: str | None,
                 document: dict[str, Any], ids: list[int], work: list) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    from load_raw import RawWorker

    ctx = multiprocessing.get_context("fork")  # the workers start with the store imported already
    results = ctx.Queue()
    epoch = time.time()
    start = epoch + 1.0  # every worker forked, its agents loaded, before the first arrival
    count = max(1, min(settings.workers, len(ids)))
    plans = [
        Plan(
            url=url,
            pool=settings.pool,
            agent_ids=ids[w::count],
            work=work[w::count],
            interval=point.interval,
            epoch=epoch,
            start=start,
            warmup=settings.warmup,
            seconds=settings.seconds,
            seed=settings.seed * 1000 + w,
            list_share=settings.list_share,
            think_scale=point.interval / PACE,
            switch_interval=settings.switch_interval,
            tag=f"p{os.getpid()}-{int(epoch)}",
        )
        for w in range(count)
    ]
    runner = RawWorker if point.side == "prototype" else None
    processes = [ctx.Process(target=worker, args=(plan, results, runner), daemon=True) for plan in plans]
    for process in processes:
        process.start()
    probe = Probe(workers=[p.pid for p in processes], admin_url=probe_url, database=database)
    _sleep_until(start + settings.warmup)
    probe.start()
    _sleep_until(start + settings.warmup + settings.seconds)
    probe.stop()
    reports = [results.get(timeout=settings.seconds + 600) for _ in processes]
    for process in processes:
        process.join(timeout=30)
    return reports, probe.figures()


def _sleep_until(moment: float) -> None:
    while (delay := moment - time.time()) > 0:
        time.sleep(min(delay, 0.5))


def run_point(point: Point, settings: Settings, databases: Databases, document: dict[str, Any],
              recordings: Any = None) -> dict[str, Any]:
    """One load point on a fresh copy of the template; its figures and its check. The prototype's
    point (point.side) replays `recordings` (load_raw.Recordings), one recorded call a work item."""
    needed = point.calls_per_s * (settings.warmup + settings.seconds) * 1.1
    recorded = recordings.take(round(needed) + 1) if point.side == "prototype" else None
    name, url = databases.fresh()
    began, loads = time.perf_counter(), [os.getloadavg()[0]]
    try:
        ids = agent_ids(url, point.agents)
        work = recorded if recorded is not None else work_items(url, document)
        if len(work) < needed:
            raise RuntimeError(f"{len(work)} subscriptions for about {needed:.0f} calls: a bigger directory is needed")
        probe_url = databases.admin_url if point.backend == "postgresql" else None
        database = name if point.backend == "postgresql" else None
        if point.via_bouncer:
            from load_bouncer import bounced

            with bounced(databases.admin_url, settings.bouncer_pool) as bouncer:
                reports, cost = _run_workers(point, settings, bouncer.url("postgres", name), probe_url, database,
                                             document, ids, work)
        else:
            reports, cost = _run_workers(point, settings, url, probe_url, database, document, ids, work)
        loads.append(os.getloadavg()[0])  # at the window's end
        checked = check(url, reports)
    finally:
        databases.drop(name)
    return {**_figures(point, settings, reports, cost, checked, time.perf_counter() - began), "load_average": loads}


def _figures(point: Point, settings: Settings, reports, cost, checked, seconds: float) -> dict[str, Any]:
    latency = {op: _ms([x for r in reports for x in r["latency"][op]]) for op in OPS}
    errors: dict[str, int] = {}
    for r in reports:
        for op, n in r["errors"].items():
            errors[op] = errors.get(op, 0) + n
    writes_s = sum(r["writes_in_window"] for r in reports) / settings.seconds
    offered_writes_s = point.calls_per_s * WRITES_PER_CALL
    out = {
        "label": point.label, "backend": point.backend, "agents": point.agents, "via_bouncer": point.via_bouncer,
        "side": point.side,
        "interval_s": point.interval, "seconds": settings.seconds, "warmup_s": settings.warmup,
        "workers": settings.workers, "pool_per_worker": settings.pool,
        "offered_calls_s": point.calls_per_s, "offered_writes_s": offered_writes_s,
        "arrivals_s": sum(r["measured_arrivals"] for r in reports) / settings.seconds,
        "writes_s": writes_s, "calls": sum(r["calls_done"] for r in reports),
        "tickets": sum(len(r["filed"]) for r in reports), "latency_ms": latency,
        "agent_wait_p99_ms": pct([x for r in reports for x in r["agent_wait"]], 0.99),
        "loop_lag_p99_ms": pct([x for r in reports for x in r["loop_lag"]], 0.99),
        "pool_wait_p99_ms": pct([x for r in reports for x in r["pool_wait"]], 0.99),
        "drain_s": max(r["drain_seconds"] for r in reports), "errors": errors,
        "error_samples": sorted({s for r in reports for s in r["error_samples"]})[:4],
        "retried": sum(r["retried"] for r in reports), "out_of_work": sum(r["out_of_work"] for r in reports),
        "abandoned": sum(r["abandoned"] for r in reports),
        "lost": checked.lost, "doubled": checked.doubled, "unreported": checked.unreported,
        "db_tickets": checked.db_tickets, "filed_events": checked.filed_events,
        "counts_match": checked.counts_match, "counts_text": checked.counts_text,
        "chain_ok": checked.chain_ok, "chain_text": checked.chain_text, "chain_seconds": checked.chain_seconds,
        "point_seconds": seconds, **cost,
    }
    # Little's law on the sampled backends: the mean number waiting / the rate = the mean wait a write.
    for state, key in (("WAL / IO (commit)", "wal_wait_ms_per_write"), ("lock wait", "lock_wait_ms_per_write")):
        if "backends" in out:
            out[key] = out["backends"].get(state, 0.0) / max(writes_s, 1e-9) * 1000
    out["api_cpu"] = sum(r["api_cpu_in_window"] for r in reports) / settings.seconds
    out["generator_cpu"] = out["client_cpu"] - out["api_cpu"]  # asyncio, threads, the harness's bookkeeping
    worst = max((latency[op]["p99"] for op in JUDGED if latency[op]["n"]), default=float("inf"))
    out["worst_p99_ms"] = worst
    out["writes_due_s"] = sum(r["writes_due_in_window"] for r in reports) / settings.seconds
    out["within_limit"] = within_limit(out)
    # CPU per audited write, and the rate at which client and server together would fill the
    # machine's cores: the ceiling on this machine if nothing but CPU limited it.
    per_write = (out["client_cpu"] + (out["server_cpu"] if out["server_cpu"] == out["server_cpu"] else 0.0)) / max(
        writes_s, 1e-9
    )
    out["cpu_ms_per_write"] = per_write * 1000
    out["cpu_ceiling_writes_s"] = (out["machine_cores"] / per_write) if per_write else float("nan")
    return out


KEEPING_UP = 0.85  # writes done in the window / writes due in it


def keeps_up(writes_s: float, writes_due_s: float) -> bool:
    """Keeping up: the writes done in the window against those due in it (scheduled there,
    whenever they ran: load_model.WorkerReport.writes_due_in_window). Not against the writes the
    window's arrivals bring: with a warm-up shorter than a call (--quick: 2 s, calls of 4.5 s) the
    window starts before the calls in progress reach their steady number, and a centre that
    keeps up does fewer writes in it than its arrivals bring."""
    return writes_s >= KEEPING_UP * writes_due_s


def within_limit(out: dict[str, Any]) -> bool:
    """The saturation criterion: worst p99 within the limit, no errors, nobody out of work or
    abandoned, and keeping up."""
    return bool(out["worst_p99_ms"] <= P99_LIMIT * 1000 and not out["errors"] and out["out_of_work"] == 0
                and out["abandoned"] == 0 and keeps_up(out["writes_s"], out["writes_due_s"]))


def _log(message: str) -> None:
    """As run.py's lines: each says the load average against the judging limit."""
    print(f"[{time.strftime('%H:%M:%S')} {common.machine_state()}] load: {message}", file=sys.stderr, flush=True)


def _summary(r: dict[str, Any]) -> str:
    lat = r["latency_ms"]
    return (f"{r['label']}: {r['writes_s']:.0f}/{r['offered_writes_s']:.0f} writes/s, verify p99 "
            f"{lat['verify']['p99']:.0f} ms, file p50/p99 {lat['file']['p50']:.0f}/{lat['file']['p99']:.0f} ms, "
            f"page p99 {lat['page']['p99']:.0f} ms, lost {r['lost']}, doubled {r['doubled']}, chain "
            f"{'ok' if r['chain_ok'] else 'BROKEN'}, client {r['client_cpu']:.2f} / server {r['server_cpu']:.2f} "
            f"cores, errors {sum(r['errors'].values())}")


def measure(*, quick: bool = False, pg_url: str | None = DEFAULT_PG, agents: list[int] | None = None,
            sqlite: bool = True, bouncer: bool = True, saturation: bool = True, settings: Settings | None = None,
            workdir: Path = Path("bench-output/db"), first_rate: float | None = None,
            max_load: float = LOAD_LIMIT) -> dict[str, Any]:
    """Every load point and the saturation search; returns the figures (and "markdown").
    `pg_url` None: SQLite only."""
    from load_report import markdown, targets

    began = time.perf_counter()
    settings = settings or (Settings(seconds=8.0, warmup=2.0) if quick else Settings(repeat=3, search_seconds=30.0))
    agents = agents or ([64, 256] if quick else [64, 256, 1000])
    out: dict[str, Any] = {"quick": quick, "settings": settings.__dict__, "points": [], "saturation": None,
                           "skipped": [], "cores": os.cpu_count(), "load_before": os.getloadavg()[0],
                           # CPU time a write, and so the saturation point, scale with the machine's CPU
                           "machine": f"{os.cpu_count()} CPUs ({cpu_model()}), "
                                      f"{(pg_version(pg_url) if pg_url else None) or 'no PostgreSQL'}"}
    if pg_url:
        try:
            _postgresql(out, pg_url, settings, agents, bouncer=bouncer, saturation=saturation, quick=quick,
                        first_rate=first_rate)
        except Exception as error:  # unreachable, or a point failed: the rest still runs, and says so
            out["skipped"].append(f"PostgreSQL: {type(error).__name__}: {str(error).splitlines()[0][:200]}")
    if sqlite:
        workdir.mkdir(parents=True, exist_ok=True)
        lite = Databases.sqlite(workdir)
        n = min(agents)
        try:
            small = make_document(orgs_for(n / PACE * (settings.warmup + settings.seconds) * 1.1))
            lite.build_template(small, n)
            out["points"].append(
                result := run_point(Point(f"SQLite {n} (one desk)", "sqlite", n), settings, lite, small)
            )
            _log(_summary(result))
        finally:
            lite.close()
    out["max_load"] = max_load
    out["targets"] = targets(out, max_load)
    out["seconds"] = settings.seconds  # measured seconds per point (run.py's heading reads it)
    out["total_seconds"] = time.perf_counter() - began
    out["markdown"] = markdown(out)
    return out


def postgresql_template(out: dict[str, Any], pg_url: str, settings: Settings, agents: int,
                        first_rate: float | None) -> tuple[Databases, dict[str, Any], Any]:
    """This run's PostgreSQL template with `agents` agents, its directory sized for the busiest
    point (most_calls_s), and the prototype's recordings over it (load_raw.Recordings: recorded
    when a point first needs them). The caller closes both."""
    from load_raw import Recordings

    document = make_document(orgs_for(most_calls_s(agents, first_rate) * (settings.warmup + settings.seconds)
                                      * 1.1))
    pg = Databases.postgresql(pg_url)
    try:
        pg.build_template(document, agents)
    except BaseException:
        if pg.template:
            pg.close()
        raise
    out["template_seconds"] = pg.seconds
    _log(f"PostgreSQL template {pg.template}: {len(document['organizations'])} organizations, "
         f"{agents} agents in {pg.seconds:.0f} s")
    return pg, document, Recordings(pg, document)


def _postgresql(out: dict[str, Any], pg_url: str, settings: Settings, agents: list[int], *, bouncer: bool,
                saturation: bool, quick: bool, first_rate: float | None) -> None:
    biggest = max(agents)
    pg, document, recordings = postgresql_template(out, pg_url, settings, biggest, first_rate)
    try:
        for n in agents:
            runs = settings.repeat if n == TARGET_AGENTS else 1  # the point the load target judges: a median of runs
            for run in range(runs):
                label = f"PostgreSQL {n}" + (f" (run {run + 1} of {runs})" if runs > 1 else "")
                out["points"].append(result := run_point(Point(label, "postgresql", n), settings, pg, document))
                _log(_summary(result))
        if saturation:  # the prototype beside the product at the target's agents: where its search starts
            n = TARGET_AGENTS if TARGET_AGENTS in agents else biggest
            out["points"].append(result := run_point(Point(f"Prototype {n}", "postgresql", n, side="prototype"),
                                                     settings, pg, document, recordings))
            _log(_summary(result))
        if bouncer:
            n = TARGET_AGENTS if TARGET_AGENTS in agents else agents[0]
            try:
                out["points"].append(result := run_point(
                    Point(f"PostgreSQL {n} via PgBouncer", "postgresql", n, via_bouncer=True), settings, pg, document))
                _log(_summary(result))
            except Exception as error:  # PgBouncer missing and not installable: said, not hidden
                out["skipped"].append(f"PgBouncer point: {type(error).__name__}: {str(error).splitlines()[0][:200]}")
        if saturation:
            out["saturation"] = saturate(pg, document, recordings, settings, biggest, first_rate,
                                         [p for p in out["points"] if not p["via_bouncer"]],
                                         SATURATION_POINTS[quick])
            out["recording_seconds"] = recordings.seconds
    finally:
        recordings.close()
        if pg.template:
            pg.close()


def most_writes_s(first_rate: float | None) -> float:
    """Audited writes a second the saturation search offers at most: MOST_WRITES_S, or a first
    rate above it."""
    return max(MOST_WRITES_S, first_rate or 0.0)


def most_calls_s(agents: int, first_rate: float | None) -> float:
    """Calls a second the busiest point may offer (the directory is made for it)."""
    return max(agents / PACE, most_writes_s(first_rate) / WRITES_PER_CALL)


def saturate(pg: Databases, document: dict[str, Any], recordings, settings: Settings, agents: int,
             first_rate: float | None, measured: list[dict[str, Any]], points: int, *,
             first: dict[str, float] | None = None, choose: Callable[..., float | None] = next_rate) -> dict[str, Any]:
    """Both sides' saturation, their points in turns (load_saturation.side_by_side, each side's
    next rate by `choose`): the same agents calling more often, their think times shortened
    alike. Each side's first rate: `first`, else `first_rate`, else from the points already
    `measured` (they give it only)."""

    searching = replace(settings, seconds=settings.search_seconds or settings.seconds)

    def run(side: str, writes_s: float) -> dict[str, Any]:
        calls_s = writes_s / WRITES_PER_CALL
        n = min(agents, max(1, round(calls_s * PACE)))  # below the biggest point: fewer agents at 10x pace
        name = "PostgreSQL" if side == "deskapp" else "Prototype"
        result = run_point(Point(f"{name} {n} at {writes_s:.0f} writes/s", "postgresql", n, n / calls_s, side=side),
                           searching, pg, document, recordings)
        _log(_summary(result))
        return result

    on_pg = [p for p in measured if p["backend"] == "postgresql"]
    by_side = {side: [p for p in on_pg if p.get("side", "deskapp") == side] for side in SIDES}
    by_side = {side: [p for p in found if p["agents"] == TARGET_AGENTS] or found for side, found in by_side.items()}
    first = first or {side: first_rate or first_guess(by_side[side]) or 300.0 for side in SIDES}
    out = side_by_side(run, first, points, _log, choose=choose, most=most_writes_s(first_rate))
    out["criterion"] = (f"worst p99 of {', '.join(JUDGED)} <= {P99_LIMIT * 1000:.0f} ms, no errors, no caller "
                        "abandoned, >= 85% of the writes due in the window done")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="deskapp call-centre load test")
    parser.add_argument("--quick", action="store_true", help="8 s points after a 2 s warm-up, 64 and 256 agents")
    parser.add_argument("--agents", help="comma-separated agent counts (default 64,256,1000)")
    parser.add_argument("--pg-url", default=DEFAULT_PG)
    parser.add_argument("--seconds", type=float, help="measured seconds per point (default 60; quick 8)")
    parser.add_argument("--warmup", type=float, help="warm-up seconds per point (default 10; quick 2)")
    parser.add_argument("--workers", type=int, default=Settings.workers, help="load-generator processes")
    parser.add_argument("--pool", type=int, default=Settings.pool, help="store connections (and threads) per worker")
    parser.add_argument(
        "--switch-interval", type=float, default=Settings.switch_interval, help="the workers' GIL switch interval (s)"
    )
    parser.add_argument("--search-seconds", type=float,
                        help="measured seconds per saturation point (default 30; quick: --seconds)")
    parser.add_argument("--repeat", type=int, help="runs of the 256-agent point (default 3; quick 1)")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--no-bouncer", action="store_true")
    parser.add_argument("--no-saturation", action="store_true")
    parser.add_argument("--steps", help="the saturation search's first rate (audited writes/s) for both sides "
                        "(default: from each side's CPU a write at 256 agents); a list, as older commands gave, "
                        f"gives its first value; the search offers at most {MOST_WRITES_S:g} (or this rate)")
    parser.add_argument("--workdir", type=Path, default=Path("bench-output/db"), help="SQLite files go here")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    # What run.py passed to the load test before this model; its template is not needed any more.
    for old in ("--sqlite-template", "--orgs", "--bench-subs"):
        parser.add_argument(old, help=argparse.SUPPRESS)
    parser.add_argument("--max-load", type=float, default=LOAD_LIMIT,
                        help="judge no target measured while the 1-minute load average exceeded this "
                             "(default: the number of cores)")
    parser.add_argument("--json", type=Path, help="write every figure here")
    parser.add_argument("--md", type=Path, help="write the Markdown here")
    args = parser.parse_args(argv)
    common.LOAD_LIMIT = args.max_load  # the log lines' quiet / BUSY
    if args.sqlite_template:  # run.py from before this model: its agent counts and seconds were for it
        args.quick, args.agents, args.seconds = args.quick or float(args.seconds or 0) < 30, None, None
    settings = Settings(seconds=args.seconds or (8.0 if args.quick else 60.0),
                        warmup=args.warmup if args.warmup is not None else (2.0 if args.quick else 10.0),
                        workers=args.workers, pool=args.pool,
                        switch_interval=args.switch_interval, repeat=args.repeat or (1 if args.quick else 3),
                        search_seconds=args.search_seconds or (None if args.quick or args.seconds else 30.0))
    out = measure(quick=args.quick, pg_url=None if args.no_pg else args.pg_url, settings=settings, workdir=args.workdir,
                  agents=[int(n) for n in args.agents.split(",")] if args.agents else None,
                  sqlite=not args.no_sqlite, bouncer=not args.no_bouncer, saturation=not args.no_saturation,
                  first_rate=float(args.steps.split(",")[0]) if args.steps else None,
                  max_load=args.max_load)
    print(out["markdown"])
    if args.md:
        args.md.parent.mkdir(parents=True, exist_ok=True)
        args.md.write_text(out["markdown"] + "\n")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        from load_report import legacy_runs

        args.json.write_text(json.dumps({**out, "runs": legacy_runs(out)}, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
