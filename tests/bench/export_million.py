"""E-3 at full size: export all 1,000,000 tickets through `deskapp export` (masked CSV and
JSON Lines) and report rows per second against the `sqlite3` shell's CSV / JSON export of the
same SELECT, and the export process's peak memory (ru_maxrss of the child), in one run.

    .venv/bin/python tests/bench/export_million.py [--tickets 1000000] [--reuse]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))


def _timed(cmd: list[str], stdout=None) -> tuple[float, int]:
    """Seconds and peak resident memory (MB) of this one child process.

    RUSAGE_CHILDREN is a maximum over every child so far, so each command runs under a
    small Python wrapper that reports its own child's ru_maxrss."""
    wrapper = (
        "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)"
    )
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", wrapper, *cmd], check=True, stdout=stdout, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - started
    return seconds, int(done.stderr.strip().splitlines()[-1]) // 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--reuse", action="store_true", help="use bench-output/db/export.db if it exists")
    args = parser.parse_args(argv)
    work = ROOT / "bench-output" / "db"
    work.mkdir(parents=True, exist_ok=True)
    db = work / "export.db"
    if not (args.reuse and db.exists()):
        db.unlink(missing_ok=True)
        import generate

        generate.main(["--tickets", str(args.tickets), "--out", str(db)])
    from exports import _sql

    from tickets.export import ExportFilter
    from tickets.store import make_engine

    engine = make_engine(f"sqlite:///{db}")
    sql = _sql(engine, ExportFilter(), "0000-01-01")
    engine.dispose()
    rows = {}
    lines = ["| format | deskapp export | sqlite3 shell, same SELECT | ratio | peak memory: deskapp / shell |", "|---|--:|--:|--:|--:|"]
    shell = shutil.which("sqlite3")
    for fmt, flag in (("csv", "-csv"), ("jsonl", "-json")):
        out = work / f"export.{fmt}"
        # Each child starts fresh, so its ru_maxrss is its own peak (measured one at a time).
        seconds, peak = _timed(
            [sys.executable, "-m", "deskapp.cli", "export", "--format", fmt, "--output", str(out), "--db", f"sqlite:///{db}"]
        )
        count = sum(1 for _ in out.open(encoding="utf-8")) - (1 if fmt == "csv" else 0)
        rows[fmt] = count
        if shell:
            with open(work / f"shell.{fmt}", "w") as sink:
                base, shell_peak = _timed([shell, flag, str(db), sql], stdout=sink)
            ratio = f"{(count / seconds) / (count / base):.2f}"
            base_text = f"{count / base:,.0f} rows/s"
        else:
            ratio, base_text, shell_peak = "n/a", "sqlite3 shell not installed", 0
        lines.append(f"| {fmt} | {count / seconds:,.0f} rows/s ({seconds:.0f} s) | {base_text} | {ratio} | {peak} MB / {shell_peak} MB |")
    print(f"### Export of {rows['csv']:,} tickets (E-3)\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
