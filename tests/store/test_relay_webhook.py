"""The relay against a real HTTP receiver on 127.0.0.1, on both engines: every ticket event a
hand-off follows is written to the outbox by the transaction that appends it, delivered signed,
retried with backoff after failures (the clock moved, never slept), delivered once to the
receiver's application, audited without personal data, and `audit verify` still passes."""

from __future__ import annotations

import json
import os
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from deskapp.cli import main
from drills.common import DrillDirectory
from drills.receiver import Receiver
from tickets.audit.chain import verify_chain
from tickets.enums import TicketKind, TicketStatus
from tickets.filing import FilingRequest, file_ticket
from tickets.handoff import outbox
from tickets.handoff.relay import Relay
from tickets.handoff.settings import Destination, HandoffSettings
from tickets.lifecycle import transition

SECRET = b"s3cret-for-the-billing-webhook"
EARLY = frozenset({"remove_domains", "update_dns", "save_data"})


def _settings(url: str, retry_for=timedelta(hours=1), **more) -> HandoffSettings:
    return HandoffSettings((Destination("billing", "webhook", retry_for, url, SECRET),),
                           timeout=timedelta(seconds=5), lease=timedelta(seconds=30), **more)


def _file(directory: DrillDirectory, n: int) -> int:
    result = file_ticket(directory.store, agent=directory.agent, verification_id=directory.verified(),
                         request=FilingRequest(kind=TicketKind.CANCEL_EARLY, subscription_ref=directory.sub_refs[n],
                                               idempotency_key=f"relay-{n}", confirmed=EARLY,
                                               reason="Moving to another provider, says Ann Admin"))
    return result.filed[0].id


def _drain(relay: Relay, clock, until, *, step=timedelta(seconds=30), passes=200) -> None:
    for _ in range(passes):
        relay.once()
        if until():
            return
        clock.advance(step)
    raise AssertionError("the outbox did not drain")


def test_each_event_reaches_the_application_once_after_two_500s(store, clock):
    directory = DrillDirectory(store, extra_subscriptions=3)
    with Receiver(SECRET, lambda: int(clock.now().timestamp()), fail_first=2) as receiver:
        relay = Relay(store, _settings(receiver.url))
        assert relay.start() == 1
        tickets = [_file(directory, n) for n in range(3)]
        transition(store, actor=directory.agent, ticket_id=tickets[0], to=TicketStatus.WITHDRAWN,
                   reason="the caller changed their mind")
        transition(store, actor=directory.supervisor, ticket_id=tickets[1], to=TicketStatus.IN_PROGRESS)
        transition(store, actor=directory.supervisor, ticket_id=tickets[1], to=TicketStatus.RESOLVED)
        with store.read() as session:  # written with the events, before any relay ran
            assert session.execute(text("SELECT count(*) FROM handoff_outbox")).scalar_one() == 5
        _drain(relay, clock, lambda: sum(c.delivered for c in outbox.counts(store)) == 5)
    assert receiver.bad_signatures == 0
    assert sorted(receiver.posts.values()) == [3] * 5  # 500, 500, then 200, for each event
    assert sorted(receiver.applied.values()) == [1] * 5
    events = sorted((b["ticket"]["ticket_ref"], b["event"]) for b in receiver.bodies.values())
    assert [e for _, e in events].count("ticket.filed") == 3
    assert {e for _, e in events} == {"ticket.filed", "ticket.withdrawn", "ticket.resolved"}
    body = next(iter(receiver.bodies.values()))
    assert body["schema"] == "deskapp-handoff/1" and body["ticket"]["caller_user_id"] == "a***@fabrikam.co.uk"
    assert "Ann" not in json.dumps(body)  # masked as exports mask it
    assert body["ticket"]["effective_date"] and body["ticket"]["rules"]
    with store.read() as session:
        rows = session.execute(text(
            "SELECT action, CAST(details AS text) FROM audit_event WHERE action LIKE 'handoff.%' ORDER BY seq")).all()
        assert verify_chain(session).ok
    actions = [a for a, _ in rows]
    assert actions.count("handoff.attempt_failed") == 10 and actions.count("handoff.delivered") == 5
    assert actions[0] == "handoff.destinations"
    for _, details in rows:
        assert "fabrikam" not in details.lower() and "Ann" not in details and "Moving" not in details


def test_a_destination_down_past_retry_for_is_parked_and_shown(store, clock, tmp_path, capsys):
    directory = DrillDirectory(store, extra_subscriptions=1)
    with Receiver(SECRET, lambda: int(clock.now().timestamp()), fail_first=10**6) as receiver:
        relay = Relay(store, _settings(receiver.url, retry_for=timedelta(minutes=10)))
        relay.start()
        _file(directory, 0)
        _drain(relay, clock, lambda: outbox.counts(store)[0].parked == 1, step=timedelta(seconds=20))
    (row,) = outbox.parked(store)
    assert row.last_status == 500 and row.attempts == receiver.posts.most_common(1)[0][1] >= 5
    from tickets.dashboard import compute_dashboard

    assert compute_dashboard(store, now=clock.now()).handoff_parked == 1
    url = store.engine.url.render_as_string(hide_password=False)
    assert main(["relay", "status", "--db", url]) == 1
    out = capsys.readouterr().out
    assert "billing\twebhook\t0\t0\t1" in out and "HTTP 500" in out and "TK-" in out
    with store.read() as session:
        assert verify_chain(session).ok


def test_two_relays_at_once_never_send_a_row_twice(store, clock):
    directory = DrillDirectory(store, extra_subscriptions=12)
    with Receiver(SECRET, lambda: int(clock.now().timestamp())) as receiver:
        Relay(store, _settings(receiver.url)).start()
        for n in range(12):
            _file(directory, n)
        relays = [Relay(store, _settings(receiver.url), batch=2) for _ in range(3)]
        threads = [threading.Thread(target=r.once) for r in relays]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(receiver.posts) == 12 and set(receiver.posts.values()) == {1}


def test_a_row_whose_relay_died_comes_back_when_its_lease_ends(store, clock):
    directory = DrillDirectory(store, extra_subscriptions=1)
    with Receiver(SECRET, lambda: int(clock.now().timestamp())) as receiver:
        settings = _settings(receiver.url)
        dead, alive = Relay(store, settings, worker="dead"), Relay(store, settings, worker="alive")
        dead.start()
        _file(directory, 0)
        (taken,) = outbox.claim(store, "dead", ["billing"], 10, settings.lease)  # then it was killed
        assert alive.once().attempts == 0  # leased: not taken twice
        clock.advance(settings.lease)
        assert alive.once().delivered == 1
        assert not outbox.report(store, taken, "dead", "delivered")  # too late: nothing written
    assert list(receiver.applied.values()) == [1]


def test_relay_once_from_the_command_line(store, clock, tmp_path, capsys):
    secret = tmp_path / "billing.secret"
    secret.write_bytes(SECRET + b"\n")
    os.chmod(secret, 0o600)
    with Receiver(SECRET, lambda: int(__import__("time").time())) as receiver:
        config = tmp_path / "config.toml"
        config.write_text(f'[[handoff.webhook]]\nname = "billing"\nurl = "{receiver.url}"\n'
                          f'secret_file = "{secret.name}"\nretry_for = "1h"\n', encoding="utf-8")
        url = store.engine.url.render_as_string(hide_password=False)
        assert main(["relay", "--once", "--config", str(config), "--db", url]) == 0
        directory = DrillDirectory(store, extra_subscriptions=1)
        _file(directory, 0)
        assert main(["relay", "--once", "--config", str(config), "--db", url]) == 0
    assert "1 delivered" in capsys.readouterr().out
    assert sum(receiver.applied.values()) == 1


@pytest.mark.parametrize("table, words", [
    ('[[handoff.webhook]]\nname = "b"\nurl = "http://billing.example.com/x"\nsecret_file = "s"\n', "https://"),
    ('[[handoff.webhook]]\nname = "b"\nurl = "https://billing.example.com/x"\nsecret_file = "nope"\n', "cannot read"),
    ('[handoff]\ntimeout = "ten"\n', "timeout"),
])
def test_a_bad_handoff_setting_exits_2_with_one_sentence(store, tmp_path, capsys, table, words):
    config = tmp_path / "config.toml"
    config.write_text(table, encoding="utf-8")
    url = store.engine.url.render_as_string(hide_password=False)
    assert main(["relay", "--once", "--config", str(config), "--db", url]) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1


def test_secret_never_on_the_command_line():
    assert Path(__file__).exists()  # the relay takes no secret option: only secret_file in the config
    from deskapp.cli import build_parser

    assert "secret" not in build_parser(only="relay").format_help()
