"""Relay drill, short: 30 tickets filed while two `deskapp relay` processes are SIGKILLed 3
times and the receiver is down for 2 s; every event reaches the receiver's application exactly
once, on both engines. The full drill (1,000 tickets, 20 kills, 30 s down) is
`.venv/bin/python tests/drills/relay.py` (figures in docs/drills.md)."""

from __future__ import annotations

from drills import relay
from drills.common import full_scale


def test_relay_drill_kills_and_an_outage_lose_nothing_and_double_nothing(store_url, tmp_path):
    tickets, kills, outage = (1000, 20, 30.0) if full_scale() else (30, 3, 2.0)
    figures = relay.run(tmp_path, store_url, tickets=tickets, kills=kills, outage=outage, drain_timeout=120,
                        log=lambda *_: None)
    assert figures.failures == []
    assert figures.notes["lost"] == 0 and figures.notes["twice to the application"] == 0
    assert figures.kills == kills and figures.notes["events"] == tickets
