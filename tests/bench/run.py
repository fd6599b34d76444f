"""deskapp's performance bench: every figure as a ratio against its baseline, measured in the
same run, on a generated database of 1,000,000 tickets (and one of 50,000 for the exports).

    .venv/bin/python tests/bench/run.py                  # the full bench (under 15 minutes)
    .venv/bin/python tests/bench/run.py --quick          # 100,000 tickets (50,000 exported), shorter runs (under 5)
    .venv/bin/python tests/bench/run.py --tickets 200000 --no-pg --keep --json
    .venv/bin/python tests/bench/loadtest.py             # the call-centre load test's study, apart (15 to 22 minutes)

The call-centre load test's two targets (9a: filing p99 at 256 agents; 9b: the saturation against
the raw prototype, side by side) come from its stage, `load` (load_stage.py: about 2.5 minutes, in
both forms; `--no-load` or `--no-pg` leaves it out). `--load` runs loadtest.py's whole study
instead (60 s points, 15 to 22 minutes; its `--quick` form with `--quick`), judged the same way.

Prints Markdown tables (ready for README), writes them to bench-output/latest.md and, with
--json, every figure to bench-output/latest.json. Each target says met / not met, judged on
the CPU-time ratio where subject and baseline run in this process (tests/bench/report.py).
The databases live in bench-output/db/ and are removed at the end unless --keep. PostgreSQL:
--pg-url (default postgresql://postgres@127.0.0.1:5432/postgres, or $DESKAPP_BENCH_PG_URL);
the bench's PostgreSQL databases are named fresh each run (common.pg_prefix).

What each target compares is written at the top of its module: filing.py (1), bulk.py (2),
exports.py (3: 3a/3b on 50,000 tickets, 3c/3d on 1,000,000, 3e memory), screens.py (4),
startup.py (5), verification.py (6), chaincheck.py (7), call_cpu.py (8), load_stage.py and
loadtest.py (9a, 9b).
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import os
import subprocess
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))

import common  # noqa: E402
import generate  # noqa: E402
import load_report  # noqa: E402
import report  # noqa: E402
from common import PG_PREFIX_ENV, Result, Skipped, load_average, machine_state, pg_prefix, pg_version, sqlite_url  # noqa: E402

DEFAULT_PG = os.environ.get("DESKAPP_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
# What --only can name: the targets' stages in the order they run, and the load test.
STAGES = ("2a", "1", "2b", "3", "3p", "4q", "4s", "5", "5c", "6", "8", "7", "7p", "load")
# Stages folded into another (3p's export commands into 3, 7p's verify command into 7): their
# names kept for older commands, each run as the stage it is now part of.
FOLDED = {"3p": "3", "7p": "7"}


def log(message: str) -> None:
    """Every line says whether the machine was quiet: its 1-minute load average against the limit
    above which no target is judged (common.LOAD_LIMIT, --max-load)."""
    print(f"[{time.strftime('%H:%M:%S')} {machine_state()}] {message}", file=sys.stderr, flush=True)


def attempt(number: str, name: str, results: list, call) -> None:
    """Run one target; a failure is reported as not measured, and the bench goes on. Each
    figure a module returns is a `Result` (or `Skipped`), one or a list."""
    started = time.perf_counter()
    loads = [load_average()]
    try:
        out = call()
    except Exception as error:  # noqa: BLE001 - the rest of the bench still runs
        traceback.print_exc()
        first = str(error).splitlines()[0][:200] if str(error) else ""
        results.append(Skipped(number, name, f"failed: {type(error).__name__}: {first}"))
        log(f"{number} {name}: FAILED ({type(error).__name__})")
        return
    out = out if isinstance(out, list | tuple) else [out]
    loads.append(load_average())
    for r in out:
        if isinstance(r, Result):
            r.extra.setdefault("load", loads)  # judged only if the machine stayed quiet meanwhile
            results.append(r)
            cpu = r.ratios("cpu")
            spread = f" (CPU {cpu[1]:.2f}-{cpu[2]:.2f} over {r.runs} runs)" if cpu and r.runs else ""
            shown = f"ratio {r.ratio:.2f}" if r.quiet else f"(ratio {r.ratio:.2f}, not to be read as a verdict)"
            log(f"{r.number} {r.name}: {shown} on {r.judged_on.upper()}{spread}, target "
                f"{r.target_text}: {report.verdict(r)} ({time.perf_counter() - started:.0f} s)")
        elif isinstance(r, Skipped):
            results.append(r)
            log(f"{r.number} {r.name}: not measured: {r.why}")
        else:
            results.append(Skipped(number, name, f"the module returned {type(r).__name__}, not a Result"))


def bench_function(module_name: str, preferred: tuple[str, ...]):
    """A module's entry function: the first of `preferred` it has, else its only `bench_*`
    function; None without the module (other engineers add and rename them)."""
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name == module_name:
            return None
        raise
    for name in preferred:
        if callable(getattr(module, name, None)):
            return getattr(module, name)
    found = [f for n, f in vars(module).items() if n.startswith("bench_") and inspect.isfunction(f)
             and f.__module__ == module.__name__]
    return found[0] if len(found) == 1 else None


def call_with(fn, available: dict[str, Any], **fixed: Any):
    """Call `fn` with the values its parameters name; one that `available` lacks must have a
    default."""
    kwargs = dict(fixed)
    for name, parameter in inspect.signature(fn).parameters.items():
        if name in kwargs or parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        if name in available:
            kwargs[name] = available[name]
        elif parameter.default is parameter.empty:
            raise TypeError(f"{fn.__module__}.{fn.__name__}: no value for its parameter {name!r}")
    return fn(**kwargs)


def load_arguments(args, template_path: Path, agents: str) -> list[str]:
    """loadtest.py's options: its load model's own (`--quick`, its own agent counts) where it has
    one, else those of the process-per-agent test it replaced."""
    source = (HERE / "loadtest.py").read_text()
    extra = (["--seconds", str(args.load_seconds)] if args.load_seconds else []) + (["--no-pg"] if args.no_pg else [])
    if '"--max-load"' in source:  # its targets judged by the same limit as the bench's
        extra += ["--max-load", str(args.max_load)]
    if '"--quick"' in source:
        return (["--quick"] if args.quick else []) + (["--agents", args.agents] if args.agents else []) + extra
    return ["--sqlite-template", str(template_path), "--orgs", str(args.orgs), "--bench-subs", str(args.bench_subs),
            "--agents", agents, *extra]


def run_load(args, out: Report, work: Path, template_path: Path, agents: str) -> list[Result | Skipped]:
    """Targets 9a and 9b: the load stage (load_stage.py), or with --load loadtest.py's study, in a
    process of its own; its figures become the report's load section."""
    load_json = work / "load.json"
    load_json.unlink(missing_ok=True)
    if args.load:
        log(f"load test's study{'' if args.no_pg else ' (SQLite and PostgreSQL)'}")
        command = [sys.executable, str(HERE / "loadtest.py"), *load_arguments(args, template_path, agents),
                   "--workdir", str(work), "--json", str(load_json), "--pg-url", args.pg_url]
    else:
        log("load stage: 256 agents, then the saturation of deskapp and the raw prototype in turns")
        command = [sys.executable, str(HERE / "load_stage.py"), "--json", str(load_json), "--pg-url", args.pg_url,
                   "--max-load", str(args.max_load), *(["--seconds", str(args.load_seconds)] if args.load_seconds
                                                       else [])]
    code = subprocess.run(command).returncode
    out.load = json.loads(load_json.read_text()) if load_json.exists() else {"runs": [], "skipped": []}
    if code:
        out.load.setdefault("skipped", []).append(f"{Path(command[1]).name} exited with {code}")
    return load_report.load_results(out.load)


def _check_text(check: dict) -> str:
    if "timeout" in check:
        return f"did not finish in {check['timeout']:.0f} s (stopped)"
    if "error" in check:
        return f"failed ({check['error']})"
    rate = check["events"] / check["seconds"] if check["seconds"] else float("nan")
    return f"{check['text']} in {check['seconds']:.0f} s ({rate:,.0f} events/s)"


class Report:
    """Written after each stage, so that a bench stopped half-way still leaves its figures."""

    def __init__(self, args, tickets: int, quick: bool) -> None:
        self.args, self.tickets, self.quick = args, tickets, quick
        self.started = time.perf_counter()
        self.results: list[Result | Skipped] = []
        self.load: dict = {"runs": [], "skipped": []}
        self.facts: list[str] = []
        self.stage_seconds: dict[str, float] = {}
        self.pg = None if args.no_pg else pg_version(args.pg_url)

    def load_heading(self) -> str:
        if self.load.get("markdown") or not self.load.get("runs"):  # its own heading, or not run
            return "### Call-centre load test"
        seconds = self.args.load_seconds or next(
            (r.get("seconds") for r in self.load.get("runs", []) if r.get("seconds")), None)
        return (
            f"### Call-centre load test ({f'{seconds:g} s' if isinstance(seconds, int | float) else 'default time'} "
            "per run, agents on distinct subscriptions)"
        )

    def write(self, pending: str | None = None) -> None:
        results = sorted(self.results, key=lambda r: r.number)
        total = time.perf_counter() - self.started
        measured = [r for r in results if isinstance(r, Result) and r.judged]
        busy = [r for r in results if isinstance(r, Result) and r.is_target and not r.quiet]
        beside = [r for r in results if isinstance(r, Result) and not r.is_target]
        skipped = len(results) - len(measured) - len(beside) - len(busy)
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        command = (f"python tests/bench/run.py{' --quick' if self.quick else ''}"
                   f"{'' if self.tickets in (1_000_000, 100_000) else f' --tickets {self.tickets}'}"
                   f"{' --load' if self.args.load else ''}")
        facts = self.facts + ([f"({pending})"] if pending else [])
        markdown = "\n".join([
            f"### Targets ({self.tickets:,} tickets; {stamp})",
            "",
            "Every figure against its baseline measured in the same run. Throughputs: ratio = deskapp / baseline "
            "(target is a minimum); times: ratio = deskapp / baseline (target is a maximum). Judged on CPU time "
            "(`time.process_time`, both sides in turns in one process) where both run in-process; the CPU and "
            "wall-clock ratios are of the medians, with the lowest and highest of the runs paired in turns.",
            "",
            report.targets_table(results),
            "",
            f"{sum(r.met for r in measured)} of {len(measured)} judged targets met"
            f"{f'; {len(busy)} measured but not judged (load average above {common.LOAD_LIMIT:g})' if busy else ''}"
            f"{f'; {skipped} not measured' if skipped else ''}"
            f"{f'; {len(beside)} measured beside them (no target)' if beside else ''}.",
            "",
            self.load_heading(),
            "",
            report.load_table(self.load),
            "",
            "### The run",
            "",
            *[f"- {f}" for f in facts],
            f"- {report.environment(self.pg)}.",
            f"- Whole bench: {total / 60:.1f} minutes (`{command}`).",
            "",
        ])
        out = self.args.out
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(markdown)
        if self.args.json:
            report.write_json(out.with_suffix(".json"), results=results, load=self.load, facts=facts, meta={
                "tickets": self.tickets, "quick": self.quick, "finished": pending is None, "at": stamp,
                "seconds": total, "command": command, "environment": report.environment(self.pg),
                "met": sum(r.met for r in measured), "measured": len(measured), "not_judged": len(busy),
                "load_limit": common.LOAD_LIMIT,
                "stage_seconds": self.stage_seconds,
            })


# --- the run ---------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000, help="tickets in the big database")
    parser.add_argument("--quick", action="store_true", help="100,000 tickets, 50,000 exported, short runs")
    parser.add_argument("--orgs", type=int, help="organizations in the generated directory (default 2,000; quick 500)")
    parser.add_argument("--bench-subs", type=int,
                        help="free subscriptions of the filing bench's organization (default 1,200; quick 300)")
    parser.add_argument("--only", help=f"run only these stages (comma-separated: {', '.join(STAGES)})")
    parser.add_argument("--filings", type=int, help="filings each side for target 1 (default 300; quick 140)")
    parser.add_argument("--export-tickets", type=int,
                        help="tickets in the smaller database target 3 exports whole (3a/3b; default 50,000; quick "
                             "2,000); 3c/3d export the big one whole")
    parser.add_argument(
        "--bulk-tickets", type=int, help="tickets bulk-loaded for target 2b (default 10,000; quick 5,000)"
    )
    parser.add_argument("--runs", type=int, help="paired runs a target (default 7; quick 5; at least 5)")
    parser.add_argument(
        "--load-seconds", type=float,
        help="seconds each load point takes calls (default: the load stage's 8; with --load, loadtest.py's)"
    )
    parser.add_argument("--agents", help="agent processes per load-test point (default 1,4,16,64; quick 1,16)")
    parser.add_argument("--pg-url", default=DEFAULT_PG)
    parser.add_argument("--no-pg", action="store_true",
                        help="no PostgreSQL: targets 8, 9a and 9b not measured (--load: the study on SQLite only)")
    parser.add_argument("--load", action="store_true",
                        help="the load targets from loadtest.py's whole study instead of the load stage (15 to 22 "
                             "minutes; quick: its short form)")
    parser.add_argument("--no-load", action="store_true", help="no load stage (targets 9a and 9b)")
    parser.add_argument("--no-verify", action="store_true", help="skip verify_chain of the big database (target 7)")
    parser.add_argument("--workdir", type=Path, default=ROOT / "bench-output" / "db")
    parser.add_argument("--out", type=Path, default=ROOT / "bench-output" / "latest.md")
    parser.add_argument("--json", action="store_true", help="every figure to latest.json beside the Markdown")
    parser.add_argument("--keep", action="store_true", help="keep the generated databases")
    parser.add_argument("--reuse", action="store_true", help="reuse the databases a --keep run left (same sizes)")
    parser.add_argument("--max-load", type=float, default=common.LOAD_LIMIT,
                        help=f"judge no target measured while the 1-minute load average exceeded this (default: the "
                             f"number of cores, {common.LOAD_LIMIT:g})")
    args = parser.parse_args(argv)
    common.LOAD_LIMIT = args.max_load
    quick = args.quick
    args.orgs = args.orgs or (500 if quick else 2000)
    args.bench_subs = args.bench_subs or (400 if quick else 1200)
    # Quick: a big database of 100,000 tickets, and the export targets' 50,000-ticket one (3f/3g are
    # set at 50,000: a smaller database measures a process's start more than its export).
    tickets = 100_000 if quick and args.tickets == 1_000_000 else args.tickets
    filings = args.filings or (140 if quick else 300)  # quick: 7 blocks of 20 (5 of 12 left a 0.7 target to chance)
    export_tickets = min(args.export_tickets or 50_000, tickets)
    # Targets whose one run on the big database takes 15-30 s (3c/3d, 7): the rule's 5 unless --runs.
    long_runs = max(args.runs or 5, 5)
    bulk_tickets = args.bulk_tickets or (5_000 if quick else 10_000)
    runs = max(args.runs or (5 if quick else 7), 5)
    agents = args.agents or ("1,16" if quick else "1,4,16,64")
    # Fresh PostgreSQL database names for this run, for every process the bench starts.
    os.environ[PG_PREFIX_ENV] = pg_prefix()
    out = Report(args, tickets, quick)
    results, facts = out.results, out.facts
    work = args.workdir
    work.mkdir(parents=True, exist_ok=True)
    template_path, big, small = work / "directory.db", work / f"tickets-{tickets}.db", work / "tickets-1000.db"
    # Target 3's smaller database (exported whole; the big one when they are the same size).
    exported = work / f"export-{export_tickets}.db" if export_tickets < tickets else big
    marker = work / "params.json"
    params = {"tickets": tickets, "orgs": args.orgs, "bench_subs": args.bench_subs, "export_tickets": export_tickets}
    only = set(args.only.split(",")) if args.only else set(STAGES)
    if only - set(STAGES):
        parser.error(f"--only: unknown stages {', '.join(sorted(only - set(STAGES)))} (known: {', '.join(STAGES)})")
    only = {FOLDED.get(name, name) for name in only}

    stage_seconds: dict[str, float] = {}  # wall time of each stage, in the facts and the JSON
    out.stage_seconds = stage_seconds

    def timed(key: str, started: float) -> None:
        stage_seconds[key] = stage_seconds.get(key, 0.0) + time.perf_counter() - started

    def stage(key: str, number: str, name: str, call) -> None:
        if key in only:
            started = time.perf_counter()
            attempt(number, name, results, call)
            timed(key, started)

    # -- the databases ---------------------------------------------------------------------
    reuse = args.reuse and marker.exists() and json.loads(marker.read_text()) == params and big.exists()
    log(f"bench: {tickets:,} tickets, {args.orgs:,} organizations, work in {work}")
    started = time.perf_counter()
    if reuse:
        log("reusing the databases of an earlier --keep run")
        template = generate.Template(template_path, generate.make_directory(args.orgs, bench_subs=args.bench_subs),
                                     json.loads((work / "import.json").read_text())["seconds"])
    else:
        marker.unlink(missing_ok=True)
        template = generate.build_template(template_path, orgs=args.orgs, bench_subs=args.bench_subs)
        (work / "import.json").write_text(json.dumps({"seconds": template.import_seconds}))
        log(f"directory imported through the store in {template.import_seconds:.1f} s; agents added")
    timed("directory", started)
    available = {"template": template, "workdir": work, "work": work, "document": template.document,
                 "runs": runs, "repeat": runs, "quick": quick}
    directory = bench_function("directory_import", ("bench_directory_import", "bench_import", "bench_directory"))
    if directory is None:
        directory = bench_function("bulk", ("bench_directory",))
    if directory is not None:
        stage("2a", "2a", "Bulk load: directory import", lambda: call_with(directory, available))
    started = time.perf_counter()
    if not reuse:
        generate.copy_database(template_path, big)
        history = generate.generate_history(big, tickets=tickets,
                                            progress=lambda n: log(f"  generated {n:,} tickets"))
        facts.append(f"Generated {history.tickets:,} tickets, {history.calls:,} calls and {history.events:,} audit "
                     f"events ({history.pending_review:,} waiting for review) in {history.seconds:.0f} s "
                     "(sqlite3 executemany, hashes by tickets.audit.chain's encoding).")
        log(facts[-1])
        generate.copy_database(template_path, small)
        generate.generate_history(small, tickets=1000, agents=1, pending_share=0.3)
        if exported != big:  # the same generator, a database of its own (its shell is faster when small)
            generate.copy_database(template_path, exported)
            history = generate.generate_history(exported, tickets=export_tickets)
            log(f"generated the {history.tickets:,}-ticket database target 3 exports in {history.seconds:.0f} s")
        marker.write_text(json.dumps(params))
    timed("databases", started)
    size = sum(Path(f"{big}{s}").stat().st_size for s in ("", "-wal") if Path(f"{big}{s}").exists())
    facts.append(f"Big database: {size / 1e9:.2f} GB on disk.")

    # -- the targets measured in this process (and the start-up's own processes) ------------
    import bulk
    import commands
    import exports
    import filing
    import screens
    import startup
    import verification

    stage("1", "1", "Filing", lambda: filing.bench_filing(big, template.document, filings=filings))
    stage("2b", "2b", "Bulk load: tickets", lambda: bulk.bench_tickets(big, template_path, work, n=bulk_tickets))
    # Each database exported whole, in a child process of its own (its peak memory is the export's).
    # The same exports through the `deskapp export` command, a process each run (3f-3j), in the same
    # turns against the same shell runs.
    sizes = [(exported, ("3a", "3b"))] + ([(big, ("3c", "3d"))] if exported != big else [])
    # 3h/3i's target is set at 1,000,000 tickets: on a smaller big database (quick) measured beside.
    big_target = 0.6 if tickets >= 1_000_000 else None
    command_sizes: list[tuple[str, str, float | None]] = [("3f", "3g", 0.5)] + (
        [("3h", "3i", big_target)] if exported != big else [])
    stage("3", "3", "Exports", lambda: exports.bench_export_sizes(sizes, work, runs=long_runs,
                                                                  commands_for=command_sizes))
    stage("4q", "4", "Queries", lambda: screens.bench_queries(big, repeat=runs))
    # Sessions on either database in turns, openings after a warm-up one: 5 a side (quick: one
    # session each, a sign-in costs more than an opening), 15.
    stage("4s", "4", "Screens", lambda: screens.bench_screens(big, small, repeat=5, rounds=1 if quick else 3))
    stage("5", "5", "Start-up", lambda: startup.bench_startup(sqlite_url(small), work, runs=runs))
    stage("5c", "5c", "Start-up through the command",
          lambda: commands.bench_console_command(sqlite_url(small), work, runs=runs))
    stage("6", "6", "Verification", lambda: verification.bench_verification(template.document))
    stage("6", "6b", "Verification with its read",
          lambda: verification.bench_verification_read(big, template.document, repeat=runs))
    if args.no_pg and "8" in only:
        results.append(Skipped("8", "PostgreSQL audited write, client CPU", "--no-pg"))
    else:  # the client CPU of an audited write on PostgreSQL against the raw prototype (call_cpu.py)
        import call_cpu

        stage("8", "8", "PostgreSQL audited write, client CPU",
              lambda: call_cpu.bench_call_cpu(args.pg_url, calls=50 if quick else 100, batches=5))
    out.write("the chain check is still running")

    # -- target 7: the audit chains ----------------------------------------------------------
    # 7, 7b and 7c from one set of runs: each `deskapp audit verify` process gives the command's
    # CPU and, timed inside it, its verification pass (commands.bench_verify_command).
    if not args.no_verify and "7" in only:
        import chaincheck

        started = time.perf_counter()
        small_check = chaincheck.run("official", small, timeout=120)
        facts.append(f"`tickets.audit.chain.verify_chain` on the 1,000-ticket database: {_check_text(small_check)}.")
        log("the big database: `deskapp audit verify` and a hashlib scan, in turns")
        attempt("7", "Audit chain verification", results,
                lambda: commands.bench_verify_command(big, work, runs=long_runs))
        timed("7", started)

    # -- the load targets, last: their agents and server fill the cores, and the 1-minute load
    # average they leave would keep a stage after them from being judged. Their own process (it
    # forks its agents from a clean one).
    if "load" in only and not args.no_load:
        if args.no_pg and not args.load:
            results.extend(Skipped(number, name, "--no-pg") for number, name in load_report.LOAD_TARGETS)
        else:
            stage("load", "9", "Call-centre load", lambda: run_load(args, out, work, template_path, agents))

    facts.append("Wall time of each stage: " + ", ".join(f"{k} {v:.0f} s" for k, v in stage_seconds.items()) + ".")
    out.write()
    log(f"written to {args.out}" + (f" and {args.out.with_suffix('.json')}" if args.json else ""))
    print(args.out.read_text())

    if not args.keep:
        for db in (template_path, big, small, exported):
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
        for f in (marker, work / "import.json", work / "load.json"):
            f.unlink(missing_ok=True)
        try:
            work.rmdir()
        except OSError:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
