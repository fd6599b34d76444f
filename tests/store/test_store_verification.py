"""Verification as the store records it: V-1 .. V-7, on both engines."""

from __future__ import annotations

import multiprocessing
from datetime import timedelta

import pytest
from sqlmodel import select

import testkit
from tickets.account import account_view
from tickets.errors import InvalidInput, NotAllowed, NotFound
from tickets.store.models import AuditEvent, VerificationAttempt
from tickets.store.rawsql import Sql
from tickets.verification import (
    find_organizations,
    locked_organizations,
    lockout_status,
    start_call,
    unlock_organization,
    verify_caller,
)


@pytest.fixture
def directory(store):
    return testkit.Directory(store)


def _attempt(directory, **changes):
    call_id = start_call(directory.store, directory.agent)
    return verify_caller(
        directory.store, agent=directory.agent, organization_id=directory.org.id,
        claim=directory.claim(**changes), call_id=call_id,
    )


def test_v1_all_factors_right_passes(directory):
    result = _attempt(directory)
    assert result.passed and result.verification_id


def test_v3_normalised_exact_match_passes_and_near_miss_fails(directory):
    assert _attempt(directory, org_name="  FABRIKAM   ltd. ", user_id="ANN.ADMIN@FABRIKAM.CO.UK").passed
    assert not _attempt(directory, phone="020 7946 0957").passed  # one digit off


def test_v2_non_admin_caller_fails(directory):
    result = _attempt(directory, user_id="bob.user@fabrikam.co.uk", phone="020 7946 0959")
    assert not result.passed


def test_v4_malformed_input_is_flagged_per_field_and_costs_no_attempt(directory):
    with pytest.raises(InvalidInput) as raised:
        _attempt(directory, phone="12", user_id="not an address")
    assert set(raised.value.errors) >= {"phone", "user_id"}
    assert lockout_status(directory.store, directory.org.id).attempts_left == 3
    with directory.store.read() as session:
        assert session.exec(select(VerificationAttempt)).all() == []


def test_v4_a_malformed_claim_writes_nothing_and_an_unknown_organization_is_said_first(directory):
    """The claim is read with the organization's country, after the organization is found: an
    unknown organization is NotFound whatever the claim; a malformed claim leaves no attempt,
    no audit event and the call not claimed."""
    call_id = start_call(directory.store, directory.agent)
    with directory.store.read() as session:
        events_before = len(session.exec(select(AuditEvent)).all())
    with pytest.raises(NotFound):
        verify_caller(directory.store, agent=directory.agent, organization_id=directory.org.id + 1000,
                      claim=directory.claim(phone="12"), call_id=call_id)
    with pytest.raises(InvalidInput) as raised:
        verify_caller(directory.store, agent=directory.agent, organization_id=directory.org.id,
                      claim=directory.claim(phone="12"), call_id=call_id)
    assert set(raised.value.errors) == {"phone"}
    with directory.store.read() as session:
        assert len(session.exec(select(AuditEvent)).all()) == events_before
        assert session.exec(select(VerificationAttempt)).all() == []
    with directory.store.raw_read() as raw:
        (row,) = raw.rows(Sql('SELECT organization_id FROM "call" WHERE id = :id'), {"id": call_id})
    assert row.organization_id is None


def test_v4_search_reveals_only_a_handle(directory):
    handles = find_organizations(directory.store, user_id="ann.admin@fabrikam.co.uk")
    assert [h.ref for h in handles] == ["ORG-T1"]
    assert set(vars(handles[0])) == {"id", "ref", "region", "requires_url"}
    assert find_organizations(directory.store, org_name="Fabrikam") == []  # no fuzzy search
    assert [h.ref for h in find_organizations(directory.store, phone="+44 20 7946 0958")] == ["ORG-T1"]


def test_v5_three_failures_lock_for_24_hours_and_audit_no_typed_values(directory, clock):
    wrong = dict(contact_first_name="Anne", phone="020 7946 0957")
    results = [_attempt(directory, **wrong) for _ in range(3)]
    assert [r.attempts_left for r in results] == [2, 1, 0]
    assert results[-1].locked and results[-1].locked_until == clock.now() + timedelta(hours=24)
    refused = _attempt(directory)  # even the right answers are refused while locked
    assert not refused.passed and refused.locked
    with directory.store.read() as session:
        attempts = session.exec(select(VerificationAttempt)).all()
        events = session.exec(select(AuditEvent).where(AuditEvent.subject == f"organization:{directory.org.id}")).all()
    assert len(attempts) == 3
    assert attempts[0].failed_factors == ["contact_name", "phone"]
    actions = [e.action for e in events]
    assert actions.count("verification.failed") == 3 and "organization.locked" in actions
    assert "verification.refused_locked" in actions
    dumped = repr([e.details for e in events])
    assert "Anne" not in dumped and "0957" not in dumped and "7946" not in dumped
    clock.advance(timedelta(hours=24, seconds=1))
    assert _attempt(directory).passed


def test_v5_supervisor_unlock(directory):
    for _ in range(3):
        _attempt(directory, org_name="Wrong Ltd")
    assert [o.ref for o in locked_organizations(directory.store)] == ["ORG-T1"]
    with pytest.raises(NotAllowed):
        unlock_organization(directory.store, supervisor=directory.agent, organization_id=directory.org.id, reason="x")
    with pytest.raises(InvalidInput):
        unlock_organization(
            directory.store, supervisor=directory.supervisor, organization_id=directory.org.id, reason=""
        )
    unlock_organization(
        directory.store, supervisor=directory.supervisor, organization_id=directory.org.id,
        reason="caller verified by the account manager",
    )
    assert locked_organizations(directory.store) == []
    assert lockout_status(directory.store, directory.org.id).attempts_left == 3
    assert _attempt(directory).passed


def test_v7_account_view_needs_a_live_pass_by_the_same_agent(directory, clock):
    failed = _attempt(directory, org_name="Wrong Ltd")
    assert failed.verification_id is None
    verification_id = _attempt(directory).verification_id
    view = account_view(directory.store, agent=directory.agent, verification_id=verification_id)
    assert view.organization.name == "Fabrikam Ltd."
    with pytest.raises(NotAllowed, match="V-7"):
        account_view(directory.store, agent=directory.supervisor, verification_id=verification_id)
    clock.advance(timedelta(minutes=59))
    account_view(directory.store, agent=directory.agent, verification_id=verification_id)
    clock.advance(timedelta(minutes=2))
    with pytest.raises(NotAllowed, match="V-7"):
        account_view(directory.store, agent=directory.agent, verification_id=verification_id)


def test_v7_the_accounts_rows_are_read_only_for_the_agents_own_pass(directory):
    """The account view's reads go with its head in one round trip (filing_sql.ACCOUNT_READS):
    for a failed attempt, or another agent's, they read nothing of the account."""
    from tickets.enums import Product
    from tickets.store.filing_sql import ACCOUNT_READS

    passed = _attempt(directory).verification_id
    _attempt(directory, org_name="Wrong Ltd")
    with directory.store.raw_read() as raw:
        (failed,) = raw.rows(Sql("SELECT max(id) AS id FROM verification_attempt WHERE NOT passed"))

        def read(verification_id, agent):
            return raw.reads(ACCOUNT_READS, {"id": verification_id, "agent": agent.id, "d365": Product.D365.value})

        own = read(passed, directory.agent)
        assert own[0] and own[1]  # the head, and the organization's subscriptions
        for verification_id, agent in ((passed, directory.supervisor), (failed.id, directory.agent)):
            head, *account = read(verification_id, agent)
            assert head and not any(account)


def test_v4_no_stored_detail_before_a_pass(directory):
    """Every API an agent can reach before a pass returns nothing stored about the caller."""
    stored = ["Fabrikam Ltd.", "Market Street", "EC1A", "+442079460958", "7946", "ann.admin", "Admin", "London"]
    outputs = [
        repr(find_organizations(directory.store, org_name="Fabrikam Ltd")),
        repr(_attempt(directory, contact_last_name="Other")),
        repr(lockout_status(directory.store, directory.org.id)),
    ]
    try:
        _attempt(directory, phone="1")
    except InvalidInput as error:
        outputs.append(str(error))
    for attempt_id in range(1, 5):
        with pytest.raises(NotAllowed) as raised:
            account_view(directory.store, agent=directory.agent, verification_id=attempt_id)
        outputs.append(str(raised.value))
    for text in outputs:
        for value in stored:
            assert value not in text, (value, text)


def _fail_verifications(url: str, org_id: int, agent_id: int, tries: int, barrier) -> list[bool]:
    store = testkit.make_store(url)
    from tickets.agents import get_agent

    agent = get_agent(store, agent_id)
    claim = testkit.Directory.claim(None, org_name="Impostor Ltd")  # type: ignore[arg-type]
    barrier.wait()
    outcomes = []
    for _ in range(tries):
        result = verify_caller(store, agent=agent, organization_id=org_id, claim=claim)
        outcomes.append(result.locked)
    store.dispose()
    return outcomes


def test_v5_lockout_holds_across_8_processes(directory, store_url):
    """8 processes fail verification for the same organization at once: exactly 3 count."""
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        barrier = manager.Barrier(8)
        with context.Pool(8) as pool:
            results = pool.starmap(
                _fail_verifications,
                [(store_url, directory.org.id, directory.agent.id, 5, barrier) for _ in range(8)],
            )
    with directory.store.read() as session:
        failures = session.exec(select(VerificationAttempt).where(VerificationAttempt.passed == False)).all()  # noqa: E712
        locks = session.exec(select(AuditEvent).where(AuditEvent.action == "organization.locked")).all()
    assert len(failures) == 3
    assert len(locks) == 1
    assert sum(locked for outcomes in results for locked in outcomes) == 40 - 3 + 1  # the 3rd reports locked too
