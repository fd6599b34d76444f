"""Target 3: exports. `tickets.export.write_export` (masked, CSV neutralised / JSON Lines) against
the `sqlite3` command-line shell writing the same rows (`sqlite3 -csv` / `sqlite3 -json`).

The rows are the newest `rows` tickets (a `--since` window, so the run stays bounded); the shell
runs the SELECT the export is built from (`tickets.export._base_query`, compiled with its values
inlined), in one statement, oldest first, to a file. The shell is looked up on PATH; without it
the target is reported as not measured (install: `apt-get install -y sqlite3`).

Issue 12: subject and baseline run in turns, at least 5 times each. The subject's CPU is this
process's (`time.process_time`, plus any children's); the shell's is its own, from
RUSAGE_CHILDREN around the subprocess. The target is judged on the ratio of the CPU medians;
wall-clock medians are reported beside it, each with min and max.
"""

from __future__ import annotations

import resource
import shutil
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from common import Result, RunningClock, Skipped, Spread, raw_connection, sqlite_url

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
        from tickets.export import _base_query
        from tickets.models import Ticket

        query = _base_query(filt).order_by(Ticket.id)
        return str(query.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
    except Exception:  # the export module changed shape: the same SELECT, written out
        return FALLBACK_SQL.format(since=since_text)


def window(path: Path, rows: int) -> tuple[datetime, int]:
    """The `since` that selects the newest `rows` tickets, and how many it selects."""
    conn = raw_connection(path)
    try:
        total = conn.execute("SELECT count(*) FROM ticket").fetchone()[0]
        offset = max(0, total - rows)
        since = conn.execute("SELECT created_at FROM ticket ORDER BY created_at, id LIMIT 1 OFFSET ?",
                             (offset,)).fetchone()[0]
        count = conn.execute("SELECT count(*) FROM ticket WHERE created_at >= ?", (since,)).fetchone()[0]
    finally:
        conn.close()
    return datetime.fromisoformat(since).replace(tzinfo=UTC), count


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_turns(subject: Callable[[], object], baseline: Callable[[], object], runs: int = RUNS,
                *, warmup: int = 1) -> tuple[Spread, Spread]:
    """As common.paired, but each side's CPU includes the child processes it waits for: the
    shell's CPU is all in its child, and an export using worker processes pays for them too."""
    runs = max(runs, 5)
    for _ in range(warmup):
        subject()
        baseline()
    sides = (Spread([], []), Spread([], []))
    for _ in range(runs):
        for side, fn in zip(sides, (subject, baseline)):
            cpu, children, wall = time.process_time(), _children_cpu(), time.perf_counter()
            fn()
            side.cpu.append(time.process_time() - cpu + _children_cpu() - children)
            side.wall.append(time.perf_counter() - wall)
    return sides


def ratio_note(written: int, subject: Spread, shell: Spread, sizes: str) -> tuple[str, dict[str, float | str]]:
    """The CPU and wall ratios (shell time / subject time, so higher is better), medians with the
    ratios of the extremes, and every figure for --json."""
    cpu_ratio = shell.cpu_median / subject.cpu_median
    wall_ratio = shell.wall_median / subject.wall_median
    note = (f"{written:,} rows, {RUNS}+ runs each, in turns. CPU ratio {cpu_ratio:.2f} "
            f"(worst {min(shell.cpu) / max(subject.cpu):.2f}, best {max(shell.cpu) / min(subject.cpu):.2f}); "
            f"wall ratio {wall_ratio:.2f}. deskapp: {subject.text(1.0, 's')}; shell: {shell.text(1.0, 's')}. {sizes}")
    extra: dict[str, float | str] = {"cpu_ratio": cpu_ratio, "wall_ratio": wall_ratio, "rows": written}
    extra.update({f"subject_{k}": v for k, v in subject.as_json().items()})
    extra.update({f"shell_{k}": v for k, v in shell.as_json().items()})
    return note, extra


def bench_export(path: Path, workdir: Path, *, rows: int) -> list[Result | Skipped]:
    from tickets.export import ExportFilter, write_export
    from tickets.store import Store, make_engine

    cli = shutil.which("sqlite3")
    names = ("3a", "Export CSV, masked and neutralised"), ("3b", "Export JSON Lines, masked")
    if cli is None:
        why = "the sqlite3 command-line shell is not installed (apt-get install -y sqlite3)"
        return [Skipped(n, name, why) for n, name in names]
    since, count = window(path, rows)
    store = Store(make_engine(sqlite_url(path)), RunningClock())
    filt = ExportFilter(since=since)
    sql = _sql(store.engine, filt, since.replace(tzinfo=None).isoformat(" ", "microseconds"))
    results: list[Result | Skipped] = []
    for (number, name), fmt, mode in zip(names, ("csv", "jsonl"), ("-csv", "-json"), strict=True):
        out = workdir / f"export.{fmt}"
        cli_out = workdir / f"export-cli.{fmt}"
        written = 0

        def subject() -> None:
            nonlocal written
            with out.open("w", encoding="utf-8", newline="") as handle:
                written = write_export(store, handle, fmt=fmt, filt=filt, masked=True)

        def shell() -> None:
            with cli_out.open("wb") as handle:
                subprocess.run([cli, "-readonly", mode, "-header", str(path), sql], stdout=handle, check=True)

        mine, theirs = timed_turns(subject, shell)
        sizes = f"Files: {out.stat().st_size / 1e6:.0f} MB vs {cli_out.stat().st_size / 1e6:.0f} MB."
        note, extra = ratio_note(written, mine, theirs, sizes)
        if written != count:
            note += f" WARNING: the export wrote {written:,} rows, the window holds {count:,}"
        results.append(Result(
            number, f"{name} ({written:,} rows)", subject=written / mine.cpu_median,
            baseline=count / theirs.cpu_median, unit="rows/s (CPU)", target=0.5, higher_is_better=True,
            subject_label=f"tickets.export.write_export fmt={fmt}", baseline_label=f"sqlite3 {mode}", note=note,
            extra=extra,
        ))
        out.unlink(missing_ok=True)
        cli_out.unlink(missing_ok=True)
    store.dispose()
    return results
