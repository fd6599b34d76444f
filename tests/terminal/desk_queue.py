"""A supervisor's review queue on a pseudo-terminal: a database holding the demo directory and
a queue of N pending tickets (testkit.seed_review_queue), on SQLite or PostgreSQL, and the real
`deskapp --db URL` on it, read back through pyte as desk_terminal does.

    with queue_database(tmp_path, "sqlite", 24) as (url, ids):
        with console(url, tmp_path) as desk:
            sign_in(desk, "linus", "3333")
            desk.type("r")
            assert shows_ticket(desk, ids[0])
"""

from __future__ import annotations

import os
import random
import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from desk_terminal import DOWN, END, ENTER, ESC, HOME, PAGE_DOWN, TAB, UP, DeskTerminal

TESTS = Path(__file__).resolve().parents[1]
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

import testkit  # noqa: E402

HOME_SCREEN = "Ready for the next call"
ANSWER_S = 1.0  # a key is answered within this, at load 0


def answer_limit(contention: float | None = None) -> float:
    """ANSWER_S on an idle machine; on a busy one (the suite in parallel, other work) as many
    times more as processes wait for each core: the promise is made at load 0, and a frozen
    console never answers at all. `contention` is what `Answer` sampled while the key was
    answered; without it, the 1-minute load average (which lags a burst by tens of seconds)."""
    if contention is None:
        contention = os.getloadavg()[0] / (os.cpu_count() or 1)
    return ANSWER_S * max(1.0, contention)


def runnable_per_core() -> float:
    """Processes running or ready to run now, per core (/proc/loadavg's fourth field; the
    sampling process counts itself)."""
    running = Path("/proc/loadavg").read_text().split()[3].split("/")[0]
    return int(running) / (os.cpu_count() or 1)


def needs_engine(backend: str) -> str:
    """The engine of the test (tests/conftest.py `backend`); PostgreSQL must answer (under
    CI=true an unreachable one fails, as in tests/conftest.py)."""
    if backend != "sqlite":
        import pytest

        problem = testkit.postgres_reachable()
        if problem:
            if os.environ.get("CI") == "true":
                pytest.fail(problem)
            pytest.skip(problem)
    return backend


@contextmanager
def queue_database(tmp_path: Path, engine: str, pending: int, *, now: datetime | None = None,
                   **seed) -> Iterator[tuple[str, list[int]]]:
    """A database with the demo directory and agents and `pending` tickets waiting for review;
    yields its URL and the tickets' ids, oldest first. PostgreSQL: a database of its own."""
    from tickets.clock import FixedClock
    from tickets.demo import create_demo_store, seed_demo
    from tickets.store.database import Store

    now = now or datetime.now(UTC)
    postgres = None
    if engine == "sqlite":
        path = tmp_path / "queue.db"
        store = create_demo_store(path, FixedClock(now))
        url = f"sqlite:///{path}"
    else:
        postgres = testkit.PostgresDatabase()
        url = postgres.url
        store = Store.from_url(url, FixedClock(now))
        seed_demo(store, now)
    try:
        ids = testkit.seed_review_queue(store, pending, now=now, **seed) if pending else []
    finally:
        store.dispose()
    try:
        yield url, ids
    finally:
        if postgres is not None:
            postgres.drop()


@contextmanager
def console(url: str, home: Path, *extra: str, cols: int = 100, rows: int = 30) -> Iterator[DeskTerminal]:
    """`deskapp --db URL` on a pseudo-terminal, its per-user files under `home`."""
    home.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, XDG_DATA_HOME=str(home / "data"), XDG_CONFIG_HOME=str(home / "config"),
               XDG_STATE_HOME=str(home / "state"), TERM="xterm-256color", COLUMNS=str(cols), LINES=str(rows))
    for name in ("DESKAPP_DATABASE_URL", "DESKAPP_CONFIG"):
        env.pop(name, None)
    deskapp = str(Path(sys.executable).with_name("deskapp"))
    terminal = DeskTerminal([deskapp, "--db", url, *extra], env, cols, rows)
    terminal.database_url = url
    try:
        yield terminal
    finally:
        terminal.close()


def sign_in(desk: DeskTerminal, name: str, pin: str) -> None:
    assert desk.wait_for("Sign in to the cancellations desk", timeout=60), desk.text()
    desk.type(name, TAB, pin, ENTER)
    assert desk.wait_for(HOME_SCREEN, timeout=60), desk.text()


def ref(ticket_id: int) -> str:
    from tickets.store.models import ticket_ref

    return ticket_ref(ticket_id)


def shown_ticket(desk: DeskTerminal) -> str | None:
    """The ticket the review queue's detail pane shows (its title line `TK-… · kind`), or None
    while it reads one ("Loading…")."""
    text = desk.text()
    if "Loading…" in text:
        return None
    found = re.search(r"(TK-\d+) · ", text)
    return found.group(1) if found else None


def shows_ticket(desk: DeskTerminal, ticket_id: int, timeout: float = 10.0) -> bool:
    """The detail pane shows `ticket_id` and the footer offers its decision keys."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if shown_ticket(desk) == ref(ticket_id) and "a Approve" in desk.text():
            return True
        time.sleep(0.02)
    return False


@dataclass
class Answer:
    """How long keys took to be answered (None: never, within the timeout), and the limit they
    are held to: ANSWER_S times the contention sampled while waiting for them."""

    seconds: float | None
    contention: float

    @property
    def limit(self) -> float:
        return answer_limit(self.contention)

    @property
    def late(self) -> bool:
        return self.seconds is None or self.seconds > self.limit

    def __str__(self) -> str:
        took = "never" if self.seconds is None else f"{self.seconds:.2f} s"
        return f"{took} (limit {self.limit:.1f} s, {self.contention:.1f} runnable a core)"


def answer(desk: DeskTerminal, keys: tuple[str, ...], done, timeout: float = 10.0) -> Answer:
    """Type `keys` and wait until `done(desk)` holds, sampling how busy the machine is meanwhile."""
    started = time.monotonic()
    desk.type(*keys, max_gap_ms=0)
    samples: list[float] = []
    while time.monotonic() - started < timeout:
        samples.append(runnable_per_core())
        if done(desk):
            return Answer(time.monotonic() - started, sum(samples) / len(samples))
        time.sleep(0.01)
    return Answer(None, sum(samples) / max(1, len(samples)))


def answered_in(desk: DeskTerminal, keys: tuple[str, ...], done, timeout: float = 10.0) -> float | None:
    """Seconds from typing `keys` until `done(desk)` holds, or None if it never did."""
    return answer(desk, keys, done, timeout).seconds


def back_home(desk: DeskTerminal) -> Answer:
    """Esc from a screen, until the home screen shows."""
    return answer(desk, (ESC,), lambda d: HOME_SCREEN in d.text())


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process has used (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def idle_cpu_share(desk: DeskTerminal, seconds: float = 1.0) -> float:
    """The share of one core the console uses while nobody types (the live queue polls 4 times
    a second; a loop of reloads burns a whole core)."""
    before = cpu_seconds(desk.pid)
    time.sleep(seconds)  # measuring use over wall time, not waiting for a rule
    return (cpu_seconds(desk.pid) - before) / seconds


# --- a supervisor working through the queue (the pty test and the type-ahead drill) -----------

MOVES = (  # (name, keys, index of the ticket it lands on; None: somewhere below the first screenful)
    ("End", (END,), -1), ("Home", (HOME,), 0), ("PageDown", (PAGE_DOWN,), None), ("Home", (HOME,), 0),
    ("Down x8", (DOWN,) * 8, 8), ("Up x2", (UP, UP), 6),
)
DECIDED = 6  # the 7th ticket of the queue


@dataclass
class QueueResult:
    keys: int = 0
    slowest: float = 0.0  # seconds, the slowest key (or burst) answered
    problems: list[str] = field(default_factory=list)


def _lands(ids: list[int], index: int | None, before: str | None):
    if index is None:  # a page further: some ticket other than the one before
        def done(d: DeskTerminal) -> bool:
            shown = shown_ticket(d)
            return shown is not None and shown != before and "a Approve" in d.text()
    else:
        def done(d: DeskTerminal) -> bool:
            return shown_ticket(d) == ref(ids[index]) and "a Approve" in d.text()
    return done


def run_queue_review(desk: DeskTerminal, ids: list[int]) -> QueueResult:
    """From the home screen of a signed-in supervisor, with `ids` (20 or more) waiting: `r`,
    End, Home, PageDown, Home, Down x8, Up x2 (each answered within answer_limit() with its
    ticket's detail), `a` `y` on the 7th, Esc home; then `r` again and Down held for 2 s
    (60 keys at 30 a second), which stops on the last ticket, and Esc home."""
    result = QueueResult()

    def timed(name: str, keys: tuple[str, ...], done, timeout: float = 10.0) -> None:
        answered = answer(desk, keys, done, timeout=timeout)
        result.keys += len(keys)
        if answered.seconds is None:
            result.problems.append(f"queue: {name} never answered:\n{desk.text()}")
            return
        result.slowest = max(result.slowest, answered.seconds)
        if answered.late:
            result.problems.append(f"queue: {name} answered in {answered}")

    timed("r", ("r",), _lands(ids, 0, None), timeout=30)
    for name, keys, index in MOVES:
        timed(name, keys, _lands(ids, index, shown_ticket(desk)))
    timed("a", ("a",), lambda d: f"Approve {ref(ids[DECIDED])}?" in d.text())
    timed("y", ("y",), lambda d: f"{ref(ids[DECIDED])} approved at" in d.text())
    timed("Esc", (ESC,), lambda d: HOME_SCREEN in d.text())
    timed("r", ("r",), _lands(ids, 0, None), timeout=30)
    desk.type(*(DOWN,) * 60, rng=random.Random(len(ids)), max_gap_ms=2 * 1000 / 30)  # held: 2 s
    result.keys += 60
    if not shows_ticket(desk, ids[-1], timeout=10):
        result.problems.append(f"queue: Down held did not stop on the last ticket:\n{desk.text()}")
    timed("Esc after Down held", (ESC,), lambda d: HOME_SCREEN in d.text())
    return result


def check_queue_decision(url: str, ids: list[int], result: QueueResult) -> None:
    """In the database: the 7th ticket approved by linus, every other one still waiting."""
    from tickets.enums import TicketStatus
    from tickets.store.database import Store
    from tickets.store.queries import ticket_detail

    store = Store.from_url(url)
    try:
        details = {tid: ticket_detail(store, tid) for tid in ids}
    finally:
        store.dispose()
    decided = [tid for tid, d in details.items() if d.row.status is not TicketStatus.PENDING_REVIEW]
    if decided != [ids[DECIDED]]:
        result.problems.append(f"queue: decided {[ref(t) for t in decided]}, expected {ref(ids[DECIDED])}")
    elif (details[ids[DECIDED]].row.status, details[ids[DECIDED]].decided_by) != (TicketStatus.APPROVED,
                                                                                  "Linus Pauling"):
        result.problems.append(f"queue: {ref(ids[DECIDED])} is {details[ids[DECIDED]].row.status.label}, "
                               f"decided by {details[ids[DECIDED]].decided_by!r}")
