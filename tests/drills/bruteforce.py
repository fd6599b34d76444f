"""Brute-force drill: wrong PINs from several processes at once against one agent, through the
call the console and `deskapp export --agent --pin-stdin` use (tickets.agents.authenticate).

Every process is spawned (its own interpreter and connections), waits at one barrier, then
guesses as fast as it can. Afterwards, on each engine:

- at most 5 PINs were checked before the lock (`agent_sign_in` rows, `agent.sign_in_failed`
  events), however many guesses raced: the slot is taken under the agent's row lock first;
- every other guess was refused as locked (`agent.sign_in_refused`), and the right PIN too;
- 15 minutes later (the clock moves, nobody sleeps) the right PIN signs in; the chain verifies.

    .venv/bin/python tests/drills/bruteforce.py --tries 1000 --processes 4
"""

from __future__ import annotations

import multiprocessing
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import testkit  # noqa: E402
from drills.common import Figures, main_on_engines  # noqa: E402

TARGET, TARGET_PIN = "ada", "1111"


def guesser(url: str, tries: int, index: int, barrier) -> dict:
    from tickets.agents import authenticate
    from tickets.clock import FixedClock
    from tickets.errors import NotAllowed
    from tickets.store.database import Store, make_engine

    store = Store(make_engine(url), FixedClock(testkit.T0))
    counts: Counter[str] = Counter()
    barrier.wait()
    for n in range(tries):
        pin = f"{(index * 100_000 + n) % 10_000:04d}"
        if pin == TARGET_PIN:
            pin = "0000"
        try:
            authenticate(store, name=TARGET, pin=pin)
            counts["signed in"] += 1  # must never happen
        except NotAllowed as error:
            counts["locked" if "locked" in str(error) else "wrong"] += 1
        except Exception as error:  # noqa: BLE001 - anything else is a failure of the drill
            counts[f"error: {type(error).__name__}: {str(error)[:80]}"] += 1
    store.dispose()
    return dict(counts)


def run(url: str, *, backend: str, tries: int = 1000, processes: int = 4, log=print) -> Figures:
    from sqlmodel import func, select

    from tickets.agents import authenticate
    from tickets.audit.chain import verify_chain
    from tickets.errors import NotAllowed
    from tickets.signin import MAX_FAILURES
    from tickets.store.models import AgentSignIn, AuditEvent

    started = time.monotonic()
    figures = Figures(f"brute force ({backend})")
    store = testkit.make_store(url)
    directory = testkit.Directory(store)
    agent_id = directory.agent.id
    context = multiprocessing.get_context("spawn")
    barrier = context.Manager().Barrier(processes)
    per = tries // processes
    with context.Pool(processes) as pool:
        results = pool.starmap(guesser, [(url, per, i, barrier) for i in range(processes)])
    totals: Counter[str] = Counter()
    for result in results:
        totals.update(result)
    with store.read() as session:
        checked = session.exec(
            select(func.count()).select_from(AgentSignIn).where(AgentSignIn.agent_id == agent_id)
        ).one()
        events = Counter(session.exec(select(AuditEvent.action).where(AuditEvent.subject == f"agent:{agent_id}")))

    def expect(ok: bool, problem: str) -> None:
        figures.checks += 1
        if not ok:
            figures.failures.append(problem)

    expect(checked <= MAX_FAILURES, f"{checked} PINs checked before the lock (at most {MAX_FAILURES})")
    expect(
        events["agent.sign_in_failed"] == checked,
        f"{events['agent.sign_in_failed']} failure events for {checked} checks",
    )
    # The guesses that were checked answer "wrong" or, when the lock came meanwhile, "locked";
    # every other one was refused unchecked, each with its event.
    refused = events["agent.sign_in_refused"]
    expect(
        refused == per * processes - checked, f"{refused} refusals for {per * processes - checked} unchecked guesses"
    )
    expect(totals["wrong"] + totals["locked"] == per * processes and totals["wrong"] <= checked,
           f"answers {dict(totals)} for {checked} checks")
    expect(events["agent.locked"] == 1, f"{events['agent.locked']} agent.locked events for one lock")
    expect(totals["signed in"] == 0 and not any(k.startswith("error") for k in totals), f"answers {dict(totals)}")
    try:
        authenticate(store, name=TARGET, pin=TARGET_PIN)
        expect(False, "the right PIN signed in while locked")
    except NotAllowed as error:
        expect("locked" in str(error), f"the right PIN while locked: {error}")
    store.clock.advance(timedelta(minutes=15))
    expect(authenticate(store, name=TARGET, pin=TARGET_PIN).name == TARGET, "the right PIN 15 minutes later")
    with store.read() as session:
        report = verify_chain(session)
    expect(report.ok, str(report))
    store.dispose()
    figures.runs = per * processes
    figures.seconds = time.monotonic() - started
    figures.notes = {"processes": processes, "PINs checked": checked, "refused unchecked": refused,
                     "guesses/s": round(per * processes / max(figures.seconds, 1e-6))}
    log(f"brute force ({backend}): {per * processes} guesses from {processes} processes, {checked} checked, "
        f"{refused} refused unchecked, {figures.seconds:.1f} s")
    return figures


def main(argv: list[str] | None = None) -> int:
    return main_on_engines(argv, __doc__.splitlines()[0], run, tries=1000, prefix="deskapp-bruteforce")


if __name__ == "__main__":
    raise SystemExit(main())
