"""`deskapp audit head | anchor | verify --anchors | log` and `deskapp db roles` (A-1)."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import text

import testkit
from deskapp.cli import main
from tickets.audit.chain import Anchor, append_event, chain_head
from tickets.audit.log import AuditFilter, find_events
from tickets.enums import TicketKind
from tickets.filing import FilingRequest, file_ticket
from tickets.lifecycle import approve, record_callback


def _url(store) -> str:
    return store.engine.url.render_as_string(hide_password=False)


@pytest.fixture
def desk(store):
    directory = testkit.Directory(store)
    request = FilingRequest(kind=TicketKind.EXPEDITED_DEPROVISIONING, subscription_ref="SUB-INT", idempotency_key="x1",
                            confirmed=frozenset({"acknowledge_data_loss", "remove_domains", "update_dns", "save_data"}))
    ticket = (
        file_ticket(store, agent=directory.agent, verification_id=directory.verified(), request=request).filed[0].id
    )
    record_callback(store, agent=directory.agent, ticket_id=ticket, note="called back")
    approve(store, supervisor=directory.supervisor, ticket_id=ticket, reason="ok")
    directory.ticket_id = ticket
    return directory


def test_head_prints_one_line_and_anchor_appends_it(desk, tmp_path, capsys):
    store = desk.store
    assert main(["audit", "head", "--db", _url(store)]) == 0
    line = capsys.readouterr().out
    with store.read() as session:
        head = chain_head(session)
    assert line == f"{head}\n" and Anchor.parse(line) == head
    anchors = tmp_path / "anchors.txt"
    assert main(["audit", "anchor", str(anchors), "--db", _url(store)]) == 0
    with store.write() as session:
        append_event(session, at=store.clock.now(), actor="test", action="note", subject="thing:1")
    assert main(["audit", "anchor", str(anchors), "--db", _url(store)]) == 0
    lines = anchors.read_text().splitlines()
    assert [Anchor.parse(x) for x in lines] == [head, Anchor(head.seq + 1, _head(store).hash)]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", lines[0].split()[1])  # when it was anchored
    capsys.readouterr()
    assert main(["audit", "verify", "--anchors", str(anchors), "--db", _url(store)]) == 0
    out = capsys.readouterr().out
    assert "(2 anchors hold)" in out and f"head {_head(store)}" in out  # the head, to publish


def _head(store) -> Anchor:
    with store.read() as session:
        return chain_head(session)


def test_verify_fails_on_a_wrong_or_vanished_anchor(desk, capsys):
    store = desk.store
    head = _head(store)
    assert main(["audit", "verify", "--anchor", f"{head.seq}:{'f' * 64}", "--db", _url(store)]) == 1
    assert f"BROKEN at event {head.seq}" in capsys.readouterr().out
    assert main(["audit", "verify", "--anchor", f"{head.seq + 5}:{head.hash}", "--db", _url(store)]) == 1
    assert "events removed" in capsys.readouterr().out
    assert main(["audit", "verify", "--anchor", "12:nothex", "--db", _url(store)]) == 1
    assert "--anchor: expected SEQ:HASH" in capsys.readouterr().err


def test_anchor_refuses_to_bless_a_rewritten_chain(desk, tmp_path, capsys):
    store = desk.store
    anchors = tmp_path / "anchors.txt"
    anchors.write_text(f"{_head(store).seq}:{'a' * 64}  2026-11-22T11:00:00Z\n")
    assert main(["audit", "anchor", str(anchors), "--db", _url(store)]) == 1
    assert "not anchored" in capsys.readouterr().err
    assert len(anchors.read_text().splitlines()) == 1


def test_verify_checks_each_ticket_against_its_history(desk, capsys):
    store = desk.store
    with store.engine.begin() as connection:  # approved "by another supervisor", with no event
        connection.execute(text("UPDATE ticket SET decided_by_id = :s WHERE id = :t"),
                           {"s": desk.supervisor2.id, "t": desk.ticket_id})
    assert main(["audit", "verify", "--db", _url(store)]) == 1
    out = capsys.readouterr().out
    assert f"ticket {desk.ticket_id}: it records a decision by linus but its history one by grace" in out


def test_log_filters_and_json(desk, capsys):
    store = desk.store
    url = _url(store)
    assert main(["audit", "log", "--ticket", f"TK-{desk.ticket_id:06d}", "--json", "--db", url]) == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [e["action"] for e in events] == ["ticket.filed", "ticket.callback_recorded", "ticket.approved"]
    assert [e["actor"] for e in events] == ["ada", "ada", "grace"]
    assert main(["audit", "log", "--agent", "grace", "--action", "ticket.", "--db", url]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1 and "ticket.approved" in out[0] and "grace" in out[0]
    assert (
        main(["audit", "log", "--organization", "ORG-T1", "--action", "verification.passed", "--json", "--db", url])
        == 0
    )
    org_events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert org_events and {e["subject"] for e in org_events} == {f"organization:{desk.org.id}"}
    assert main(["audit", "log", "--since", "2026-11-23", "--db", url]) == 0
    assert capsys.readouterr().out == ""
    assert main(["audit", "log", "--organization", "ORG-NOPE", "--db", url]) == 1
    assert "--organization: no organization" in capsys.readouterr().err
    # The ticket view's history is the same query.
    from tickets.store.queries import ticket_detail

    detail = ticket_detail(store, desk.ticket_id)
    with store.read() as session:
        same = find_events(session, AuditFilter(ticket_id=desk.ticket_id))
    assert [h.seq for h in detail.history] == [e.seq for e in same] == [e["seq"] for e in events]


def test_db_roles_prints_the_sql_and_refuses_sqlite(store, capsys):
    code = main(["db", "roles", "--owner", "desk_owner", "--app", "desk_app", "--db", _url(store)])
    out, err = capsys.readouterr()
    if store.engine.dialect.name == "sqlite":
        assert code == 1 and "roles are for PostgreSQL" in err
        return
    assert code == 0
    # The application role reads and executes the write functions; it writes nothing itself.
    assert 'GRANT SELECT ON TABLE "audit_event" TO desk_app;' in out
    assert 'GRANT SELECT (id, name, display_name, role, active, created_at) ON TABLE "agent" TO desk_app;' in out
    assert 'ON TABLE "agent_session" TO desk_app' not in out
    assert (
        "GRANT EXECUTE ON FUNCTION deskapp_api_file(" in out and "GRANT EXECUTE ON FUNCTION deskapp_append(" not in out
    )
    assert 'ALTER TABLE "audit_event" OWNER TO desk_owner;' in out
    assert not [line for line in out.splitlines() if line.startswith("GRANT") and any(
        word in line for word in ("INSERT", "UPDATE", "DELETE", "TRUNCATE"))]
    assert main(["db", "roles", "--app", "Robert'); DROP", "--db", _url(store)]) == 1
