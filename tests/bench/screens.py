"""Target 4: pages of 50 and the ticket view on the big database, and opening those screens.

4a/4b. `tickets.store.queries.review_queue` / `list_tickets` (an agent's own tickets, newest first)
       against the stdlib `sqlite3` sending the very statements they send (seen by the driver's
       trace callback, values inlined) and fetching their rows.
4e.    `tickets.store.queries.ticket_detail` (the ticket view) against the same, its transaction's
       BEGIN and ROLLBACK included: measured beside the targets (there is no target for it).
       CPU time, subject and baseline in turns in this process, each run 40 calls.
4c/4d. Opening those screens in the console (Textual `run_test`, signed in with keys, from the
       home screen: push the screen, until the first paint that shows the first page of rows)
       with the big database, against the same with the small one (1,000 tickets).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from common import Result, RunningClock, Spread, paired, raw_connection, sqlite_url
from generate import PIN


def _agent_ids(path: Path) -> tuple[int, int]:
    conn = raw_connection(path)
    try:
        agent = conn.execute("SELECT id FROM agent WHERE name = 'agent001'").fetchone()[0]
        supervisor = conn.execute("SELECT id FROM agent WHERE name = 'super001'").fetchone()[0]
    finally:
        conn.close()
    return agent, supervisor


def _traced(store, call) -> list[str]:
    """The statements `call` sends to sqlite3, as the driver runs them (its trace callback sees
    raw DBAPI statements as well as SQLAlchemy's), a transaction's BEGIN and ROLLBACK too: the
    baseline sends the same statements."""
    seen: list[str] = []
    connection = store.engine.raw_connection()
    try:
        connection.driver_connection.set_trace_callback(seen.append)
    finally:
        connection.close()  # back to the pool: the store's next read takes this one (one thread)
    try:
        call()
    finally:
        connection = store.engine.raw_connection()
        connection.driver_connection.set_trace_callback(None)
        connection.close()
    return seen


def bench_queries(path: Path, *, repeat: int = 9, inner: int = 40) -> list[Result]:
    """4a/4b/4e: CPU time of the call against sqlite3 running the same SELECTs and fetching their rows,
    in turns in this process."""
    from tickets.store.database import Store, make_engine
    from tickets.store.queries import list_tickets, review_queue, ticket_detail

    store = Store(make_engine(sqlite_url(path)), RunningClock())
    agent_id, _ = _agent_ids(path)
    conn = raw_connection(path)
    tickets = conn.execute("SELECT count(*) FROM ticket").fetchone()[0]
    waiting = conn.execute("SELECT max(id) FROM ticket WHERE status = 'pending_review'").fetchone()[0]
    results = []
    cases = (
        ("4a", "Review queue, first page of 50", "tickets.store.queries.review_queue", lambda: review_queue(store)),
        ("4b", "Ticket list (an agent's), first page of 50", "tickets.store.queries.list_tickets",
         lambda: list_tickets(store, filed_by_id=agent_id)),
        ("4e", "Ticket view (the ticket, its people, verification and history)", "tickets.store.queries.ticket_detail",
         lambda: ticket_detail(store, waiting)),
    )
    for number, name, label, call in cases:
        statements = _traced(store, call)
        selects = sum(1 for sql in statements if sql.lstrip().upper().startswith("SELECT"))
        if not selects:
            raise RuntimeError(f"{label} sent no SELECT")

        def raw(statements: list[str] = statements) -> list:
            return [conn.execute(sql).fetchall() for sql in statements]

        fetched = sum(len(rows) for rows in raw())
        subject, baseline = paired(call, raw, repeat, warmup=3, inner=inner)
        results.append(Result.from_spreads(
            number, f"{name} ({tickets:,} tickets)", subject, baseline, unit="ms",
            # Bench target 4 is the pages of 50; the ticket view is measured beside it.
            target=None if number == "4e" else 2.0,
            higher_is_better=False, subject_label=label,
            baseline_label=f"sqlite3, the same {len(statements)} statement{'s' if len(statements) > 1 else ''} "
                           f"({selects} SELECT{'s' if selects > 1 else ''})",
            note=f"{fetched} rows fetched; {len(subject.cpu)} runs of {inner} calls each, in turns",
        ))
    conn.close()
    store.dispose()
    return results


# --- the console -----------------------------------------------------------------------------


def css_path(app_class) -> list[str]:
    """The app's CSS_PATH made absolute (a subclass elsewhere resolves it from its own file)."""
    import inspect

    paths = app_class.CSS_PATH or []
    if isinstance(paths, str | Path):
        paths = [paths]
    base = Path(inspect.getfile(app_class)).parent
    return [str(p if Path(p).is_absolute() else base / p) for p in paths]


async def _open_times(path: Path, which: str, repeat: int) -> Spread:
    """Seconds from pushing the screen to the first paint with its first page of rows: this
    process's CPU time (the app, its worker thread, the driver) and wall-clock time."""
    from textual.widgets import DataTable

    from deskapp.app import DeskApp
    from tickets.agents import get_agent
    from tickets.store.database import Store, make_engine

    agent_id, supervisor_id = _agent_ids(path)
    store = Store(make_engine(sqlite_url(path)), RunningClock())
    who = get_agent(store, supervisor_id if which == "review" else agent_id)
    table_id = "#review-table" if which == "review" else "#ticket-table"
    painted = asyncio.Event()
    state: dict[str, object] = {"screen": None}

    class Probe(DeskApp):
        CSS_PATH = css_path(DeskApp)

        def _display(self, screen, renderable) -> None:  # every compositor update passes here
            super()._display(screen, renderable)
            target = state["screen"]
            if renderable is None or target is None or screen is not target or painted.is_set():
                return
            try:
                table = screen.query_one(table_id, DataTable)
            except Exception:
                return
            if table.row_count > 0:
                painted.set()

    app = Probe(store=store, clock=store.clock)
    times = Spread([], [])
    async with app.run_test(size=(160, 48)) as pilot:
        await sign_in(app, pilot, who.name)
        for n in range(repeat + 1):
            painted.clear()
            base = len(app.screen_stack)
            started, cpu = time.perf_counter(), time.process_time()
            if which == "review":
                app.action_open_review()
            else:
                app.action_my_tickets()
            for _ in range(200):
                if len(app.screen_stack) > base:
                    break
                await asyncio.sleep(0)
            state["screen"] = app.screen
            await asyncio.wait_for(painted.wait(), timeout=60)
            if n:  # the first opening warms the caches and imports, on both databases alike
                times.wall.append(time.perf_counter() - started)
                times.cpu.append(time.process_time() - cpu)
            state["screen"] = None
            app.pop_screen()
            await pilot.pause()
    store.dispose()
    return times


async def sign_in(app, pilot, name: str, pin: str = PIN) -> None:
    """As an agent does: name, Enter, PIN, Enter; until the home screen shows. (Injecting the
    agent, DeskApp(agent=...), is not used: see the bench README.)"""
    for _ in range(250):
        if app.store is not None and type(app.screen).__name__ == "SignInScreen":
            break
        await pilot.pause(0.02)
    await pilot.pause()
    for key in name:
        await pilot.press(key)
    await pilot.press("enter")
    for key in pin:
        await pilot.press(key)
    await pilot.press("enter")
    for _ in range(500):
        if type(app.screen).__name__ == "HomeScreen":
            return
        await pilot.pause(0.02)
    raise RuntimeError(f"sign-in as {name} did not reach the home screen (at {app.screen!r})")


def bench_screens(big: Path, small: Path, *, repeat: int = 5, rounds: int = 2) -> list[Result]:
    """4c/4d: sessions on the small and the big database in turns (so that load from elsewhere
    hits both alike), `repeat` openings each; judged on this process's CPU time."""
    results = []
    for number, which, name in (("4c", "review", "Opening the review queue screen"),
                                ("4d", "tickets", "Opening the ticket list screen")):
        big_times, small_times = Spread([], []), Spread([], [])
        for _ in range(rounds):
            for side, path in ((small_times, small), (big_times, big)):
                opened = asyncio.run(_open_times(path, which, repeat))
                side.cpu += opened.cpu
                side.wall += opened.wall
        results.append(Result.from_spreads(
            number, f"{name} (first page painted), big vs 1,000 tickets", big_times, small_times, unit="ms",
            target=1.1, higher_is_better=False, subject_label="DeskApp with the big database",
            baseline_label="DeskApp with 1,000 tickets",
            note=f"{len(big_times.cpu)} openings each, {rounds} sessions each in turns; "
                 f"big {big_times.text()}; small {small_times.text()}",
        ))
    return results
