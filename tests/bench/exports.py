"""Target 3: exports. `tickets.export.run.write_export` (masked, CSV neutralised / JSON Lines) against
the `sqlite3` command-line shell writing the same rows (`sqlite3 -csv` / `sqlite3 -json`), on two
databases: one of 50,000 tickets (3a CSV, 3b JSON Lines) and the 1,000,000-ticket one (3c, 3d),
each exported whole; 3e: the export's peak memory at 1,000,000 against 50,000 ("memory flat").

The shell runs the SELECT the export is built from (`tickets.export.records._base_query`, compiled with
its values inlined), in one statement, oldest first, to a file. The shell is looked up on PATH;
without it the target is reported as not measured (the Debian package sqlite3).

Subject and baseline run in turns, at least 5 times each, so that neither gets the warmer
caches. Each database is measured in a child process of its own (`python exports.py measure ...`,
`bench_export_sizes`), so that its peak resident memory (its own VmHWM, read in that child; not
ru_maxrss, which keeps the forked bench's pages from before exec) is the export's and not the
bench's. In the child, the subject's CPU is `time.process_time` around `write_export` plus any
children it waits for (workers); the shell's is its own, from RUSAGE_CHILDREN around the
subprocess. The target is judged on the ratio of the CPU medians; wall-clock medians are
reported beside it, each with the lowest and highest ratio of the runs paired in turns.
"""

from __future__ import annotations

import argparse
import pickle
import resource
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import commands
from common import Result, RunningClock, Skipped, Spread, _cpu_with_children, paired, raw_connection, sqlite_url

FALLBACK_SQL = """SELECT ticket.id, ticket.kind, ticket.status, ticket.created_at, ticket.updated_at,
 organization.ref, organization.name, subscription.ref, subscription.product, renewal_resource.ref,
 filer.name, decider.name, ticket.decided_at, ticket.decision_reason, ticket.requested_date,
 ticket.effective_date, ticket.data_deletion_date, ticket.reversal_deadline, ticket.needs_review,
 ticket.needs_callback, ticket.callback_at, ticket.rules, ticket.checklist, person.first_name,
 person.last_name, person.user_id, person.phone_e164, json_extract(ticket.fields, '$.it_contact'), ticket.reason
FROM ticket JOIN organization ON organization.id = ticket.organization_id
 JOIN subscription ON subscription.id = ticket.subscription_id JOIN agent AS filer ON filer.id = ticket.filed_by_id
 LEFT OUTER JOIN agent AS decider ON decider.id = ticket.decided_by_id
 LEFT OUTER JOIN renewal_resource ON renewal_resource.id = ticket.resource_id
 LEFT OUTER JOIN verification_attempt ON verification_attempt.id = ticket.verification_id
 LEFT OUTER JOIN person ON person.id = verification_attempt.person_id
WHERE ticket.created_at >= '{since}' ORDER BY ticket.id"""

RUNS = 5


def _sql(engine, filt, since_text: str) -> str:
    try:
        from tickets.export.records import _base_query
        from tickets.store.models import Ticket

        query = _base_query(filt).order_by(Ticket.id)
        return str(query.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
    except Exception:  # the export module changed shape: the same SELECT, written out
        return FALLBACK_SQL.format(since=since_text)


def total_tickets(path: Path) -> int:
    conn = raw_connection(path)
    try:
        return conn.execute("SELECT count(*) FROM ticket").fetchone()[0]
    finally:
        conn.close()


def window(path: Path, rows: int | None) -> tuple[datetime, int]:
    """The `since` that selects the newest `rows` tickets (None: all of them), and how many it
    selects."""
    conn = raw_connection(path)
    try:
        total = conn.execute("SELECT count(*) FROM ticket").fetchone()[0]
        offset = max(0, total - (total if rows is None else rows))
        since = conn.execute("SELECT created_at FROM ticket ORDER BY created_at, id LIMIT 1 OFFSET ?",
                             (offset,)).fetchone()[0]
        count = conn.execute("SELECT count(*) FROM ticket WHERE created_at >= ?", (since,)).fetchone()[0]
    finally:
        conn.close()
    return datetime.fromisoformat(since).replace(tzinfo=UTC), count


def ratio_note(written: int, subject: Spread, shell: Spread, sizes: str) -> tuple[str, dict[str, float | str]]:
    """The CPU and wall ratios (shell time / subject time, so higher is better), medians with the
    ratios of the extremes, and every figure for --json."""
    cpu_ratio = shell.cpu_median / subject.cpu_median
    wall_ratio = shell.wall_median / subject.wall_median
    note = (f"{written:,} rows, {len(subject.cpu)} runs each, in turns. CPU ratio {cpu_ratio:.2f} "
            f"(worst {min(shell.cpu) / max(subject.cpu):.2f}, best {max(shell.cpu) / min(subject.cpu):.2f}); "
            f"wall ratio {wall_ratio:.2f}. deskapp: {subject.text(1.0, 's')}; shell: {shell.text(1.0, 's')}. {sizes}")
    extra: dict[str, float | str] = {"cpu_ratio": cpu_ratio, "wall_ratio": wall_ratio, "rows": written}
    extra.update({f"subject_{k}": v for k, v in subject.as_json().items()})
    extra.update({f"shell_{k}": v for k, v in shell.as_json().items()})
    return note, extra


NO_SHELL = "the sqlite3 command-line shell is not installed (the Debian package sqlite3)"


def names_for(numbers: tuple[str, str]) -> tuple[tuple[str, str], tuple[str, str]]:
    return (numbers[0], "Export CSV, masked and neutralised"), (numbers[1], "Export JSON Lines, masked")


def bench_export(path: Path, workdir: Path, *, rows: int | None = None, numbers: tuple[str, str] = ("3a", "3b"),
                 runs: int = RUNS, warmup: int = 1, of: str = "", command: tuple[str, str, float | None] | None = None,
                 peaks: list[float] | None = None) -> list[Result | Skipped]:
    """Both formats on `path`: its newest `rows` tickets (None: every ticket), in this process.

    `command`: also the `deskapp export` command (a process a run; its two numbers and target,
    commands.py's 3f-3i), in the same turns: in this process, the shell, the command. Both are
    judged against the same shell runs (one baseline for the in-process and the command figure of
    the same export; a whole database only). The command's peak memory of each run goes to `peaks`."""
    from tickets.export.records import ExportFilter
    from tickets.export.run import write_export
    from tickets.store.database import Store, make_engine

    cli = shutil.which("sqlite3")
    names = names_for(numbers)
    if cli is None:
        return [Skipped(n, name, NO_SHELL) for n, name in names]
    since, count = window(path, rows)
    store = Store(make_engine(sqlite_url(path)), RunningClock())
    # A whole database: no filter, as the command exports it (the shell's SELECT is then the command's too).
    filt = ExportFilter() if rows is None else ExportFilter(since=since)
    sql = _sql(store.engine, filt, "0000-01-01" if rows is None else
               since.replace(tzinfo=None).isoformat(" ", "microseconds"))
    if command is not None and rows is not None:
        raise ValueError("the command exports a whole database: rows must be None")
    results: list[Result | Skipped] = []
    deskapp = commands.deskapp_command() if command is not None else ""
    for (number, name), fmt, mode in zip(names, ("csv", "jsonl"), ("-csv", "-json"), strict=True):
        out = workdir / f"export.{fmt}"
        cli_out = workdir / f"export-cli.{fmt}"
        written = 0

        # Bound now (default arguments): each pass measures its own format's files.
        def subject(out: Path = out, fmt: str = fmt) -> None:
            nonlocal written
            with out.open("w", encoding="utf-8", newline="") as handle:
                written = write_export(store, handle, fmt=fmt, filt=filt, masked=True)

        def shell(cli_out: Path = cli_out, mode: str = mode) -> None:
            with cli_out.open("wb") as handle:
                subprocess.run([cli, "-readonly", mode, "-header", str(path), sql], stdout=handle, check=True)

        # Each side's CPU includes the child processes it waits for: the shell's is all in its child.
        if command is None:
            mine, theirs = paired(subject, shell, runs, warmup=warmup, children=True)
        else:
            desk_cmd = [deskapp, "export", "--format", fmt, "--db", sqlite_url(path)]
            desk_out = workdir / f"cmd-export.{fmt}"
            mine, theirs, desk, desk_peaks = _three_ways(
                subject, shell, lambda c=desk_cmd, o=desk_out: commands.run_child(c, stdout_path=o), runs, warmup)
            desk_out.unlink(missing_ok=True)
            if peaks is not None:
                peaks.extend(desk_peaks)
            command_number = command[0] if fmt == "csv" else command[1]
            results.append(Result.from_spreads(
                command_number, f"{commands.EXPORT_NAMES[fmt]}, {count:,} tickets", desk, theirs, unit="rows/s",
                target=command[2], higher_is_better=True, work=count,
                subject_label=f"deskapp export --format {fmt} > FILE",
                baseline_label=f"sqlite3 {mode} shell, the same SELECT > FILE",
                note=f"{len(desk.cpu)} processes a side in turns, CPU of each process (start and imports included), "
                     f"the shell's runs those of {number} (in turns: in-process, shell, command): deskapp "
                     f"{desk.text(1, 's')}; shell {theirs.text(1, 's')}; peak memory of the command "
                     f"{max(desk_peaks):.0f} MB",
                extra={"peak_mb": max(desk_peaks)}))
        sizes = f"Files: {out.stat().st_size / 1e6:.0f} MB vs {cli_out.stat().st_size / 1e6:.0f} MB."
        note, extra = ratio_note(written, mine, theirs, sizes)
        extra.update({"subject": mine, "baseline": theirs, "judged_on": "cpu", "tickets_in_db": total_tickets(path)})
        if written != count:
            note += f" WARNING: the export wrote {written:,} rows, the window holds {count:,}"
        results.append(Result(
            number, f"{name} ({written:,} rows{of})", subject=written / mine.cpu_median,
            baseline=count / theirs.cpu_median, unit="rows/s (CPU)", target=0.5, higher_is_better=True,
            subject_label=f"tickets.export.run.write_export fmt={fmt}", baseline_label=f"sqlite3 {mode}", note=note,
            extra=extra,
        ))
        out.unlink(missing_ok=True)
        cli_out.unlink(missing_ok=True)
    store.dispose()
    return results


def _three_ways(subject, shell, command, runs: int, warmup: int) -> tuple[Spread, Spread, Spread, list[float]]:
    """In turns: `subject` and `shell` timed as `common.paired` times them (CPU with the children
    waited for), `command()` returning its own CPU, wall and peak (commands.run_child)."""
    clock = _cpu_with_children
    for _ in range(warmup):
        subject()
        shell()
        command()
    mine, theirs, desk, peaks = Spread([], []), Spread([], []), Spread([], []), []
    for _ in range(max(runs, 5)):
        for side, fn in ((mine, subject), (theirs, shell)):
            cpu, wall = clock(), time.perf_counter()
            fn()
            side.cpu.append(clock() - cpu)
            side.wall.append(time.perf_counter() - wall)
        cpu, wall, peak = command()
        desk.cpu.append(cpu)
        desk.wall.append(wall)
        peaks.append(peak)
    return mine, theirs, desk, peaks


# --- each database in a child process of its own: the export's peak memory -------------------

FLAT = 1.2  # 3e: the peak at the big size at most this times the peak at the small one


def _peak_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # kilobytes on Linux


def _own_peak_mb() -> float:
    """This process's own peak resident memory since its exec: Linux's VmHWM. Not ru_maxrss,
    which keeps the peak of the image exec replaced: a child forked from the 1 GB bench process
    reports 1 GB before it has done anything."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return _peak_mb(resource.RUSAGE_SELF)


def _measure_child(argv: list[str]) -> int:
    """`exports.py measure`: `bench_export` on one database in this fresh process, its results and
    this process's memory (before the first export and at its peak) pickled to --out."""
    parser = argparse.ArgumentParser(prog="exports.py measure")
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--numbers", default="3a,3b")
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--command",
                        help="also `deskapp export`: its CSV and JSON Lines numbers and its target (3f,3g,0.5)")
    args = parser.parse_args(argv)
    command = None
    if args.command:
        csv_number, jsonl_number, target = args.command.split(",")
        command = (csv_number, jsonl_number, None if target == "None" else float(target))
    command_peaks: list[float] = []
    import tickets.export.records  # noqa: F401 - what the export needs loaded before the idle figure
    import tickets.store.database  # noqa: F401

    idle = _own_peak_mb()
    started = time.perf_counter()
    results = bench_export(args.db, args.workdir, rows=None, numbers=tuple(args.numbers.split(",")),
                           runs=args.runs, warmup=args.warmup, of=", the whole database", command=command,
                           peaks=command_peaks)
    args.out.write_bytes(pickle.dumps({
        "command_peaks_mb": command_peaks,
        "results": results, "idle_mb": idle, "peak_mb": _own_peak_mb(),
        "children_peak_mb": _peak_mb(resource.RUSAGE_CHILDREN), "seconds": time.perf_counter() - started,
    }))
    return 0


def bench_export_sizes(sizes: list[tuple[Path, tuple[str, str]]], workdir: Path, *, runs: int = RUNS,
                       memory_number: str = "3e",
                       commands_for: list[tuple[str, str, float | None]] | None = None) -> list[Result | Skipped]:
    """Target 3 on each database in `sizes` (smallest first; each exported whole, its own two
    numbers), each in its own child process; then `memory_number`: the export process's peak
    memory on the biggest against the smallest. `commands_for`: for each database, the numbers and
    target of the `deskapp export` command measured in the same turns against the same shell runs
    (bench_export's `command`), and 3j: the command's peak memory on the biggest against the
    smallest."""
    results: list[Result | Skipped] = []
    memory: list[tuple[int, dict]] = []
    for index, (path, numbers) in enumerate(sizes):
        tickets = total_tickets(path)
        out = workdir / f"export-{tickets}.pickle"
        command = [sys.executable, str(Path(__file__).resolve()), "measure", "--db", str(path),
                   "--workdir", str(workdir), "--numbers", ",".join(numbers), "--runs", str(max(runs, 5)),
                   # a warm-up run of each side where it is cheap; at 1,000,000 the first run is measured
                   "--warmup", "1" if tickets < 200_000 else "0", "--out", str(out)]
        if commands_for is not None:
            command += ["--command", ",".join(str(x) for x in commands_for[index])]
        done = subprocess.run(command, stderr=subprocess.PIPE, text=True)
        if done.returncode or not out.exists():
            sys.stderr.write(done.stderr)
            last = (done.stderr.strip().splitlines() or ["no output"])[-1][:200]
            failed = names_for(numbers) + (
                tuple((n, commands.EXPORT_NAMES[f]) for n, f in zip(commands_for[index][:2], ("csv", "jsonl"),
                                                                  strict=True)) if commands_for is not None else ())
            results += [
                Skipped(n, f"{name} ({tickets:,} tickets)", f"the export child exited {done.returncode}: {last}")
                for n, name in failed
            ]
            continue
        figures = pickle.loads(out.read_bytes())
        out.unlink()
        for r in figures["results"]:
            if isinstance(r, Result) and r.number in numbers:  # the in-process figures (not the command's)
                r.note += (f" Peak memory of the export's process: {figures['peak_mb']:.0f} MB "
                           f"({figures['idle_mb']:.0f} MB before the first export).")
                r.extra.update({k: figures[k] for k in ("idle_mb", "peak_mb", "children_peak_mb")})
        results += figures["results"]
        if all(isinstance(r, Result) for r in figures["results"]):
            memory.append((tickets, figures))
    command_peaks = [(tickets, figures["command_peaks_mb"]) for tickets, figures in memory
                     if figures.get("command_peaks_mb")]
    if len(command_peaks) >= 2 and command_peaks[0][0] != command_peaks[-1][0]:
        (small, low), (large, high) = command_peaks[0], command_peaks[-1]
        results.append(Result(
            "3j", f"`deskapp export` peak memory (the command), {large:,} vs {small:,} tickets", max(high), max(low),
            "MB", FLAT, False, subject_label=f"peak RSS exporting {large:,} tickets",
            baseline_label=f"at {small:,} tickets",
            note="the largest of the command's CSV and JSON Lines runs at each size", extra={"judged_on": "memory"}))
    name = "Export peak memory (masked CSV and JSON Lines, the export's process)"
    if len(memory) < 2 or memory[0][0] == memory[-1][0]:
        results.append(Skipped(memory_number, name, "not measured at two sizes"))
        return results
    (small, low), (big, high) = memory[0], memory[-1]
    results.append(Result(
        memory_number, f"{name}, {big:,} vs {small:,} tickets", subject=high["peak_mb"], baseline=low["peak_mb"],
        unit="MB", target=FLAT, higher_is_better=False,
        subject_label=f"peak RSS exporting {big:,} tickets", baseline_label=f"peak RSS exporting {small:,} tickets",
        note=(f"memory flat: the peak resident memory (VmHWM of the child that ran 3 on each "
              f"database, over all its runs of both formats) {high['peak_mb']:.0f} MB at {big:,} tickets against "
              f"{low['peak_mb']:.0f} MB at {small:,} ({high['idle_mb']:.0f} / {low['idle_mb']:.0f} MB of it before the "
              f"first export: the interpreter and imports). Export worker processes, if any, are not in it: the "
              f"largest child's peak (the shell or a worker; on Linux a child counts the pages it had as a fork "
              f"before exec) {high['children_peak_mb']:.0f} / {low['children_peak_mb']:.0f} MB is in the JSON. "
              f"Target: at most {FLAT:g}x."),
        extra={"judged_on": "memory", "runs": max(runs, 5), "big": {k: v for k, v in high.items() if k != "results"},
               "small": {k: v for k, v in low.items() if k != "results"}},
    ))
    return results


if __name__ == "__main__" and sys.argv[1:2] == ["measure"]:
    sys.exit(_measure_child(sys.argv[2:]))
