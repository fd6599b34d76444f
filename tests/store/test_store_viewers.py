"""Who else has a ticket open (tickets.viewers), on each engine, seen from a second store with
its own connections (as another console process would), on the stores' injected clocks."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import testkit
from tickets.agents import list_agents
from tickets.viewers import FRESH_FOR, leave, open_ticket, viewers_of


def test_a_second_supervisor_is_told_who_has_the_ticket_open_and_since_when(demo_store, clock):
    ids = testkit.seed_review_queue(demo_store, 2, now=clock.now())
    agents = {a.name: a for a in list_agents(demo_store)}
    linus, margaret = agents["linus"], agents["margaret"]
    other = testkit.make_store(str(demo_store.engine.url.render_as_string(hide_password=False)), clock)
    try:
        opened = clock.now()
        assert open_ticket(demo_store, linus, ids[0]) == ()  # nobody else
        clock.advance(timedelta(minutes=1))
        seen = open_ticket(other, margaret, ids[0])
        assert [(v.name, v.since) for v in seen] == [("Linus Pauling", opened)]
        # Linus touches it again later: still open since he first opened it, and he sees her.
        clock.advance(timedelta(seconds=30))
        again = open_ticket(demo_store, linus, ids[0])
        assert [(v.name, v.since) for v in again] == [("Margaret Hamilton", opened + timedelta(minutes=1))]
        assert viewers_of(other, ids[0], other_than=margaret.id)[0].since == opened
        # He moves on to the next ticket: the first is hers alone; the second is his since now.
        open_ticket(demo_store, linus, ids[1])
        assert viewers_of(other, ids[0], other_than=margaret.id) == ()
        assert [v.since for v in viewers_of(other, ids[1], other_than=margaret.id)] == [clock.now()]
        # She leaves the queue: nobody has the first ticket open.
        leave(other, margaret)
        assert viewers_of(demo_store, ids[0], other_than=linus.id) == ()
    finally:
        other.dispose()


def test_a_console_that_stopped_touching_its_row_no_longer_counts(demo_store, clock):
    ids = testkit.seed_review_queue(demo_store, 1, now=clock.now())
    agents = {a.name: a for a in list_agents(demo_store)}
    open_ticket(demo_store, agents["linus"], ids[0])
    clock.advance(FRESH_FOR)
    assert [v.name for v in viewers_of(demo_store, ids[0], other_than=agents["margaret"].id)] == ["Linus Pauling"]
    clock.advance(timedelta(seconds=1))
    assert viewers_of(demo_store, ids[0], other_than=agents["margaret"].id) == ()


def test_another_process_sees_the_viewer(demo_store, clock):
    """A separate Python process (its own engine, as another console) opens the ticket; this
    one is told."""
    ids = testkit.seed_review_queue(demo_store, 1, now=clock.now())
    agents = {a.name: a for a in list_agents(demo_store)}
    url = demo_store.engine.url.render_as_string(hide_password=False)
    script = (
        "import sys\n"
        "from tickets.agents import list_agents\n"
        "from tickets.store.database import Store\n"
        "from tickets.viewers import open_ticket\n"
        "store = Store.from_url(sys.argv[1])\n"
        "linus = next(a for a in list_agents(store) if a.name == 'linus')\n"
        "open_ticket(store, linus, int(sys.argv[2]))\n"
        "store.dispose()\n"
    )
    subprocess.run([sys.executable, "-c", script, url, str(ids[0])], check=True, timeout=120)
    seen = viewers_of(demo_store, ids[0], other_than=agents["margaret"].id)
    assert [v.name for v in seen] == ["Linus Pauling"]
