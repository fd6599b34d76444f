"""Type-ahead drill: whole calls typed into the real `deskapp` on a pseudo-terminal in
bursts of 0 to 5 ms a key, every ticket kind, half of them with the machine loaded by CPU burners.

    .venv/bin/python tests/drills/typeahead.py --calls 54      # prints "N keys misrouted or lost"

Each session is a fresh `deskapp --demo` (the demo database is made anew at each start) signed
in by one burst; it takes six calls, one per ticket kind, each in three bursts that cross screen
changes and database workers (tests/terminal/desk_terminal.py). Expedited deprovisioning and
the end-of-term cancellation take turns on SUB-0003 (one open cancellation per subscription,
C-9); a session with the expedited deprovisioning then reviews it as a supervisor would: sign
out, sign in as linus, record the callback with a note and approve (X-2, V-8), in bursts too.
After each session every ticket is read from the database: its kind, subscription and the texts
typed, and the reviewed one approved by linus with his callback and the note. A key is misrouted
or lost when a field on screen or in a ticket differs from what was typed (characters not in
common), or when a step's screen never shows.

Every session is followed by a supervisor's walk through a review queue of QUEUE_TICKETS
pending tickets (a fresh database, tests/terminal/desk_queue.py): End, Home, PageDown, Home,
Down and Up to the 7th, `a` `y`, Esc, then Down held for 2 s and Esc; each key answered with the
ticket's detail within a second (more on a loaded machine, desk_queue.answer_limit), and in the
database the 7th ticket approved by linus, every other one still waiting.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
for extra in (TESTS, TESTS / "terminal"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from desk_queue import check_queue_decision, console, queue_database, run_queue_review, sign_in  # noqa: E402
from desk_terminal import (  # noqa: E402
    ENTER,
    EXPEDITED,
    TAB,
    DeskTerminal,
    calls,
    check_review,
    check_ticket,
    run_call,
    run_review,
)

from drills.common import Figures  # noqa: E402

BURNER = "while True: pass"
QUEUE_TICKETS = 24


def run_queue(workdir: Path, index: int, log=print) -> tuple[int, list[str], float]:
    """A supervisor's walk through a queue of QUEUE_TICKETS: (keys, problems, slowest answer)."""
    with queue_database(workdir / f"queue-{index}", "sqlite", QUEUE_TICKETS) as (url, ids):
        with console(url, workdir / f"queue-{index}" / "home") as desk:
            try:
                sign_in(desk, "linus", "3333")
            except AssertionError as error:
                return 0, [f"queue {index}: sign-in failed: {error}"], 0.0
            result = run_queue_review(desk, ids)
        check_queue_decision(url, ids, result)
    log(f"queue {index}: {result.keys} keys, slowest answer {result.slowest:.2f} s, {len(result.problems)} problems")
    return result.keys, [f"queue {index}: {p}" for p in result.problems], result.slowest


def session_calls(index: int, now: datetime):
    chosen = calls(now)
    if index % 2:  # take turns with the end-of-term cancellation on SUB-0003 (C-9)
        chosen[0] = EXPEDITED
    return chosen


def run_session(workdir: Path, index: int, rng: random.Random, log=print) -> tuple[int, int, list[str], int, int]:
    """One console session: returns (calls, keys, problems, keys missed, reviews); a review
    counts as a call."""
    from tickets.store.database import Store

    now = datetime.now(UTC)
    problems: list[str] = []
    with DeskTerminal.demo(workdir / f"session-{index}") as desk:
        if not desk.wait_for("Sign in to the cancellations desk", timeout=60):
            return 0, 0, [f"session {index}: the sign-in screen never showed"], 1, 0
        keys = desk.type("ada", TAB, "1111", ENTER, rng=rng)  # typed while the database opens
        if not desk.wait_for("Ready for the next call", timeout=60):
            return 0, keys, [f"session {index}: sign-in burst did not sign in:\n{desk.text()}"], 1, 0
        chosen = session_calls(index, now)
        results = [run_call(desk, call, rng, now) for call in chosen]
        reviews = [run_review(desk, rng)] if EXPEDITED in chosen else []
        store = Store.from_url(desk.database_url)
        try:
            seen: set[int] = set()
            for result in results:
                check_ticket(store, result.call, result, seen)
            for review in reviews:
                check_review(store, review)
        finally:
            store.dispose()
    results += reviews
    for result in results:
        problems += [f"session {index}: {p}" for p in result.problems]
    missed = sum(r.missed for r in results)
    keys += sum(r.keys for r in results)
    log(f"session {index}: {len(results)} calls ({len(reviews)} review), {keys} keys, {missed} missed")
    return len(results), keys, problems, missed, len(reviews)


def run(workdir: Path, calls_wanted: int = 54, burners: int = 2, seed: int = 1, log=print) -> Figures:
    figures = Figures("type-ahead: whole calls in 0-5 ms bursts on a pty (half loaded)")
    started = time.monotonic()
    rng = random.Random(seed)
    sessions = max(1, -(-calls_wanted // 6))
    keys = missed = loaded_calls = reviewed = queues = 0
    slowest = 0.0
    for index in range(sessions):
        loaded = index >= sessions // 2
        burning = [subprocess.Popen([sys.executable, "-c", BURNER]) for _ in range(burners if loaded else 0)]
        try:
            done, typed, problems, lost, reviews = run_session(workdir, index, rng, log=log)
            queue_keys, queue_problems, queue_slowest = run_queue(workdir, index, log=log)
        finally:
            for process in burning:
                process.kill()
                process.wait()
        figures.runs += done
        loaded_calls += done if loaded else 0
        keys += typed
        missed += lost
        reviewed += reviews
        queues += 1
        keys += queue_keys
        slowest = max(slowest, queue_slowest)
        figures.add(done, problems + queue_problems)
    figures.seconds = time.monotonic() - started
    figures.notes = {"keys typed": keys, "keys misrouted or lost": missed, "supervisor reviews": reviewed,
                     "calls on a loaded machine": f"{loaded_calls} ({burners} CPU burners)",
                     f"review queues walked ({QUEUE_TICKETS} tickets, the 7th decided)": queues,
                     "slowest key answered in the queue": f"{slowest:.2f} s"}
    log(f"{missed} keys misrouted or lost ({keys} keys, {figures.runs} calls, {reviewed} reviews, "
        f"{loaded_calls} loaded); {queues} review queues walked, slowest key {slowest:.2f} s")
    return figures


def main(argv: list[str] | None = None) -> int:
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=54, help="at least this many calls (6 a session)")
    parser.add_argument("--burners", type=int, default=2, help="CPU burner processes for the loaded half")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="deskapp-typeahead-") as tmp:
        figures = run(Path(tmp), args.calls, args.burners, args.seed)
    for failure in figures.failures:
        print(failure)
    print(figures.row())
    return 0 if figures.ok else 1


if __name__ == "__main__":
    sys.exit(main())
