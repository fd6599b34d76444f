"""A-1: the chain's format 2 (the link made in SQL) and migration 0009's switch.

A chain written before 0009 keeps its format-1 events; the migration records the switch in
the chain itself, and from there on only format-2 events verify: an old-format event appended
after the switch, or a new-format one before it, breaks the chain at that event.
"""

from __future__ import annotations

import hashlib
import threading

import pytest
from sqlalchemy import text

from tickets.audit.chain import append_event, canonical_bytes, chain_head, event_link, verify_chain
from tickets.audit.format import FORMAT_SWITCH
from tickets.store.schema import downgrade, upgrade


def _raw_append(store, *, seq_hash, i: int) -> None:
    """What a writer of either format does by hand: insert the event, move the head onto it."""
    with store.write() as session:
        seq, prev = session.execute(text("SELECT seq, hash FROM audit_head WHERE id = 1")).one()
        fields = dict(at=store.clock.now(), actor="old", action="note", subject=f"thing:{i}", details={"i": i})
        digest = seq_hash(seq=seq + 1, prev_hash=prev, **fields)
        session.execute(text(
            "INSERT INTO audit_event (seq, at, actor, action, subject, details, prev_hash, hash) "
            "VALUES (:seq, :at, :actor, :action, :subject, :details, :prev, :hash)"
        ), {"seq": seq + 1, "at": _stored(store, fields["at"]), "actor": "old", "action": "note",
            "subject": f"thing:{i}", "details": f'{{"i": {i}}}', "prev": prev, "hash": digest})
        session.execute(text("UPDATE audit_head SET seq = :s, hash = :h WHERE id = 1"), {"s": seq + 1, "h": digest})


def _stored(store, at):
    return at.strftime("%Y-%m-%d %H:%M:%S.%f") if store.engine.dialect.name == "sqlite" else at


def _format1(**fields) -> str:
    return hashlib.sha256(canonical_bytes(**fields)).hexdigest()


@pytest.fixture
def old_chain(store):
    """A database as it was before 0009, with three format-1 events, then upgraded."""
    downgrade(store.engine, "0006")
    for i in range(3):
        _raw_append(store, seq_hash=_format1, i=i)
    upgrade(store.engine)
    return store


def test_a1_migration_0009_records_the_switch_and_old_events_still_verify(old_chain):
    with old_chain.read() as session:
        report = verify_chain(session)
        switch = session.execute(text("SELECT seq, action FROM audit_event WHERE seq = 4")).one()
    assert report.ok and report.events_checked == 4, report
    assert switch.action == FORMAT_SWITCH
    with old_chain.write() as session:
        event = append_event(session, at=old_chain.clock.now(), actor="test", action="note", subject="thing:9",
                             details={"n": "é"})
    assert event.seq == 5 and event.hash == event_link(
        seq=5,
        prev_hash=event.prev_hash,
        at=event.at,
        actor="test",
        action="note",
        subject="thing:9",
        details={"n": "é"},
    )
    with old_chain.read() as session:
        assert verify_chain(session).ok and chain_head(session).hash == event.hash
    # Upgrading again (after a downgrade) continues in format 2: no second record.
    downgrade(old_chain.engine, "0006")
    upgrade(old_chain.engine)
    with old_chain.read() as session:
        assert verify_chain(session).events_checked == 5


def test_a1_an_old_format_event_after_the_switch_breaks_the_chain(old_chain):
    _raw_append(old_chain, seq_hash=_format1, i=7)  # well-formed format 1, linked to the head
    with old_chain.read() as session:
        report = verify_chain(session)
    assert not report.ok and report.first_bad_seq == 5 and "edited" in report.problem


def test_a1_a_new_format_event_before_the_switch_breaks_the_chain(store):
    downgrade(store.engine, "0006")
    _raw_append(store, seq_hash=_format1, i=0)
    _raw_append(store, seq_hash=event_link, i=1)  # format 2 in a format-1 chain, no switch before it
    with store.read() as session:
        report = verify_chain(session)
    upgrade(store.engine)
    assert not report.ok and report.first_bad_seq == 2 and "edited" in report.problem


def test_a1_a_new_chain_is_format_2_from_its_first_event(store, clock):
    with store.write() as session:
        first = append_event(session, at=clock.now(), actor="test", action="note", subject="thing:1")
    assert first.seq == 1 and first.prev_hash == "0" * 64
    assert first.hash == event_link(seq=1, prev_hash="0" * 64, at=clock.now(), actor="test", action="note",
                                    subject="thing:1", details={})
    with store.read() as session:
        assert verify_chain(session).ok


def _set_details(store, seq: int, text_: str) -> None:
    with store.engine.begin() as connection:
        if store.engine.dialect.name == "sqlite":
            connection.exec_driver_sql("DROP TRIGGER IF EXISTS audit_event_no_update")
        else:
            connection.exec_driver_sql("ALTER TABLE audit_event DISABLE TRIGGER USER")
        connection.execute(text("UPDATE audit_event SET details = :d WHERE seq = :s"), {"d": text_, "s": seq})


def test_a1_details_not_stored_in_their_canonical_form_are_refused(store, clock):
    """A format-2 event's details must be stored exactly as they were hashed: another spacing
    of the same values is refused too (verify reads what the database stores, nothing else)."""
    with store.write() as session:
        append_event(session, at=clock.now(), actor="test", action="note", subject="thing:1",
                     details={"b": 1, "a": [1]})
    _set_details(store, 1, '{"a": [1], "b": 1}')
    with store.read() as session:
        report = verify_chain(session)
    assert not report.ok and report.first_bad_seq == 1 and "edited" in report.problem


def test_a1_a_key_given_twice_is_refused_even_with_its_hash_kept(store, clock):
    """The duplicated-key attack: `{"status":"withdrawn",...,"status":"pending_review"}` reads
    as pending_review in Python (last key) and withdrawn in SQLite's json_extract (first key).
    Re-hashed over the stored text, so that its hash matches, it is still refused."""
    from tickets.audit.format import at_text, chain_link, content_hash_of

    with store.write() as session:
        event = append_event(session, at=clock.now(), actor="test", action="note", subject="thing:1",
                             details={"status": "pending_review"})
    forged = '{"status":"withdrawn","status":"pending_review"}'
    digest = chain_link(1, "0" * 64, content_hash_of(at_text(event.at), "test", "note", "thing:1", forged))
    _set_details(store, 1, forged)
    with store.engine.begin() as connection:
        connection.execute(text("UPDATE audit_event SET hash = :h WHERE seq = 1"), {"h": digest})
        if store.engine.dialect.name == "sqlite":
            connection.exec_driver_sql("DROP TRIGGER IF EXISTS audit_head_forward_only")
        else:
            connection.exec_driver_sql("ALTER TABLE audit_head DISABLE TRIGGER USER")
        connection.execute(text("UPDATE audit_head SET hash = :h WHERE id = 1"), {"h": digest})
    with store.read() as session:
        report = verify_chain(session)
    assert not report.ok and report.first_bad_seq == 1 and "canonical form" in report.problem


def test_a1_concurrent_appends_chain_without_a_gap_or_a_double(store, clock):
    """Writers on their own connections: each append waits for the head, none is lost."""
    def writer(w: int) -> None:
        for i in range(10):
            store.transaction(lambda session, i=i: append_event(
                session, at=clock.now(), actor=f"w{w}", action="note", subject=f"thing:{w}", details={"i": i}))

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with store.read() as session:
        report = verify_chain(session)
    assert report.ok and report.events_checked == 40, report
