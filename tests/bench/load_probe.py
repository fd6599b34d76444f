"""What a load point costs and where it waits, measured beside it.

CPU from /proc over the measured window: the load generator's worker processes (which run the
tickets code: on a real centre that is the agents' desks or the console server), PostgreSQL's
backends serving the point's database, PostgreSQL's shared processes (WAL writer, checkpointer
..), PgBouncer, and the whole machine (/proc/stat), so that what other work on the machine took
is known too. In cores: 1.0 is one core busy for the whole window.

On PostgreSQL a sampler asks pg_stat_activity five times a second what the point's backends are
doing: running, waiting on a lock (the audit head's row), on the WAL (commit fsync), idle in a
transaction (waiting for its client, the Python side), or idle; and pg_stat_database and
pg_stat_wal say how many commits and WAL fsyncs the window had.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a live process, 0 if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def run_queue_wait(pid: int) -> float:
    """Seconds the process's threads have waited for a CPU while runnable (schedstat's run delay)."""
    total = 0
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            try:
                total += int((task / "schedstat").read_text().split()[1])
            except (OSError, IndexError, ValueError):
                continue
    except OSError:
        return 0.0
    return total / 1e9


def cpu_pressure() -> float:
    """Microseconds some task has waited for a CPU since boot (/proc/pressure/cpu), 0 if unknown."""
    try:
        return float(Path("/proc/pressure/cpu").read_text().split("total=")[1].split()[0])
    except (OSError, IndexError, ValueError):
        return 0.0


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    total = sum(values[:8])
    return (total - idle) / TICK, total / TICK


def _pids(name: str) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == name:
                    out.append(int(entry.name))
            except OSError:
                continue
    return out


class Probe:
    """`probe.start()` at the window's start, `probe.stop()` at its end; then `figures()`."""

    def __init__(self, *, workers: list[int], admin_url: str | None, database: str | None) -> None:
        self.workers = workers
        self.admin_url, self.database = admin_url, database
        self.samples: dict[str, int] = {}
        self.sample_count = 0
        self.lock_waiters_max = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._engine = None
        self.before: dict[str, object] = {}
        self.after: dict[str, object] = {}

    # -- PostgreSQL ------------------------------------------------------------------------------

    def _sql(self, sql: str, **params):
        from sqlalchemy import text

        with self._engine.connect() as connection:
            return connection.execute(text(sql), params).all()

    def _server(self) -> dict[str, object]:
        """Backends of the database and the shared processes, with their CPU; commit and WAL counts."""
        if self._engine is None:
            return {}
        rows = self._sql("SELECT pid, datname = :db FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
                         "AND (datname = :db OR backend_type <> 'client backend')", db=self.database)
        commits = self._sql("SELECT xact_commit FROM pg_stat_database WHERE datname = :db", db=self.database)
        wal = self._sql("SELECT wal_sync, wal_write FROM pg_stat_wal")
        return {
            "own": {pid: proc_cpu(pid) for pid, own in rows if own},
            "own_wait": {pid: run_queue_wait(pid) for pid, own in rows if own},
            "shared": {pid: proc_cpu(pid) for pid, own in rows if not own},
            "commits": commits[0][0] if commits else 0, "wal_sync": wal[0][0], "wal_write": wal[0][1],
        }

    def _sample(self) -> None:
        sql = ("SELECT CASE WHEN wait_event_type = 'Lock' THEN 'lock wait' "
               "WHEN state = 'idle in transaction' THEN 'idle in transaction (waiting for its client)' "
               "WHEN wait_event IN ('WALSync', 'WALWrite', 'WALWriteLock') OR wait_event_type = 'IO' "
               "THEN 'WAL / IO (commit)' WHEN state = 'active' AND wait_event_type IS NULL THEN 'running' "
               "WHEN state = 'active' THEN 'active, ' || wait_event_type || ':' || wait_event "
               "ELSE coalesce(state, '?') END, count(*) FROM pg_stat_activity "
               "WHERE datname = :db AND pid <> pg_backend_pid() AND backend_type = 'client backend' GROUP BY 1")
        while not self._stop.wait(0.2):
            try:
                rows = self._sql(sql, db=self.database)
            except Exception:
                continue
            self.sample_count += 1
            for state, count in rows:
                self.samples[state] = self.samples.get(state, 0) + count
                if state == "lock wait":
                    self.lock_waiters_max = max(self.lock_waiters_max, count)

    # -- the window ------------------------------------------------------------------------------

    def _snapshot(self) -> dict[str, object]:
        busy, total = machine_cpu()
        return {"t": time.perf_counter(), "busy": busy, "total": total,
                "workers": {pid: proc_cpu(pid) for pid in self.workers},
                "workers_wait": {pid: run_queue_wait(pid) for pid in self.workers}, "pressure": cpu_pressure(),
                "bouncer": {pid: proc_cpu(pid) for pid in _pids("pgbouncer")}, **self._server()}

    def start(self) -> None:
        if self.admin_url:
            from tickets.store.database import make_engine

            self._engine = make_engine(self.admin_url, pool_size=1)
            self._thread = threading.Thread(target=self._sample, daemon=True)
            self._thread.start()
        self.before = self._snapshot()

    def stop(self) -> None:
        self.after = self._snapshot()
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._engine is not None:
            self._engine.dispose()

    def figures(self) -> dict[str, object]:
        b, a = self.before, self.after
        seconds = max(float(a["t"]) - float(b["t"]), 1e-9)

        def cores(key: str) -> float:
            if key not in a:
                return float("nan")
            start = b.get(key, {})
            return sum(cpu - start.get(pid, 0.0) for pid, cpu in a[key].items()) / seconds

        out_wait = {"client_run_queue_wait": cores("workers_wait"), "server_run_queue_wait": cores("own_wait"),
                    "cpu_pressure": (float(a["pressure"]) - float(b["pressure"])) / 1e6 / seconds}
        machine = (float(a["busy"]) - float(b["busy"])) / seconds
        out: dict[str, object] = {
            "window_s": seconds, "client_cpu": cores("workers"),
            "client_cpu_max_worker": max((cpu - b["workers"].get(pid, 0.0) for pid, cpu in a["workers"].items()),
                                         default=0.0) / seconds,
            "server_cpu": cores("own"), "server_shared_cpu": cores("shared"), "bouncer_cpu": cores("bouncer"),
            "machine_cpu": machine, "machine_cores": (float(a["total"]) - float(b["total"])) / seconds,
        }
        out.update(out_wait)
        known = sum(v for k, v in out.items() if k in ("client_cpu", "server_cpu", "server_shared_cpu", "bouncer_cpu")
                    and v == v)
        out["other_cpu"] = machine - known
        if "commits" in a:
            commits = int(a["commits"]) - int(b["commits"])
            syncs = int(a["wal_sync"]) - int(b["wal_sync"])
            out.update(commits_per_s=commits / seconds, wal_syncs_per_s=syncs / seconds,
                       commits_per_sync=commits / syncs if syncs else float("nan"))
        if self.sample_count:
            out["backends"] = {k: round(v / self.sample_count, 2) for k, v in sorted(self.samples.items())}
            out["lock_waiters_max"] = self.lock_waiters_max
        return out
