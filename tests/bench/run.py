"""deskapp's performance bench: every figure as a ratio against its baseline, measured in the
same run, on a generated database of 1,000,000 tickets; then the call-centre load test.

    .venv/bin/python tests/bench/run.py                  # the full bench (under 10 minutes)
    .venv/bin/python tests/bench/run.py --quick          # 20,000 tickets, shorter runs
    .venv/bin/python tests/bench/run.py --tickets 200000 --no-pg --keep

Prints Markdown tables (ready for README) and writes them to bench-output/latest.md. The
databases live in bench-output/db/ and are removed at the end unless --keep. PostgreSQL:
--pg-url (default postgresql://postgres@127.0.0.1:5432/postgres, or $DESKAPP_BENCH_PG_URL);
the bench creates and drops its own databases (deskapp_bench_tpl, deskapp_bench_run).

What each target compares is written at the top of its module: filing.py (1), bulk.py (2),
exports.py (3), screens.py (4), startup.py (5), verification.py (6), loadtest.py.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import subprocess
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))

from common import Result, Skipped, fmt, sqlite_url  # noqa: E402
import generate  # noqa: E402

DEFAULT_PG = os.environ.get("DESKAPP_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def attempt(number: str, name: str, results: list, call) -> None:
    """Run one target; a failure is reported as not measured, and the bench goes on."""
    started = time.perf_counter()
    try:
        out = call()
    except Exception as error:  # noqa: BLE001 - the rest of the bench still runs
        traceback.print_exc()
        results.append(Skipped(number, name, f"failed: {type(error).__name__}: {str(error).splitlines()[0][:200] if str(error) else ''}"))
        log(f"{number} {name}: FAILED ({type(error).__name__})")
        return
    out = out if isinstance(out, list) else [out]
    results.extend(out)
    for r in out:
        if isinstance(r, Result):
            log(f"{r.number} {r.name}: ratio {r.ratio:.2f} (target {r.target_text}) in {time.perf_counter() - started:.0f} s")
        else:
            log(f"{r.number} {r.name}: not measured: {r.why}")


# --- output ----------------------------------------------------------------------------------


def targets_table(results: list) -> str:
    lines = [
        "| # | Target | deskapp | Baseline, same run | Ratio | Target | Met |",
        "|---|--------|---------|--------------------|------:|-------:|:---:|",
    ]
    for r in results:
        if isinstance(r, Skipped):
            lines.append(f"| {r.number} | {r.name} | not measured | {r.why} | – | – | – |")
            continue
        lines.append(
            f"| {r.number} | {r.name} | {fmt(r.subject, r.unit)} <br>`{r.subject_label}` | "
            f"{fmt(r.baseline, r.unit)} <br>{r.baseline_label} | **{r.ratio:.2f}** | {r.target_text} | "
            f"{'yes' if r.met else '**no**'} |"
        )
    notes = [f"- {r.number}: {r.note}" for r in results if isinstance(r, Result) and r.note]
    return "\n".join(lines) + ("\n\n" + "\n".join(notes) if notes else "")


def load_table(load: dict) -> str:
    if not load.get("runs"):
        return "Load test not run." + ("\n" + "\n".join(f"- {s}" for s in load.get("skipped", [])) if load.get("skipped") else "")
    lines = [
        "| Backend | Agents | Calls | Tickets | Tickets/s | Filing p50 | p95 | p99 | Call p50 | Writer lock held p50 / p95 "
        "| Refused | Errors | Lost | Doubled | `ticket.filed` = tickets | Chain |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|:-:|:-:|",
    ]
    for r in load["runs"]:
        same = r["filed_events"] == r["db_tickets"] == r["tickets"] and not r["unreported"]
        lines.append(
            f"| {'SQLite' if r['backend'] == 'sqlite' else 'PostgreSQL'} | {r['agents']} | {r['calls']} | {r['tickets']} | "
            f"{r['tickets_per_s']:.1f} | {r['p50_ms']:.0f} ms | {r['p95_ms']:.0f} ms | {r['p99_ms']:.0f} ms | "
            f"{r['call_p50_ms']:.0f} ms | {r['hold_p50_ms']:.1f} / {r['hold_p95_ms']:.1f} ms | {r['refused']} | {r['errors']} | {r['lost']} | {r['doubled']} | "
            f"{'yes' if same else 'NO'} ({r['filed_events']}) | {'verified' if r['chain_ok'] else 'BROKEN'} |"
        )
    extra = ["- Writer lock held: per write transaction (4 a call: start, verification, filing, end), how long "
             "it held what serialises all writers: SQLite's database lock (BEGIN IMMEDIATE to the end of COMMIT), "
             "PostgreSQL's audit_head row lock (SELECT .. FOR UPDATE to the end of COMMIT). 1 / the 1-agent figure "
             "is the most audited writes a second the database takes, however many agents; with more agent "
             "processes than cores the holder is also descheduled while holding it, and the figure grows."]
    extra += [f"- {s}" for s in load.get("skipped", [])]
    for r in load["runs"]:
        if r["error_samples"]:
            extra.append(f"- {r['backend']} {r['agents']} agents, errors: " + "; ".join(r["error_samples"]))
    return "\n".join(lines) + ("\n\n" + "\n".join(extra) if extra else "")


def environment(pg_version: str | None) -> str:
    cpus = os.cpu_count()
    try:
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        load = "?"
    return (f"{platform.python_implementation()} {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
            f"{pg_version or 'no PostgreSQL'}, {cpus} CPUs (load average at the end {load})")


def pg_version(url: str) -> str | None:
    try:
        from sqlalchemy import text

        from tickets.store import make_engine

        engine = make_engine(url)
        with engine.connect() as connection:
            version = connection.execute(text("SHOW server_version")).scalar_one()
        engine.dispose()
        return f"PostgreSQL {version.split()[0]}"
    except Exception:
        return None


def _check_text(check: dict) -> str:
    if "timeout" in check:
        return f"did not finish in {check['timeout']:.0f} s (stopped)"
    if "error" in check:
        return f"failed ({check['error']})"
    rate = check["events"] / check["seconds"] if check["seconds"] else float("nan")
    return f"{check['text']} in {check['seconds']:.0f} s ({rate:,.0f} events/s)"


def write_report(out: Path, results: list, load: dict, facts: list[str], tickets: int, load_seconds: float,
                 quick: bool, run_started: float, args) -> None:
    total = time.perf_counter() - run_started
    met = sum(1 for r in results if isinstance(r, Result) and r.met)
    measured = sum(1 for r in results if isinstance(r, Result))
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    markdown = "\n".join([
        f"### Targets ({tickets:,} tickets; {stamp})",
        "",
        "Every figure against its baseline measured in the same run. Throughputs: ratio = deskapp / baseline "
        "(target is a minimum); times: ratio = deskapp / baseline (target is a maximum).",
        "",
        targets_table(results),
        "",
        f"{met} of {measured} measured targets met.",
        "",
        f"### Call-centre load test ({load_seconds:g} s per run, agents on distinct subscriptions)",
        "",
        load_table(load),
        "",
        "### The run",
        "",
        *[f"- {f}" for f in facts],
        f"- {environment(None if args.no_pg else pg_version(args.pg_url))}.",
        f"- Whole bench: {total / 60:.1f} minutes (`python tests/bench/run.py"
        f"{' --quick' if quick else ''}{'' if tickets in (1_000_000, 20_000) else f' --tickets {tickets}'}`).",
        "",
    ])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(markdown)


# --- the run ---------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000, help="tickets in the big database")
    parser.add_argument("--quick", action="store_true", help="20,000 tickets and shorter runs (development)")
    parser.add_argument("--orgs", type=int, default=2000, help="organizations in the generated directory")
    parser.add_argument("--filings", type=int, help="filings each side for target 1 (default 300; quick 60)")
    parser.add_argument("--export-rows", type=int, help="rows exported for target 3 (default 50,000; quick 5,000)")
    parser.add_argument("--bulk-tickets", type=int, help="tickets bulk-loaded for target 2b (default 10,000; quick 5,000)")
    parser.add_argument("--load-seconds", type=float, help="seconds each load-test run takes calls (default 6; quick 3)")
    parser.add_argument("--verify-timeout", type=float, default=240.0,
                        help="seconds verify_chain may take on the big database (default 240)")
    parser.add_argument("--agents", default="1,4,16,64", help="agent processes per load-test run")
    parser.add_argument("--pg-url", default=DEFAULT_PG)
    parser.add_argument("--no-pg", action="store_true", help="load test on SQLite only")
    parser.add_argument("--no-load", action="store_true", help="skip the load test")
    parser.add_argument("--no-verify", action="store_true", help="skip verify_chain of the big database")
    parser.add_argument("--workdir", type=Path, default=ROOT / "bench-output" / "db")
    parser.add_argument("--out", type=Path, default=ROOT / "bench-output" / "latest.md")
    parser.add_argument("--keep", action="store_true", help="keep the generated databases")
    parser.add_argument("--reuse", action="store_true", help="reuse the databases a --keep run left (same sizes)")
    args = parser.parse_args(argv)
    quick = args.quick
    tickets = 20_000 if quick and args.tickets == 1_000_000 else args.tickets
    filings = args.filings or (60 if quick else 300)
    export_rows = args.export_rows or (5_000 if quick else 50_000)
    bulk_tickets = args.bulk_tickets or (5_000 if quick else 10_000)
    load_seconds = args.load_seconds or (3.0 if quick else 6.0)
    run_started = time.perf_counter()
    work = args.workdir
    work.mkdir(parents=True, exist_ok=True)
    results: list[Result | Skipped] = []
    facts: list[str] = []
    template_path, big, small = work / "directory.db", work / f"tickets-{tickets}.db", work / "tickets-1000.db"
    marker = work / "params.json"
    params = {"tickets": tickets, "orgs": args.orgs, "bench_subs": 1200}

    # -- the databases ---------------------------------------------------------------------
    reuse = args.reuse and marker.exists() and json.loads(marker.read_text()) == params and big.exists()
    log(f"bench: {tickets:,} tickets, {args.orgs:,} organizations, work in {work}")
    if reuse:
        log("reusing the databases of an earlier --keep run (target 2a takes its import time from then)")
        template = generate.Template(template_path, generate.make_directory(args.orgs, bench_subs=1200),
                                     json.loads((work / "import.json").read_text())["seconds"])
    else:
        marker.unlink(missing_ok=True)
        template = generate.build_template(template_path, orgs=args.orgs, bench_subs=1200)
        (work / "import.json").write_text(json.dumps({"seconds": template.import_seconds}))
        log(f"directory imported through the store in {template.import_seconds:.1f} s; agents added")
    import bulk

    attempt("2a", "Bulk load: directory import", results, lambda: bulk.bench_directory(template, work))
    if not reuse:
        generate.copy_database(template_path, big)
        history = generate.generate_history(big, tickets=tickets,
                                            progress=lambda n: log(f"  generated {n:,} tickets"))
        facts.append(f"Generated {history.tickets:,} tickets, {history.calls:,} calls and {history.events:,} audit "
                     f"events ({history.pending_review:,} waiting for review) in {history.seconds:.0f} s "
                     "(sqlite3 executemany, hashes by tickets.audit's encoding).")
        log(facts[-1])
        generate.copy_database(template_path, small)
        generate.generate_history(small, tickets=1000, agents=1, pending_share=0.3)
        marker.write_text(json.dumps(params))
    size = sum(Path(f"{big}{s}").stat().st_size for s in ("", "-wal") if Path(f"{big}{s}").exists())
    facts.append(f"Big database: {size / 1e9:.2f} GB on disk.")

    # -- the six targets -------------------------------------------------------------------
    import exports
    import filing
    import screens
    import startup
    import verification

    attempt("1", "Filing", results, lambda: filing.bench_filing(big, template.document, filings=filings))
    attempt("2b", "Bulk load: tickets", results, lambda: bulk.bench_tickets(big, template_path, work, n=bulk_tickets))
    attempt("3", "Exports", results, lambda: exports.bench_export(big, work, rows=export_rows))
    attempt("4", "Queries", results, lambda: screens.bench_queries(big, repeat=15 if quick else 40))
    attempt("4", "Screens", results, lambda: screens.bench_screens(big, small, repeat=2 if quick else 3,
                                                                   rounds=1 if quick else 3))
    attempt("5", "Start-up", results, lambda: startup.bench_startup(sqlite_url(small), work, runs=3 if quick else 5))
    attempt("6", "Verification", results, lambda: verification.bench_verification(template.document))
    results.sort(key=lambda r: r.number)
    load: dict = {"runs": [], "skipped": []}
    write_report(args.out, results, load, facts + ["(the load test and the chain checks are still running)"],
                 tickets, load_seconds, quick, run_started, args)

    # -- the load test (its own process: it forks its agents from a clean one) ----------------
    if not args.no_load:
        log(f"load test: {args.agents} agents, {load_seconds:.0f} s each, SQLite{'' if args.no_pg else ' and PostgreSQL'}")
        out = work / "load.json"
        command = [sys.executable, str(HERE / "loadtest.py"), "--sqlite-template", str(template_path),
                   "--orgs", str(args.orgs), "--agents", args.agents, "--seconds", str(load_seconds),
                   "--workdir", str(work), "--json", str(out), "--pg-url", args.pg_url]
        if args.no_pg:
            command.append("--no-pg")
        started = time.perf_counter()
        code = subprocess.run(command).returncode
        if out.exists():
            load = json.loads(out.read_text())
        if code:
            load["skipped"].append(f"the load test exited with {code}")
        log(f"load test done in {time.perf_counter() - started:.0f} s")

    # -- the audit chains ------------------------------------------------------------------
    write_report(args.out, results, load, facts + ["(the chain checks are still running)"], tickets, load_seconds,
                 quick, run_started, args)
    if not args.no_verify:
        import chaincheck

        log("the small database: tickets.audit.verify_chain")
        small_check = chaincheck.run("official", small, timeout=120)
        facts.append(f"`tickets.audit.verify_chain` on the 1,000-ticket database: {_check_text(small_check)}.")
        log(f"the big database: tickets.audit.verify_chain, at most {args.verify_timeout:.0f} s")
        official = chaincheck.run("official", big, timeout=args.verify_timeout)
        facts.append(f"`tickets.audit.verify_chain` on the big database (after the bench's own filings): "
                     f"{_check_text(official)}.")
        log(facts[-1])
        if not official.get("ok"):
            log("the big database: the bench's own chain check")
            own = chaincheck.run("bench", big, timeout=600)
            plan = " → ".join(own.get("orphan_plan", []))
            facts.append(f"The bench's own check of the same (every hash recomputed with tickets.audit's encoding, "
                         f"links, head, every ticket's `ticket.filed` event; tests/bench/chaincheck.py): "
                         f"{_check_text(own)}. verify_chain's orphan query plans as: {plan}.")
            log(facts[-1])

    write_report(args.out, results, load, facts, tickets, load_seconds, quick, run_started, args)
    log(f"written to {args.out}")
    print(args.out.read_text())

    if not args.keep:
        for db in (template_path, big, small):
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
