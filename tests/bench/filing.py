"""Target 1: filing a ticket with its audit event, one commit each, at the shipped durability.

deskapp: `tickets.filing.file_ticket` with a verified call (early cancellation of an Intune
subscription of the bench organization, each on its own subscription so that C-9 allows it).
Baseline: the stdlib `sqlite3` doing the same SQL (the statements below are the ones the store
issues, captured from SQLAlchemy's log) in one BEGIN IMMEDIATE .. COMMIT: the same checks'
SELECTs, INSERT ticket, SELECT audit_head, INSERT audit_event (hashed as tickets.audit does),
UPDATE audit_head. Same file, WAL, synchronous=FULL, same indexes. The two run in turns, in
blocks, so that load from elsewhere on the machine hits both alike.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event

from common import Result, RunningClock, raw_connection, sqlite_url
from generate import BENCH_ORG, claim_for

ACTIVE = ("open", "approved", "pending_review", "in_progress")
TICKET_COLS = (
    "ticket.id, ticket.kind, ticket.status, ticket.organization_id, ticket.subscription_id, ticket.resource_id, "
    "ticket.call_id, ticket.verification_id, ticket.filed_by_id, ticket.created_at, ticket.updated_at, "
    "ticket.idempotency_key, ticket.content_hash, ticket.requested_date, ticket.reason, ticket.fields, "
    "ticket.checklist, ticket.consequences, ticket.rules, ticket.needs_review, ticket.needs_callback, "
    "ticket.callback_at, ticket.callback_by_id, ticket.callback_note, ticket.decided_by_id, ticket.decided_at, "
    "ticket.decision_reason, ticket.effective_date, ticket.data_deletion_date, ticket.reversal_deadline, "
    "ticket.resolved_at"
)
SELECT_REPLAY = f"SELECT {TICKET_COLS} \nFROM ticket \nWHERE ticket.idempotency_key IN (?)"
SELECT_ATTEMPT = (
    "SELECT verification_attempt.id, verification_attempt.organization_id, verification_attempt.agent_id, "
    "verification_attempt.call_id, verification_attempt.at, verification_attempt.passed, "
    "verification_attempt.failed_factors, verification_attempt.person_id, verification_attempt.roles, "
    "verification_attempt.expires_at \nFROM verification_attempt \nWHERE verification_attempt.id = ?"
)
SELECT_CALL = (
    "SELECT call.id, call.agent_id, call.organization_id, call.started_at, call.ended_at, call.wrap_up_note "
    "\nFROM call \nWHERE call.id = ?"
)
SELECT_SUB = (
    "SELECT subscription.id, subscription.ref, subscription.organization_id, subscription.name, "
    "subscription.product, subscription.channel, subscription.platform, subscription.state, "
    "subscription.purchased_at, subscription.term_start, subscription.term_end, subscription.auto_renew, "
    "subscription.licenses_assigned, subscription.custom_domains, subscription.cancelled_at, "
    "subscription.expedited_at, subscription.data_deleted_at \nFROM subscription \nWHERE subscription.ref = ?"
)
SELECT_PERSON = (
    "SELECT person.id, person.organization_id, person.user_id, person.first_name, person.last_name, "
    "person.phone_e164, person.is_primary_contact, person.roles \nFROM person \nWHERE person.id = ?"
)
SELECT_CAMPAIGNS = (
    "SELECT ims_campaign.id, ims_campaign.ref, ims_campaign.subscription_id, ims_campaign.name, "
    "ims_campaign.billing_admin_user_id, ims_campaign.state \nFROM ims_campaign \n"
    "WHERE ims_campaign.subscription_id IN (?) ORDER BY ims_campaign.ref"
)
SELECT_ACTIVE = (
    f"SELECT {TICKET_COLS} \nFROM ticket \nWHERE ticket.subscription_id IN (?) AND ticket.status IN (?, ?, ?, ?) "
    "ORDER BY ticket.created_at DESC"
)
INSERT_TICKET = (
    "INSERT INTO ticket (kind, status, organization_id, subscription_id, resource_id, call_id, verification_id, "
    "filed_by_id, created_at, updated_at, idempotency_key, content_hash, requested_date, reason, fields, "
    "checklist, consequences, rules, needs_review, needs_callback, callback_at, callback_by_id, callback_note, "
    "decided_by_id, decided_at, decision_reason, effective_date, data_deletion_date, reversal_deadline, "
    "resolved_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
SELECT_HEAD = "SELECT audit_head.id, audit_head.seq, audit_head.hash \nFROM audit_head \nWHERE audit_head.id = ?"
INSERT_EVENT = (
    "INSERT INTO audit_event (seq, at, actor, action, subject, details, prev_hash, hash) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
UPDATE_HEAD = "UPDATE audit_head SET seq=?, hash=? WHERE audit_head.id = ?"
RAW_STATEMENTS = 13  # BEGIN IMMEDIATE, 7 SELECTs, INSERT, SELECT head, INSERT event, UPDATE head, COMMIT


def _sqlite_dt(moment) -> str:
    return moment.replace(tzinfo=None).isoformat(" ", "microseconds")


class RawFiler:
    """The baseline: one filing as the stdlib driver does it, nothing else."""

    def __init__(self, path: Path, clock: RunningClock, template: dict[str, Any]) -> None:
        self.conn = raw_connection(path)
        self.clock = clock
        self.t = template  # values of a real filing: consequences, checklist, rules ...

    def file(self, *, key: str, verification_id: int, sub_ref: str, agent_id: int, agent_name: str) -> int:
        from tickets.audit import canonical_bytes

        conn = self.conn
        t = self.t
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute(SELECT_REPLAY, (key,)).fetchall()
            attempt = conn.execute(SELECT_ATTEMPT, (verification_id,)).fetchone()
            conn.execute(SELECT_CALL, (attempt[3],)).fetchone()
            sub = conn.execute(SELECT_SUB, (sub_ref,)).fetchone()
            conn.execute(SELECT_PERSON, (attempt[7],)).fetchone()
            conn.execute(SELECT_CAMPAIGNS, (sub[0],)).fetchall()
            conn.execute(SELECT_ACTIVE, (sub[0], *ACTIVE)).fetchall()
            now = self.clock.now()
            at = _sqlite_dt(now)
            cursor = conn.execute(INSERT_TICKET, (
                "cancel_early", "open", sub[2], sub[0], None, attempt[3], attempt[0], agent_id, at, at, key,
                t["content_hash"], None, None, json.dumps({}), json.dumps(t["checklist"]),
                json.dumps(t["consequences"]), json.dumps(t["rules"]), 0, 0, None, None, None, None, None, None,
                t["effective_date"], t["data_deletion_date"], None, None,
            ))
            ticket_id = cursor.lastrowid
            _, seq, prev = conn.execute(SELECT_HEAD, (1,)).fetchone()
            details = {
                "checklist": t["checklist"], "kind": "cancel_early", "resource": None, "rules": t["rules"],
                "status": "open", "subscription": sub[1], "verification_id": attempt[0],
            }
            digest = hashlib.sha256(canonical_bytes(
                seq=seq + 1, at=now, actor=agent_name, action="ticket.filed", subject=f"ticket:{ticket_id}",
                details=details, prev_hash=prev,
            )).hexdigest()
            conn.execute(INSERT_EVENT, (seq + 1, at, agent_name, "ticket.filed", f"ticket:{ticket_id}",
                                        json.dumps(details), prev, digest))
            conn.execute(UPDATE_HEAD, (seq + 1, digest, 1))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return ticket_id

    def close(self) -> None:
        self.conn.close()


def free_bench_subscriptions(path: Path) -> tuple[int, list[str]]:
    """The bench organization's id and its subscriptions with no open cancellation (C-9)."""
    conn = raw_connection(path)
    try:
        org_id = conn.execute("SELECT id FROM organization WHERE ref = ?", (BENCH_ORG,)).fetchone()[0]
        refs = [r[0] for r in conn.execute(
            "SELECT s.ref FROM subscription s WHERE s.organization_id = ? AND NOT EXISTS (SELECT 1 FROM ticket t "
            "WHERE t.subscription_id = s.id AND t.status IN ('open','approved','pending_review','in_progress')) "
            "ORDER BY s.id", (org_id,))]
    finally:
        conn.close()
    return org_id, refs


def bench_filing(path: Path, document: dict[str, Any], *, filings: int, block: int = 20) -> Result:
    from tickets.agents import get_agent
    from tickets.enums import TicketKind
    from tickets.filing import FilingRequest, file_ticket
    from tickets.models import Ticket
    from tickets.store import Store, make_engine
    from tickets.verification import start_call, verify_caller

    clock = RunningClock()
    store = Store(make_engine(sqlite_url(path)), clock)
    org_doc = next(o for o in document["organizations"] if o["ref"] == BENCH_ORG)
    org_id, subs = free_bench_subscriptions(path)
    need = 2 * (filings + 2)
    if len(subs) < need:
        raise RuntimeError(f"filing bench: {len(subs)} free bench subscriptions, {need} needed (regenerate)")
    conn = raw_connection(path)
    agent_id = conn.execute("SELECT id FROM agent WHERE name = 'agent001'").fetchone()[0]
    conn.close()
    agent = get_agent(store, agent_id)
    call_id = start_call(store, agent)
    verified = verify_caller(store, agent=agent, organization_id=org_id, claim=claim_for(org_doc), call_id=call_id)
    assert verified.passed, verified
    confirmed = frozenset({"remove_domains", "update_dns", "save_data"})
    sub_iter = iter(subs)
    statements: list[str] = []
    run = f"{time.time_ns() // 1_000_000:x}"  # keys unique to this run (T-3 would replay an old one)

    def store_file(n: int) -> int:
        request = FilingRequest(kind=TicketKind.CANCEL_EARLY, subscription_ref=next(sub_iter),
                                idempotency_key=f"bench-{run}-store-{n}", confirmed=confirmed)
        result = file_ticket(store, agent=agent, verification_id=verified.verification_id, request=request)
        return result.filed[0].id

    # Warm-up, and a real filing's statements and values for the baseline to repeat.
    @event.listens_for(store.engine, "before_cursor_execute")
    def _log(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    first = store_file(-1)
    event.remove(store.engine, "before_cursor_execute", _log)
    with store.read() as session:
        ticket = session.get(Ticket, first)
        template = {
            "content_hash": ticket.content_hash, "checklist": ticket.checklist, "rules": ticket.rules,
            "consequences": ticket.consequences, "effective_date": ticket.effective_date,
            "data_deletion_date": ticket.data_deletion_date,
        }
    raw = RawFiler(path, clock, template)
    raw_ids = []

    def raw_file(n: int) -> int:
        return raw.file(key=f"bench-{run}-raw-{n}", verification_id=verified.verification_id, sub_ref=next(sub_iter),
                        agent_id=agent.id, agent_name=agent.name)

    raw_ids.append(raw_file(-1))
    store_time = raw_time = 0.0
    done = 0
    store_ids = []
    while done < filings:
        size = min(block, filings - done)
        started = time.perf_counter()
        for n in range(done, done + size):
            store_ids.append(store_file(n))
        store_time += time.perf_counter() - started
        started = time.perf_counter()
        for n in range(done, done + size):
            raw_ids.append(raw_file(n))
        raw_time += time.perf_counter() - started
        done += size
    raw.close()
    store.dispose()
    store_statements = len(statements) + 1  # + COMMIT (SQLAlchemy commits through the DBAPI)
    return Result(
        "1", "Filing a ticket + audit event, one commit each (WAL, synchronous=FULL)",
        subject=filings / store_time, baseline=filings / raw_time, unit="tickets/s", target=0.5,
        higher_is_better=True, subject_label="tickets.filing.file_ticket",
        baseline_label="sqlite3, same SQL",
        note=f"{filings} filings each; {store_statements} statements per store filing, {RAW_STATEMENTS} raw",
        extra={"store_ms": 1000 * store_time / filings, "raw_ms": 1000 * raw_time / filings},
    )


if __name__ == "__main__":
    import sys

    import generate

    path = Path(sys.argv[1])
    result = bench_filing(path, generate.make_directory(2000, bench_subs=1200), filings=int(sys.argv[2]))
    print(result)
