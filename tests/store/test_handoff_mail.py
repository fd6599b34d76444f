"""E-mail to callers (tickets.handoff.mail) on both engines: each mail built from a filed and
decided ticket, sent with STARTTLS and AUTH to a real SMTP server on 127.0.0.1 that receives
and parses it (recipients, subject, both parts, dates with their rules, the ticket number, the
desk's language), and the IT contact's mail when a migration's data is ready (M-3)."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update
from sqlmodel import select

import testkit
from identity import Address, CallerClaim
from mailserver import PASSWORD, USER, MailServer, self_signed
from tickets.agents import authenticate
from tickets.demo import DEMO_CALLERS
from tickets.enums import TicketKind, TicketStatus
from tickets.filing import FilingRequest, file_ticket
from tickets.handoff.mail import SmtpSettings, mail_for, send
from tickets.lifecycle import approve, record_callback, reject, transition
from tickets.store.models import Organization, Subscription, Ticket, ticket_ref
from tickets.verification import start_call, verify_caller


@pytest.fixture
def directory(store):
    return testkit.Directory(store)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    return self_signed(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def server(certificate):
    with MailServer(tls=certificate) as running:
        yield running


@pytest.fixture
def settings(server, certificate):
    return SmtpSettings(host="127.0.0.1", port=server.port, sender="Support desk <desk@example.test>",
                        username=USER, password=PASSWORD, timeout=10, ca_file=certificate[0])


def _file(directory, kind=TicketKind.CANCEL_EARLY, sub="SUB-O365", key="k1", **changes) -> int:
    request = FilingRequest(kind=kind, subscription_ref=sub, idempotency_key=key,
                            confirmed=frozenset({"remove_domains", "update_dns", "save_data", "acknowledge_data_loss",
                                                 "migrate_first", "it_contact_confirmed", "turn_off_auto_renew"}),
                            **changes)
    result = file_ticket(directory.store, agent=directory.agent, verification_id=directory.verified(), request=request)
    return result.filed[0].id


def _delivered(server, settings, message: EmailMessage):
    send(settings, message)
    assert server.received, "the server received nothing"
    return server.received[-1]


def test_filed_mail_tells_what_was_agreed_with_dates_rules_and_self_service(directory, server, settings):
    ticket_id = _file(directory)
    ref = ticket_ref(ticket_id)
    message = mail_for(directory.store, ref, "filed", "en")
    assert message is not None and message.get_content_type() == "multipart/alternative"
    got = _delivered(server, settings, message)
    assert got.recipients == ["ann.admin@fabrikam.co.uk"]
    assert got.mail_from == "desk@example.test"
    assert got.message["From"] == "Support desk <desk@example.test>"
    assert ref in got.message["Subject"] and "filed" in got.message["Subject"]
    assert got.message["Message-ID"].startswith(f"<{ref}.filed.")
    assert server.handler.logins == [USER]  # AUTH, after STARTTLS (the server requires both)
    plain, html = got.part("plain"), got.part("html")
    for body in (plain, html):
        assert ref in body
        assert "2026-11-22 (C-4)" in body  # effective today (the clock's T0, UTC desk)
        assert "2027-02-20 (C-8)" in body  # 90 days later
        assert "Office 365 E3" in body and "Fabrikam Ltd." in body
        # C-6: 10 licenses, fewer than 25: the caller may cancel in the admin center themselves.
        assert ("Billing &gt; Subscriptions" if body is html else "Billing > Subscriptions") in body
        assert "(C-6)" in body
        assert "Dear Ann Admin" in body
    assert "<table>" in html and "<li>" in html


def test_the_message_id_is_stable_so_a_resend_is_recognisable(directory):
    ref = ticket_ref(_file(directory))
    first, again = mail_for(directory.store, ref, "filed", "en"), mail_for(directory.store, ref, "filed", "en")
    assert first is not None and again is not None
    assert first["Message-ID"] == again["Message-ID"]
    assert first.as_bytes() == again.as_bytes()


def test_zh_cn_desk_writes_the_mail_in_simplified_chinese(directory, server, settings):
    directory.store.zone = ZoneInfo("Asia/Shanghai")
    ticket_id = _file(directory)
    message = mail_for(directory.store, ticket_ref(ticket_id), "filed", "zh-CN")
    assert message is not None and message["Content-Language"] == "zh-CN"
    got = _delivered(server, settings, message)
    assert "工单" in got.message["Subject"] and ticket_ref(ticket_id) in got.message["Subject"]
    for body in (got.part("plain"), got.part("html")):
        assert "工单编号" in body and "生效日期" in body and "数据删除日期" in body
        assert "Asia/Shanghai" in body
        assert "(C-8)" in body
    assert 'lang="zh-CN"' in got.part("html")


def test_decided_mails_say_which_decision_with_the_deletion_date_from_approval(directory, server, settings, clock):
    ticket_id = _file(directory, kind=TicketKind.EXPEDITED_DEPROVISIONING, sub="SUB-INT", key="x1")
    filed = mail_for(directory.store, ticket_ref(ticket_id), "filed", "en")
    assert filed is not None
    assert "within 3 days after approval (X-2)" in filed.get_body(("plain",)).get_content()
    assert "(V-8)" in filed.get_body(("plain",)).get_content()  # a callback before approval
    with pytest.raises(ValueError, match="not yet decided"):
        mail_for(directory.store, ticket_ref(ticket_id), "decided", "en")
    record_callback(directory.store, agent=directory.agent, ticket_id=ticket_id, note="confirmed")
    clock.advance(timedelta(hours=2))
    approve(directory.store, supervisor=directory.supervisor, ticket_id=ticket_id)
    message = mail_for(directory.store, ticket_ref(ticket_id), "decided", "en")
    assert message is not None
    got = _delivered(server, settings, message)
    assert "approved" in got.message["Subject"]
    deletion = (clock.now() + timedelta(days=3)).date().isoformat()
    for body in (got.part("plain"), got.part("html")):
        assert f"{deletion} (X-2)" in body
        assert "(X-3)" in body
    assert message["Message-ID"] != filed["Message-ID"]


def test_a_rejected_and_a_withdrawn_ticket_each_say_so_without_dates(directory):
    first = _file(directory, key="r1", refund_requested=True)  # a refund: a supervisor reviews it
    record_callback(directory.store, agent=directory.agent, ticket_id=first, note="ok")
    reject(directory.store, supervisor=directory.supervisor, ticket_id=first, reason="not eligible")
    message = mail_for(directory.store, ticket_ref(first), "decided", "en")
    assert message is not None and "rejected" in message["Subject"]
    plain = message.get_body(("plain",)).get_content()
    assert "Nothing changes for Office 365 E3" in plain and "not eligible" not in plain  # the internal reason stays in
    assert "Effective date" not in plain
    second = _file(directory, kind=TicketKind.CANCEL_END_OF_TERM, sub="SUB-INT", key="w1")
    transition(directory.store, actor=directory.agent, ticket_id=second, to=TicketStatus.WITHDRAWN,
               reason="changed mind")
    message = mail_for(directory.store, ticket_ref(second), "decided", "en")
    assert message is not None and "withdrawn" in message["Subject"]


def test_a_decision_named_by_its_audit_event_is_the_one_told(directory):
    ticket_id = _file(directory, kind=TicketKind.CANCEL_END_OF_TERM, sub="SUB-INT", key="e1")
    transition(directory.store, actor=directory.agent, ticket_id=ticket_id, to=TicketStatus.IN_PROGRESS)
    transition(directory.store, actor=directory.agent, ticket_id=ticket_id, to=TicketStatus.RESOLVED)
    message = mail_for(directory.store, ticket_ref(ticket_id), "decided", "en")
    assert message is not None and "resolved" in message["Subject"]
    assert "(C-1)" in message.get_body(("plain",)).get_content()
    seq = int(message["Message-ID"].split(".")[2].split("@")[0])
    assert mail_for(directory.store, ticket_ref(ticket_id), "decided", "en", event_seq=seq)["Message-ID"] \
        == message["Message-ID"]
    with pytest.raises(ValueError, match="no decision"):
        mail_for(directory.store, ticket_ref(ticket_id), "decided", "en", event_seq=seq - 1)


def _d365_active(directory) -> None:
    now = directory.store.clock.now()
    with directory.store.write() as session:
        session.add(Subscription(
            ref="SUB-D365A", name="Dynamics 365 Sales", product="d365", channel="online", platform="online_services",
            organization_id=directory.org.id, state="active", auto_renew=True, licenses_assigned=10,
            purchased_at=now - timedelta(days=400), term_start=now - timedelta(days=40),
            term_end=now + timedelta(days=325)))


def test_m3_the_it_contact_is_told_when_the_migration_data_is_ready(directory, server, settings):
    directory.store.zone = ZoneInfo("Asia/Shanghai")
    _d365_active(directory)
    ticket_id = _file(directory, kind=TicketKind.MIGRATION, sub="SUB-D365A", key="m1",
                      fields={"transfer_at": "2026-11-25 10:00", "it_contact": "it.team@fabrikam.co.uk"})
    ref = ticket_ref(ticket_id)
    filed = mail_for(directory.store, ref, "filed", "en")
    assert filed is not None and filed["To"] == "ann.admin@fabrikam.co.uk"
    assert "2026-11-25 10:00 Asia/Shanghai (UTC+08:00) (M-3)" in filed.get_body(("plain",)).get_content()
    with pytest.raises(ValueError, match="M-3"):
        mail_for(directory.store, ref, "migration_ready", "en")
    transition(directory.store, actor=directory.agent, ticket_id=ticket_id, to=TicketStatus.IN_PROGRESS)
    transition(directory.store, actor=directory.agent, ticket_id=ticket_id, to=TicketStatus.RESOLVED)
    message = mail_for(directory.store, ref, "migration_ready", "en")
    assert message is not None
    got = _delivered(server, settings, message)
    assert got.recipients == ["it.team@fabrikam.co.uk"]
    assert ref in got.message["Subject"] and "ready to download" in got.message["Subject"]
    for body in (got.part("plain"), got.part("html")):
        assert "(M-3)" in body and "(M-1, M-4)" in body and "2026-11-25 10:00 Asia/Shanghai" in body
        assert "Dear Ann" not in body  # it goes to the IT department, not the caller
    with pytest.raises(ValueError, match="no migration"):
        mail_for(directory.store, ticket_ref(_file(directory, sub="SUB-INT", key="k9")), "migration_ready", "en")


def test_no_mail_without_an_address_to_send_it_to(directory):
    ticket_id = _file(directory)
    with directory.store.write() as session:
        session.execute(update(Ticket).where(Ticket.id == ticket_id).values(verification_id=None))
    assert mail_for(directory.store, ticket_ref(ticket_id), "filed", "en") is None


def test_bad_arguments_are_refused_naming_them(directory):
    ref = ticket_ref(_file(directory))
    with pytest.raises(ValueError, match="occasion"):
        mail_for(directory.store, ref, "reminder", "en")
    with pytest.raises(ValueError, match="language"):
        mail_for(directory.store, ref, "filed", "fr")
    with pytest.raises(ValueError, match="does not exist"):
        mail_for(directory.store, "TK-999999", "filed", "en")


def _demo_filed(store, key: str, kind: TicketKind, **changes) -> int:
    """A ticket filed on the demo directory the way the console files it: ada signs in, the demo
    caller `key` passes verification as they say their facts, the kind is filed."""
    c = next(c for c in DEMO_CALLERS if c["key"] == key)
    agent = authenticate(store, name="ada", pin="1111")
    with store.read() as session:
        org_id = session.exec(select(Organization.id).where(Organization.ref == c["org_ref"])).one()
    claim = CallerClaim(user_id=c["user_id"], phone=c["phone"], contact_first_name=c["contact_first_name"],
                        contact_last_name=c["contact_last_name"], org_name=c["org_name"],
                        address=Address(tuple(c["street_lines"]), c["city"], c["region"], c["postal_code"],
                                        c["country"]), org_url=c["url"] or "")
    verified = verify_caller(store, agent=agent, organization_id=org_id, claim=claim, call_id=start_call(store, agent))
    assert verified.passed
    request = FilingRequest(kind=kind, subscription_ref=c["subscription_ref"], idempotency_key=f"demo-{key}",
                            confirmed=frozenset({"remove_domains", "update_dns", "save_data", "migrate_first",
                                                 "it_contact_confirmed"}), **changes)
    return file_ticket(store, agent=agent, verification_id=verified.verification_id, request=request).filed[0].id


def test_demo_21vianet_caller_gets_a_zh_cn_mail_with_the_c6_self_service_path(demo_store, server, settings):
    demo_store.zone = ZoneInfo("Asia/Shanghai")
    ticket_id = _demo_filed(demo_store, "vianet-self-service", TicketKind.CANCEL_EARLY)
    message = mail_for(demo_store, ticket_ref(ticket_id), "filed", "zh-CN")
    assert message is not None
    got = _delivered(server, settings, message)
    assert got.recipients == ["zhou.xin@pujiang-digital.cn"]
    for body in (got.part("plain"), got.part("html")):
        assert "工单编号" in body and ticket_ref(ticket_id) in body
        assert "(C-6)" in body and "(C-8)" in body and "Asia/Shanghai" in body


def test_demo_migration_tells_the_caller_then_the_it_contact(demo_store, server, settings):
    ticket_id = _demo_filed(demo_store, "d365-migration", TicketKind.MIGRATION,
                            fields={"transfer_at": "2026-11-30 09:00", "it_contact": "it@mueller-praezision.de"})
    ref = ticket_ref(ticket_id)
    filed = mail_for(demo_store, ref, "filed", "en")
    assert filed is not None and filed["To"] == "juergen.weiss@mueller-praezision.de"
    assert "Dear Jürgen Weiß" in filed.get_body(("plain",)).get_content()
    ada = authenticate(demo_store, name="ada", pin="1111")
    for status in (TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED):
        transition(demo_store, actor=ada, ticket_id=ticket_id, to=status)
    message = mail_for(demo_store, ref, "migration_ready", "en")
    assert message is not None
    got = _delivered(server, settings, message)
    assert got.recipients == ["it@mueller-praezision.de"] and "Müller" in got.part("plain")


def test_the_application_role_reads_everything_a_mail_needs(directory, backend):
    """On PostgreSQL the relay may run with the console's credentials, which read but never write
    (tickets.store.roles): building a mail needs nothing more."""
    if backend != "postgresql":
        pytest.skip("the application role is PostgreSQL's")
    import uuid

    from sqlalchemy.engine import make_url

    from drills.tamper import drop_roles
    from tickets.store.database import Store, make_engine
    from tickets.store.roles import apply_roles

    ref = ticket_ref(_file(directory))
    suffix = uuid.uuid4().hex[:8]
    owner, app = f"dk_owner_{suffix}", f"dk_app_{suffix}"
    apply_roles(directory.store.engine, owner=owner, app=app)
    try:
        url = make_url(str(directory.store.engine.url.render_as_string(hide_password=False))).set(username=app)
        as_app = Store(make_engine(url.render_as_string(hide_password=False)), directory.store.clock)
        try:
            message = mail_for(as_app, ref, "filed", "en")
        finally:
            as_app.dispose()
    finally:
        drop_roles(directory.store.engine, owner, app)
    assert message is not None and message.as_bytes() == mail_for(directory.store, ref, "filed", "en").as_bytes()
