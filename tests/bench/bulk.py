"""Target 2: bulk loads, against the stdlib `sqlite3` doing executemany of the same rows.

2a. The directory: `tickets.directory.import_directory` of the generated directory (its JSON
    bytes: parsed, checked, applied in one transaction with its audit event) into a fresh
    database, against executemany of the very rows it wrote (read back from that database)
    into another fresh database, in one transaction, with the audit event and head.
2b. Tickets: prebuilt SQL (`tickets.store.rawsql`) through `Store.write()`, the values serialised
    as the SQLModel columns store them, executemany of the tickets and of their `ticket.filed`
    events, the head moved; against sqlite3 executemany of the same rows and events, the same
    statements, run in turns and judged on CPU time (see `bench_tickets`).
Both sides run at the shipped durability (WAL, synchronous=FULL) on the real schema.
"""

from __future__ import annotations

import hashlib
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from common import Result, paired, raw_connection, sqlite_url
from filing import details_json, event_digest, ratio_spread, ratio_text, traced
from generate import T0, Template, copy_database, new_database
from sqlalchemy import event

DIRECTORY_TABLES = ("organization", "person", "subscription", "ims_campaign", "renewal_resource")


def _rows(conn, table: str) -> tuple[list[str], list[tuple]]:
    cursor = conn.execute(f"SELECT * FROM {table} ORDER BY rowid")
    columns = [d[0] for d in cursor.description]
    return columns, cursor.fetchall()


def bench_directory(template: Template, workdir: Path, *, repeat: int = 3) -> Result:
    """The store's import time was measured when the template was built (the import is the
    template's first step); the baseline loads the same rows `repeat` times (median)."""
    from tickets.audit.chain import canonical_bytes

    source = raw_connection(template.path)
    tables = {t: _rows(source, t) for t in DIRECTORY_TABLES}
    event = source.execute(
        "SELECT at, actor, action, subject, details FROM audit_event"
        " WHERE action = 'directory.imported' ORDER BY seq LIMIT 1"
    ).fetchone()
    source.close()
    rows = sum(len(r) for _, r in tables.values())
    times = []
    for n in range(repeat):
        target = workdir / f"raw-directory-{n}.db"
        new_database(target)
        conn = raw_connection(target)
        started = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        for table, (columns, data) in tables.items():
            conn.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})", data)
        _, seq, prev = conn.execute("SELECT id, seq, hash FROM audit_head WHERE id = 1").fetchone()
        at = datetime.fromisoformat(event[0]).replace(tzinfo=UTC)
        digest = hashlib.sha256(canonical_bytes(
            seq=seq + 1, at=at, actor=event[1], action=event[2], subject=event[3], details=json.loads(event[4]),
            prev_hash=prev)).hexdigest()
        conn.execute("INSERT INTO audit_event (seq, at, actor, action, subject, details, prev_hash, hash) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (seq + 1, *event, prev, digest))
        conn.execute("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", (seq + 1, digest))
        conn.execute("COMMIT")
        times.append(time.perf_counter() - started)
        conn.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
    times.sort()
    raw = times[len(times) // 2]
    orgs = len(tables["organization"][1])
    # The floor of any validating import: the two library checks every person needs (phone,
    # user ID), nothing else, no database.
    import phonenumbers
    from email_validator import validate_email

    people = [(p["phone"], o["country"], p["user_id"]) for o in template.document["organizations"] for p in o["people"]]
    started = time.perf_counter()
    for phone, country, user_id in people:
        phonenumbers.is_valid_number(phonenumbers.parse(phone, country))
        validate_email(user_id, check_deliverability=False)
    floor = time.perf_counter() - started
    return Result(
        "2a", f"Bulk load: directory import ({orgs:,} organizations, {rows:,} rows)",
        subject=rows / template.import_seconds, baseline=rows / raw, unit="rows/s", target=0.5,
        higher_is_better=True, subject_label="tickets.directory.import_directory",
        baseline_label="sqlite3 executemany",
        note=f"import {template.import_seconds:.1f} s (parse, check, apply) vs executemany {raw:.2f} s. Checking "
             f"only the {len(people):,} phones and user IDs with phonenumbers and email_validator takes {floor:.2f} s: "
             f"a validating import can reach at most {raw / (raw + floor):.2f} of executemany",
        extra={"validation_floor_s": floor},
    )


def _ticket_rows(source: Path, n: int) -> tuple[list[str], list[tuple], list[str]]:
    """The first `n` generated tickets, detached from calls (the template has none)."""
    conn = raw_connection(source)
    cursor = conn.execute(f"SELECT * FROM ticket ORDER BY id LIMIT {n}")
    columns = [d[0] for d in cursor.description]
    data = cursor.fetchall()
    actors = dict(conn.execute("SELECT id, name FROM agent").fetchall())
    conn.close()
    index = {c: i for i, c in enumerate(columns)}
    rows = []
    names = []
    for row in data:
        row = list(row)
        row[index["call_id"]] = None
        row[index["verification_id"]] = None
        rows.append(tuple(row))
        names.append(actors[row[index["filed_by_id"]]])
    return columns, rows, names


SELECT_NEXT_ID = "SELECT coalesce(max(id), 0) FROM ticket"
SELECT_HEAD = "SELECT seq, hash FROM audit_head WHERE id = 1"
EVENT_COLUMNS = ("seq", "at", "actor", "action", "subject", "details", "prev_hash", "hash")
UPDATE_HEAD = "UPDATE audit_head SET seq = :seq, hash = :hash WHERE id = 1"


def _details(v: dict[str, Any]) -> dict[str, Any]:
    return {"checklist": v["checklist"], "kind": v["kind"], "resource": None, "rules": v["rules"],
            "status": v["status"], "subscription": v["subscription_id"], "verification_id": None}


def _chain(seq: int, prev: str, ids, values, actors) -> tuple[list[tuple], int, str]:
    """The `ticket.filed` events of these tickets, hashed in order as tickets.audit.chain hashes them
    (the same work on both sides); the rows carry their `at` as given, datetimes or text."""
    events = []
    for ticket_id, v, actor in zip(ids, values, actors, strict=True):
        seq += 1
        d = _details(v)
        digest = event_digest(seq=seq, prev_hash=prev, at=v["created_at"], actor=actor, action="ticket.filed",
                              subject=f"ticket:{ticket_id}", details=d)
        events.append((seq, v["created_at"], actor, "ticket.filed", f"ticket:{ticket_id}", d, prev, digest))
        prev = digest
    return events, seq, prev


def bench_tickets(source: Path, template: Path, workdir: Path, *, n: int = 20_000, runs: int = 5) -> Result:
    """2b, run in turns (`common.paired`): each run loads n / runs new tickets with their events
    in one transaction on each side, into its own copy of the directory.

    deskapp: `Store.write()` with the prebuilt SQL of `tickets.store.rawsql` on the session's driver
    connection: the tickets' Python values (aware datetimes, JSON documents, booleans) bound
    as the SQLModel columns store them (`rawsql.bind_time`, `bind_json`), executemany of the
    tickets, the events hashed by tickets.audit.chain's encoding, executemany of the events, the head
    moved. deskapp has no bulk-ticket API of its own (tickets are filed one at a time, with
    their rules): this is one written with the store's tools.
    Baseline: sqlite3 executemany of the same rows as the file already holds them (text,
    JSON text, 0/1), the same events, the same statements."""
    from tickets.clock import FixedClock
    from tickets.store.database import Store, make_engine
    from tickets.store.rawsql import Raw, Sql, bind_json, bind_time

    runs = max(runs, 5)
    per_run = max(1, n // runs)
    columns, rows, actors = _ticket_rows(source, per_run * (runs + 1))  # + the warm-up run
    index = {c: i for i, c in enumerate(columns)}
    json_cols = {"fields", "checklist", "consequences", "rules"}
    dt_cols = {c for c in columns if c.endswith("_at")}
    bool_cols = {"needs_review", "needs_callback"}

    def python(row: tuple) -> dict[str, Any]:
        """A ticket as the product holds it before it is stored."""
        out: dict[str, Any] = {}
        for c, v in zip(columns, row, strict=True):
            if v is not None and c in json_cols:
                v = json.loads(v)
            elif v is not None and c in dt_cols:
                v = datetime.fromisoformat(v).replace(tzinfo=UTC)
            elif c in bool_cols:
                v = bool(v)
            out[c] = v
        return out

    values = [python(r) for r in rows]
    slices = [range(i * per_run, (i + 1) * per_run) for i in range(runs + 1)]
    insert_tickets = Sql(f"INSERT INTO ticket ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)})")
    insert_events = Sql(f"INSERT INTO audit_event ({', '.join(EVENT_COLUMNS)}) "
                        f"VALUES ({', '.join(':' + c for c in EVENT_COLUMNS)})")
    next_id, select_head, update_head = Sql(SELECT_NEXT_ID), Sql(SELECT_HEAD), Sql(UPDATE_HEAD)
    store_db, raw_db = workdir / "bulk-store.db", workdir / "bulk-raw.db"
    copy_database(template, store_db)
    copy_database(template, raw_db)
    store = Store(make_engine(sqlite_url(store_db)), FixedClock(T0))
    store_connections: list = []
    event.listen(store.engine, "connect", lambda dbapi, _record: store_connections.append(dbapi))
    conn = raw_connection(raw_db)
    turns = {"store": iter(slices), "raw": iter(slices)}

    def store_load() -> None:
        part = next(turns["store"])
        chunk, names = [values[i] for i in part], actors[part.start:part.stop]
        with store.write() as session:
            raw = Raw(session)
            d = raw.dialect
            first = raw.first(next_id)[0] + 1
            ids = range(first, first + len(chunk))
            raw.execute_many(insert_tickets, [
                {**{c: (bind_json(v[c]) if c in json_cols else bind_time(v[c], d) if c in dt_cols else v[c])
                    for c in columns}, "id": i}
                for i, v in zip(ids, chunk, strict=True)])
            seq, prev = raw.first(select_head)
            events, seq, prev = _chain(seq, prev, ids, chunk, names)
            raw.execute_many(insert_events, [
                {"seq": e[0], "at": bind_time(e[1], d), "actor": e[2], "action": e[3], "subject": e[4],
                 "details": details_json(e[5]), "prev_hash": e[6], "hash": e[7]} for e in events])
            raw.execute(update_head, {"seq": seq, "hash": prev})

    def raw_load() -> None:
        part = next(turns["raw"])
        conn.execute("BEGIN IMMEDIATE")
        first = conn.execute(SELECT_NEXT_ID).fetchone()[0] + 1
        ids = range(first, first + len(part))
        conn.executemany(insert_tickets.text, [dict(zip(columns, (i, *rows[j][1:]), strict=True))
                                               for i, j in zip(ids, part, strict=True)])
        seq, prev = conn.execute(SELECT_HEAD).fetchone()
        events, seq, prev = _chain(seq, prev, ids, [values[j] for j in part], actors[part.start:part.stop])
        conn.executemany(
            insert_events.text,
            [
                dict(
                    zip(
                        EVENT_COLUMNS,
                        (e[0], rows[j][index["created_at"]], e[2], e[3], e[4], details_json(e[5]), e[6], e[7]),
                        strict=True,
                    )
                )
                for e, j in zip(events, part, strict=True)
            ],
        )
        conn.execute(UPDATE_HEAD, {"seq": seq, "hash": prev})
        conn.execute("COMMIT")

    # The warm-up run of each side, its statements counted by sqlite3 itself.
    with store.read() as session:
        session.connection()  # opens the pooled connection, to trace it
    statements = {"store": len(traced(store_connections, store_load)), "raw": len(traced([conn], raw_load))}
    subject, baseline = paired(store_load, raw_load, runs, warmup=0)
    store.dispose()
    conn.close()
    _check_same(store_db, raw_db)
    for db in (store_db, raw_db):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
    r = ratio_spread(subject, baseline, per_run)
    return Result(
        "2b", f"Bulk load: {per_run * runs:,} tickets with their audit events",
        subject=1000 / r["subject_cpu_ms_median"], baseline=1000 / r["baseline_cpu_ms_median"],
        unit="tickets/CPU-s", target=0.5, higher_is_better=True,
        subject_label="Store.write() + tickets.store.rawsql executemany", baseline_label="sqlite3 executemany",
        note=f"{ratio_text(r)}; {per_run:,} tickets a run, one transaction each; statements per run: "
             f"deskapp {statements['store']}, baseline {statements['raw']}",
        extra={**r, "tickets_per_run": per_run},
    )


def _check_same(a: Path, b: Path) -> None:
    """Both sides wrote the same tickets and the same chain (the comparison is of equal work)."""
    heads = []
    for db in (a, b):
        conn = raw_connection(db)
        heads.append((conn.execute("SELECT seq, hash FROM audit_head").fetchone(),
                      conn.execute("SELECT count(*), max(id) FROM ticket").fetchone()))
        conn.close()
    if heads[0] != heads[1]:
        raise AssertionError(f"bulk bench: the two sides wrote different data: {heads}")
