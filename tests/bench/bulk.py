"""Target 2: bulk loads, against the stdlib `sqlite3` doing executemany of the same rows.

2a. The directory: `tickets.directory.import_directory` of the generated directory (its JSON
    bytes: parsed, checked, applied in one transaction with its audit event) into a fresh
    database, against executemany of the very rows it wrote (read back from that database)
    into another fresh database, in one transaction, with the audit event and head.
2b. Tickets: the store's way to add many tickets (SQLModel objects through `Store.write()`,
    `session.add_all`, each with its `ticket.filed` event hashed by `tickets.audit.event_hash`
    and the head moved; one transaction per 5,000), against executemany of the same rows and
    events (hashed with `tickets.audit.canonical_bytes`). deskapp has no bulk ticket API of
    its own; this is what one written with the store's tools does.
Both sides run at the shipped durability (WAL, synchronous=FULL) on the real schema.
"""

from __future__ import annotations

import hashlib
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from common import Result, raw_connection, sqlite_url
from generate import T0, Template, copy_database, new_database

DIRECTORY_TABLES = ("organization", "person", "subscription", "ims_campaign", "renewal_resource")
CHUNK = 5000


def _rows(conn, table: str) -> tuple[list[str], list[tuple]]:
    cursor = conn.execute(f"SELECT * FROM {table} ORDER BY rowid")
    columns = [d[0] for d in cursor.description]
    return columns, cursor.fetchall()


def bench_directory(template: Template, workdir: Path, *, repeat: int = 3) -> Result:
    """The store's import time was measured when the template was built (the import is the
    template's first step); the baseline loads the same rows `repeat` times (median)."""
    from tickets.audit import canonical_bytes

    source = raw_connection(template.path)
    tables = {t: _rows(source, t) for t in DIRECTORY_TABLES}
    event = source.execute(
        "SELECT at, actor, action, subject, details FROM audit_event WHERE action = 'directory.imported' ORDER BY seq LIMIT 1"
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


def bench_tickets(source: Path, template: Path, workdir: Path, *, n: int = 20_000) -> Result:
    from sqlmodel import select

    from tickets.audit import canonical_bytes, event_hash
    from tickets.clock import FixedClock
    from tickets.models import AuditEvent, AuditHead, Ticket
    from tickets.store import Store, make_engine

    columns, rows, actors = _ticket_rows(source, n)
    index = {c: i for i, c in enumerate(columns)}
    json_cols = {"fields", "checklist", "consequences", "rules"}
    dt_cols = {c for c in columns if c.endswith("_at")}
    bool_cols = {"needs_review", "needs_callback"}

    def python(row: tuple) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for c, v in zip(columns, row, strict=True):
            if c == "id":
                continue
            if v is not None and c in json_cols:
                v = json.loads(v)
            elif v is not None and c in dt_cols:
                v = datetime.fromisoformat(v).replace(tzinfo=UTC)
            elif c in bool_cols:
                v = bool(v)
            out[c] = v
        return out

    values = [python(r) for r in rows]

    def details(v: dict[str, Any]) -> dict[str, Any]:
        return {"checklist": v["checklist"], "kind": v["kind"], "resource": None, "rules": v["rules"],
                "status": v["status"], "subscription": v["subscription_id"], "verification_id": None}

    # deskapp: SQLModel through the store.
    store_db = workdir / "bulk-store.db"
    copy_database(template, store_db)
    store = Store(make_engine(sqlite_url(store_db)), FixedClock(T0))
    started = time.perf_counter()
    for start in range(0, len(values), CHUNK):
        with store.write() as session:
            tickets = [Ticket(**v) for v in values[start:start + CHUNK]]
            session.add_all(tickets)
            session.flush()
            head = session.exec(select(AuditHead).where(AuditHead.id == 1).with_for_update()).one()
            seq, prev = head.seq, head.hash
            events = []
            for ticket, actor in zip(tickets, actors[start:start + CHUNK], strict=True):
                seq += 1
                event = AuditEvent(seq=seq, at=ticket.created_at, actor=actor, action="ticket.filed",
                                   subject=f"ticket:{ticket.id}", details=details(ticket.model_dump()),
                                   prev_hash=prev, hash="")
                event.hash = prev = event_hash(event)
                events.append(event)
            session.add_all(events)
            head.seq, head.hash = seq, prev
            session.add(head)
    store_time = time.perf_counter() - started
    store.dispose()

    # The fix measured: the same rows through the same store, as Core executemany (SQLAlchemy's
    # insertmanyvalues with RETURNING for the ids) instead of SQLModel objects and a flush.
    from sqlalchemy import insert, update

    core_db = workdir / "bulk-core.db"
    copy_database(template, core_db)
    store = Store(make_engine(sqlite_url(core_db)), FixedClock(T0))
    ticket_table, event_table, head_table = Ticket.__table__, AuditEvent.__table__, AuditHead.__table__
    add_tickets = insert(ticket_table).returning(ticket_table.c.id, sort_by_parameter_order=True)
    started = time.perf_counter()
    for start in range(0, len(values), CHUNK):
        chunk = values[start:start + CHUNK]
        with store.write() as session:
            connection = session.connection()
            ids = connection.execute(add_tickets, chunk).scalars().all()
            seq, prev = connection.execute(
                select(head_table.c.seq, head_table.c.hash).where(head_table.c.id == 1).with_for_update()).one()
            events = []
            for ticket_id, v, actor in zip(ids, chunk, actors[start:start + CHUNK], strict=True):
                seq += 1
                d = details(v)
                digest = hashlib.sha256(canonical_bytes(seq=seq, at=v["created_at"], actor=actor, action="ticket.filed",
                                                        subject=f"ticket:{ticket_id}", details=d, prev_hash=prev)).hexdigest()
                events.append({"seq": seq, "at": v["created_at"], "actor": actor, "action": "ticket.filed",
                               "subject": f"ticket:{ticket_id}", "details": d, "prev_hash": prev, "hash": digest})
                prev = digest
            connection.execute(insert(event_table), events)
            connection.execute(update(head_table).where(head_table.c.id == 1).values(seq=seq, hash=prev))
    core_time = time.perf_counter() - started
    store.dispose()

    # Baseline: the same rows and events with executemany.
    raw_db = workdir / "bulk-raw.db"
    copy_database(template, raw_db)
    conn = raw_connection(raw_db)
    first_id = conn.execute("SELECT coalesce(max(id), 0) FROM ticket").fetchone()[0] + 1
    insert = f"INSERT INTO ticket ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
    started = time.perf_counter()
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start:start + CHUNK]
        conn.execute("BEGIN IMMEDIATE")
        ids = range(first_id + start, first_id + start + len(chunk))
        conn.executemany(insert, [(i, *r[1:]) for i, r in zip(ids, chunk, strict=True)])
        _, seq, prev = conn.execute("SELECT id, seq, hash FROM audit_head WHERE id = 1").fetchone()
        events = []
        for ticket_id, v, actor in zip(ids, values[start:start + CHUNK], actors[start:start + CHUNK], strict=True):
            seq += 1
            d = details(v)
            digest = hashlib.sha256(canonical_bytes(seq=seq, at=v["created_at"], actor=actor, action="ticket.filed",
                                                    subject=f"ticket:{ticket_id}", details=d, prev_hash=prev)).hexdigest()
            events.append((seq, v["created_at"].replace(tzinfo=None).isoformat(" ", "microseconds"), actor,
                           "ticket.filed", f"ticket:{ticket_id}", json.dumps(d), prev, digest))
            prev = digest
        conn.executemany("INSERT INTO audit_event (seq, at, actor, action, subject, details, prev_hash, hash) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", events)
        conn.execute("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", (seq, prev))
        conn.execute("COMMIT")
    raw_time = time.perf_counter() - started
    conn.close()
    for db in (store_db, raw_db, core_db):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
    return Result(
        "2b", f"Bulk load: {len(rows):,} tickets with their audit events",
        subject=len(rows) / store_time, baseline=len(rows) / raw_time, unit="tickets/s", target=0.5,
        higher_is_better=True, subject_label="SQLModel add_all via Store.write()",
        baseline_label="sqlite3 executemany",
        note=f"{CHUNK:,} per transaction; {store_time:.1f} s vs {raw_time:.1f} s. The same load as Core executemany "
             f"through the same store (the proposed fix): {len(rows) / core_time:,.0f} tickets/s, ratio "
             f"{raw_time / core_time:.2f}",
        extra={"core_ratio": raw_time / core_time},
    )
