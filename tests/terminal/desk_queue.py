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
import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from desk_terminal import ENTER, ESC, TAB, DeskTerminal

TESTS = Path(__file__).resolve().parents[1]
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

import testkit  # noqa: E402

HOME_SCREEN = "Ready for the next call"
ANSWER_S = 1.0  # a key is answered within this, at load 0


def answer_limit() -> float:
    """ANSWER_S on an idle machine; on a loaded one (the suite in parallel, other work) as many
    times more as processes wait for each core: the promise is made at load 0, and a frozen
    console never answers at all."""
    waiting = os.getloadavg()[0] / (os.cpu_count() or 1)
    return ANSWER_S * max(1.0, waiting)


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


def answered_in(desk: DeskTerminal, keys: tuple[str, ...], done, timeout: float = 10.0) -> float | None:
    """Seconds from typing `keys` until `done(desk)` holds, or None if it never did."""
    started = time.monotonic()
    desk.type(*keys, max_gap_ms=0)
    while time.monotonic() - started < timeout:
        if done(desk):
            return time.monotonic() - started
        time.sleep(0.01)
    return None


def back_home(desk: DeskTerminal) -> float | None:
    """Esc from a screen: seconds until the home screen shows."""
    return answered_in(desk, (ESC,), lambda d: HOME_SCREEN in d.text())


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
