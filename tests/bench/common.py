"""What the bench modules share: results as ratios, timing, a clock that moves, raw connections."""

from __future__ import annotations

import os
import platform
import resource
import sqlite3
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from generate import T0


@dataclass
class Result:
    """One target: the subject (deskapp's code) against its baseline, measured in the same run.

    `higher_is_better`: throughputs (ratio = subject / baseline, target is a minimum);
    otherwise times (ratio = subject / baseline, target is a maximum).

    `subject` and `baseline` are the figures the target is judged on. Made by `from_spreads`
    they are CPU-time medians, and `extra["subject"]` / `extra["baseline"]` hold both sides'
    runs (`Spread`), from which the report shows CPU and wall-clock ratios with their range.
    """

    number: str  # "1", "2a" ...
    name: str
    subject: float
    baseline: float
    unit: str  # "tickets/s", "ms" ...
    target: float | None  # None: a figure measured beside the targets, judged on nothing
    higher_is_better: bool
    subject_label: str = "deskapp"
    baseline_label: str = "baseline"
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_spreads(cls, number: str, name: str, subject: Spread, baseline: Spread, *, unit: str, target: float | None,
                     higher_is_better: bool, work: float = 1.0, judge: str = "cpu", **labels: Any) -> Result:
        """From both sides' runs of the same work (`work` items a run: tickets, rows ...): a
        throughput is work / median seconds, a time median seconds / work in `unit` (ms or µs).
        Judged on CPU time (`judge="wall"` where a side runs outside this process)."""
        def figure(side: Spread) -> float:
            seconds = side.cpu_median if judge == "cpu" else side.wall_median
            if higher_is_better:
                return work / seconds if seconds else float("nan")
            return seconds / work * _SCALE.get(unit, 1.0)

        extra = {"subject": subject, "baseline": baseline, "judged_on": judge, **labels.pop("extra", {})}
        return cls(number, name, figure(subject), figure(baseline), unit, target, higher_is_better,
                   extra=extra, **labels)

    @property
    def ratio(self) -> float:
        if not self.baseline:
            return float("nan")
        return self.subject / self.baseline

    @property
    def is_target(self) -> bool:
        return self.target is not None

    @property
    def load(self) -> float | None:
        """The highest 1-minute load average seen from the start to the end of the measurement."""
        seen = self.extra.get("load")
        return max(seen) if isinstance(seen, list | tuple) and seen else None

    @property
    def busy(self) -> str | None:
        """Why the machine was too busy to judge this target, or None: the load average above
        LOAD_LIMIT, or (a target measured under a load it makes itself, `extra["others_cpu"]`)
        the rest of the machine taking more than OTHERS_LIMIT cores."""
        others = self.extra.get("others_cpu")
        if isinstance(others, int | float) and others > OTHERS_LIMIT:
            return f"others took {others:.2f} cores > {OTHERS_LIMIT:g}"
        if self.load is not None and self.load > LOAD_LIMIT:
            return f"load {self.load:.1f} > {LOAD_LIMIT:g}"
        return None

    @property
    def quiet(self) -> bool:
        """Measured on a quiet enough machine to judge (`busy` found nothing)."""
        return self.busy is None

    @property
    def judged(self) -> bool:
        return self.is_target and self.quiet

    @property
    def met(self) -> bool:
        if self.ratio != self.ratio or self.target is None:  # nan: not measured; None: no target
            return False
        if self.extra.get("failed"):  # a condition beside the ratio broke (the load test's: a ticket lost ...)
            return False
        return self.ratio >= self.target if self.higher_is_better else self.ratio <= self.target

    @property
    def target_text(self) -> str:
        if self.target is None:
            return "none"
        return f"≥ {self.target:g}" if self.higher_is_better else f"≤ {self.target:g}"

    @property
    def judged_on(self) -> str:
        """"cpu" or "wall": what `ratio` compares (a module without spreads: its own figures,
        CPU where it reports a `cpu_ratio`)."""
        return str(self.extra.get("judged_on", "cpu" if self.spreads or "cpu_ratio" in self.extra else "wall"))

    @property
    def runs(self) -> int | None:
        if self.spreads:
            return len(self.spreads[0].cpu)
        runs = self.extra.get("runs")
        return int(runs) if isinstance(runs, int | float) else None

    @property
    def spreads(self) -> tuple[Spread, Spread] | None:
        a, b = self.extra.get("subject"), self.extra.get("baseline")
        return (a, b) if isinstance(a, Spread) and isinstance(b, Spread) else None

    def ratios(self, clock: str) -> tuple[float, float, float] | None:
        """The `clock` ("cpu" or "wall") ratio of the medians, and the lowest and highest ratio
        of the runs paired in turns; None without spreads."""
        if self.spreads is None:  # a module's own figures: extra["cpu_ratio"], ["cpu_ratio_min"] ...
            values = [self.extra.get(f"{clock}_ratio{end}") for end in ("", "_min", "_max")]
            if not isinstance(values[0], int | float):
                return None
            return tuple(v if isinstance(v, int | float) else float("nan") for v in values)  # type: ignore[return-value]
        a, b = (getattr(side, clock) for side in self.spreads)

        def ratio(s: float, t: float) -> float:
            if not s or not t:
                return float("nan")
            return t / s if self.higher_is_better else s / t  # runs are seconds for the same work

        pairs = [ratio(s, t) for s, t in zip(a, b, strict=True)] or [float("nan")]
        return ratio(statistics.median(a), statistics.median(b)), min(pairs), max(pairs)


_SCALE = {"s": 1.0, "ms": 1e3, "µs": 1e6}

# A target is judged only on a run whose 1-minute load average stayed at or below this: above the
# number of cores, processes queue for a core and share its caches, which stretches the CPU time
# of both sides unevenly (the wall clock far more), so a ratio would mislead. run.py --max-load.
LOAD_LIMIT = float(os.cpu_count() or 1)
# The load test fills the cores itself (its agents and the server): the load average says little
# of anyone else then. Its targets are judged on the rest of the machine's CPU in every point
# (load_probe's "other"), at most this many cores, and on the load average before it began.
OTHERS_LIMIT = 0.25


def load_average() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:
        return 0.0


def machine_state() -> str:
    """`load 1.3 quiet` or `load 7.9 BUSY`: on every line the bench prints."""
    load = load_average()
    return f"load {load:.1f} {'quiet' if load <= LOAD_LIMIT else 'BUSY'}"


@dataclass
class Skipped:
    number: str
    name: str
    why: str


def fmt(value: float, unit: str = "") -> str:
    if value != value:
        return "n/a"
    if abs(value) >= 1000:
        text = f"{value:,.0f}"
    elif abs(value) >= 100:
        text = f"{value:.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.2f}"
    return f"{text} {unit}".strip()


def median_time(fn: Callable[[], object], repeat: int, *, warmup: int = 1) -> float:
    """Median seconds of `fn()` over `repeat` runs, after `warmup` unmeasured ones."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def interleaved(subject: Callable[[], object], baseline: Callable[[], object], repeat: int,
                *, warmup: int = 1) -> tuple[float, float]:
    """Median seconds of each, run in turns (subject, baseline, subject, ...) so that a burst of
    load from elsewhere on the machine hits both alike."""
    for _ in range(warmup):
        subject()
        baseline()
    a, b = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        subject()
        a.append(time.perf_counter() - started)
        started = time.perf_counter()
        baseline()
        b.append(time.perf_counter() - started)
    return statistics.median(a), statistics.median(b)


@dataclass
class Spread:
    """Median, min and max of one side's runs, CPU (`time.process_time`) and wall-clock."""

    cpu: list[float]
    wall: list[float]

    @staticmethod
    def _three(values: list[float]) -> tuple[float, float, float]:
        return statistics.median(values), min(values), max(values)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu)

    @property
    def wall_median(self) -> float:
        return statistics.median(self.wall)

    def text(self, scale: float = 1000.0, unit: str = "ms") -> str:
        c, w = self._three(self.cpu), self._three(self.wall)
        return (f"CPU {c[0] * scale:.3g} {unit} (min {c[1] * scale:.3g}, max {c[2] * scale:.3g}), "
                f"wall {w[0] * scale:.3g} {unit} (min {w[1] * scale:.3g}, max {w[2] * scale:.3g})")

    def as_json(self) -> dict[str, float]:
        c, w = self._three(self.cpu), self._three(self.wall)
        return {"cpu_median": c[0], "cpu_min": c[1], "cpu_max": c[2],
                "wall_median": w[0], "wall_min": w[1], "wall_max": w[2], "runs": len(self.cpu)}


def paired(subject: Callable[[], object], baseline: Callable[[], object], repeat: int = 5,
           *, warmup: int = 1, inner: int = 1, children: bool = False) -> tuple[Spread, Spread]:
    """Subject and baseline in turns in this process, each run timed by CPU and by wall clock
    (targets are judged on the CPU-time ratio of the medians; a busy machine stretches
    wall-clock time but not the CPU a run uses). At least 5 runs each. A run is `inner` calls
    (for calls under a millisecond, whose CPU time one reading of the clock would not resolve);
    its times are per call. With `children`, a run's CPU includes the child processes it waited
    for (a side that runs a command, such as the sqlite3 shell)."""
    repeat = max(repeat, 5)
    if inner > 1:
        subject, baseline = _repeated(subject, inner), _repeated(baseline, inner)
    clock = _cpu_with_children if children else time.process_time
    for _ in range(warmup):
        subject()
        baseline()
    sides = (Spread([], []), Spread([], []))
    for _ in range(repeat):
        for side, fn in zip(sides, (subject, baseline), strict=True):
            cpu, wall = clock(), time.perf_counter()
            fn()
            side.cpu.append((clock() - cpu) / inner)
            side.wall.append((time.perf_counter() - wall) / inner)
    return sides


def _cpu_with_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + usage.ru_utime + usage.ru_stime


def _repeated(fn: Callable[[], object], times: int) -> Callable[[], None]:
    def run() -> None:
        for _ in range(times):
            fn()
    return run


class RunningClock:
    """Starts at `start` (default T0, the generated history's "now") and moves with real time,
    so that filings and verifications get distinct, increasing times."""

    def __init__(self, start: datetime = T0) -> None:
        self._start = start.astimezone(UTC)
        self._t0 = time.monotonic()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._t0)


def raw_connection(path: Path | str) -> sqlite3.Connection:
    """The stdlib driver at the durability deskapp ships: WAL, synchronous=FULL, foreign keys,
    autocommit mode so that BEGIN IMMEDIATE / COMMIT are ours (as the store's engine does)."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


# --- PostgreSQL: fresh database names per run -----------------------------------------

PG_PREFIX_ENV = "DESKAPP_BENCH_PG_PREFIX"


def pg_prefix() -> str:
    """This run's prefix for the PostgreSQL databases it creates: run.py sets it once for every
    process it starts; a module run alone makes its own. Fresh per run, so that a run never
    drops (or forces out of) a database another run, or another engineer, is using."""
    return os.environ.get(PG_PREFIX_ENV) or f"deskapp_bench_{os.getpid()}_{int(time.time())}"


def pg_database_url(admin_url: str, name: str) -> str:
    return admin_url.rsplit("/", 1)[0] + "/" + name


def pg_create(admin_url: str, name: str, *, template: str | None = None) -> str:
    """CREATE DATABASE `name` (from `template`); its URL. Names are this run's (pg_prefix)."""
    _pg_admin(admin_url, f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    return pg_database_url(admin_url, name)


def pg_drop(admin_url: str, name: str) -> None:
    """DROP DATABASE IF EXISTS, without FORCE: the bench has closed its own connections, and a
    database still in use is someone else's to close, so the drop fails loudly instead."""
    _pg_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}"')


def _pg_admin(admin_url: str, statement: str) -> None:
    from sqlalchemy import text

    from tickets.store.database import make_engine

    engine = make_engine(admin_url).execution_options(isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(statement))
    finally:
        engine.dispose()


def pg_version(url: str) -> str | None:
    """The server's version ("PostgreSQL 15.19"), or None when it does not answer."""
    try:
        from sqlalchemy import text

        from tickets.store.database import make_engine

        engine = make_engine(url)
        with engine.connect() as connection:
            version = connection.execute(text("SHOW server_version")).scalar_one()
        engine.dispose()
        return f"PostgreSQL {version.split()[0]}"
    except Exception:
        return None


def cpu_model() -> str:
    """The CPU's model name (/proc/cpuinfo on Linux): figures of CPU time scale with it."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"
