"""E-3 at full size: export all 1,000,000 tickets through `deskapp export` (masked CSV and
JSON Lines) against the `sqlite3` shell's CSV / JSON export of the same SELECT, and the export
process's peak memory, in one run.

    .venv/bin/python tests/bench/export_million.py [--tickets 1000000] [--reuse] [--db FILE] [--runs 5]

Both commands run as child processes, in turns, at least 5 times each; each run's CPU
(user + system) and peak resident memory are the child's own (a small wrapper reports its one
child's rusage), wall-clock time beside them. The ratio is the shell's median CPU over the
export's (higher is better; the target is 0.5), with the ratios of the extremes.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))

# Runs the command and reports its own child's CPU and peak memory (RUSAGE_CHILDREN is a
# maximum and a sum over every child so far, so each command gets a fresh wrapper).
WRAPPER = (
    "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True); "
    "u = resource.getrusage(resource.RUSAGE_CHILDREN); "
    "print(u.ru_utime + u.ru_stime, u.ru_maxrss, file=sys.stderr)"
)


def _timed(cmd: list[str], stdout=None) -> tuple[float, float, int]:
    """CPU seconds, wall seconds and peak resident memory (MB) of this one child process."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", WRAPPER, *cmd], check=True, stdout=stdout,
                          stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - started
    cpu, peak = done.stderr.strip().splitlines()[-1].split()
    return float(cpu), wall, int(peak) // 1024


def _three(values: list[float]) -> str:
    return f"{statistics.median(values):.1f} s (min {min(values):.1f}, max {max(values):.1f})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--reuse", action="store_true", help="use bench-output/db/export.db if it exists")
    parser.add_argument(
        "--db", type=Path, help="an existing bench database to export (not changed but for audit events)"
    )
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    work = ROOT / "bench-output" / "db"
    work.mkdir(parents=True, exist_ok=True)
    db = args.db or work / "export.db"
    if args.db is None and not (args.reuse and db.exists()):
        db.unlink(missing_ok=True)
        import generate

        generate.main(["--tickets", str(args.tickets), "--out", str(db)])
    from exports import _sql

    from tickets.export.records import ExportFilter
    from tickets.store.database import make_engine

    engine = make_engine(f"sqlite:///{db}")
    sql = _sql(engine, ExportFilter(), "0000-01-01")
    engine.dispose()
    shell = shutil.which("sqlite3")
    if shell is None:
        print("the sqlite3 shell is not installed (the Debian package sqlite3): nothing to compare with")
        return 1
    runs = max(args.runs, 5)
    lines = ["| format | deskapp export CPU | sqlite3 shell CPU | CPU ratio (worst, best) | wall ratio | "
             "peak memory: deskapp / shell |", "|---|--:|--:|--:|--:|--:|"]
    count = 0
    for fmt, flag in (("csv", "-csv"), ("jsonl", "-json")):
        out = work / f"export.{fmt}"
        mine: dict[str, list[float]] = {"cpu": [], "wall": [], "peak": []}
        theirs: dict[str, list[float]] = {"cpu": [], "wall": [], "peak": []}
        for _ in range(runs):  # in turns, so that load from elsewhere hits both alike
            cpu, wall, peak = _timed([sys.executable, "-m", "deskapp.cli", "export", "--format", fmt,
                                      "--output", str(out), "--db", f"sqlite:///{db}"])
            mine["cpu"].append(cpu), mine["wall"].append(wall), mine["peak"].append(peak)
            with open(work / f"shell.{fmt}", "w") as sink:
                cpu, wall, peak = _timed([shell, "-readonly", flag, "-header", str(db), sql], stdout=sink)
            theirs["cpu"].append(cpu), theirs["wall"].append(wall), theirs["peak"].append(peak)
        count = sum(1 for _ in out.open(encoding="utf-8")) - (1 if fmt == "csv" else 0)
        ratio = statistics.median(theirs["cpu"]) / statistics.median(mine["cpu"])
        worst, best = min(theirs["cpu"]) / max(mine["cpu"]), max(theirs["cpu"]) / min(mine["cpu"])
        wall_ratio = statistics.median(theirs["wall"]) / statistics.median(mine["wall"])
        lines.append(
            f"| {fmt} | {_three(mine['cpu'])} | {_three(theirs['cpu'])} | {ratio:.2f} ({worst:.2f}, {best:.2f}) | "
            f"{wall_ratio:.2f} | {max(mine['peak']):.0f} MB / {max(theirs['peak']):.0f} MB |"
        )
        (work / f"shell.{fmt}").unlink(missing_ok=True)
        out.unlink(missing_ok=True)
        Path(str(out) + ".anchor").unlink(missing_ok=True)
    print(f"### Export of {count:,} tickets (E-3), {runs} runs each, in turns\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
