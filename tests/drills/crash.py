"""Crash drill: SIGKILL a process in the middle of filing, at random points, many times in a row
on one SQLite database; after every kill the database must be whole.

The database is prepared once (testkit's directory plus 40 Intune subscriptions). Each run
forks a child (a real process: the kill is a real SIGKILL, the OS drops its locks, SQLite
recovers the WAL on the next open) that starts a call, verifies the caller, says "ready" on a
pipe, then loops: file an early cancellation on a free subscription, withdraw it, again.
Before and after each step it appends a line to a report file and fsyncs it, so the parent
knows what the child had been *told* was done. The parent sleeps a random 0-50 ms after
"ready", kills the child, then checks:

- PRAGMA integrity_check is "ok";
- every invariant of drills.common.check_invariants (chain verifies, every ticket has exactly
  one ticket.filed event and the status its last event says, C-9, X-2, V-5);
- every filing the child reported done ("filed KEY REF") is there with that key, and every
  withdrawal reported done is withdrawn (durability: synchronous=FULL, WAL);
- a filing cut off between "begin" and "filed" left all of it or none of it; the next child
  retries it with the same key (T-3) and must get the committed ticket back (replayed) if the
  database has it, or a new one if it has not.
Open tickets left by a kill between "filed" and "withdrawn" are withdrawn by the next child.

    .venv/bin/python tests/drills/crash.py --runs 200
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing
import os
import random
import select
import sys
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlmodel import col  # noqa: E402
from sqlmodel import select as sql_select

import testkit  # noqa: E402
from drills.common import (  # noqa: E402
    EARLY_CHECKLIST,
    DrillDirectory,
    Figures,
    caller_claim,
    check_invariants,
    sqlite_integrity,
)

# Imported here, not in the child: a forked child starts with them loaded (milliseconds).
from tickets.agents import get_agent  # noqa: E402
from tickets.clock import FixedClock  # noqa: E402
from tickets.enums import ACTIVE_STATUSES, TicketKind, TicketStatus  # noqa: E402
from tickets.filing import file_ticket  # noqa: E402
from tickets.kinds import CANCELLATION_KINDS  # noqa: E402
from tickets.lifecycle import transition  # noqa: E402
from tickets.store.database import Store, make_engine  # noqa: E402
from tickets.store.models import Subscription, Ticket  # noqa: E402
from tickets.verification import start_call, verify_caller  # noqa: E402

SUBSCRIPTIONS = 40
MAX_DELAY = 0.050  # seconds after "ready"


class WallClock:
    """testkit.T0 moved on by real time: the same "now" in every process, always increasing,
    so that verifications stay live (60 minutes, V-7) and events keep their order."""

    def __init__(self, epoch: float) -> None:
        self.epoch = epoch

    def now(self) -> datetime:
        return testkit.T0 + timedelta(seconds=time.time() - self.epoch)


def request_for(key: str, sub_ref: str):
    """The filing for `key`, rebuilt identically by a retry (T-3 compares the content)."""
    from tickets.filing import FilingRequest

    size = int(hashlib.sha256(key.encode()).hexdigest()[:4], 16) % 1500
    reason = ("drill filing " + key + " " + "moving to another provider " * 60)[: 20 + size]
    return FilingRequest(
        kind=TicketKind.CANCEL_EARLY, subscription_ref=sub_ref, idempotency_key=key,
        reason=reason.strip(), confirmed=EARLY_CHECKLIST,
    )


# --- the child -------------------------------------------------------------------------------


def _child(url: str, epoch: float, agent_id: int, org_id: int, run: int, free: list[str],
           retries: list[tuple[str, str]], leftovers: list[int], report_path: str, ready_fd: int) -> None:
    fd = os.open(report_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)

    def report(line: str) -> None:
        os.write(fd, (line + "\n").encode())
        os.fsync(fd)

    try:
        _child_work(url, epoch, agent_id, org_id, run, free, retries, leftovers, report, ready_fd)
    except BaseException as error:  # noqa: BLE001 - say why before dying
        import traceback

        report("error " + " | ".join(traceback.format_exception(error)[-3:]).replace("\n", " "))
        raise


def _child_work(url, epoch, agent_id, org_id, run, free, retries, leftovers, report, ready_fd) -> None:
    store = Store(make_engine(url), WallClock(epoch))
    agent = get_agent(store, agent_id)
    call_id = start_call(store, agent)
    verification = verify_caller(store, agent=agent, organization_id=org_id, claim=caller_claim(), call_id=call_id)
    assert verification.passed

    def withdraw(ticket_id: int, ref: str) -> None:
        report(f"withdrawing {ref}")
        transition(
            store,
            actor=agent,
            ticket_id=ticket_id,
            to=TicketStatus.WITHDRAWN,
            reason="drill: caller changed their mind",
        )
        report(f"withdrawn {ref}")

    for key, sub_ref in retries:
        report(f"begin {key} {sub_ref}")
        result = file_ticket(
            store, agent=agent, verification_id=verification.verification_id, request=request_for(key, sub_ref)
        )
        filed = result.filed[0]
        report(f"{'replayed' if result.replayed else 'filed'} {key} {filed.ref}")
        if filed.status is not TicketStatus.WITHDRAWN:
            try:
                withdraw(filed.id, filed.ref)
            except Exception as error:  # noqa: BLE001 - already withdrawn by a leftover sweep
                report(f"note {type(error).__name__}")
    for ticket_id in leftovers:
        withdraw(ticket_id, f"TK-{ticket_id:06d}")
    n = 0
    while n < 500:
        if n == 1:  # one filing and withdrawal done: every statement compiled, steady state
            report("ready")
            os.write(ready_fd, b"r")
        sub_ref = free[n % len(free)]
        key = f"r{run}-{n}"
        report(f"begin {key} {sub_ref}")
        result = file_ticket(
            store, agent=agent, verification_id=verification.verification_id, request=request_for(key, sub_ref)
        )
        filed = result.filed[0]
        report(f"filed {key} {filed.ref}")
        withdraw(filed.id, filed.ref)
        n += 1
    report("done")


# --- the parent ------------------------------------------------------------------------------


def _read_report(path: Path) -> list[list[str]]:
    if not path.exists():
        return []
    return [line.split() for line in path.read_text().splitlines() if line.strip()]


def _database_state(url: str) -> tuple[list[str], list[tuple[int, str]], dict[str, tuple[int, str, str]]]:
    """(free subscription refs, open tickets (id, key), key -> (ticket id, ref, status))."""
    store = Store(make_engine(url), FixedClock(testkit.T0))
    try:
        with store.read() as session:
            busy = set(
                session.exec(
                    sql_select(Ticket.subscription_id).where(
                        col(Ticket.kind).in_([k.value for k in CANCELLATION_KINDS]),
                        col(Ticket.status).in_([s.value for s in ACTIVE_STATUSES]),
                    )
                )
            )
            subs = session.exec(
                sql_select(Subscription.id, Subscription.ref).where(col(Subscription.ref).startswith("SUB-D"))
            ).all()
            free = [ref for sub_id, ref in subs if sub_id not in busy]
            rows = session.exec(sql_select(Ticket.id, Ticket.idempotency_key, Ticket.status)).all()
    finally:
        store.dispose()
    by_key = {key: (tid, f"TK-{tid:06d}", status) for tid, key, status in rows}
    open_ids = [(tid, key) for tid, key, status in rows if status in ("open", "pending_review", "approved")]
    return free, open_ids, by_key


def run(workdir: Path, *, runs: int = 200, seed: int = 1, max_delay: float = MAX_DELAY, log=print) -> Figures:
    started = time.monotonic()
    figures = Figures("crash (SQLite, SIGKILL while filing)")
    rng = random.Random(seed)
    workdir.mkdir(parents=True, exist_ok=True)
    url = testkit.SqliteTemplate(workdir).new_url(workdir)
    db_path = Path(url.removeprefix("sqlite:///"))
    epoch = time.time()
    store = Store(make_engine(url), WallClock(epoch))
    directory = DrillDirectory(store, extra_subscriptions=SUBSCRIPTIONS)
    agent_id, org_id = directory.agent.id, directory.org.id
    store.dispose()

    context = multiprocessing.get_context("fork")  # a real process, started in milliseconds
    phases: Counter[str] = Counter()
    reported = retried = replayed = 0
    retries: list[tuple[str, str]] = []
    for run_no in range(runs):
        free, open_tickets, before = _database_state(url)
        retry_keys = {key for key, _ in retries}
        leftovers = [tid for tid, key in open_tickets if key not in retry_keys]
        if not free:
            figures.failures.append(f"run {run_no}: no free subscription left")
            break
        report_path = workdir / f"report-{run_no}.txt"
        ready_r, ready_w = os.pipe()
        child = context.Process(
            target=_child,
            args=(url, epoch, agent_id, org_id, run_no, free, retries, leftovers, str(report_path), ready_w),
            daemon=True,
        )
        child.start()
        os.close(ready_w)
        readable, _, _ = select.select([ready_r], [], [], 60)
        os.close(ready_r)
        if not readable:
            child.kill()
            child.join()
            figures.failures.append(f"run {run_no}: the child never got ready (exit code {child.exitcode})")
            continue
        time.sleep(rng.uniform(0, max_delay))
        child.kill()
        child.join()
        figures.runs += 1
        if child.exitcode == -9:
            figures.kills += 1
        else:
            figures.failures.append(
                f"run {run_no}: the child ended by itself (exit code {child.exitcode}) before the kill"
            )

        lines = _read_report(report_path)
        report_path.unlink(missing_ok=True)
        last = lines[-1][0] if lines else "setup"
        phases[{"ready": "after setup", "begin": "mid-filing", "filed": "after filing", "replayed": "after filing",
                 "withdrawing": "mid-withdrawal", "withdrawn": "after withdrawal"}.get(last, last)] += 1

        integrity = sqlite_integrity(db_path)
        figures.checks += 1
        if integrity != "ok":
            figures.failures.append(f"run {run_no}: integrity_check: {integrity}")
        checks, problems = check_invariants(Store(make_engine(url), FixedClock(testkit.T0)))
        figures.add(checks, problems, f"run {run_no}: ")
        _, _, after = _database_state(url)

        # Durability: what the child was told is done, is done.
        begun: dict[str, str] = {}
        done: set[str] = set()
        for parts in lines:
            if parts[0] == "begin":
                begun[parts[1]] = parts[2]
            elif parts[0] in ("filed", "replayed"):
                key, ref = parts[1], parts[2]
                done.add(key)
                reported += 1
                figures.checks += 1
                if after.get(key, (None, None))[1] != ref:
                    figures.failures.append(
                        f"run {run_no}: reported {parts[0]} {key} {ref}, the database has {after.get(key)}"
                    )
                if key in before:
                    retried += 1
                    figures.checks += 1
                    if parts[0] != "replayed" or before[key][1] != ref:
                        figures.failures.append(
                            f"run {run_no}: T-3: retry of {key} gave {parts[0]} {ref},"
                            f" first filing was {before[key][1]}"
                        )
                    replayed += parts[0] == "replayed"
                elif any(k == key for k, _ in retries):
                    retried += 1
            elif parts[0] == "withdrawn":
                figures.checks += 1
                if not any(ref == parts[1] and status == "withdrawn" for _, ref, status in after.values()):
                    figures.failures.append(f"run {run_no}: reported withdrawn {parts[1]}, the database disagrees")
        # A filing cut off mid-way: all or nothing (check_invariants saw no half ticket); retry it.
        retries = [(key, sub) for key, sub in begun.items() if key not in done]
        if run_no % 20 == 0 or figures.failures:
            log(f"crash run {run_no + 1}/{runs}: last step {last!r}, {len(after)} tickets, "
                f"{len(figures.failures)} failures")
        if len(figures.failures) > 20:
            break
    figures.seconds = time.monotonic() - started
    figures.notes = {
        "killed": ", ".join(f"{k} {v}" for k, v in sorted(phases.items())),
        "reported filings verified": reported,
        "cut-off filings retried": retried,
        "of which replayed": replayed,
    }
    return figures


def main(argv: list[str] | None = None) -> int:
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="deskapp-crash-"))
    figures = run(workdir, runs=args.runs, seed=args.seed)
    from drills.common import markdown

    print(markdown([figures]))
    for failure in figures.failures:
        print("FAILURE:", failure)
    return 0 if figures.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
