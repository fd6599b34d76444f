"""`audit verify` rebuilds every ticket and agent from the events alone (A-1): the columns a
filing, a callback and a decision record, the agents' administration done through deskapp
verifies; a row changed around them fails, naming the column; old (version-1) histories keep
their old rules."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

import testkit
from tickets.agents import reset_pin, set_agent_active, set_role
from tickets.audit.chain import append_event, verify_chain
from tickets.enums import TicketKind
from tickets.filing import FilingRequest, file_ticket
from tickets.lifecycle import approve, record_callback

CHECKLIST = frozenset({"acknowledge_data_loss", "remove_domains", "update_dns", "save_data"})


@pytest.fixture
def desk(store):
    directory = testkit.Directory(store)
    request = FilingRequest(kind=TicketKind.EXPEDITED_DEPROVISIONING, subscription_ref="SUB-INT", idempotency_key="k1",
                            confirmed=CHECKLIST)
    ticket = file_ticket(store, agent=directory.agent, verification_id=directory.verified(),
                         request=request).filed[0].id
    record_callback(store, agent=directory.agent, ticket_id=ticket, note="called back on the number on file")
    approve(store, supervisor=directory.supervisor, ticket_id=ticket, reason="callback made")
    directory.ticket_id = ticket
    return directory


def _verify(store):
    with store.read() as session:
        return verify_chain(session)


def _sql(store, statement: str, **params) -> None:
    with store.engine.begin() as connection:
        connection.execute(text(statement), params)


def test_a1_what_deskapp_does_verifies(desk):
    store = desk.store
    from tickets.agents import authenticate

    grace = authenticate(store, name="grace", pin="2222")  # a supervisor's session
    set_role(store, "ada", "supervisor")  # a supervisor is the owner's to make
    set_role(store, "ada", "agent")
    reset_pin(store, "alan", "97531", actor=grace)
    set_agent_active(store, "linus", False, actor=grace)
    report = _verify(store)
    assert report.ok, report


@pytest.mark.parametrize("statement, said", [
    ("UPDATE ticket SET decision_reason = 'approved without a call' WHERE id = :t", "decision reason"),
    ("UPDATE ticket SET callback_note = 'nobody answered' WHERE id = :t", "callback note"),
    ("UPDATE ticket SET callback_by_id = (SELECT id FROM agent WHERE name = 'linus') WHERE id = :t", "callback"),
    ("UPDATE ticket SET updated_at = '2020-01-01 00:00:00.000000' WHERE id = :t", "last change"),
    ("UPDATE ticket SET content_hash = 'x' WHERE id = :t", "content_hash"),
    ("UPDATE ticket SET requested_date = '2030-01-01' WHERE id = :t", "requested_date"),
    ("UPDATE ticket SET decision_reason_scrubbed = 'leaked' WHERE id = :t", "masked decision reason"),
    ("UPDATE agent SET active = FALSE WHERE name = 'alan'", "disabled"),
    ("UPDATE agent SET display_name = 'Grace Hopper' WHERE name = 'grace'", "display name"),
])
def test_a1_a_column_changed_around_the_events_fails_naming_it(desk, statement, said):
    _sql(desk.store, statement, t=desk.ticket_id)
    report = _verify(desk.store)
    assert not report.ok and said in report.problem, report


def test_a1_a_ticket_row_with_no_filing_event_fails(desk):
    _sql(desk.store, "INSERT INTO ticket (kind, status, organization_id, subscription_id, filed_by_id, created_at, "
         "updated_at, idempotency_key, content_hash, fields, checklist, consequences, rules, needs_review, "
         "needs_callback) SELECT kind, 'withdrawn', organization_id, subscription_id, filed_by_id, created_at, "
         "updated_at, 'forged', content_hash, fields, checklist, consequences, rules, FALSE, FALSE "
         "FROM ticket WHERE id = :t",
         t=desk.ticket_id)
    report = _verify(desk.store)
    assert not report.ok and "no filing event" in report.problem


def test_a1_an_event_about_a_ticket_never_filed_fails_at_the_event(desk):
    with desk.store.write() as session:
        event = append_event(session, at=desk.store.clock.now(), actor="grace", action="ticket.withdrawn",
                             subject="ticket:999", details={"from": "open", "to": "withdrawn"})
    report = _verify(desk.store)
    assert not report.ok and report.first_bad_seq == event.seq and "no filing event" in report.problem


def test_a1_a_decision_by_an_agent_who_is_not_a_supervisor_fails_at_the_event(store):
    directory = testkit.Directory(store)
    request = FilingRequest(kind=TicketKind.EXPEDITED_DEPROVISIONING, subscription_ref="SUB-INT", idempotency_key="k2",
                            confirmed=CHECKLIST)
    ticket = file_ticket(store, agent=directory.agent, verification_id=directory.verified(),
                         request=request).filed[0].id
    record_callback(store, agent=directory.agent, ticket_id=ticket)
    with store.write() as session:  # as someone with the application's rights could append it
        append_event(session, at=store.clock.now(), actor="alan", action="ticket.rejected", subject=f"ticket:{ticket}",
                     details={"from": "pending_review", "to": "rejected", "reason": "no"})
    report = _verify(store)
    assert not report.ok and "not a supervisor then (X-2)" in report.problem


@pytest.mark.engine("sqlite")  # the rules are Python's: one engine shows them
def test_a1_version_1_histories_keep_their_old_rules(store, backend):
    """A filing event as deskapp wrote it before history version 2 (no `history`, no row values):
    it verifies, and what version 1 recorded is still checked."""
    directory = testkit.Directory(store)
    request = FilingRequest(kind=TicketKind.EXPEDITED_DEPROVISIONING, subscription_ref="SUB-INT", idempotency_key="k3",
                            confirmed=CHECKLIST)
    ticket = file_ticket(store, agent=directory.agent, verification_id=directory.verified(),
                         request=request).filed[0].id
    with store.engine.begin() as connection:
        seq, stored = connection.execute(text(
            "SELECT seq, details FROM audit_event WHERE action = 'ticket.filed'")).one()
    old = {k: v for k, v in json.loads(stored).items() if k not in ("history", "row")}
    _rewrite_from(store, seq, old)
    assert _verify(store).ok, _verify(store)
    _sql(store, "UPDATE ticket SET reason = 'not recorded by version 1' WHERE id = :t", t=ticket)
    assert _verify(store).ok  # version 1 did not record it: not compared
    _sql(store, "UPDATE ticket SET status = 'withdrawn' WHERE id = :t", t=ticket)
    report = _verify(store)
    assert not report.ok and "history says pending_review" in report.problem


def _rewrite_from(store, seq: int, details: dict) -> None:
    """Replace event `seq`'s details and re-hash the chain from there (as deskapp would have
    written it), the guards put back after."""
    from tickets.audit.format import details_text, event_link
    from tickets.store.rawsql import read_time

    with store.engine.begin() as connection:
        saved = dict(connection.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                                             "AND name LIKE 'audit_%'")).all())
        for name in saved:
            connection.exec_driver_sql(f"DROP TRIGGER {name}")
        rows = connection.execute(text("SELECT seq, at, actor, action, subject, details FROM audit_event "
                                       "WHERE seq >= :s ORDER BY seq"), {"s": seq}).all()
        prev = connection.execute(text("SELECT prev_hash FROM audit_event WHERE seq = :s"), {"s": seq}).scalar_one()
        for n, at, actor, action, subject, stored in rows:
            value = details if n == seq else json.loads(stored)
            digest = event_link(seq=n, prev_hash=prev, at=read_time(at), actor=actor, action=action, subject=subject,
                                details=value)
            connection.execute(text("UPDATE audit_event SET details = :d, prev_hash = :p, hash = :h WHERE seq = :s"),
                               {"d": details_text(value), "p": prev, "h": digest, "s": n})
            prev = digest
        connection.execute(text("UPDATE audit_head SET hash = :h WHERE id = 1"), {"h": prev})
        for sql in saved.values():
            connection.exec_driver_sql(sql)
