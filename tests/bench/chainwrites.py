"""Audited writes a second on PostgreSQL with N concurrent writers (at least 500).

Each writer runs write transactions through the real store (`Store.transaction`, its retries):
one UPDATE of the writer's own row, then the audit append as the last statement, then the
commit. Three ways of appending, measured in turns in the same run, on a fresh database each:

- `after`:  tickets.audit.chain.append_event (one round trip, the link made in SQL);
- `before`: the append as it was before the chain's format 2 (SELECT .. FOR UPDATE of audit_head, hash in
  Python, INSERT, UPDATE: three round trips with the head locked while Python works);
- `none`:   the same transaction inserting an unchained event row: the machine's ceiling;
- `lanes`:  a PROTOTYPE of the chain split into `--lanes` lanes (not yet the store's format): the
  same one-statement append on bench tables, the lane chosen by the backend's pid, the lane's
  head locked first and the global seq drawn from a sequence only then (so seq rises along
  every lane); each lane its own hash chain, checked at the end like `after`.

Writers are threads spread over a few processes (2 cores: one process per writer would measure
the scheduler). Each point is the median of `--runs` runs with min and max; the chain of every
`after` run is verified at the end (nothing lost, nothing doubled).

    .venv/bin/python tests/bench/chainwrites.py --writers 1,16,64 --seconds 5 --runs 5
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing as mp
import statistics
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sqlalchemy import text  # noqa: E402

from tickets.audit.chain import GENESIS_HASH, append_event, canonical_bytes, verify_chain  # noqa: E402
from tickets.audit.format import content_hash, details_text  # noqa: E402
from tickets.store.database import Store, make_engine  # noqa: E402
from tickets.store.schema import upgrade  # noqa: E402

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
MODES = ("after", "before", "none", "lanes")
LANES = 16
TARGET = 500


def legacy_append(session, *, at, actor, action, subject, details) -> None:
    """The append before the chain's format 2, as it was (format-1 hash over seq and previous hash)."""
    connection = session.connection()
    seq, prev = connection.execute(text("SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE")).one()
    digest = hashlib.sha256(canonical_bytes(seq=seq + 1, at=at, actor=actor, action=action, subject=subject,
                                            details=details, prev_hash=prev)).hexdigest()
    connection.execute(text("INSERT INTO audit_event (seq, at, actor, action, subject, details, prev_hash, hash) "
                            "VALUES (:seq, :at, :actor, :action, :subject, CAST(:details AS json), :prev, :hash)"),
                       {"seq": seq + 1, "at": at, "actor": actor, "action": action, "subject": subject,
                        "details": json.dumps(details), "prev": prev, "hash": digest})
    connection.execute(text("UPDATE audit_head SET seq = :s, hash = :h WHERE id = 1"), {"s": seq + 1, "h": digest})


# The lane's head is locked in `h` (a CTE with FOR UPDATE is evaluated once, before `e` reads
# it), so nextval() runs with the lane held: a later append to the lane always gets a larger seq.
LANE_APPEND = text(
    "WITH h AS (SELECT lane, hash FROM bench_lane WHERE lane = pg_backend_pid() % :lanes FOR UPDATE), "
    "e AS (INSERT INTO bench_lane_event (seq, lane, at, actor, action, subject, details, prev_hash, hash) "
    "SELECT s.seq, h.lane, :at, CAST(:actor AS text), CAST(:action AS text), CAST(:subject AS text), "
    "CAST(:details AS json), h.hash, encode(sha256(convert_to(CAST(s.seq AS text) || ':' || CAST(h.lane AS text) "
    "|| ':' || h.hash || ':' || CAST(:content AS text), 'UTF8')), 'hex') "
    "FROM h, LATERAL (SELECT nextval('bench_lane_seq') AS seq) s RETURNING seq, lane, hash) "
    "UPDATE bench_lane SET seq = e.seq, hash = e.hash FROM e WHERE bench_lane.lane = e.lane RETURNING e.seq"
)


def lanes_append(session, *, at, actor, action, subject, details) -> None:
    content = content_hash(at=at, actor=actor, action=action, subject=subject, details=details)
    session.execute(LANE_APPEND, {"lanes": LANES, "at": at, "actor": actor, "action": action, "subject": subject,
                                  "details": details_text(details), "content": content}).one()


def check_lanes(url: str, total: int) -> str:
    """Every lane a whole chain: seq rising, each prev the lane's previous hash, each hash its
    link, the lane's head on its last event; and every write there once."""
    engine = make_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT seq, lane, at, actor, action, subject, details, prev_hash, hash "
                                       "FROM bench_lane_event ORDER BY seq")).all()
        heads = dict(connection.execute(text("SELECT lane, hash FROM bench_lane")).all())
    engine.dispose()
    state = {lane: (0, GENESIS_HASH) for lane in heads}
    for seq, lane, at, actor, action, subject, details, prev, digest in rows:
        last_seq, last_hash = state[lane]
        content = content_hash(at=at, actor=actor, action=action, subject=subject, details=details)
        link = hashlib.sha256(f"{seq}:{lane}:{prev}:{content}".encode()).hexdigest()
        if seq <= last_seq or prev != last_hash or link != digest:
            return f"NOT VERIFIED: lane {lane} broken at seq {seq}"
        state[lane] = (seq, digest)
    if any(heads[lane] != state[lane][1] for lane in heads) or len(rows) != total:
        return f"NOT VERIFIED: {len(rows)} events for {total} writes, or a lane head off its chain"
    return f"verified ({sum(1 for s in state.values() if s[0])} lanes used)"


def _writer(store: Store, mode: str, writer: int, stop: float, counts: list[int]) -> None:
    done = 0

    def work(session) -> None:
        session.execute(text("UPDATE bench_work SET n = n + 1 WHERE id = :w"), {"w": writer})
        fields = dict(at=datetime.now(UTC), actor=f"agent{writer:03d}", action="ticket.note",
                      subject=f"ticket:{writer}", details={"n": done, "rule": "A-1"})
        if mode == "after":
            append_event(session, **fields)
        elif mode == "before":
            legacy_append(session, **fields)
        elif mode == "lanes":
            lanes_append(session, **fields)
        else:
            session.execute(text("INSERT INTO bench_event (at, actor, action, subject, details) "
                                 "VALUES (:at, :actor, :action, :subject, CAST(:details AS json))"),
                            {**fields, "details": json.dumps(fields["details"])})

    while time.time() < stop:
        store.transaction(work)
        done += 1
    counts.append(done)


def _process(url: str, mode: str, writers: list[int], seconds: float, ready, go, out, lanes: int) -> None:
    global LANES
    LANES = lanes  # a spawned process imports this module afresh
    store = Store(make_engine(url, pool_size=len(writers)))
    counts: list[int] = []
    ready.put(1)
    go.wait()  # every process imported and ready: the window starts for all at once
    stop = time.time() + seconds
    threads = [threading.Thread(target=_writer, args=(store, mode, w, stop, counts)) for w in writers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    store.dispose()
    out.put(sum(counts))


class Database:
    """A fresh migrated database of the bench's own (a new name each run: never a fixed one)."""

    def __init__(self, admin_url: str, lanes: int = LANES) -> None:
        self.name = f"deskapp_chainwrites_{uuid.uuid4().hex[:10]}"
        self.admin = make_engine(admin_url).execution_options(isolation_level="AUTOCOMMIT")
        with self.admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{self.name}"')
        self.url = admin_url.rsplit("/", 1)[0] + "/" + self.name
        engine = make_engine(self.url)
        upgrade(engine)
        with engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE bench_work (id int PRIMARY KEY, n int NOT NULL)")
            connection.exec_driver_sql("INSERT INTO bench_work SELECT g, 0 FROM generate_series(0, 255) g")
            connection.exec_driver_sql("CREATE TABLE bench_event (id serial PRIMARY KEY, at timestamptz, actor text, "
                                       "action text, subject text, details json)")
            connection.exec_driver_sql("CREATE TABLE bench_lane (lane int PRIMARY KEY, seq bigint NOT NULL, "
                                       "hash text NOT NULL)")
            connection.execute(text("INSERT INTO bench_lane SELECT g, 0, :h FROM generate_series(0, :n) g"),
                               {"h": GENESIS_HASH, "n": lanes - 1})
            connection.exec_driver_sql("CREATE SEQUENCE bench_lane_seq")
            connection.exec_driver_sql("CREATE TABLE bench_lane_event (seq bigint PRIMARY KEY, lane int NOT NULL, "
                                       "at timestamptz, actor text, action text, subject text, details json, "
                                       "prev_hash text NOT NULL, hash text NOT NULL)")
        engine.dispose()

    def drop(self) -> None:
        with self.admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self.admin.dispose()


def one_run(admin_url: str, mode: str, writers: int, seconds: float, processes: int,
            lanes: int = LANES) -> tuple[float, str]:
    """Audited writes a second of one run, and its chain's verdict."""
    database = Database(admin_url, lanes)
    try:
        context = mp.get_context("spawn")
        out, ready, go = context.Queue(), context.Queue(), context.Event()
        groups = [list(range(p, writers, processes)) for p in range(min(processes, writers))]
        workers = [context.Process(target=_process, args=(database.url, mode, g, seconds, ready, go, out, lanes))
                   for g in groups]
        for worker in workers:
            worker.start()
        for _ in workers:
            ready.get()
        go.set()
        total = sum(out.get() for _ in workers)
        for worker in workers:
            worker.join()
        verdict = "-"
        if mode == "after":
            store = Store(make_engine(database.url))
            with store.read() as session:
                report = verify_chain(session)
            store.dispose()
            verdict = "verified" if report.ok and report.events_checked == total else f"NOT VERIFIED: {report}"
        elif mode == "lanes":
            verdict = check_lanes(database.url, total)
        return total / seconds, verdict
    finally:
        database.drop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg-url", default=DEFAULT_PG)
    parser.add_argument("--writers", default="1,16,64")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--processes", type=int, default=4, help="client processes the writers are spread over")
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--lanes", type=int, default=LANES, help="lanes of the `lanes` prototype")
    args = parser.parse_args(argv)
    figures: dict[str, dict[str, list[float]]] = {}
    modes = args.modes.split(",")
    for writers in (int(w) for w in args.writers.split(",")):
        for run in range(args.runs):
            for mode in modes:  # in turns: the machine's load falls on every mode alike
                rate, verdict = one_run(args.pg_url, mode, writers, args.seconds, args.processes, args.lanes)
                figures.setdefault(str(writers), {}).setdefault(mode, []).append(rate)
                print(f"writers {writers:3d} run {run + 1} {mode:6s} {rate:7.1f}/s {verdict}", flush=True)
                if verdict.startswith("NOT"):
                    return 1
    print("\n| writers | " + " | ".join(f"{m} median (min-max)" for m in modes)
          + " | after / none | lanes / none | target |")
    print("| --- | " + " | ".join("---" for _ in modes) + " | --- | --- | --- |")
    for writers, by_mode in figures.items():
        cells = [f"{statistics.median(v):.0f} ({min(v):.0f}-{max(v):.0f})" for v in by_mode.values()]
        # Against `none` of the same run: the machine's ceiling at that moment (it is shared).
        ratios = [f"{statistics.median(by_mode[m]) / statistics.median(by_mode['none']):.2f}"
                  if m in by_mode and "none" in by_mode else "-" for m in ("after", "lanes")]
        best = max(statistics.median(by_mode[m]) for m in ("after", "lanes") if m in by_mode) if (
            "after" in by_mode or "lanes" in by_mode) else 0
        met = "met" if best >= TARGET else "not met"
        print(f"| {writers} | " + " | ".join(cells) + f" | {' | '.join(ratios)} | >= {TARGET}/s: {met} |")
    Path("bench-output").mkdir(exist_ok=True)
    Path("bench-output/chainwrites.json").write_text(json.dumps(figures, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
