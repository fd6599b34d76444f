"""The relay's e-mail destination end to end, on both engines: tickets filed and decided, the
relay's passes sending the caller's mails over STARTTLS with AUTH to a real SMTP server on
127.0.0.1 (aiosmtpd) that receives and parses each; a temporary refusal is tried again later
(the clock moved, not slept), each mail arrives once, and the audit names no recipient."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from drills.common import DrillDirectory
from mailserver import PASSWORD, USER, MailServer, self_signed
from tickets.audit.chain import verify_chain
from tickets.enums import TicketKind, TicketStatus
from tickets.filing import FilingRequest, file_ticket
from tickets.handoff import outbox
from tickets.handoff.mail import SmtpSettings
from tickets.handoff.relay import Relay
from tickets.handoff.settings import Destination, HandoffSettings
from tickets.lifecycle import transition
from tickets.store.models import ticket_ref

EARLY = frozenset({"remove_domains", "update_dns", "save_data"})


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    return self_signed(tmp_path_factory.mktemp("tls"))


def test_relay_mails_the_caller_once_per_event_after_a_temporary_refusal(store, clock, certificate):
    directory = DrillDirectory(store, extra_subscriptions=2)
    with MailServer(tls=certificate) as server:
        smtp = SmtpSettings(host="127.0.0.1", port=server.port, sender="Support desk <desk@example.test>",
                            username=USER, password=PASSWORD, timeout=10, ca_file=certificate[0])
        settings = HandoffSettings((Destination("callers", "email", timedelta(hours=1)),),
                                   timeout=timedelta(seconds=10), lease=timedelta(seconds=30), smtp=smtp)
        relay = Relay(store, settings)
        relay.start()
        tickets = []
        for n in range(2):
            tickets.append(file_ticket(store, agent=directory.agent, verification_id=directory.verified(),
                                       request=FilingRequest(kind=TicketKind.CANCEL_EARLY,
                                                             subscription_ref=directory.sub_refs[n],
                                                             idempotency_key=f"mail-{n}", confirmed=EARLY)
                                       ).filed[0].id)
        transition(store, actor=directory.agent, ticket_id=tickets[0], to=TicketStatus.WITHDRAWN,
                   reason="the caller changed their mind")
        server.handler.data_reply = "451 4.3.0 try again later"
        first = relay.once()
        assert first.failed == 3 and not server.received
        server.handler.data_reply = None
        for _ in range(20):
            clock.advance(timedelta(seconds=30))
            relay.once()
            if sum(c.delivered for c in outbox.counts(store)) == 3:
                break
        assert relay.once().attempts == 0  # nothing left, nothing sent twice
    assert len(server.received) == 3
    assert {r.recipients[0] for r in server.received} == {"ann.admin@fabrikam.co.uk"}
    subjects = sorted((r.message["Message-ID"], r.part("plain")) for r in server.received)
    assert len({m for m, _ in subjects}) == 3
    assert all(ticket_ref(tickets[0]) in body or ticket_ref(tickets[1]) in body for _, body in subjects)
    assert all(r.message.get_body(("html",)) is not None for r in server.received)
    with store.read() as session:
        details = session.execute(text(
            "SELECT CAST(details AS text) FROM audit_event WHERE action LIKE 'handoff.%'")).scalars().all()
        assert verify_chain(session).ok
    assert any("SMTP: try again later" in d for d in details)
    assert not any("fabrikam" in d.lower() for d in details)


def test_relay_once_reads_the_smtp_table_of_the_config(store, clock, certificate, tmp_path, capsys):
    import os

    from deskapp.cli import main

    directory = DrillDirectory(store, extra_subscriptions=1)
    password = tmp_path / "smtp-password"
    password.write_text(PASSWORD + "\n", encoding="utf-8")
    os.chmod(password, 0o600)
    with MailServer(tls=certificate) as server:
        config = tmp_path / "config.toml"
        config.write_text(
            '[[handoff.email]]\nname = "callers"\n\n'
            f'[smtp]\nhost = "127.0.0.1"\nport = {server.port}\nusername = "{USER}"\n'
            f'password_file = "smtp-password"\nsender = "Desk <desk@example.test>"\nca_file = "{certificate[0]}"\n',
            encoding="utf-8")
        url = store.engine.url.render_as_string(hide_password=False)
        assert main(["relay", "--once", "--config", str(config), "--db", url]) == 0
        file_ticket(store, agent=directory.agent, verification_id=directory.verified(), request=FilingRequest(
            kind=TicketKind.CANCEL_EARLY, subscription_ref=directory.sub_refs[0], idempotency_key="cli-mail",
            confirmed=EARLY))
        assert main(["relay", "--once", "--config", str(config), "--db", url]) == 0
    assert "1 delivered" in capsys.readouterr().out
    assert [r.recipients for r in server.received] == [["ann.admin@fabrikam.co.uk"]]
    config.write_text('[[handoff.email]]\nname = "callers"\n', encoding="utf-8")
    assert main(["relay", "--once", "--config", str(config), "--db", url]) == 2
    assert "smtp: e-mail destinations need the [smtp] table" in capsys.readouterr().err
