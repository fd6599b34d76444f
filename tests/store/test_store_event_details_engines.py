"""A-1: both engines write the same audit events for the same work, key for key and value for
value (apart from what is random: a bcrypt or scrypt salt, the owner's name), so that `audit
verify` rebuilds every column on PostgreSQL exactly as on SQLite. On PostgreSQL the filing's
event is the database's, from the row it filed (migration 0016): a client of its own cannot
write another, nor file a kind the registry does not offer for the product."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

import testkit
from tickets import agents, lifecycle, notes, verification
from tickets.audit.chain import verify_chain
from tickets.clock import FixedClock
from tickets.enums import TicketKind, TicketStatus
from tickets.errors import InvalidInput, NotAllowed
from tickets.export.run import write_export
from tickets.filing import FilingRequest, file_ticket
from tickets.store.calls import call
from tickets.store.rawsql import Sql, bind_json

EXPEDITED = frozenset({"acknowledge_data_loss", "remove_domains", "update_dns", "save_data"})
# A digest of a salted hash differs run to run, engine to engine; so does an export's anchor
# (the chain's hash at its start, over those digests).
RANDOM = {"pin_hash_sha256", "anchor"}


def _work(store) -> None:
    """Every kind of event the desk writes for tickets and agents, once or more."""
    d = testkit.Directory(store).signed_in()
    v = d.verified()
    t1 = file_ticket(store, agent=d.agent, verification_id=v, request=FilingRequest(
        kind=TicketKind.EXPEDITED_DEPROVISIONING, subscription_ref="SUB-INT", idempotency_key="k1",
        reason="moving away", confirmed=EXPEDITED)).filed[0].id
    lifecycle.record_callback(store, agent=d.agent2, ticket_id=t1, note="called back")
    lifecycle.approve(store, supervisor=d.supervisor, ticket_id=t1, reason="ok")
    lifecycle.transition(store, actor=d.agent, ticket_id=t1, to=TicketStatus.IN_PROGRESS)
    lifecycle.transition(store, actor=d.agent, ticket_id=t1, to=TicketStatus.RESOLVED)
    notes.add_note(store, agent=d.agent, ticket_id=t1, text="a note")
    batch = file_ticket(store, agent=d.agent, verification_id=v, request=FilingRequest(
        kind=TicketKind.UNSUBSCRIBE_RESOURCE, subscription_ref="SUB-CLD", idempotency_key="b1",
        resource_refs=("RES-05", "RES-06"), reason="no longer needed", confirmed=frozenset({"confirm_unsubscription"})))
    lifecycle.transition(store, actor=d.agent, ticket_id=batch.filed[0].id, to=TicketStatus.WITHDRAWN,
                         reason="changed mind")
    t3 = file_ticket(store, agent=d.agent, verification_id=v, request=FilingRequest(
        kind=TicketKind.CANCEL_EARLY, subscription_ref="SUB-O365", idempotency_key="k3", refund_requested=True,
        reason="too dear", confirmed=frozenset({"update_dns", "save_data"}))).filed[0].id
    lifecycle.reject(store, supervisor=d.supervisor2, ticket_id=t3, reason="no callback possible")
    verification.end_call(store, d.agent, verification.start_call(store, d.agent), "wrap")
    wrong = verification.start_call(store, d.agent)
    for _ in range(4):  # three failures lock the organization (V-5), the fourth is refused
        verification.verify_caller(store, agent=d.agent, organization_id=d.org.id,
                                   claim=d.claim(phone="020 7946 0000"), call_id=wrong)
    verification.unlock_organization(store, supervisor=d.supervisor, organization_id=d.org.id, reason="known caller")
    write_export(store, io.StringIO(), fmt="jsonl", actor=d.supervisor)
    agents.create_agent(store, name="newbie", display_name="New Bie", role="agent", pin="5555")
    agents.set_agent_active(store, "newbie", False, actor=d.supervisor)
    agents.set_agent_active(store, "newbie", True, actor=d.supervisor)
    agents.reset_pin(store, "newbie", "6666", actor=d.supervisor)
    agents.set_role(store, "newbie", "supervisor")
    agents.unlock(store, "newbie", actor=d.supervisor, reason="forgot")
    for _ in range(6):  # five wrong PINs lock the name, the sixth is refused unchecked
        with pytest.raises(NotAllowed):
            agents.authenticate(store, name="newbie", pin="0000")
    with pytest.raises(NotAllowed):
        agents.authenticate(store, name="nobody", pin="0000")
    agents.sign_out(store, d.agent2)


def _events(store) -> list[tuple]:
    """(action, subject, actor, details) in chain order, the random and the owner's name left out."""
    with store.read() as session:
        report = verify_chain(session)
        assert report.ok, report
        rows = session.execute(text(
            "SELECT action, subject, actor, CAST(details AS text) FROM audit_event ORDER BY seq")).all()
    return [(action, subject, "owner" if actor.startswith("owner:") else actor,
             {k: v for k, v in json.loads(details).items() if k not in RANDOM})
            for action, subject, actor, details in rows]


def _keys(value, prefix="") -> set[str]:
    if not isinstance(value, dict):
        return set()
    return {f"{prefix}{k}" for k in value} | {p for k, v in value.items() for p in _keys(v, f"{prefix}{k}.")}


@pytest.fixture
def both(sqlite_template, postgres_database, tmp_path):
    """The same empty desk on each engine, at the same time."""
    postgres_database.reset()
    stores = {"sqlite": testkit.make_store(sqlite_template.new_url(tmp_path), FixedClock(testkit.T0)),
              "postgresql": testkit.make_store(postgres_database.url, FixedClock(testkit.T0))}
    yield stores
    for store in stores.values():
        store.dispose()


def test_a1_both_engines_write_the_same_event_details_for_every_event_type(both):
    events = {}
    for name, store in both.items():
        _work(store)
        events[name] = _events(store)
    lite, pg = events["sqlite"], events["postgresql"]
    actions = {e[0] for e in lite}
    assert {"ticket.filed", "ticket.callback_recorded", "ticket.approved", "ticket.rejected", "ticket.in_progress",
            "ticket.resolved", "ticket.withdrawn", "ticket.noted", "agent.created", "agent.disabled", "agent.enabled",
            "agent.pin_reset", "agent.role_changed", "agent.unlocked", "agent.signed_in", "agent.signed_out",
            "agent.sign_in_failed", "agent.sign_in_refused", "agent.locked", "call.started", "call.ended",
            "verification.passed", "verification.failed", "verification.refused_locked", "organization.locked",
            "organization.unlocked", "export.started", "export.created"} <= actions
    assert [e[:3] for e in pg] == [e[:3] for e in lite]
    for mine, theirs in zip(lite, pg, strict=True):
        assert _keys(theirs[3]) == _keys(mine[3]), mine[0]  # the keys, nested ones (`row.reason_sha256`) too
        assert theirs[3] == mine[3], mine[0]  # and every value


# --- PostgreSQL: the filing's function --------------------------------------------------------

_FILE = Sql("SELECT ticket_id, status FROM deskapp_api_file(:token, :agent, :verification, :subscription, "
            "CAST(:tickets AS jsonb), :at)")


def _ticket(**changes) -> dict:
    values = dict(kind="expedited_deprovisioning", resource_id=None, idempotency_key="own-client", content_hash="h",
                  requested_date=None, reason="typed", reason_scrubbed="typed", fields={},
                  checklist=sorted(EXPEDITED), consequences={"time_zone": "UTC"}, rules=["X-1"], effective_date=None,
                  data_deletion_date=None, reversal_deadline=None, details={"confirmed": ["as the desk read it"]})
    values.update(changes)
    return values


@pytest.fixture
def pg_desk(postgres_database):
    postgres_database.reset()
    store = testkit.make_store(postgres_database.url, FixedClock(testkit.T0))
    yield testkit.Directory(store).signed_in()
    store.dispose()


def _file(d, subscription, *tickets):
    return call(d.store, _FILE, {"token": d.agent.session, "agent": d.agent.id, "verification": d.verified(),
                                 "subscription": subscription.id, "tickets": bind_json(list(tickets)),
                                 "at": d.store.clock.now()})


def test_a1_postgresql_writes_the_filing_event_itself_whatever_the_client_says(pg_desk):
    """A client of its own sends another subscription, resource, status, filer and row record
    in the details: the event says what the database filed, and verify holds."""
    forged = {"confirmed": ["x"], "kind": "cancel_end_of_term", "status": "open", "subscription": "SUB-O365",
              "resource": "RES-01", "history": 2, "row": {"reason_sha256": "0" * 64, "needs_review": False}}
    ((ticket_id, status),) = _file(pg_desk, pg_desk.intune, _ticket(details=forged))
    with pg_desk.store.read() as session:
        details = json.loads(session.execute(text(
            "SELECT CAST(details AS text) FROM audit_event WHERE subject = :s"), {"s": f"ticket:{ticket_id}"}).scalar())
        report = verify_chain(session)
    assert status == "pending_review" and report.ok, report
    assert (details["kind"], details["subscription"], details["resource"], details["status"]) == (
        "expedited_deprovisioning", "SUB-INT", None, "pending_review")
    assert details["row"]["needs_review"] is True and details["row"]["reason_sha256"] != "0" * 64
    assert details["confirmed"] == ["x"]  # the policy's texts: still the client's (docs/security.md)


@pytest.mark.parametrize("changes, which, said", [
    ({"kind": "refund_everything"}, "intune", "kind: no such kind"),
    ({}, "o365", "X-1: expedited deprovisioning is not offered for subscription SUB-O365"),
    ({"kind": "unsubscribe_resource"}, "cloud", "U-2: unsubscribe resource is decided per renewal resource"),
    ({"kind": "cancel_end_of_term", "fields": {"refund_requested": True}}, "intune", "C-4: a refund"),
])
def test_a1_postgresql_refuses_a_kind_the_registry_does_not_offer(pg_desk, changes, which, said):
    subscription = {"intune": pg_desk.intune, "o365": pg_desk.o365, "cloud": pg_desk.cloud}[which]
    with pytest.raises((NotAllowed, InvalidInput)) as refused:
        _file(pg_desk, subscription, _ticket(**changes))
    assert said in str(refused.value)


def test_migration_0016_is_undone_to_0011s_filing_and_done_again(pg_desk):
    from tickets.store.schema import downgrade, upgrade

    def body() -> str:
        with pg_desk.store.read() as session:
            return session.execute(text("SELECT prosrc FROM pg_proc WHERE proname = 'deskapp_api_file'")).scalar_one()

    assert "no such kind" in body()
    downgrade(pg_desk.store.engine, "0015_handoff_outbox")
    assert "no such kind" not in body() and "coalesce(t->'details'" in body()
    upgrade(pg_desk.store.engine)
    assert "no such kind" in body()
    ((ticket_id, status),) = _file(pg_desk, pg_desk.intune, _ticket())
    assert status == "pending_review"


def test_x1_an_approval_after_midnight_at_the_desk_counts_its_local_day_and_verifies(store_url):
    """18:00 UTC is 02:00 the next day in Shanghai: the deletion date is three days from that
    local day on both engines (tickets.lifecycle, migration 0016), and verify counts it so."""
    store = testkit.make_store(store_url, FixedClock(testkit.T0 + timedelta(hours=6)))
    store.zone = ZoneInfo("Asia/Shanghai")
    try:
        d = testkit.Directory(store)
        ticket = file_ticket(store, agent=d.agent, verification_id=d.verified(), request=FilingRequest(
            kind=TicketKind.EXPEDITED_DEPROVISIONING, subscription_ref="SUB-INT", idempotency_key="late",
            confirmed=EXPEDITED)).filed[0].id
        lifecycle.record_callback(store, agent=d.agent, ticket_id=ticket)
        lifecycle.approve(store, supervisor=d.supervisor, ticket_id=ticket)
        with store.read() as session:
            deletion = session.execute(text("SELECT data_deletion_date FROM ticket WHERE id = :t"),
                                       {"t": ticket}).scalar_one()
            report = verify_chain(session)
        assert deletion == "2026-11-26" and report.ok, report  # 2026-11-23 in Shanghai + 3
        with store.engine.begin() as connection:
            connection.execute(text("UPDATE ticket SET data_deletion_date = '2026-11-25' WHERE id = :t"), {"t": ticket})
        with store.read() as session:
            report = verify_chain(session)
        assert not report.ok and "X-1" in report.problem
    finally:
        store.dispose()


_RECORD = Sql("SELECT attempt_id FROM deskapp_api_record_verification(:token, :agent, :org, :call, :passed, "
              "CAST(:failed AS jsonb), :person, CAST(:roles AS jsonb), :at)")


@pytest.mark.parametrize("passed, failed, who, roles, said", [
    (True, ["phone"], "admin", ["admin", "billing_admin"], "V-1: a pass has no failed factor"),
    (False, [], None, [], "V-1: a pass has no failed factor"),
    (False, ["shoe_size"], None, [], "V-1: not a factor"),
    (True, [], "plain", [], "V-2: the verified person holds no role"),
    (True, [], "admin", ["admin", "billing_admin", "global_admin"], "V-2: the roles given are not"),
])
def test_v1_postgresql_checks_the_outcome_it_is_given_against_what_it_holds(pg_desk, passed, failed, who, roles,
                                                                            said):
    d = pg_desk
    person = {"admin": d.admin.id, "plain": d.plain.id, None: None}[who]
    with pytest.raises((NotAllowed, InvalidInput)) as refused:
        call(d.store, _RECORD, {"token": d.agent.session, "agent": d.agent.id, "org": d.org.id,
                                "call": verification.start_call(d.store, d.agent), "passed": passed,
                                "failed": bind_json(failed), "person": person, "roles": bind_json(roles),
                                "at": d.store.clock.now()})
    assert said in str(refused.value)
