"""Target 3: exports. `tickets.export.write_export` (masked, CSV neutralised / JSON Lines) against
the `sqlite3` command-line shell writing the same rows (`sqlite3 -csv` / `sqlite3 -json`).

The rows are the newest `rows` tickets (a `--since` window, so the run stays bounded); the shell
runs the very SELECT the export is built from (`tickets.export._base_query`, compiled with its
values inlined), in one statement, oldest first, to a file. The shell is looked up on PATH;
without it the target is reported as not measured (install: `apt-get install -y sqlite3`).
"""

from __future__ import annotations

import shutil
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

from common import Result, RunningClock, Skipped, raw_connection, sqlite_url

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


def _stdlib_floor(path: Path, sql: str, fmt: str, workdir: Path) -> float:
    """Seconds for the stdlib to write the same rows unmasked: what any Python export starts from."""
    import csv
    import json

    conn = raw_connection(path)
    out = workdir / f"export-floor.{fmt}"
    started = time.perf_counter()
    cursor = conn.execute(sql)
    names = [d[0] for d in cursor.description]
    with out.open("w", encoding="utf-8", newline="") as handle:
        if fmt == "csv":
            writer = csv.writer(handle, lineterminator="\r\n")
            writer.writerow(names)
            while rows := cursor.fetchmany(2000):
                writer.writerows(rows)
        else:
            dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
            while rows := cursor.fetchmany(2000):
                handle.write("".join(dumps(dict(zip(names, row, strict=True))) + "\n" for row in rows))
    seconds = time.perf_counter() - started
    conn.close()
    out.unlink(missing_ok=True)
    return seconds


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
        started = time.perf_counter()
        with out.open("w", encoding="utf-8", newline="") as handle:
            written = write_export(store, handle, fmt=fmt, filt=filt, masked=True)
        subject = time.perf_counter() - started
        cli_out = workdir / f"export-cli.{fmt}"
        cli_times = []
        for _ in range(2):
            started = time.perf_counter()
            with cli_out.open("wb") as handle:
                subprocess.run([cli, "-readonly", mode, "-header", str(path), sql], stdout=handle, check=True)
            cli_times.append(time.perf_counter() - started)
        baseline = min(cli_times)
        floor = _stdlib_floor(path, sql, fmt, workdir)
        note = (f"{written:,} rows: {subject:.1f} s vs {baseline:.1f} s ({out.stat().st_size / 1e6:.0f} MB vs "
                f"{cli_out.stat().st_size / 1e6:.0f} MB). The stdlib alone, no masking (sqlite3 fetch + "
                f"{'csv.writer' if fmt == 'csv' else 'json.dumps per row'}): {floor:.1f} s, "
                f"{baseline / floor:.2f} of the shell")
        if written != count:
            note += f"; WARNING: the export wrote {written:,} rows, the window holds {count:,}"
        results.append(Result(
            number, f"{name} ({written:,} rows)", subject=written / subject, baseline=count / baseline,
            unit="rows/s", target=0.5, higher_is_better=True,
            subject_label=f"tickets.export.write_export fmt={fmt}", baseline_label=f"sqlite3 {mode}", note=note,
        ))
        out.unlink(missing_ok=True)
        cli_out.unlink(missing_ok=True)
    store.dispose()
    return results
