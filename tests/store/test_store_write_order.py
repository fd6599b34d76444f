"""The audit append is the last statement of every write transaction, all other writes
first, so that the chain's lock (audit_head) is held only for the append itself. Checked on the
statements each driver really runs (sqlite3's trace callback; psycopg's cursor), whoever wrote
them: SQLAlchemy, the prebuilt SQL of tickets.store.rawsql or the audit module."""

from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
from sqlalchemy import event

import testkit
from tickets.enums import TicketKind, TicketStatus
from tickets.filing import FilingRequest, file_ticket
from tickets.lifecycle import record_callback, transition
from tickets.verification import end_call, start_call, verify_caller

_AUDIT = re.compile(r"\baudit_(head|event)\b", re.IGNORECASE)
# A write, alone or sent after its transaction's BEGIN (tickets.store.rawsql on PostgreSQL).
_WRITE = re.compile(r"^\s*(BEGIN;\s*)?(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)
# A write inside a statement's WITH (tickets.store.verification_sql on PostgreSQL: the attempt and the
# call claimed in one statement), and the statement's own write after it.
_WITH_WRITE = re.compile(r"\bAS \(\s*(?:INSERT|UPDATE|DELETE)\b|\)\s*(?:INSERT|UPDATE|DELETE)\b", re.IGNORECASE)


@contextmanager
def driver_statements(store, monkeypatch):
    """Every statement the driver runs on this store's connections inside the block."""
    seen: list[str] = []
    if store.engine.dialect.name == "sqlite":
        # A fresh pool, so that every connection used below is one we trace.
        store.engine.dispose()
        connections: list = []

        def trace(statement: str) -> None:
            # SQLite traces a trigger's run (the outbox's, on audit_event: migration 0015) as the
            # statement that fired it once more: one INSERT, not two.
            repeated = seen and statement == seen[-1]
            if not (repeated and statement.lstrip().upper().startswith("INSERT INTO AUDIT_EVENT")):
                seen.append(statement)

        listener = lambda dbapi, _record: (connections.append(dbapi), dbapi.set_trace_callback(trace))  # noqa: E731
        event.listen(store.engine, "connect", listener)
        try:
            yield seen
        finally:
            event.remove(store.engine, "connect", listener)
            for dbapi in connections:
                dbapi.set_trace_callback(None)
    else:
        import psycopg

        for name in ("execute", "executemany"):
            original = getattr(psycopg.Cursor, name)

            def recording(self, query, *args, _original=original, **kwargs):
                seen.append(query if isinstance(query, str) else query.as_string(self))
                return _original(self, query, *args, **kwargs)

            monkeypatch.setattr(psycopg.Cursor, name, recording)
        yield seen
        monkeypatch.undo()


_FUNCTION = re.compile(r"\bdeskapp_api_\w+\(")


def assert_append_last(statements: list[str], *, writes_before: int) -> None:
    functions = [s for s in statements if _FUNCTION.search(s)]
    if functions:
        # PostgreSQL (migration 0011): the write is one call of the database's function, which
        # writes its rows and then appends, in its own transaction; the client writes nothing.
        assert len(functions) == 1, statements
        assert not any(_WRITE.match(s) or _AUDIT.search(s) for s in statements), statements
        return
    audit = [i for i, s in enumerate(statements) if _AUDIT.search(s)]
    assert audit, statements
    after = statements[audit[0]:]
    # From the first touch of the chain to the commit: the chain only.
    assert all(_AUDIT.search(s) or s.strip().upper() == "COMMIT" for s in after), after
    # Each write counts, one a statement or each of a statement's data-modifying WITH parts.
    others = [s for s in statements[:audit[0]] if _WRITE.match(s)]
    others += [part for s in statements[:audit[0]] for part in _WITH_WRITE.findall(s)]
    assert len(others) >= writes_before, statements


@pytest.fixture
def directory(store):
    return testkit.Directory(store)


def _request(**changes) -> FilingRequest:
    values = dict(kind=TicketKind.CANCEL_EARLY, subscription_ref="SUB-INT", idempotency_key="k1",
                  confirmed=frozenset({"remove_domains", "update_dns", "save_data"}))
    return FilingRequest(**{**values, **changes})


def test_filing_appends_its_event_after_the_ticket(directory, monkeypatch):
    verification = directory.verified()
    with driver_statements(directory.store, monkeypatch) as seen:
        file_ticket(directory.store, agent=directory.agent, verification_id=verification, request=_request())
    assert_append_last(seen, writes_before=1)
    assert any(re.match(r"\s*INSERT INTO ticket\b", s) or "deskapp_api_file(" in s for s in seen)


def test_a_batch_inserts_every_ticket_before_the_first_append(directory, monkeypatch):
    verification = directory.verified()
    with driver_statements(directory.store, monkeypatch) as seen:
        result = file_ticket(
            directory.store, agent=directory.agent, verification_id=verification,
            request=_request(kind=TicketKind.UNSUBSCRIBE_RESOURCE, subscription_ref="SUB-CLD", idempotency_key="b",
                             resource_refs=("RES-05", "RES-06", "RES-07"), reason="moving",
                             confirmed=frozenset({"confirm_unsubscription"})),
        )
    assert len(result.filed) == 3
    assert_append_last(seen, writes_before=3)


def test_starting_and_ending_a_call_write_the_call_first(directory, monkeypatch):
    with driver_statements(directory.store, monkeypatch) as seen:
        call_id = start_call(directory.store, directory.agent)
    assert_append_last(seen, writes_before=1)
    with driver_statements(directory.store, monkeypatch) as seen:
        end_call(directory.store, directory.agent, call_id, "caller satisfied")
    assert_append_last(seen, writes_before=1)


def test_lifecycle_changes_write_the_ticket_and_directory_first(directory, monkeypatch):
    verification = directory.verified()
    store = directory.store
    ticket = file_ticket(store, agent=directory.agent, verification_id=verification,
                         request=_request(subscription_ref="SUB-O365")).filed[0]
    transition(store, actor=directory.agent, ticket_id=ticket.id, to=TicketStatus.IN_PROGRESS)
    with driver_statements(store, monkeypatch) as seen:
        transition(store, actor=directory.agent, ticket_id=ticket.id, to=TicketStatus.RESOLVED)
    # The ticket's status and, on resolving, the subscription it cancels (T-2).
    assert_append_last(seen, writes_before=2)
    expedited = file_ticket(
        store, agent=directory.agent, verification_id=directory.verified(),
        request=_request(kind=TicketKind.EXPEDITED_DEPROVISIONING, idempotency_key="x",
                         confirmed=frozenset({"acknowledge_data_loss", "remove_domains", "update_dns", "save_data"})),
    ).filed[0]
    with driver_statements(store, monkeypatch) as seen:
        record_callback(
            store, agent=directory.supervisor, ticket_id=expedited.id, note="confirmed on the number on file"
        )
    assert_append_last(seen, writes_before=1)


@pytest.mark.parametrize("wrong", [False, True], ids=["passed", "failed"])
def test_verification_claims_the_call_before_its_appends(directory, monkeypatch, wrong):
    """The call's row and the attempt first; then the verification's event and, on a third
    failure, the lock's event (a wrong claim three times: the third locks the organization)."""
    call_id = start_call(directory.store, directory.agent)
    claim = directory.claim(contact_last_name="Nobody") if wrong else directory.claim()
    for _ in range(2 if wrong else 0):
        verify_caller(directory.store, agent=directory.agent, organization_id=directory.org.id, claim=claim,
                      call_id=call_id)
    with driver_statements(directory.store, monkeypatch) as seen:
        result = verify_caller(directory.store, agent=directory.agent, organization_id=directory.org.id,
                               claim=claim, call_id=call_id)
    assert result.passed is not wrong
    assert_append_last(seen, writes_before=2)  # the attempt, the call claimed
    if (
        wrong and directory.store.engine.dialect.name == "sqlite"
    ):  # both events of a locking failure come after every other statement
        assert len([s for s in seen if re.search(r"\bINSERT INTO audit_event\b", s, re.IGNORECASE)]) == 2, seen
