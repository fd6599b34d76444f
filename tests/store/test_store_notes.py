"""Internal notes on filed tickets (tickets.notes) on both engines: stored with author and aware
UTC time, audited in the same transaction with length and digest only, V-6 on the text."""

from __future__ import annotations

import hashlib
from datetime import UTC, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

import testkit
from tickets.agents import set_agent_active
from tickets.audit.chain import verify_chain
from tickets.enums import TicketKind
from tickets.errors import InvalidInput, NotAllowed, NotFound
from tickets.filing import FilingRequest, file_ticket
from tickets.notes import NOTE_MAX_LENGTH, add_note, list_notes
from tickets.store.models import AuditEvent, TicketNote


@pytest.fixture
def filed(store):
    directory = testkit.Directory(store)
    request = FilingRequest(
        kind=TicketKind.CANCEL_EARLY, subscription_ref="SUB-INT", idempotency_key="notes-1",
        confirmed=frozenset({"remove_domains", "update_dns", "save_data"}),
    )
    result = file_ticket(store, agent=directory.agent, verification_id=directory.verified(), request=request)
    return directory, result.filed[0].id


def _events(store, action):
    with store.read() as session:
        return session.exec(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)).all()


def test_agent_and_supervisor_add_notes_listed_oldest_first_with_author_and_time(filed, clock):
    directory, ticket_id = filed
    first = add_note(
        directory.store, agent=directory.agent, ticket_id=ticket_id, text="  Caller asks for a copy by e-mail. "
    )
    clock.advance(timedelta(minutes=3))
    second = add_note(directory.store, agent=directory.supervisor, ticket_id=ticket_id, text="Checked with billing.")
    notes = list_notes(directory.store, ticket_id)
    assert [(n.id, n.author, n.author_name, n.text) for n in notes] == [
        (first.id, "Ada", "ada", "Caller asks for a copy by e-mail."),
        (second.id, "Grace", "grace", "Checked with billing."),
    ]
    assert notes[0].created_at.tzinfo is not None and notes[0].created_at.utcoffset() == timedelta(0)
    assert notes[1].created_at - notes[0].created_at == timedelta(minutes=3)
    assert notes[0].created_at == clock.now().astimezone(UTC) - timedelta(minutes=3)
    assert list_notes(directory.store, ticket_id + 999) == []


def test_the_event_records_length_and_digest_never_the_text(filed):
    directory, ticket_id = filed
    note = add_note(directory.store, agent=directory.agent, ticket_id=ticket_id, text="Customer prefers Tuesday calls")
    (event,) = _events(directory.store, "ticket.noted")
    assert event.actor == "ada" and event.subject == f"ticket:{ticket_id}"
    assert event.details == {
        "note_id": note.id, "length": 30,
        "sha256": hashlib.sha256(b"Customer prefers Tuesday calls").hexdigest(),
    }
    with directory.store.read() as session:
        raw = session.exec(text("SELECT details FROM audit_event WHERE action = 'ticket.noted'")).one()[0]
        assert "Tuesday" not in str(raw)
        # A note is no change of the ticket: the chain and every ticket's row still agree.
        assert verify_chain(session).ok


@pytest.mark.parametrize("typed, rule", [
    ("the admin password is Winter2026!", "V-6"),
    ("PIN 4821 given by the caller", "V-6"),
    ("x" * (NOTE_MAX_LENGTH + 1), None),
    ("   ", None),
])
def test_refused_note_writes_nothing(filed, typed, rule):
    directory, ticket_id = filed
    with pytest.raises(InvalidInput) as refused:
        add_note(directory.store, agent=directory.agent, ticket_id=ticket_id, text=typed)
    assert "note" in refused.value.message
    if rule:
        assert refused.value.rule == rule
    assert list_notes(directory.store, ticket_id) == []
    assert _events(directory.store, "ticket.noted") == []


def test_longest_note_is_kept_whole(filed):
    directory, ticket_id = filed
    note = add_note(directory.store, agent=directory.agent, ticket_id=ticket_id, text="a" * NOTE_MAX_LENGTH)
    assert list_notes(directory.store, ticket_id)[0].text == note.text == "a" * NOTE_MAX_LENGTH


def test_unknown_ticket_and_disabled_agent_are_refused(filed):
    directory, ticket_id = filed
    with pytest.raises(NotFound, match="TK-"):
        add_note(directory.store, agent=directory.agent, ticket_id=ticket_id + 999, text="hello")
    set_agent_active(directory.store, "alan", False)
    with pytest.raises(NotAllowed, match="alan is disabled"):
        add_note(directory.store, agent=directory.agent2, ticket_id=ticket_id, text="hello")
    with directory.store.read() as session:
        assert session.exec(select(TicketNote)).all() == []
    assert _events(directory.store, "ticket.noted") == []


def test_note_and_event_commit_together(filed, monkeypatch):
    """The event is the transaction's last statement: if it fails, the note is not kept."""
    directory, ticket_id = filed
    from tickets import notes

    def broken(*_a, **_k):
        raise RuntimeError("audit append failed")

    monkeypatch.setattr(notes, "append_event", broken)
    store = directory.store
    if store.postgres:  # the append is the database function's own: make it fail there
        with store.engine.begin() as connection:
            connection.exec_driver_sql("ALTER TABLE audit_event ADD CONSTRAINT test_no_note "
                                       "CHECK (action <> 'ticket.noted') NOT VALID")
    try:
        with pytest.raises(RuntimeError if not store.postgres else IntegrityError):
            add_note(store, agent=directory.agent, ticket_id=ticket_id, text="kept only with its event")
    finally:
        if store.postgres:
            with store.engine.begin() as connection:
                connection.exec_driver_sql("ALTER TABLE audit_event DROP CONSTRAINT test_no_note")
    assert list_notes(store, ticket_id) == []



@pytest.mark.parametrize("tamper, said", [
    ("UPDATE ticket_note SET text = 'Caller agreed to pay.' WHERE id = :n", "does not match its event's digest"),
    ("DELETE FROM ticket_note WHERE id = :n", "is gone but its event remains"),
    ("UPDATE ticket_note SET ticket_id = :other WHERE id = :n", "belongs to ticket"),
    ("INSERT INTO ticket_note (ticket_id, agent_id, created_at, text) "
     "SELECT ticket_id, agent_id, created_at, 'slipped in' FROM ticket_note WHERE id = :n",
     "has no ticket.noted event"),
])
def test_audit_verify_catches_a_note_changed_around_its_event(filed, tamper, said):
    """A-1 as an insider with SQL would try it: the note's row edited, deleted, moved to another
    ticket or added without its event; the chain itself untouched."""
    directory, ticket_id = filed
    note = add_note(directory.store, agent=directory.agent, ticket_id=ticket_id, text="Caller disputes the fee.")
    other = file_ticket(directory.store, agent=directory.agent, verification_id=directory.verified(),
                        request=FilingRequest(kind=TicketKind.CANCEL_EARLY, subscription_ref="SUB-O365",
                                              idempotency_key="notes-2",
                                              confirmed=frozenset({"update_dns", "save_data"}))).filed[0].id
    with directory.store.read() as session:
        assert verify_chain(session).ok
    with directory.store.write() as session:
        session.exec(text(tamper), params={"n": note.id, "other": other})
    with directory.store.read() as session:
        report = verify_chain(session)
    assert not report.ok and said in str(report), str(report)
