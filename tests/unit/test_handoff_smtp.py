"""E-mail delivery (tickets.handoff.mail) without a store: the [smtp] settings (the password only
from an owner-only file, credentials only over STARTTLS), what a failure says and whether it is
worth another try (4xx and connection trouble yes, 5xx and a refused certificate no), against a
real aiosmtpd server on 127.0.0.1; and the HTML part escapes whatever a name holds."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailserver import PASSWORD, USER, MailServer, free_port, self_signed
from tickets.enums import Product, TicketKind, TicketStatus
from tickets.handoff.mail import DeliveryFailed, SmtpSettings, send, smtp_settings_from
from tickets.handoff.mail_facts import Event, MailFacts
from tickets.handoff.mail_text import decided_text, filed_text, migration_ready_text, render_html, render_plain

# --- the settings ---------------------------------------------------------------------------


def _secret(tmp_path: Path, mode: int = 0o600) -> Path:
    path = tmp_path / "smtp-password"
    path.write_text(PASSWORD + "\n", encoding="utf-8")
    path.chmod(mode)
    return path


def test_settings_read_the_password_from_its_file_beside_the_config(tmp_path):
    _secret(tmp_path)
    found = smtp_settings_from({"host": "smtp.example.test", "username": USER, "password_file": "smtp-password",
                                "sender": "Support desk <desk@example.test>"}, tmp_path)
    assert found == SmtpSettings(host="smtp.example.test", sender="Support desk <desk@example.test>", port=587,
                                 starttls=True, username=USER, password=PASSWORD, timeout=30.0)
    assert PASSWORD not in repr(found)  # never in a log line or a traceback
    assert found.sender_address == "desk@example.test"


def test_settings_without_credentials_default_to_port_587_and_starttls(tmp_path):
    found = smtp_settings_from({"host": "relay.internal", "sender": "desk@example.test"}, tmp_path)
    assert (found.port, found.starttls, found.username, found.password) == (587, True, None, None)


@pytest.mark.parametrize(("table", "setting"), [
    ({"password": "hunter2"}, "smtp.password:"),
    ({"username": USER, "password_file": "smtp-password", "starttls": False}, "smtp.username:"),
    ({"username": USER}, "smtp.password_file:"),
    ({"password_file": "smtp-password"}, "smtp.password_file:"),
    ({"port": "587"}, "smtp.port:"),
    ({"port": 70000}, "smtp.port:"),
    ({"starttls": "yes"}, "smtp.starttls:"),
    ({"sender": "not an address"}, "smtp.sender:"),
    ({"sender": "desk@example.test\r\nBcc: x@example.test"}, "smtp.sender:"),
    ({"host": ""}, "smtp.host:"),
    ({"timeout": 0}, "smtp.timeout:"),
    ({"hostname": "x"}, "smtp.hostname:"),
    ({"ca_file": "missing.pem"}, "smtp.ca_file:"),
])
def test_a_bad_setting_is_one_sentence_naming_it(tmp_path, table, setting):
    _secret(tmp_path)
    base = {"host": "smtp.example.test", "sender": "desk@example.test"}
    with pytest.raises(ValueError) as raised:
        smtp_settings_from({**base, **table}, tmp_path)
    message = str(raised.value)
    assert message.startswith(setting) and "\n" not in message
    assert "hunter2" not in message


def test_a_password_file_other_users_can_read_is_refused(tmp_path):
    _secret(tmp_path, 0o644)
    with pytest.raises(ValueError, match="smtp.password_file: .* can be read by other users; chmod 600"):
        smtp_settings_from({"host": "h.example.test", "sender": "desk@example.test", "username": USER,
                            "password_file": str(tmp_path / "smtp-password")}, Path("/nonexistent"))


# --- sending --------------------------------------------------------------------------------


def _message(to: str = "ann.admin@fabrikam.co.uk") -> EmailMessage:
    message = EmailMessage()
    message["To"] = to
    message["Subject"] = "Ticket TK-000001: your request is filed"
    message.set_content("plain")
    message.add_alternative("<p>html</p>", subtype="html")
    return message


def _plain(server: MailServer, **changes) -> SmtpSettings:
    return SmtpSettings(**{"host": "127.0.0.1", "port": server.port, "sender": "desk@example.test",
                           "starttls": False, "timeout": 10, **changes})


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    return self_signed(tmp_path_factory.mktemp("tls"))


def test_starttls_then_auth_then_the_message(certificate):
    with MailServer(tls=certificate) as server:
        send(_plain(server, starttls=True, username=USER, password=PASSWORD, ca_file=certificate[0]), _message())
    (got,) = server.received
    assert got.recipients == ["ann.admin@fabrikam.co.uk"] and got.message["From"] == "desk@example.test"
    assert server.handler.logins == [USER]


def test_a_wrong_password_is_a_5xx_not_worth_retrying(certificate):
    with MailServer(tls=certificate) as server:
        with pytest.raises(DeliveryFailed) as failed:
            send(_plain(server, starttls=True, username=USER, password="wrong", ca_file=certificate[0]), _message())
    assert failed.value.retryable is False and "535" in failed.value.reason
    assert "wrong" not in failed.value.reason and not server.received


def test_a_certificate_nobody_vouches_for_is_refused_before_any_credential(certificate):
    with MailServer(tls=certificate) as server:
        with pytest.raises(DeliveryFailed) as failed:
            send(_plain(server, starttls=True, username=USER, password=PASSWORD), _message())
    assert failed.value.retryable is False and "smtp.ca_file" in failed.value.reason
    assert server.handler.logins == []


def test_a_server_that_offers_no_starttls_gets_no_credentials():
    with MailServer() as server:
        with pytest.raises(DeliveryFailed, match="does not offer STARTTLS") as failed:
            send(_plain(server, starttls=True, username=USER, password=PASSWORD), _message())
    assert failed.value.retryable is False
    assert server.handler.logins == [] and not server.received


def test_credentials_are_never_sent_over_an_unencrypted_connection():
    with MailServer() as server:
        with pytest.raises(DeliveryFailed, match="unencrypted") as failed:
            send(_plain(server, starttls=False, username=USER, password=PASSWORD), _message())
    assert failed.value.retryable is False and server.handler.logins == []


def _refused(**replies) -> DeliveryFailed:
    """What send() raises when the server answers `replies` (rcpt_reply, data_reply)."""
    with MailServer() as server:
        for name, reply in replies.items():
            setattr(server.handler, name, reply)
        with pytest.raises(DeliveryFailed) as failed:
            send(_plain(server), _message())
    assert not server.received
    return failed.value


@pytest.mark.parametrize(("hook", "reply", "retryable"), [
    ("data_reply", "451 4.3.0 try again later", True),
    ("data_reply", "554 5.7.1 rejected as spam", False),
    ("rcpt_reply", "450 4.2.1 mailbox busy", True),
    ("rcpt_reply", "550 5.1.1 no such user", False),
])
def test_a_4xx_reply_is_worth_retrying_and_a_5xx_is_not(hook, reply, retryable):
    failed = _refused(**{hook: reply})
    assert failed.retryable is retryable and reply[:3] in failed.reason


def test_a_reply_naming_the_recipient_is_reported_with_the_address_masked():
    failed = _refused(data_reply="554 5.7.1 message for ann.admin@fabrikam.co.uk rejected")
    assert "ann.admin@" not in failed.reason and "fabrikam.co.uk" in failed.reason


def test_no_server_listening_is_worth_retrying():
    with pytest.raises(DeliveryFailed) as failed:
        send(SmtpSettings(host="127.0.0.1", port=free_port(), sender="desk@example.test", starttls=False,
                          timeout=5), _message())
    assert failed.value.retryable is True


def test_send_leaves_the_callers_message_as_it_was():
    message = _message()
    with MailServer() as server:
        send(_plain(server), message)
    assert message["From"] is None and server.received[0].message["From"] == "desk@example.test"


# --- the HTML part escapes any name ---------------------------------------------------------

ALLOWED_TAGS = {"html", "head", "meta", "title", "body", "p", "ul", "li", "table", "tr", "th", "td", "br"}


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)

    def handle_data(self, data):
        self.text.append(data)


def _facts(person: str, subscription: str, organization: str, kind: TicketKind) -> MailFacts:
    return MailFacts(
        ticket_id=12, kind=kind, status=TicketStatus.OPEN, product=Product.INTUNE,
        subscription_name=subscription, subscription_ref="SUB-1", organization_name=organization,
        resource_ref="RES-1", caller_name=person, caller_address="a@example.test", it_contact=f"{person}@x.test",
        transfer_at=datetime(2026, 12, 1, 10, tzinfo=UTC), effective_date="2026-12-01",
        data_deletion_date="2027-03-01", reversal_deadline=None, zone=UTC, fee_may_apply=True,
        refund_requested=True, needs_review=False, needs_callback=True, self_service_rule="C-1",
        events=(Event(1, datetime(2026, 11, 22, tzinfo=UTC), "ticket.filed"),),
    )


names = st.text(min_size=1, max_size=40).filter(lambda s: s.strip() and "\n- " not in s)


@settings(max_examples=150, deadline=None)
@given(person=names, subscription=names, organization=names, kind=st.sampled_from(list(TicketKind)))
def test_the_html_part_escapes_any_name(person, subscription, organization, kind):
    facts = _facts(person, subscription, organization, kind)
    gettext = str  # English: the msgid itself
    for mail in (filed_text(facts, gettext, "en"), decided_text(facts, TicketStatus.APPROVED, gettext, "en"),
                 migration_ready_text(facts, gettext, "en")):
        reader = _Reader()
        reader.feed(render_html(mail))
        reader.close()
        assert reader.tags <= ALLOWED_TAGS
        shown = "".join(reader.text)
        for value in (subscription, organization.rstrip(".")):
            assert value.replace("\r", "") in shown.replace("\r", "")
        assert subscription in render_plain(mail)
