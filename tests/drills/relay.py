"""Relay drill: tickets filed while `deskapp relay` processes are killed with SIGKILL and the
webhook receiver is down; afterwards every event reached the receiver's application exactly
once (0 lost, 0 twice), every outbox row is delivered, nothing parked, the chain verifies.

Two real `deskapp relay` processes (real clock, a lease of 6 s) deliver to a receiver on
127.0.0.1 (tests/drills/receiver.py: it checks each signature and hands each event to its
application once, by the Idempotency-Key). While this process files the tickets, a killer
SIGKILLs a random relay at evenly spread moments (and starts a new one), and the receiver stops
listening for `outage` seconds a third of the way through. Redeliveries (a relay killed after
sending, before writing the outcome) reach the receiver again with the same key and are counted.

    .venv/bin/python tests/drills/relay.py [--tickets 1000] [--kills 20] [--outage 30] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import threading
import time
import tomllib
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text  # noqa: E402

from drills.common import DrillDirectory, Figures, check_invariants, engine_urls  # noqa: E402
from drills.receiver import Receiver  # noqa: E402
from tickets.clock import SystemClock  # noqa: E402
from tickets.enums import TicketKind  # noqa: E402
from tickets.filing import FilingRequest, file_ticket  # noqa: E402
from tickets.handoff import outbox  # noqa: E402
from tickets.handoff.relay import Relay  # noqa: E402
from tickets.handoff.settings import handoff_settings  # noqa: E402
from tickets.store.database import Store, make_engine  # noqa: E402

SECRET = b"relay-drill-secret-0123456789"
EARLY = frozenset({"remove_domains", "update_dns", "save_data"})


def _config(workdir: Path, url: str) -> Path:
    secret = workdir / "hook.secret"
    secret.write_bytes(SECRET + b"\n")
    os.chmod(secret, 0o600)
    config = workdir / "config.toml"
    config.write_text(f'[handoff]\ntimeout = "2s"\nlease = "6s"\n\n[[handoff.webhook]]\nname = "billing"\n'
                      f'url = "{url}"\nsecret_file = "hook.secret"\nretry_for = "1h"\n', encoding="utf-8")
    return config


class Relays:
    """`deskapp relay` processes, killed and replaced."""

    def __init__(self, workdir: Path, config: Path, url: str, count: int) -> None:
        self.command = [sys.executable, "-m", "deskapp.cli", "relay", "--config", str(config), "--db", url,
                        "--idle", "0.2"]
        self.workdir = workdir
        self.started = 0
        self.logs: dict[int, Path] = {}
        self.processes = [self._start() for _ in range(count)]

    def _start(self) -> subprocess.Popen:
        self.started += 1
        path = self.workdir / f"relay-{self.started}.log"
        with path.open("w") as log:
            process = subprocess.Popen(self.command, stdout=log, stderr=subprocess.STDOUT, cwd=self.workdir)
        self.logs[process.pid] = path
        return process

    def ready(self, process: subprocess.Popen) -> bool:
        """Started: it has checked its config and recorded the destinations (its first line)."""
        return self.logs[process.pid].stat().st_size > 0

    def wait_ready(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not all(self.ready(p) for p in self.processes):
            time.sleep(0.05)

    def kill(self, victim: subprocess.Popen) -> int:
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        self.processes[self.processes.index(victim)] = self._start()
        return victim.pid

    def stop(self) -> list[str]:
        """SIGTERM to each; what went wrong: a relay that had ended by itself (not killed here)."""
        problems = [f"a relay ended by itself with {p.returncode} (log: relay-*.log in {self.workdir})"
                    for p in self.processes if p.poll() is not None]
        for process in self.processes:
            process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                problems.append("a relay did not stop on SIGTERM within 30 s")
        return problems


def _held_by(store: Store, pid: int) -> int:
    with store.read() as session:
        return int(session.execute(text(
            "SELECT count(*) FROM handoff_outbox WHERE state = 'pending' AND lease_owner LIKE :p"),
            {"p": f"%:{pid}:%"}).scalar_one())


def _killer(store: Store, pool: Relays, rng: random.Random, kill_at: list[int], filed: list[int],
            held_at_kill: list[int]) -> None:
    """SIGKILL a relay each time the filings pass the next of `kill_at`, at a moment it holds rows
    when it gets any within 3 s (between sending and writing the outcome, most often); the rows it
    held then are counted."""
    for threshold in kill_at:
        while filed[0] < threshold:
            time.sleep(0.01)
        pool.wait_ready()  # a relay still starting up holds nothing: kill one at work
        victim = pool.processes[rng.randrange(len(pool.processes))]
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and not _held_by(store, victim.pid):
            time.sleep(0.005)
        time.sleep(rng.uniform(0, 0.03))
        held_at_kill.append(_held_by(store, pool.kill(victim)))


def run(workdir: Path, url: str, *, tickets: int = 1000, kills: int = 20, outage: float = 30.0, relays: int = 2,
        seed: int = 1, drain_timeout: float = 600.0, log=print) -> Figures:
    began = time.monotonic()
    engine = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    figures = Figures(f"relay: SIGKILL and a receiver outage while filing ({engine})")
    rng = random.Random(seed)
    store = Store(make_engine(url), SystemClock())
    directory = DrillDirectory(store, extra_subscriptions=tickets)
    verification = directory.verified()
    with Receiver(SECRET, lambda: int(time.time()), latency=0.02) as receiver:
        config = _config(workdir, receiver.url)
        settings = handoff_settings(tomllib.loads(config.read_text())["handoff"], workdir)
        Relay(store, settings).start()  # the destination is known before the first filing
        pool = Relays(workdir, config, url, relays)
        pool.wait_ready()
        filed = [0]
        held_at_kill: list[int] = []
        kill_at = sorted(rng.sample(range(1, tickets), min(kills, tickets - 1)))
        killer = threading.Thread(target=_killer, args=(store, pool, rng, kill_at, filed, held_at_kill), daemon=True)
        killer.start()
        try:
            outage_at, outage_over = tickets // 3, None
            for n in range(tickets):
                file_ticket(store, agent=directory.agent, verification_id=verification, request=FilingRequest(
                    kind=TicketKind.CANCEL_EARLY, subscription_ref=directory.sub_refs[n],
                    idempotency_key=f"relay-drill-{n}", confirmed=EARLY))
                filed[0] += 1
                if n == outage_at:
                    receiver.go_down()
                    outage_over = time.monotonic() + outage
                if outage_over is not None and time.monotonic() >= outage_over:
                    receiver.come_back()
                    outage_over = None
            killer.join()
            if outage_over is not None:
                time.sleep(max(0.0, outage_over - time.monotonic()))
                receiver.come_back()
            deadline = time.monotonic() + drain_timeout
            while time.monotonic() < deadline:
                pending = sum(c.pending for c in outbox.counts(store))
                if pending == 0:
                    break
                time.sleep(0.5)
        finally:
            stopped = pool.stop()
    counts = outbox.counts(store)
    with store.read() as session:
        keys = set(session.execute(text("SELECT event_key FROM handoff_outbox")).scalars())
        filings = session.execute(text("SELECT count(*) FROM audit_event WHERE action = 'ticket.filed'")).scalar_one()
        attempts = session.execute(text(
            "SELECT count(*) FROM audit_event WHERE action LIKE 'handoff.%' AND action <> 'handoff.destinations'"
        )).scalar_one()
    applied = receiver.applied
    lost = keys - set(applied)
    twice = [k for k, n in applied.items() if n > 1]
    problems = list(stopped)
    if len(keys) != filings or filings != tickets:
        problems.append(f"{filings} filings of {tickets}, {len(keys)} outbox rows")
    if lost:
        problems.append(f"{len(lost)} events never reached the application")
    if twice:
        problems.append(f"{len(twice)} events reached the application twice")
    if set(applied) - keys:
        problems.append("the application got events the outbox never held")
    if any(c.pending or c.parked for c in counts):
        problems.append(f"left: {[(c.name, c.pending, c.parked) for c in counts]}")
    if receiver.bad_signatures:
        problems.append(f"{receiver.bad_signatures} requests with a bad signature")
    figures.add(5 + len(keys), problems)
    checks, more = check_invariants(store)
    figures.add(checks, more, "invariants: ")
    store.dispose()
    redelivered = sum(receiver.posts.values()) - len(receiver.posts)
    figures.runs, figures.kills = tickets, len(held_at_kill)
    figures.seconds = time.monotonic() - began
    figures.notes = {"events": len(keys), "lost": len(lost), "twice to the application": len(twice),
                     "redelivered (deduplicated by key)": redelivered,
                     "kills with rows leased": sum(1 for h in held_at_kill if h),
                     "audited attempts": attempts, "receiver down (s)": outage, "relays": relays}
    log(f"{figures.drill}: {figures.notes}, {len(figures.failures)} failures, {figures.seconds:.0f} s")
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1000)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--outage", type=float, default=30.0)
    parser.add_argument("--relays", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args(argv)
    results = [run(workdir, url, tickets=args.tickets, kills=args.kills, outage=args.outage,
                   relays=args.relays, seed=args.seed)
               for workdir, url in engine_urls(args.backends, "deskapp-relay")]
    from drills.common import markdown

    print(markdown(results))
    return 0 if all(f.ok for f in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
