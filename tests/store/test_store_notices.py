"""tickets.notices: decisions on an agent's own tickets, read from the audit chain by sequence
number (each once), and the tickets that still wait for a callback (V-8); on both engines."""

from __future__ import annotations

from testkit import file_demo_ticket
from tickets.agents import list_agents
from tickets.lifecycle import approve, record_callback, reject
from tickets.notices import awaiting_callback, latest_seq, notices_for
from tickets.store.models import ticket_ref
from tickets.verification import start_call

RAJ = "raj.kumar@northwindtraders.co.uk"


def test_decisions_on_my_tickets_once_each(demo_store):
    agents = {a.name: a for a in list_agents(demo_store)}
    ada, linus = agents["ada"], agents["linus"]
    mine = file_demo_ticket(demo_store, user_id=RAJ, status="pending_review", needs_callback=True)
    theirs = file_demo_ticket(demo_store, user_id="james.oconnor@fabrikam.co.uk", status="pending_review",
                              agent="grace")
    start = latest_seq(demo_store)
    assert notices_for(demo_store, ada, start) == ([], start)
    assert awaiting_callback(demo_store, ada) == [ticket_ref(mine)]
    assert awaiting_callback(demo_store, agents["grace"]) == []

    record_callback(demo_store, agent=linus, ticket_id=mine, note="called the number on file")
    assert awaiting_callback(demo_store, ada) == []
    approve(demo_store, supervisor=linus, ticket_id=mine, reason="checked with the caller")
    reject(demo_store, supervisor=linus, ticket_id=theirs, reason="duplicate")
    start_call(demo_store, ada)  # other events in between are skipped over

    notices, seq = notices_for(demo_store, ada, start)
    assert [(n.ticket_id, n.what, n.by, n.reason) for n in notices] == [
        (mine, "approved", "linus", "checked with the caller")
    ]
    assert str(notices[0]) == f"{ticket_ref(mine)} was approved by linus: checked with the caller"
    assert seq == latest_seq(demo_store) > start
    assert notices_for(demo_store, ada, seq) == ([], seq)  # told once
    (rejected,), _ = notices_for(demo_store, agents["grace"], start)
    assert (rejected.ticket_id, rejected.what, rejected.reason) == (theirs, "rejected", "duplicate")
