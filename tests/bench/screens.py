"""Target 4: the review queue and a ticket list page of 50 on the big database.

4a/4b. `tickets.queries.review_queue` / `list_tickets` (an agent's own tickets, newest first)
       against the stdlib `sqlite3` running the very statement they send (captured from
       SQLAlchemy's log, same parameters) and fetching its rows. Medians, in turns.
4c/4d. Opening those screens in the console (Textual `run_test`, the agent injected, from the
       home screen: push the screen, until the first paint that shows the first page of rows)
       with the big database, against the same with the small one (1,000 tickets).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from pathlib import Path

from sqlalchemy import event

from common import Result, RunningClock, interleaved, raw_connection, sqlite_url
from generate import PIN


def _agent_ids(path: Path) -> tuple[int, int]:
    conn = raw_connection(path)
    try:
        agent = conn.execute("SELECT id FROM agent WHERE name = 'agent001'").fetchone()[0]
        supervisor = conn.execute("SELECT id FROM agent WHERE name = 'super001'").fetchone()[0]
    finally:
        conn.close()
    return agent, supervisor


def _captured(store, call) -> tuple[str, tuple]:
    seen: list[tuple[str, tuple]] = []

    def log(conn, cursor, statement, parameters, context, executemany) -> None:
        seen.append((statement, tuple(parameters)))

    event.listen(store.engine, "before_cursor_execute", log)
    try:
        call()
    finally:
        event.remove(store.engine, "before_cursor_execute", log)
    selects = [s for s in seen if s[0].lstrip().upper().startswith("SELECT")]
    return selects[-1]


def bench_queries(path: Path, *, repeat: int = 40) -> list[Result]:
    from tickets.queries import list_tickets, review_queue
    from tickets.store import Store, make_engine

    store = Store(make_engine(sqlite_url(path)), RunningClock())
    agent_id, _ = _agent_ids(path)
    conn = raw_connection(path)
    tickets = conn.execute("SELECT count(*) FROM ticket").fetchone()[0]
    results = []
    cases = (
        ("4a", "Review queue, first page of 50", "tickets.queries.review_queue", lambda: review_queue(store)),
        ("4b", "Ticket list (an agent's), first page of 50", "tickets.queries.list_tickets",
         lambda: list_tickets(store, filed_by_id=agent_id)),
    )
    for number, name, label, call in cases:
        page = call()
        sql, params = _captured(store, call)

        def raw(sql: str = sql, params: tuple = params) -> list:
            return conn.execute(sql, params).fetchall()

        rows = raw()
        subject, baseline = interleaved(call, raw, repeat, warmup=3)
        results.append(Result(
            number, f"{name} ({tickets:,} tickets)", subject=subject * 1000, baseline=baseline * 1000, unit="ms",
            target=2.0, higher_is_better=False, subject_label=label, baseline_label="sqlite3, same SQL",
            note=f"{len(page.rows)} rows shown, {len(rows)} fetched; median of {repeat}",
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


async def _open_times(path: Path, which: str, repeat: int) -> list[float]:
    """Seconds from pushing the screen to the first paint with its first page of rows."""
    from textual.widgets import DataTable

    from deskapp.app import DeskApp
    from tickets.agents import get_agent
    from tickets.store import Store, make_engine

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
    times = []
    async with app.run_test(size=(160, 48)) as pilot:
        await sign_in(app, pilot, who.name)
        for n in range(repeat + 1):
            painted.clear()
            base = len(app.screen_stack)
            started = time.perf_counter()
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
                times.append(time.perf_counter() - started)
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
    results = []
    for number, which, name in (("4c", "review", "Opening the review queue screen"),
                                ("4d", "tickets", "Opening the ticket list screen")):
        big_times: list[float] = []
        small_times: list[float] = []
        for _ in range(rounds):  # in turns, so that load from elsewhere hits both alike
            small_times += asyncio.run(_open_times(small, which, repeat))
            big_times += asyncio.run(_open_times(big, which, repeat))
        b, s = statistics.median(big_times), statistics.median(small_times)
        results.append(Result(
            number, f"{name} (first page painted), big vs 1,000 tickets", subject=b * 1000, baseline=s * 1000,
            unit="ms", target=1.1, higher_is_better=False, subject_label="DeskApp with the big database",
            baseline_label="DeskApp with 1,000 tickets",
            note=f"median of {len(big_times)} openings each, {rounds} sessions each in turns; fastest openings "
                 f"{min(big_times) * 1000:.0f} vs {min(small_times) * 1000:.0f} ms (ratio {min(big_times) / min(small_times):.2f})",
        ))
    return results
