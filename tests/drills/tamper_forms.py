"""The tamper drill's forms (tests/drills/tamper.py): the desk it builds and what an insider
holding the owner's rights does to it, one function per form."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import text, update
from sqlmodel import Session

import testkit
from drills.common import EXPEDITED_CHECKLIST, DrillDirectory
from tickets.audit.chain import Anchor, append_event, chain_head, event_link
from tickets.audit.format import details_text
from tickets.audit.record import callback_record
from tickets.enums import TicketKind
from tickets.export.run import write_export
from tickets.filing import FilingRequest, file_ticket
from tickets.lifecycle import approve, record_callback
from tickets.store.database import Store
from tickets.store.models import Ticket
from tickets.store.rawsql import bind_time, read_time
from tickets.store.roles import GUARD_TRIGGERS


@dataclass
class Desk:
    store: Store
    approved: int  # ticket with a callback and an approval
    pending: int  # expedited, pending review, no callback
    supervisor: str  # a supervisor who decided nothing
    anchor: Anchor
    callback_seq: int
    agent_id: int  # the agent who filed both
    supervisor_id: int
    spare_subscription: int  # another subscription of the same organization


def build(url: str) -> Desk:
    store = testkit.make_store(url)
    directory = DrillDirectory(store, extra_subscriptions=3)

    def expedited(sub: str, key: str) -> int:
        request = FilingRequest(kind=TicketKind.EXPEDITED_DEPROVISIONING, subscription_ref=sub,
                                idempotency_key=key, confirmed=EXPEDITED_CHECKLIST)
        return file_ticket(store, agent=directory.agent, verification_id=directory.verified(),
                           request=request).filed[0].id

    first, second = expedited(directory.sub_refs[0], "t1"), expedited(directory.sub_refs[1], "t2")
    with store.read() as session:
        callback_seq = chain_head(session).seq + 1
    record_callback(store, agent=directory.agent, ticket_id=first, note="called back on the number on file")
    approve(store, supervisor=directory.supervisor, ticket_id=first, reason="callback made")
    write_export(store, io.StringIO(), fmt="jsonl")
    with store.read() as session:
        anchor = chain_head(session)
        spare = session.execute(text("SELECT id FROM subscription WHERE ref = :r"),
                                {"r": directory.sub_refs[2]}).scalar_one()
    return Desk(store, first, second, directory.supervisor2.name, anchor, callback_seq, directory.agent.id,
                directory.supervisor.id, spare)


# --- what an insider does --------------------------------------------------------------------


def set_guards_aside(connection) -> None:
    if connection.dialect.name == "sqlite":
        for trigger in GUARD_TRIGGERS["sqlite"]:
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {trigger}")
    else:
        connection.exec_driver_sql("ALTER TABLE audit_event DISABLE TRIGGER USER")
        connection.exec_driver_sql("ALTER TABLE audit_head DISABLE TRIGGER USER")


def put_guards_back(connection, saved: dict[str, str]) -> None:
    """A careful insider leaves the guards as they were (`saved`: SQLite's trigger texts)."""
    if connection.dialect.name == "sqlite":
        for sql in saved.values():
            connection.exec_driver_sql(sql)
    else:
        connection.exec_driver_sql("ALTER TABLE audit_event ENABLE TRIGGER USER")
        connection.exec_driver_sql("ALTER TABLE audit_head ENABLE TRIGGER USER")


def saved_guards(connection) -> dict[str, str]:
    if connection.dialect.name != "sqlite":
        return {}
    found = dict(connection.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")).all())
    return {name: sql for name, sql in found.items() if name in GUARD_TRIGGERS["sqlite"]}


def _json_param(connection) -> str:
    return ":details" if connection.dialect.name == "sqlite" else "CAST(:details AS json)"


def _events(connection, from_seq: int) -> list[dict]:
    rows = connection.execute(text(
        "SELECT seq, at, actor, action, subject, CAST(details AS text) AS details FROM audit_event "
        "WHERE seq >= :s ORDER BY seq"), {"s": from_seq}).mappings().all()
    return [{**r, "details": json.loads(r["details"]), "at": read_time(r["at"])} for r in rows]


def _insert(connection, event: dict) -> None:
    """An event as append_event stores it: details in their canonical text (a careful insider)."""
    connection.execute(text(
        "INSERT INTO audit_event (seq, at, actor, action, subject, details, prev_hash, hash) "
        f"VALUES (:seq, :at, :actor, :action, :subject, {_json_param(connection)}, :prev_hash, :hash)"),
        {**event, "at": bind_time(event["at"], connection.dialect.name), "details": details_text(event["details"])})


def _rewrite(connection, events: list[dict], start_seq: int, prev: str) -> None:
    """Insert `events` from `start_seq` on, each re-hashed onto the one before; move the head."""
    seq = start_seq - 1
    for event in events:
        seq += 1
        event.update(seq=seq, prev_hash=prev)
        event["hash"] = prev = event_link(  # the chain's format (2: tickets.audit.format)
            seq=seq, at=event["at"], actor=event["actor"], action=event["action"], subject=event["subject"],
            details=event["details"], prev_hash=event["prev_hash"],
        )
        _insert(connection, event)
    connection.execute(text("UPDATE audit_head SET seq = :s, hash = :h WHERE id = 1"), {"s": seq, "h": prev})


def _hash_of(connection, seq: int) -> str:
    if seq == 0:
        return "0" * 64
    return connection.execute(text("SELECT hash FROM audit_event WHERE seq = :s"), {"s": seq}).scalar_one()


def _sql(*statements: str) -> Callable[[Desk, object], None]:
    """A row edit: statements with {approved}, {pending}, {agent}, {supervisor_id}, {spare} filled in."""
    def run(desk: Desk, connection) -> None:
        values = dict(approved=desk.approved, pending=desk.pending, agent=desk.agent_id,
                      supervisor_id=desk.supervisor_id, spare=desk.spare_subscription)
        for statement in statements:
            connection.exec_driver_sql(statement.format(**values))
    return run


def cut_tail(desk: Desk, connection) -> None:
    connection.execute(text("DELETE FROM audit_event WHERE seq >= :s"), {"s": desk.callback_seq})
    connection.execute(text("UPDATE audit_head SET seq = :s, hash = :h WHERE id = 1"),
                       {"s": desk.callback_seq - 1, "h": _hash_of(connection, desk.callback_seq - 1)})
    connection.execute(text(
        "UPDATE ticket SET status = 'pending_review', decided_by_id = NULL, decided_at = NULL, "
        "decision_reason = NULL, decision_reason_scrubbed = NULL, callback_at = NULL, callback_by_id = NULL, "
        "callback_note = NULL, data_deletion_date = NULL WHERE id = :t"), {"t": desk.approved})


def rehash_from(start_of: Callable[[Desk], int], change: Callable[[list[dict]], list[dict]]):
    def run(desk: Desk, connection) -> None:
        start = start_of(desk)
        events = _events(connection, start)
        connection.execute(text("DELETE FROM audit_event WHERE seq >= :s"), {"s": start})
        _rewrite(connection, change(events), start, _hash_of(connection, start - 1))
    return run


def _edit_last(events: list[dict]) -> list[dict]:
    events[-1]["details"] = {**events[-1]["details"], "rows": 0}
    return events


def wipe(desk: Desk, connection) -> None:
    connection.execute(text("DELETE FROM audit_event"))
    connection.execute(text("DELETE FROM ticket"))
    connection.execute(text("DELETE FROM agent_sign_in"))
    connection.execute(text("UPDATE audit_head SET seq = 0, hash = :h WHERE id = 1"), {"h": "0" * 64})


def _filed_seq(connection, ticket_id: int) -> int:
    return connection.execute(text("SELECT seq FROM audit_event WHERE subject = :s AND action = 'ticket.filed'"),
                              {"s": f"ticket:{ticket_id}"}).scalar_one()


def duplicated_key(desk: Desk, connection) -> None:
    """SQLite's json_extract reads the first key, Python the last: the hash (over what Python
    reads) kept, the row set to what SQLite reads."""
    seq = _filed_seq(connection, desk.pending)
    stored = connection.execute(text("SELECT CAST(details AS text) FROM audit_event WHERE seq = :s"),
                                {"s": seq}).scalar_one()
    forged = '{"status":"withdrawn",' + stored[1:]
    connection.execute(text(f"UPDATE audit_event SET details = {_json_param(connection)} WHERE seq = :s"),
                       {"details": forged, "s": seq})
    connection.execute(text("UPDATE ticket SET status = 'withdrawn' WHERE id = :t"), {"t": desk.pending})


def byte_edit(desk: Desk, connection) -> None:
    stored = connection.execute(text("SELECT CAST(details AS text) FROM audit_event WHERE seq = :s"),
                                {"s": desk.anchor.seq}).scalar_one()
    forged = stored.replace('"rows":', '"rows":9', 1)  # one more digit in the export's count
    connection.execute(text(f"UPDATE audit_event SET details = {_json_param(connection)} WHERE seq = :s"),
                       {"details": forged, "s": desk.anchor.seq})


def swap_events(desk: Desk, connection) -> None:
    """The approval before the callback: the two events' places exchanged."""
    a, b = desk.callback_seq, desk.callback_seq + 1
    connection.execute(text("UPDATE audit_event SET seq = -1 WHERE seq = :a"), {"a": a})
    connection.execute(text("UPDATE audit_event SET seq = :a WHERE seq = :b"), {"a": a, "b": b})
    connection.execute(text("UPDATE audit_event SET seq = :b WHERE seq = -1"), {"b": b})


def forge(desk: Desk, connection, *, event: bool, callback: bool = False) -> None:
    """Approve the pending ticket in a supervisor's name: the row, and with `event` a well-formed
    approval event (with `callback` a callback event before it and the row's callback: a
    complete forged history)."""
    now = desk.store.clock.now()
    supervisor_id = connection.execute(text("SELECT id FROM agent WHERE name = :n"),
                                       {"n": desk.supervisor}).scalar_one()
    agent = connection.execute(text("SELECT name FROM agent WHERE id = :i"), {"i": desk.agent_id}).scalar_one()
    values: dict = dict(status="approved", decided_by_id=supervisor_id, decided_at=now, updated_at=now)
    with Session(bind=connection) as session:
        if callback:
            append_event(session, at=now, actor=agent, action="ticket.callback_recorded",
                         subject=f"ticket:{desk.pending}", details=callback_record(None))
            values.update(callback_at=now, callback_by_id=desk.agent_id)
        if event:
            deletion = (now.date() + timedelta(days=3)).isoformat()
            append_event(session, at=now, actor=desk.supervisor, action="ticket.approved",
                         subject=f"ticket:{desk.pending}",
                         details={"from": "pending_review", "to": "approved", "data_deletion_date": deletion})
            values["data_deletion_date"] = deletion
        session.flush()
    tickets = Ticket.__table__
    connection.execute(update(tickets).where(tickets.c.id == desk.pending).values(**values))


def dropped_triggers(desk: Desk, connection) -> None:
    set_guards_aside(connection)


def widened_grants(desk: Desk, connection) -> None:
    connection.exec_driver_sql("GRANT UPDATE, DELETE ON audit_event TO PUBLIC")


# Each form: what the insider does. Guards are set aside before and put back after, except
# by dropped_triggers (which leaves them off: that is its tamper).
FORMS: dict[str, Callable[[Desk, object], None]] = {
    "ticket_filer": _sql("UPDATE ticket SET filed_by_id = {supervisor_id} WHERE id = {pending}"),
    "ticket_subscription": _sql("UPDATE ticket SET subscription_id = {spare} WHERE id = {pending}"),
    "ticket_reason": _sql("UPDATE ticket SET reason = 'the caller asked for a refund' WHERE id = {pending}"),
    "ticket_kind": _sql("UPDATE ticket SET kind = 'cancel_end_of_term' WHERE id = {pending}"),
    "ticket_fields": _sql("UPDATE ticket SET fields = '{{\"refund_requested\": true}}' WHERE id = {pending}"),
    "ticket_status": _sql("UPDATE ticket SET status = 'withdrawn' WHERE id = {pending}"),
    "silent_approval": lambda desk, connection: forge(desk, connection, event=False),
    "forge_approval": lambda desk, connection: forge(desk, connection, event=True),
    "needs_callback_flipped": _sql("UPDATE ticket SET needs_callback = FALSE WHERE id = {pending}"),
    "deletion_date_moved": _sql("UPDATE ticket SET data_deletion_date = '2099-01-01' WHERE id = {approved}"),
    "ticket_row_deleted": _sql("DELETE FROM ticket WHERE id = {pending}"),
    "agent_promoted": _sql("UPDATE agent SET role = 'supervisor' WHERE id = {agent}"),
    "agent_pin_copied": _sql("UPDATE agent SET pin_hash = (SELECT pin_hash FROM agent WHERE id = {supervisor_id}) "
                             "WHERE id = {agent}"),
    "agent_inserted": _sql("INSERT INTO agent (name, display_name, role, pin_hash, active, created_at) "
                           "SELECT 'mallory', 'Mallory', 'supervisor', pin_hash, TRUE, created_at FROM agent "
                           "WHERE id = {supervisor_id}"),
    "duplicated_json_key": duplicated_key,
    "byte_edit": byte_edit,
    "delete_event": _sql("DELETE FROM audit_event WHERE seq = {approved} + 3"),
    "swap_events": swap_events,
    "cut_tail": cut_tail,
    "middle_rehash": rehash_from(lambda desk: desk.anchor.seq // 2, lambda events: events[1:]),
    "edit_last": rehash_from(lambda desk: desk.anchor.seq, _edit_last),
    "delete_all": wipe,
    "dropped_triggers": dropped_triggers,
    "widened_grants": widened_grants,
    "complete_forged_history": lambda desk, connection: forge(desk, connection, event=True, callback=True),
}
LIMITS = ("complete_forged_history",)
# What each form does, as docs/security.md's tables say it.
DESCRIBE = {
    "ticket_filer": "a ticket's filer changed (UPDATE ticket)",
    "ticket_subscription": "a ticket moved to another subscription of the organization",
    "ticket_reason": "a ticket's reason rewritten",
    "ticket_kind": "a ticket's kind changed",
    "ticket_fields": "a ticket's fields changed (a refund asked for)",
    "ticket_status": "a ticket withdrawn, no event",
    "silent_approval": "a ticket set approved by another supervisor, no event",
    "forge_approval": "a well-formed `ticket.approved` appended, the row set approved: no callback",
    "needs_callback_flipped": "`needs_callback` set false on an expedited deprovisioning",
    "deletion_date_moved": "an approved deprovisioning's data deletion date moved",
    "ticket_row_deleted": "a ticket's row deleted",
    "agent_promoted": "an agent made supervisor (UPDATE agent)",
    "agent_pin_copied": "a supervisor's PIN hash copied onto an agent",
    "agent_inserted": "a supervisor inserted, no event",
    "duplicated_json_key": "a filing's details given `\"status\":\"withdrawn\"` first (Python reads the last "
                           "key, SQLite's json_extract the first), the row withdrawn",
    "byte_edit": "one byte of an event's details changed",
    "delete_event": "an event deleted",
    "swap_events": "the callback and the approval swapped",
    "cut_tail": "the last events deleted, the head moved back, the ticket reset",
    "middle_rehash": "an event in the middle deleted, the rest re-hashed, the head moved",
    "edit_last": "the last event edited and re-hashed, the head moved",
    "delete_all": "every event, ticket and sign-in deleted, the head reset",
    "dropped_triggers": "the guard triggers dropped (SQLite) or disabled (PostgreSQL), nothing else",
    "widened_grants": "UPDATE and DELETE on `audit_event` granted to PUBLIC",
    "complete_forged_history": "after the newest anchor: a callback event, an approval event, the row to match",
}


def insider(desk: Desk, tamper: str, connection) -> None:
    """The tamper, done with the owner's rights: the guards set aside, then put back."""
    saved = saved_guards(connection)
    set_guards_aside(connection)
    FORMS[tamper](desk, connection)
    if tamper != "dropped_triggers":
        put_guards_back(connection, saved)
