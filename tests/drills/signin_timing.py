"""Sign-in timing drill: wrong PINs for real and for unknown agent names, from several processes
at once, through the call the console uses (tickets.agents.authenticate).

What an outsider could learn from the answers is whether a name exists: "locked" for a real
name, "do not match" for an unknown one, 8 ms against 250-540 ms, was seen. Here every answer
must be the same text, and the median time for real names within 20 % of the median for
unknown ones: a real name is checked against its hash, or (locked, disabled) against a dummy
one, and an unknown name against the dummy, each one PIN check, with a write.

    .venv/bin/python tests/drills/signin_timing.py --tries 200 --processes 4
"""

from __future__ import annotations

import multiprocessing
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import testkit  # noqa: E402
from drills.common import Figures, main_on_engines  # noqa: E402

REAL = ("ada", "alan", "grace", "linus")  # testkit.Directory's agents
TOLERANCE = 0.20


def guesser(url: str, tries: int, index: int, barrier) -> list[tuple[str, str, float]]:
    """`tries` wrong PINs, real and unknown names in turn: (kind, answer, seconds) each."""
    from tickets.agents import authenticate
    from tickets.clock import FixedClock
    from tickets.errors import NotAllowed
    from tickets.store.database import Store, make_engine

    store = Store(make_engine(url), FixedClock(testkit.T0))
    authenticate_ = authenticate
    seen: list[tuple[str, str, float]] = []
    barrier.wait()
    for n in range(tries):
        real = n % 2 == 0
        # Each process its own real name: the time of an answer, not of waiting for another
        # process's check of the same name (attempts on one name are serialised, tickets.signin).
        name = REAL[index % len(REAL)] if real else f"nobody{index}x{n}"
        began = time.perf_counter()
        try:
            authenticate_(store, name=name, pin="0000")
            answer = "SIGNED IN"
        except NotAllowed as error:
            answer = str(error)
        seen.append(("real" if real else "unknown", answer, time.perf_counter() - began))
    store.dispose()
    return seen


def run(url: str, *, backend: str, tries: int = 200, processes: int = 4, log=print) -> Figures:
    started = time.monotonic()
    figures = Figures(f"sign-in timing ({backend})")
    store = testkit.make_store(url)
    testkit.Directory(store)
    context = multiprocessing.get_context("spawn")
    barrier = context.Manager().Barrier(processes)
    per = tries // processes
    with context.Pool(processes) as pool:
        results = [row for rows in pool.starmap(guesser, [(url, per, i, barrier) for i in range(processes)])
                   for row in rows]
    store.dispose()
    answers = Counter(answer for _, answer, _ in results)
    medians = {kind: statistics.median(t for k, _, t in results if k == kind) for kind in ("real", "unknown")}
    ratio = medians["real"] / medians["unknown"]
    figures.checks = 2
    if len(answers) != 1:
        figures.failures.append(f"{len(answers)} different answers: {dict(answers)}")
    if abs(ratio - 1) > TOLERANCE:
        figures.failures.append(f"real names took {ratio:.2f} times as long as unknown ones (median)")
    figures.runs = len(results)
    figures.seconds = time.monotonic() - started
    figures.notes = {"processes": processes, "answers": len(answers),
                     "median real ms": round(medians["real"] * 1000, 1),
                     "median unknown ms": round(medians["unknown"] * 1000, 1), "ratio": round(ratio, 3)}
    log(f"sign-in timing ({backend}): {len(results)} wrong PINs from {processes} processes, "
        f"{len(answers)} answer(s), median {medians['real'] * 1000:.1f} ms real / "
        f"{medians['unknown'] * 1000:.1f} ms unknown (ratio {ratio:.2f})")
    return figures


def main(argv: list[str] | None = None) -> int:
    return main_on_engines(argv, __doc__.splitlines()[0], run, tries=200, prefix="deskapp-signin-timing")


if __name__ == "__main__":
    raise SystemExit(main())
