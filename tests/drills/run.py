"""Run every reliability drill and print the last figures as Markdown (for docs/drills.md).

    .venv/bin/python tests/drills/run.py            # the full drills, under 10 minutes on 2 cores
    .venv/bin/python tests/drills/run.py --quick    # a smoke run of the same, about a minute

Drills (see each module's docstring): crash (SIGKILL while filing, SQLite), race (many processes,
SQLite and PostgreSQL), hostile input (hypothesis, through pytest on tests/unit/test_hostile_*.py),
console fuzzing (Pilot), backup and restore. PostgreSQL is used when DESKAPP_TEST_PG_URL names a server
that answers (e.g. postgresql://postgres@127.0.0.1:5432/postgres); otherwise the race runs on
SQLite only and the figures say so.

Failures that match a known bug (drills.common.KNOWN_BUGS, each shown by a strict
expected-failure test) are counted apart from new failures. Exit code 0 when no new failure.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
ROOT = TESTS.parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

import testkit  # noqa: E402
from drills.common import Figures, split_known  # noqa: E402


def start_hostile(examples: int, backends: list[str]) -> tuple[subprocess.Popen, float, int]:
    """Start the hostile-input properties through pytest (`examples` examples each), in the
    background: it runs beside the console fuzzing, one core each."""
    env = dict(os.environ, DESKAPP_HOSTILE_EXAMPLES=str(examples), DESKAPP_TEST_BACKENDS=",".join(backends))
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--hypothesis-show-statistics",
               "-W", "ignore::hypothesis.errors.HypothesisWarning",
               *sorted(str(p.relative_to(ROOT)) for p in (TESTS / "unit").glob("test_hostile_*.py"))]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return process, time.monotonic(), examples


def finish_hostile(started: tuple[subprocess.Popen, float, int], backends: list[str], log=print) -> Figures:
    process, began, examples = started
    output, _ = process.communicate()
    done = subprocess.CompletedProcess(process.args, process.returncode, output, "")
    output = done.stdout
    figures = Figures(f"hostile input (hypothesis, {'+'.join(backends)})")
    summary = next((line for line in reversed(output.splitlines()) if re.search(r"\d+ (passed|failed)", line)), "")
    counts = {word: int(n) for n, word in re.findall(r"(\d+) (passed|failed|xfailed|xpassed|error|errors)", summary)}
    figures.runs = sum(int(n) for n in re.findall(r"(\d+) passing, \d+ failing", output))
    figures.checks = counts.get("passed", 0) + counts.get("xfailed", 0)
    if done.returncode != 0 or counts.get("failed") or counts.get("xpassed") or counts.get("error"):
        failed = re.findall(r"^(?:FAILED|ERROR) (\S+)", output, re.MULTILINE) or [summary or output[-500:]]
        figures.failures.extend(f"pytest: {f}" for f in failed)
    figures.notes = {"tests": counts.get("passed", 0), "known-bug tests (xfail)": counts.get("xfailed", 0),
                     "examples per property": examples}
    figures.seconds = time.monotonic() - began
    log(f"hostile input: {summary.strip()}")
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small counts: a smoke run of every drill")
    parser.add_argument("--only", action="append",
                        choices=["crash", "race", "hostile", "console", "backup", "tamper", "bruteforce", "typeahead",
                                 "relay", "feed"])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    quick = args.quick
    wanted = set(args.only or ["crash", "race", "hostile", "console", "backup", "tamper", "bruteforce", "typeahead",
                               "relay", "feed"])
    workdir = Path(tempfile.mkdtemp(prefix="deskapp-drills-"))
    pg_problem = testkit.postgres_reachable()
    backends = ["sqlite"] + ([] if pg_problem else ["postgresql"])
    if pg_problem:
        print(f"note: {pg_problem}; the race and hostile drills run on SQLite only", flush=True)
    started = time.monotonic()
    results: list[Figures] = []

    def log(message: str) -> None:
        print(f"[{time.monotonic() - started:5.0f} s] {message}", flush=True)

    if "crash" in wanted:
        from drills import crash

        results.append(crash.run(workdir / "crash", runs=10 if quick else 200, seed=args.seed, log=log))
        log(results[-1].row())
    if "race" in wanted:
        from drills import race

        for backend in backends:
            if backend == "sqlite":
                url = testkit.SqliteTemplate(workdir / "race").new_url(workdir / "race")
                results.append(race.run(url, backend=backend, ops=20 if quick else 100, seed=args.seed, log=log))
            else:
                database = testkit.PostgresDatabase()
                try:
                    database.reset()
                    results.append(race.run(database.url, backend=backend, ops=20 if quick else 100,
                                            seed=args.seed, log=log))
                finally:
                    database.drop()
            log(results[-1].row())
    hostile_run = start_hostile(30 if quick else 200, backends) if "hostile" in wanted else None
    if "console" in wanted:
        from drills import console

        results.append(console.run(workdir / "console", keys=60 if quick else 400, seed=args.seed, log=log))
        log(results[-1].row())
        ahead = console.run(workdir / "console-ahead", keys=40 if quick else 150, seed=args.seed,
                            type_ahead=True, log=log)
        results.append(ahead)
        log(results[-1].row())
    if hostile_run is not None:
        results.append(finish_hostile(hostile_run, backends, log=log))
        log(results[-1].row())
    if "backup" in wanted:
        from drills import backup

        results.append(backup.run(workdir / "backup", rounds=3 if quick else 20, log=log))
        log(results[-1].row())
    if "tamper" in wanted:
        from drills import tamper

        figures, outcomes = tamper.run(backends, workdir / "tamper", log=log)
        results.append(figures)
        log(results[-1].row())
        print(tamper.table(outcomes), flush=True)
    if "bruteforce" in wanted:
        from drills import bruteforce

        for backend in backends:
            database = None if backend == "sqlite" else testkit.PostgresDatabase()
            url = testkit.SqliteTemplate(workdir / "bruteforce").new_url(workdir / "bruteforce") if database is None \
                else database.url
            try:
                results.append(bruteforce.run(url, backend=backend, tries=100 if quick else 1000, log=log))
            finally:
                if database is not None:
                    database.drop()
            log(results[-1].row())

    for name in ("relay", "feed"):
        if name not in wanted:
            continue
        from drills import feed, relay

        for backend in backends:
            database = None if backend == "sqlite" else testkit.PostgresDatabase()
            where = workdir / f"{name}-{backend}"
            where.mkdir(parents=True, exist_ok=True)
            url = testkit.SqliteTemplate(where / "template").new_url(where) if database is None else database.url
            try:
                if database is not None:
                    database.reset()
                if name == "relay":
                    results.append(relay.run(where, url, tickets=100 if quick else 1000, kills=5 if quick else 20,
                                             outage=5.0 if quick else 30.0, seed=args.seed, log=log))
                else:
                    results.append(feed.run(where, url, runs=10 if quick else 50, seed=args.seed, log=log))
            finally:
                if database is not None:
                    database.drop()
            log(results[-1].row())

    if "typeahead" in wanted:
        from drills import typeahead

        results.append(typeahead.run(workdir / "typeahead", calls_wanted=12 if quick else 54, log=log))
        log(results[-1].row())

    total = time.monotonic() - started
    new_total = 0
    rows = []
    known_all: dict[str, int] = {}
    for figures in results:
        new, known = split_known(figures.failures)
        new_total += len(new)
        for bug, count in known.items():
            known_all[bug] = known_all.get(bug, 0) + count
        notes = "; ".join(f"{k}: {v}" for k, v in figures.notes.items())
        rows.append(
            f"| {figures.drill} | {figures.runs} | {figures.kills} | {figures.checks} | {len(new)} "
            f"| {sum(known.values())} | {figures.seconds:.0f} s | {notes} |"
        )
    print()
    print(f"### Reliability drills ({'quick' if quick else 'full'} run, {time.strftime('%Y-%m-%d')}, "
          f"{total / 60:.1f} min on {os.cpu_count()} cores)")
    print()
    print("| drill | runs | kills | invariants checked | failures | known-bug hits | time | notes |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    print("\n".join(rows))
    print()
    print(f"**New failures: {new_total}.** ", end="")
    if known_all:
        print("Known bugs hit (each shown by a strict expected-failure test until fixed): "
              + "; ".join(f"{bug} ({count})" for bug, count in known_all.items()) + ".")
    else:
        print("No known bug was hit.")
    print()
    print("runs: crash = child processes, race = operations, hostile = hypothesis examples, "
          "console = scenarios, backup = backups and restores.")
    for figures in results:
        for failure in split_known(figures.failures)[0]:
            print(f"- NEW FAILURE ({figures.drill}): {failure}")
    return 0 if new_total == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
