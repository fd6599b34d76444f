"""A-1: the audit chain is append-only and `deskapp audit verify` catches every tampering."""

from __future__ import annotations

import pytest
from sqlalchemy import text

import testkit
from deskapp.cli import main
from tickets.audit.chain import append_event, verify_chain


def _url(store) -> str:
    return store.engine.url.render_as_string(hide_password=False)


@pytest.fixture
def chained(store, clock):
    testkit.Directory(store)  # agents, a directory import: a few real events
    with store.write() as session:
        for i in range(5):
            append_event(session, at=clock.now(), actor="test", action="note", subject=f"thing:{i}", details={"i": i})
    return store


def _tamper(store, *statements: str) -> None:
    """What an attacker with database rights does: set the guard aside, then edit."""
    with store.engine.begin() as connection:
        if store.engine.dialect.name == "sqlite":
            connection.exec_driver_sql("DROP TRIGGER audit_event_no_update")
            connection.exec_driver_sql("DROP TRIGGER audit_event_no_delete")
        else:
            connection.exec_driver_sql("ALTER TABLE audit_event DISABLE TRIGGER USER")
        for statement in statements:
            connection.execute(text(statement))


def _verify(store, capsys) -> tuple[int, str]:
    code = main(["audit", "verify", "--db", _url(store)])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_a1_intact_chain_verifies(chained, capsys):
    code, output = _verify(chained, capsys)
    assert code == 0 and "verified" in output


def test_a1_store_refuses_update_and_delete(chained):
    for statement in ("UPDATE audit_event SET actor = 'x' WHERE seq = 1", "DELETE FROM audit_event WHERE seq = 1"):
        with pytest.raises(Exception, match="append-only"):
            with chained.engine.begin() as connection:
                connection.execute(text(statement))


def test_a1_changed_byte_is_detected(chained, capsys):
    _tamper(chained, "UPDATE audit_event SET actor = 'mallory' WHERE seq = 3")
    code, output = _verify(chained, capsys)
    assert code == 1 and "event 3" in output and "edited" in output


def test_a1_deleted_event_is_detected(chained, capsys):
    _tamper(chained, "DELETE FROM audit_event WHERE seq = 4")
    code, output = _verify(chained, capsys)
    assert code == 1 and "event 4 is missing" in output


def test_a1_swapped_events_are_detected(chained, capsys):
    # Swap the content of events 5 and 6 (keeping each row's own hash valid is impossible
    # without rewriting every later hash; an attacker who swaps rows gets caught at 5).
    _tamper(
        chained,
        "UPDATE audit_event SET seq = -1 WHERE seq = 5",
        "UPDATE audit_event SET seq = 5 WHERE seq = 6",
        "UPDATE audit_event SET seq = 6 WHERE seq = -1",
    )
    code, output = _verify(chained, capsys)
    assert code == 1 and "event 5" in output


def test_a1_cut_tail_is_detected(chained, capsys):
    with chained.read() as session:
        last = verify_chain(session).events_checked
    _tamper(chained, f"DELETE FROM audit_event WHERE seq >= {last - 1}")
    code, output = _verify(chained, capsys)
    assert code == 1 and "cut tail" in output
