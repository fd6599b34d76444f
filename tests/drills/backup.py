"""Backup and restore drill: `deskapp db backup FILE` and `deskapp db restore FILE` (tickets/backup.py,
SQLite's online backup API) on a database with tickets, and backups taken WHILE another process
keeps filing.

Every backup must pass PRAGMA integrity_check, the audit chain (verify_chain) and every
invariant of drills.common.check_invariants; it must hold exactly the tickets the database held
at some moment (every ticket in it is in the source, with the same key, content and filing
event; a ticket reported filed before the backup started is in it). A restore must give back
exactly the backed-up tickets and a chain that verifies, into an empty path or over a database
that has moved on. What cannot be restored is refused with a clear error and changes nothing.

    .venv/bin/python tests/drills/backup.py --rounds 20
"""

from __future__ import annotations

import argparse
import contextlib
import io
import multiprocessing
import os
import select
import shutil
import sqlite3
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import testkit  # noqa: E402
from drills import crash  # noqa: E402
from drills.common import DrillDirectory, Figures, check_invariants, markdown, sqlite_integrity  # noqa: E402
from tickets.clock import FixedClock  # noqa: E402
from tickets.store.database import Store, make_engine  # noqa: E402


def cli(*argv: str) -> tuple[int, str, str]:
    """Run `deskapp ARGV` in this process (deskapp.cli.main): exit code, stdout, stderr."""
    from deskapp.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(argv))
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 2
    return code, out.getvalue(), err.getvalue()


def tickets_of(url: str) -> dict[str, tuple]:
    """idempotency key -> (id, status, content hash, filed-by) of every ticket."""
    store = Store(make_engine(url), FixedClock(testkit.T0))
    try:
        with store.engine.connect() as connection:
            rows = connection.exec_driver_sql(
                "SELECT idempotency_key, id, status, content_hash, filed_by_id FROM ticket"
            ).all()
    finally:
        store.dispose()
    return {row[0]: tuple(row[1:]) for row in rows}


def verify_database(path: Path) -> tuple[int, list[str]]:
    """Integrity, chain and every invariant of a database file."""
    problems: list[str] = []
    integrity = sqlite_integrity(path)
    if integrity != "ok":
        problems.append(f"{path.name}: integrity_check: {integrity}")
    store = Store(make_engine(f"sqlite:///{path}"), FixedClock(testkit.T0))
    try:
        checks, more = check_invariants(store)
    finally:
        store.dispose()
    return checks + 1, problems + [f"{path.name}: {p}" for p in more]


def _file_some(url: str, count: int, prefix: str) -> None:
    from drills.common import caller_claim
    from tickets.agents import get_agent
    from tickets.enums import TicketStatus
    from tickets.filing import file_ticket
    from tickets.lifecycle import transition
    from tickets.verification import start_call, verify_caller

    store = Store(make_engine(url), crash.WallClock(time.time()))
    try:
        agent = get_agent(store, 1)
        org_id = 1
        verification = verify_caller(store, agent=agent, organization_id=org_id, claim=caller_claim(),
                                     call_id=start_call(store, agent))
        for n in range(count):
            result = file_ticket(store, agent=agent, verification_id=verification.verification_id,
                                 request=crash.request_for(f"{prefix}{n}", f"SUB-D{n % crash.SUBSCRIPTIONS:04d}"))
            transition(store, actor=agent, ticket_id=result.filed[0].id, to=TicketStatus.WITHDRAWN, reason="drill")
    finally:
        store.dispose()


def run(workdir: Path, *, rounds: int = 20, log=print) -> Figures:
    started = time.monotonic()
    figures = Figures("backup and restore (SQLite)")
    workdir.mkdir(parents=True, exist_ok=True)
    url = testkit.SqliteTemplate(workdir).new_url(workdir)
    source = Path(url.removeprefix("sqlite:///"))
    store = Store(make_engine(url), crash.WallClock(time.time()))
    DrillDirectory(store, extra_subscriptions=crash.SUBSCRIPTIONS)
    store.dispose()
    _file_some(url, 12, "before-")

    def expect(ok: bool, problem: str) -> None:
        figures.checks += 1
        if not ok:
            figures.failures.append(problem)

    # 1. Back up, verify, restore into a new path and over a database that moved on.
    backup_file = workdir / "backups" / "desk-1.db"
    code, out, err = cli("db", "backup", "--db", url, str(backup_file))
    figures.runs += 1
    expect(code == 0 and "audit events verified" in out, f"backup: exit {code}: {out}{err}")
    checks, problems = verify_database(backup_file)
    figures.add(checks, problems)
    backed_up = tickets_of(f"sqlite:///{backup_file}")
    expect(backed_up == tickets_of(url) and len(backed_up) == 12, "backup: not the same tickets as the database")
    code, _, err = cli("db", "backup", "--db", url, str(backup_file))
    expect(code == 1 and "already exists" in err, f"backup over an existing file: exit {code}: {err}")

    fresh = workdir / "restored" / "fresh.db"
    code, out, err = cli("db", "restore", "--db", f"sqlite:///{fresh}", str(backup_file))
    figures.runs += 1
    expect(code == 0 and "restored" in out, f"restore into a new path: exit {code}: {out}{err}")
    figures.add(*verify_database(fresh))
    expect(tickets_of(f"sqlite:///{fresh}") == backed_up, "restore into a new path: not the backed-up tickets")

    _file_some(url, 5, "after-")
    expect(len(tickets_of(url)) == 17, "the database did not move on")
    code, out, err = cli("db", "restore", "--db", url, str(backup_file))
    figures.runs += 1
    expect(code == 0, f"restore over a database that moved on: exit {code}: {out}{err}")
    figures.add(*verify_database(source))
    expect(tickets_of(url) == backed_up, "restore over a database: not exactly the backed-up tickets")
    _file_some(url, 3, "again-")  # the restored database takes new filings
    figures.add(*verify_database(source))

    # 2. What cannot be restored is refused and changes nothing.
    before = tickets_of(url)
    bad = {
        "missing": workdir / "no-such.db",
        "truncated": workdir / "truncated.db",
        "not a database": workdir / "text.db",
        "tampered chain": workdir / "tampered.db",
    }
    data = backup_file.read_bytes()
    bad["truncated"].write_bytes(data[: len(data) // 2])
    bad["not a database"].write_text("this is not a database\n" * 100)
    shutil.copyfile(backup_file, bad["tampered chain"])
    connection = sqlite3.connect(bad["tampered chain"])
    triggers = [r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")]
    for name in triggers:
        connection.execute(f'DROP TRIGGER "{name}"')
    connection.execute("UPDATE audit_event SET actor = 'mallory' WHERE seq = 3")
    connection.commit()
    connection.close()
    for what, path in bad.items():
        code, out, err = cli("db", "restore", "--db", url, str(path))
        figures.runs += 1
        expect(code == 1 and err.startswith("deskapp: error:") and "Traceback" not in err,
               f"restore from a {what} file: exit {code}, said {err.strip()[:200]!r} (want a clear refusal, exit 1)")
        expect(tickets_of(url) == before, f"restore from a {what} file changed the database")
    figures.add(*verify_database(source))

    # 3. Backups taken while another process keeps filing (the crash drill's child, not killed).
    context = multiprocessing.get_context("fork")
    from tickets.agents import get_agent  # noqa: F401 - loaded before the fork
    for round_no in range(rounds):
        report = workdir / f"filing-{round_no}.txt"
        ready_r, ready_w = os.pipe()
        free, open_tickets, _ = crash._database_state(url)
        child = context.Process(
            target=crash._child,
            args=(url, time.time(), 1, 1, 10_000 + round_no, free, [], [tid for tid, _ in open_tickets],
                  str(report), ready_w),
            daemon=True,
        )
        child.start()
        os.close(ready_w)
        readable, _, _ = select.select([ready_r], [], [], 60)
        os.close(ready_r)
        if not readable:
            figures.failures.append(f"round {round_no}: the filing process never got ready")
            child.kill()
            continue
        time.sleep(0.02 + 0.01 * (round_no % 5))
        reported = {parts[1] for parts in crash._read_report(report) if parts[0] == "filed"}
        target = workdir / "backups" / f"live-{round_no}.db"
        code, out, err = cli("db", "backup", "--db", url, str(target))
        child.kill()
        child.join()
        figures.runs += 1
        expect(code == 0, f"round {round_no}: backup while filing: exit {code}: {out}{err}")
        if code != 0:
            continue
        figures.add(*verify_database(target), f"round {round_no}: ")
        snapshot, now = tickets_of(f"sqlite:///{target}"), tickets_of(url)
        stray = [k for k in snapshot if k not in now or now[k][2] != snapshot[k][2]]
        expect(not stray, f"round {round_no}: the backup holds tickets the database never had: {stray[:3]}")
        missing = [k for k in reported if k not in snapshot]
        expect(not missing, f"round {round_no}: filings reported before the backup are not in it: {missing[:3]}")
        report.unlink(missing_ok=True)
        target.unlink()
    figures.add(*verify_database(source))
    figures.seconds = time.monotonic() - started
    figures.notes = {"backups while filing": rounds, "tickets at the end": len(tickets_of(url))}
    log(f"backup drill: {figures.runs} backups and restores, {figures.checks} checks, {len(figures.failures)} failures")
    return figures


def main(argv: list[str] | None = None) -> int:
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args(argv)
    figures = run(Path(tempfile.mkdtemp(prefix="deskapp-backup-")), rounds=args.rounds)
    print(markdown([figures]))
    for failure in figures.failures:
        print("FAILURE:", failure)
    return 0 if figures.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
