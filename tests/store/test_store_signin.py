"""Sign-in attempts counted per agent in the database: 5 failures in 15 minutes lock
the agent for 15 minutes or until a supervisor unlocks it, across processes; the clock moves."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import col, select

import testkit
from tickets.agents import SIGN_IN_REFUSED, authenticate, validate_agent_fields
from tickets.errors import NotAllowed
from tickets.signin import MAX_FAILURES, locked_until, sign_in_locks, unlock_agent
from tickets.store.models import AgentSignIn, AuditEvent


@pytest.fixture
def directory(store):
    return testkit.Directory(store)


def _wrong(store, n: int, name: str = "ada") -> list[str]:
    messages = []
    for _ in range(n):
        with pytest.raises(NotAllowed) as refused:
            authenticate(store, name=name, pin="9999")
        messages.append(str(refused.value))
    return messages


def _actions(store, agent_id: int) -> list[str]:
    with store.read() as session:
        return list(session.exec(select(AuditEvent.action).where(AuditEvent.subject == f"agent:{agent_id}",
                                                                  AuditEvent.action != "agent.created")
                                 .order_by(col(AuditEvent.seq))))


def test_five_failures_lock_for_fifteen_minutes_then_it_lifts(directory, clock):
    store, ada = directory.store, directory.agent
    messages = _wrong(store, MAX_FAILURES)
    # One answer for a wrong PIN and a lock alike: it tells nobody which names exist (V-5).
    assert messages == [SIGN_IN_REFUSED] * 5
    with pytest.raises(NotAllowed) as refused:  # the right PIN too, while locked
        authenticate(store, name="ada", pin="1111")
    assert str(refused.value) == SIGN_IN_REFUSED
    assert locked_until(store, ada.id) == testkit.T0 + timedelta(minutes=15)
    assert [lock.name for lock in sign_in_locks(store)] == ["ada"]
    clock.advance(timedelta(minutes=15))
    assert locked_until(store, ada.id) is None and sign_in_locks(store) == []
    assert authenticate(store, name="ada", pin="1111").name == "ada"
    assert _actions(store, ada.id) == ["agent.sign_in_failed"] * 5 + ["agent.locked", "agent.sign_in_refused",
                                                                      "agent.signed_in"]
    with store.read() as session:  # the refused attempt took no slot: no PIN was checked
        outcomes = list(session.exec(select(AgentSignIn.outcome).where(AgentSignIn.agent_id == ada.id)))
    assert sorted(outcomes) == ["failed"] * 5 + ["succeeded"]


def test_failures_spread_over_more_than_fifteen_minutes_do_not_lock(directory, clock):
    store = directory.store
    for _ in range(MAX_FAILURES):
        _wrong(store, 1)
        clock.advance(timedelta(minutes=4))  # the 5th is 16 minutes after the 1st
    assert locked_until(store, directory.agent.id) is None
    assert authenticate(store, name="ada", pin="1111").name == "ada"


def test_a_success_starts_the_count_again(directory, clock):
    store = directory.store
    _wrong(store, 4)
    authenticate(store, name="ada", pin="1111")
    _wrong(store, 4)
    assert locked_until(store, directory.agent.id) is None
    _wrong(store, 1)
    assert locked_until(store, directory.agent.id) is not None


def test_a_supervisor_unlocks_and_it_is_audited(directory, clock):
    store = directory.store
    _wrong(store, MAX_FAILURES)
    with pytest.raises(NotAllowed, match="only a supervisor"):
        unlock_agent(store, supervisor=directory.agent2, agent_id=directory.agent.id, reason="mine")
    grace = authenticate(store, name="grace", pin="2222")  # a supervisor's own session
    unlock_agent(store, supervisor=grace, agent_id=directory.agent.id, reason="new PIN issued")
    assert locked_until(store, directory.agent.id) is None
    assert authenticate(store, name="ada", pin="1111").name == "ada"
    with store.read() as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "agent.unlocked")).one()
    assert event.actor == "grace" and event.details == {"reason": "new PIN issued"}


def test_other_agents_are_not_locked_and_unknown_names_are_not_told_apart(directory):
    store = directory.store
    _wrong(store, MAX_FAILURES)
    assert authenticate(store, name="alan", pin="3333").name == "alan"
    assert _wrong(store, 1, name="nobody") == [SIGN_IN_REFUSED]
    assert _wrong(store, 1, name="ada") == [SIGN_IN_REFUSED]  # locked: the same answer


def test_longer_pins_and_passphrases_are_allowed(store):
    ok = dict(name="kim", display_name="Kim", role="agent")
    assert validate_agent_fields(**ok, pin="1234") == {}
    assert validate_agent_fields(**ok, pin="1" * 64) == {}
    assert validate_agent_fields(**ok, pin="correct horse battery staple") == {}
    assert validate_agent_fields(**ok, pin="1" * 65) == {}  # 65 digits: a passphrase
    for bad in ("123", "12345x", "short words", " " * 12, "x" * 129, "١٢٣٤"):
        assert "pin" in validate_agent_fields(**ok, pin=bad), bad


@given(st.text(max_size=140))
def test_pin_rule_property(pin):
    errors = validate_agent_fields(name="kim", display_name="Kim", role="agent", pin=pin)
    digits = all(c in "0123456789" for c in pin) and 4 <= len(pin) <= 64
    allowed = digits or (12 <= len(pin) <= 128 and not pin.isspace())
    assert ("pin" not in errors) == allowed
