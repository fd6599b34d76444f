"""The big database's audit chain: `tickets.audit.verify_chain` itself, bounded in time, and the
bench's own check of the same properties when it does not finish.

    python tests/bench/chaincheck.py official DB      # verify_chain; prints one JSON line
    python tests/bench/chaincheck.py bench DB         # the bench's check; prints one JSON line

The bench's check walks every event in seq order with the stdlib driver, recomputes each hash
with `tickets.audit.canonical_bytes`, follows the previous-hash links, compares `audit_head`,
and checks that every ticket has its `ticket.filed` event (from the walk, in one pass: no
per-ticket subquery). Same verdicts as verify_chain, none of its per-row ORM cost.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve()

ORPHAN_SQL = (
    "SELECT min(ticket.id) FROM ticket WHERE NOT (EXISTS (SELECT audit_event.seq FROM audit_event "
    "WHERE audit_event.subject = ('ticket:' || CAST(ticket.id AS VARCHAR)) AND audit_event.action = 'ticket.filed'))"
)


def official(path: str) -> dict:
    from tickets.audit import verify_chain
    from tickets.store import Store, make_engine

    started = time.perf_counter()
    store = Store(make_engine(f"sqlite:///{path}"))
    with store.read() as session:
        report = verify_chain(session)
    store.dispose()
    return {"ok": report.ok, "events": report.events_checked, "text": str(report),
            "seconds": time.perf_counter() - started}


def bench(path: str) -> dict:
    from tickets.audit import GENESIS_HASH, canonical_bytes

    enc = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode
    started = time.perf_counter()
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    expected, prev, checked, problem = 1, GENESIS_HASH, 0, None
    filed: set[int] = set()
    cursor = conn.execute("SELECT seq, at, actor, action, subject, details, prev_hash, hash FROM audit_event ORDER BY seq")
    while problem is None and (rows := cursor.fetchmany(10_000)):
        for seq, at, actor, action, subject, details, prev_hash, digest in rows:
            if seq != expected:
                problem = f"event {expected} is missing (next is {seq})"
                break
            if prev_hash != prev:
                problem = f"event {seq}: its previous-hash does not match the event before it"
                break
            # Fast path: the canonical text built by formatting; any event it does not confirm is
            # checked again with tickets.audit.canonical_bytes itself before it counts as broken.
            fast = (f'{{"action":{enc(action)},"actor":{enc(actor)},"at":"{at[:10]}T{at[11:]}Z",'
                    f'"details":{enc(json.loads(details))},"prev_hash":"{prev_hash}","seq":{seq},'
                    f'"subject":{enc(subject)}}}').encode() if len(at) == 26 else b""
            if hashlib.sha256(fast).hexdigest() != digest:
                moment = datetime.fromisoformat(at).replace(tzinfo=UTC)
                official_bytes = canonical_bytes(seq=seq, at=moment, actor=actor, action=action, subject=subject,
                                                 details=json.loads(details), prev_hash=prev_hash)
                if hashlib.sha256(official_bytes).hexdigest() != digest:
                    problem = f"event {seq}: its content does not match its hash"
                    break
            if action == "ticket.filed" and subject.startswith("ticket:"):
                filed.add(int(subject[7:]))
            prev, expected, checked = digest, expected + 1, checked + 1
    if problem is None:
        head = conn.execute("SELECT seq, hash FROM audit_head WHERE id = 1").fetchone()
        if head is None or head[0] != expected - 1 or head[1] != prev:
            problem = f"the chain ends at event {expected - 1} but its head records {head}"
    if problem is None:
        for (ticket_id,) in conn.execute("SELECT id FROM ticket ORDER BY id"):
            if ticket_id not in filed:
                problem = f"ticket {ticket_id} has no filing event"
                break
    plan = [row[-1] for row in conn.execute("EXPLAIN QUERY PLAN " + ORPHAN_SQL)]
    conn.close()
    text = (f"chain verified: {checked:,} events, every ticket filed, head matches" if problem is None
            else f"chain BROKEN: {problem}")
    return {"ok": problem is None, "events": checked, "text": text, "seconds": time.perf_counter() - started,
            "orphan_plan": plan}


def run(mode: str, path: Path, timeout: float) -> dict:
    """Run a check in its own process, bounded: {"ok", "events", "text", "seconds"} or
    {"timeout": seconds}."""
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, str(HERE), mode, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        out, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        return {"timeout": time.perf_counter() - started}
    if process.returncode:
        return {"error": f"exited {process.returncode}"}
    return json.loads(out.strip().splitlines()[-1])


if __name__ == "__main__":
    mode, db = sys.argv[1], sys.argv[2]
    print(json.dumps(official(db) if mode == "official" else bench(db)))
