"""`deskapp agents` disable / enable / reset-pin / set-role / list: each change audited (A-1),
never the PIN; on both engines."""

from __future__ import annotations

import hashlib
import io
import sys
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlmodel import col, select

from deskapp.cli import main
from tickets.agents import authenticate, create_agent
from tickets.audit.chain import verify_chain
from tickets.errors import NotAllowed
from tickets.store.models import AuditEvent


def _url(store) -> str:
    return store.engine.url.render_as_string(hide_password=False)


def _events(store, action: str) -> list[AuditEvent]:
    with store.read() as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.action == action).order_by(col(AuditEvent.seq))))


@pytest.fixture
def joan(store):
    return create_agent(store, name="joan", display_name="Joan Clarke", role="agent", pin="4821")


def test_disable_stops_sign_in_and_enable_restores_it(store, joan, capsys):
    assert main(["agents", "disable", "joan", "--db", _url(store)]) == 0
    assert "disabled joan" in capsys.readouterr().out
    with pytest.raises(NotAllowed):
        authenticate(store, name="joan", pin="4821")
    assert main(["agents", "list", "--db", _url(store)]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert listing[0].split() == ["NAME", "ROLE", "STATUS", "DISPLAY", "NAME"]
    assert listing[1].split()[:3] == ["joan", "agent", "disabled"]
    assert main(["agents", "enable", "joan", "--db", _url(store)]) == 0
    assert "enabled joan" in capsys.readouterr().out
    assert authenticate(store, name="joan", pin="4821").active
    (disabled,) = _events(store, "agent.disabled")
    (enabled,) = _events(store, "agent.enabled")
    assert disabled.subject == enabled.subject == f"agent:{joan.id}"
    assert disabled.details == {"name": "joan", "was_active": True}
    main(["agents", "list", "--db", _url(store)])
    assert capsys.readouterr().out.splitlines()[1].split()[:3] == ["joan", "agent", "active"]


def test_reset_pin_replaces_it_and_the_audit_never_holds_it(store, joan, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO("97531\n"))
    assert main(["agents", "reset-pin", "joan", "--pin-stdin", "--db", _url(store)]) == 0
    with pytest.raises(NotAllowed):
        authenticate(store, name="joan", pin="4821")
    assert authenticate(store, name="joan", pin="97531").name == "joan"
    (event,) = _events(store, "agent.pin_reset")
    # The PIN nowhere; its salted hash only as a digest, so that verify sees the row's hash kept.
    assert set(event.details) == {"name", "history", "pin_hash_sha256"} and event.details["name"] == "joan"
    assert "97531" not in repr({k: v for k, v in event.details.items() if k != "pin_hash_sha256"})
    with store.read() as session:
        stored = session.execute(text("SELECT pin_hash FROM agent WHERE name = 'joan'")).scalar_one()
    assert event.details["pin_hash_sha256"] == hashlib.sha256(stored.encode()).hexdigest()
    monkeypatch.setattr(sys, "stdin", io.StringIO("12\n"))
    assert main(["agents", "reset-pin", "joan", "--pin-stdin", "--db", _url(store)]) == 1
    assert "pin: 4 to 64 digits, or a passphrase of 12 to 128 characters" in capsys.readouterr().err
    assert len(_events(store, "agent.pin_reset")) == 1  # the refused one changed nothing


def test_set_role_is_audited_with_before_and_after(store, joan, capsys):
    assert main(["agents", "set-role", "joan", "supervisor", "--db", _url(store)]) == 0
    assert "joan is now a supervisor" in capsys.readouterr().out
    assert authenticate(store, name="joan", pin="4821").is_supervisor
    (event,) = _events(store, "agent.role_changed")
    assert event.details == {"name": "joan", "from": "agent", "to": "supervisor"}
    with store.read() as session:
        assert verify_chain(session).ok


def test_unknown_agent_is_one_line_and_changes_nothing(store, capsys):
    for argv in (["disable", "nobody"], ["enable", "nobody"], ["set-role", "nobody", "agent"]):
        assert main(["agents", *argv, "--db", _url(store)]) == 1
        err = capsys.readouterr().err
        assert err == "deskapp: error: name: there is no agent called 'nobody'\n"
    with store.read() as session:
        assert session.exec(select(AuditEvent).where(col(AuditEvent.action).like("agent.%"))).first() is None


def test_list_shows_an_agent_locked_by_wrong_pins_until_when(store, joan, clock, capsys):
    import re
    from datetime import UTC, datetime

    from tickets.signin import MAX_FAILURES, locked_until

    clock.advance(datetime.now(UTC) - clock.now())  # the command runs on the system clock
    for _ in range(MAX_FAILURES):
        with pytest.raises(NotAllowed):
            authenticate(store, name="joan", pin="0000")
    assert main(["agents", "list", "--db", _url(store), "--time-zone", "Asia/Shanghai"]) == 0
    line = capsys.readouterr().out.splitlines()[1]
    assert line.split()[:3] == ["joan", "agent", "locked"]
    until = locked_until(store, joan.id).astimezone(ZoneInfo("Asia/Shanghai"))
    assert line.endswith(f"(until {until:%Y-%m-%d %H:%M} CST)")  # at the desk's time
    assert re.search(r"\(until \d{4}-\d\d-\d\d \d\d:\d\d CST\)$", line)


def test_disabling_a_disabled_agent_records_nothing_and_says_so(store, joan, capsys):
    url = _url(store)
    assert main(["agents", "disable", "joan", "--db", url]) == 0
    capsys.readouterr()
    assert main(["agents", "disable", "joan", "--db", url]) == 0
    assert capsys.readouterr().out == "joan is already disabled: nothing changed, nothing recorded\n"
    assert len(_events(store, "agent.disabled")) == 1
    assert main(["agents", "enable", "joan", "--db", url]) == 0
    assert main(["agents", "enable", "joan", "--db", url]) == 0
    assert capsys.readouterr().out.endswith("joan is already enabled: nothing changed, nothing recorded\n")
    assert len(_events(store, "agent.enabled")) == 1
    with store.read() as session:
        assert verify_chain(session).ok


def test_set_role_says_an_agent(store, capsys):
    create_agent(store, name="bob", display_name="Bob", role="supervisor", pin="4821")
    assert main(["agents", "set-role", "bob", "agent", "--db", _url(store)]) == 0
    assert capsys.readouterr().out == "bob is now an agent (recorded as agent.role_changed)\n"
