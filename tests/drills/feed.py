"""Feed drill: `deskapp export --format jsonl --cursor FILE` run again and again (50 times in the
full drill) while tickets are filed and withdrawn, about half the runs SIGKILLed at a random
moment (starting, reading, writing, or between the output and the cursor's move). Afterwards:
every ticket change up to the last position appears in a confirmed run, and no change appears
in two confirmed runs (a run is confirmed when it moved FILE; what a killed run wrote before
that is not confirmed, and comes again).

    .venv/bin/python tests/drills/feed.py [--runs 50] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text  # noqa: E402

from drills.common import DrillDirectory, Figures, engine_urls  # noqa: E402
from tickets.clock import SystemClock  # noqa: E402
from tickets.enums import TicketKind, TicketStatus  # noqa: E402
from tickets.export.feed import read_cursor  # noqa: E402
from tickets.filing import FilingRequest, file_ticket  # noqa: E402
from tickets.lifecycle import transition  # noqa: E402
from tickets.store.database import Store, make_engine  # noqa: E402

EARLY = frozenset({"remove_domains", "update_dns", "save_data"})


def _writer(store: Store, directory: DrillDirectory, stop: threading.Event, done: list[int]) -> None:
    """Files a ticket, and withdraws every third one filed, until told to stop."""
    verification = directory.verified()
    for n, ref in enumerate(directory.sub_refs):
        if stop.is_set():
            return
        ticket = file_ticket(store, agent=directory.agent, verification_id=verification, request=FilingRequest(
            kind=TicketKind.CANCEL_EARLY, subscription_ref=ref, idempotency_key=f"feed-drill-{n}",
            confirmed=EARLY)).filed[0].id
        if n % 3 == 0:
            transition(store, actor=directory.agent, ticket_id=ticket, to=TicketStatus.WITHDRAWN,
                       reason="the caller changed their mind")
        done.append(ticket)
        time.sleep(0.02)


def run(workdir: Path, url: str, *, runs: int = 50, seed: int = 1, log=print) -> Figures:
    began = time.monotonic()
    engine = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    figures = Figures(f"feed: runs killed with SIGKILL while tickets change ({engine})")
    rng = random.Random(seed)
    store = Store(make_engine(url), SystemClock())
    directory = DrillDirectory(store, extra_subscriptions=40 * runs)
    cursor = workdir / "feed.cursor"
    command = [sys.executable, "-m", "deskapp.cli", "export", "--db", url, "--format", "jsonl", "--cursor", str(cursor)]
    stop, written = threading.Event(), []
    writer = threading.Thread(target=_writer, args=(store, directory, stop, written), daemon=True)
    writer.start()
    confirmed: list[tuple[int, int, list[dict]]] = []  # (after, upto, records) of each confirmed run
    kills = 0
    try:
        for i in range(runs + 1):
            final = i == runs
            if final:
                stop.set()
                writer.join()
            out = workdir / f"feed-{i}.jsonl"
            before = read_cursor(cursor)
            process = subprocess.Popen([*command, "--output", str(out)], cwd=workdir,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if not final and rng.random() < 0.5:
                try:
                    process.wait(timeout=rng.uniform(0.05, 2.0))
                except subprocess.TimeoutExpired:
                    process.send_signal(signal.SIGKILL)
                    kills += 1
            code = process.wait()
            upto = read_cursor(cursor)
            if code == 0 or upto != before:
                records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
                confirmed.append((before, upto, records))
            elif upto != before:
                figures.add(1, [f"run {i} failed ({code}) but moved the cursor"])
            if final and code != 0:
                figures.add(1, [f"the last run failed ({code})"])
    finally:
        stop.set()
        writer.join()
    final_position = read_cursor(cursor)
    problems: list[str] = []
    seen: dict[tuple[str, int], int] = {}
    by_run: list[set[str]] = []
    previous = 0
    for n, (after, upto, records) in enumerate(confirmed):
        if after != previous:
            problems.append(f"confirmed run {n} started at {after}, not at {previous} where the last one ended")
        previous = upto
        refs = set()
        for record in records:
            seq, ref = record["audit_seq"], record["ticket_ref"]
            if not after < seq <= upto:
                problems.append(f"{ref} at {seq} outside its run's range ({after}, {upto}]")
            if (ref, seq) in seen:
                problems.append(f"{ref} at {seq} in two confirmed runs")
            seen[(ref, seq)] = n
            if ref in refs:
                problems.append(f"{ref} twice in one run")
            refs.add(ref)
        by_run.append(refs)
    with store.read() as session:
        changes = session.execute(text(
            "SELECT seq, subject FROM audit_event WHERE subject LIKE 'ticket:%' AND seq <= :upto ORDER BY seq"),
            {"upto": final_position}).all()
    runs_at = [(after, upto, n) for n, (after, upto, _) in enumerate(confirmed)]
    missing = 0
    for seq, subject in changes:
        ref = f"TK-{int(subject[7:]):06d}"
        n = next((n for after, upto, n in runs_at if after < seq <= upto), None)
        if n is None or ref not in by_run[n]:
            missing += 1
    if missing:
        problems.append(f"{missing} ticket changes appear in no confirmed run")
    figures.add(len(changes) + len(seen), problems)
    store.dispose()
    per_ticket = defaultdict(int)
    for ref, _ in seen:
        per_ticket[ref] += 1
    figures.runs, figures.kills = runs, kills
    figures.seconds = time.monotonic() - began
    figures.notes = {"ticket changes": len(changes), "tickets": len(written), "confirmed runs": len(confirmed),
                     "records": len(seen), "missing": missing,
                     "twice after confirmation": sum(1 for p in problems if "two confirmed" in p)}
    log(f"{figures.drill}: {figures.notes}, {len(figures.failures)} failures, {figures.seconds:.0f} s")
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args(argv)
    results = [run(workdir, url, runs=args.runs, seed=args.seed)
               for workdir, url in engine_urls(args.backends, "deskapp-feed")]
    from drills.common import markdown

    print(markdown(results))
    return 0 if all(f.ok for f in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
