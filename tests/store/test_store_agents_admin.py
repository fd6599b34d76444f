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
    assert line.endswith(f"until {until:%Y-%m-%d %H:%M} CST)")  # at the desk's time
    assert re.search(r"\(since \d{4}-\d\d-\d\d \d\d:\d\d CST, until \d{4}-\d\d-\d\d \d\d:\d\d CST\)$", line)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _as(monkeypatch, pin: str) -> None:
    """A terminal whose user types `pin` when asked for the --as supervisor's PIN."""
    import getpass

    monkeypatch.setattr(sys, "stdin", _Terminal(""))
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": pin)


@pytest.fixture
def linus(store):
    return create_agent(store, name="linus", display_name="Linus", role="supervisor", pin="3333")


def test_a_supervisor_administers_agents_as_themselves(store, joan, linus, monkeypatch, capsys):
    _as(monkeypatch, "3333")
    assert main(["agents", "disable", "joan", "--as", "linus", "--db", _url(store)]) == 0
    (event,) = _events(store, "agent.disabled")
    assert event.actor == "linus"  # the real actor, not "system"
    _as(monkeypatch, "0000")  # a wrong PIN: nothing done
    assert main(["agents", "enable", "joan", "--as", "linus", "--db", _url(store)]) == 1
    assert "do not match" in capsys.readouterr().err and _events(store, "agent.enabled") == []
    _as(monkeypatch, "4821")  # an agent is no administrator
    main(["agents", "enable", "linus", "--db", _url(store)])  # (joan signs in only when enabled)
    main(["agents", "enable", "joan", "--db", _url(store)])
    capsys.readouterr()
    assert main(["agents", "disable", "linus", "--as", "joan", "--db", _url(store)]) == 1
    assert "only a supervisor administers agents" in capsys.readouterr().err


def test_x2_a_supervisor_cannot_make_or_change_a_supervisor(store, joan, linus, monkeypatch, capsys):
    create_agent(store, name="grace", display_name="Grace", role="supervisor", pin="2222")
    for argv in (["set-role", "joan", "supervisor"], ["reset-pin", "grace", "--pin-stdin"],
                 ["set-role", "grace", "agent"], ["add", "mallory", "--role", "supervisor", "--pin-stdin"]):
        _as(monkeypatch, "3333")
        monkeypatch.setattr(sys.stdin, "readline", lambda: "8642\n")
        assert main(["agents", *argv, "--as", "linus", "--db", _url(store)]) == 1, argv
        assert "X-2: a supervisor" in capsys.readouterr().err
    assert _events(store, "agent.role_changed") == [] and _events(store, "agent.pin_reset") == []
    assert authenticate(store, name="grace", pin="2222").is_supervisor
    # The owner (no --as) may: here the file's owner, on PostgreSQL the owner role.
    assert main(["agents", "set-role", "joan", "supervisor", "--db", _url(store)]) == 0
    assert _events(store, "agent.role_changed")[0].actor.startswith("owner")


def test_disabling_an_agent_ends_their_sessions(store, joan):
    from tickets.agents import set_agent_active
    from tickets.verification import start_call

    signed_in = authenticate(store, name="joan", pin="4821")
    assert start_call(store, signed_in) > 0
    set_agent_active(store, "joan", False)
    with pytest.raises(NotAllowed, match="session: ended \\(disabled\\)"):
        start_call(store, signed_in)
    set_agent_active(store, "joan", True)  # enabled again: the old session stays ended
    with pytest.raises(NotAllowed, match="session: ended"):
        start_call(store, signed_in)


def test_one_owner_command_unlocks_a_desk_whose_every_agent_is_locked(store, joan, linus, clock, capsys):
    from datetime import UTC, datetime

    from tickets.signin import MAX_FAILURES, sign_in_locks

    clock.advance(datetime.now(UTC) - clock.now())  # the command runs on the system clock
    for name in ("joan", "linus"):
        for _ in range(MAX_FAILURES):
            with pytest.raises(NotAllowed):
                authenticate(store, name=name, pin="0000")
    assert sorted(lock.name for lock in sign_in_locks(store)) == ["joan", "linus"]
    with pytest.raises(NotAllowed):  # no supervisor can sign in to use the lockouts screen
        authenticate(store, name="linus", pin="3333")
    assert main(["agents", "unlock", "--all", "--reason", "desk kept out", "--db", _url(store)]) == 0
    assert "unlocked joan, linus" in capsys.readouterr().out
    assert sign_in_locks(store) == []
    assert authenticate(store, name="linus", pin="3333").is_supervisor
    assert authenticate(store, name="joan", pin="4821").name == "joan"
    events = _events(store, "agent.unlocked")
    assert [e.details for e in events] == [{"reason": "desk kept out"}] * 2
    assert all(e.actor.startswith("owner") for e in events)


def test_the_lockouts_count_and_length_are_the_desks_settings(store, joan, capsys):
    from tickets.signin import locked_until

    assert main(["db", "settings", "sign_in_failures=3", "sign_in_lock_minutes=30", "--db", _url(store)]) == 0
    out = capsys.readouterr().out
    assert "sign_in_failures = 3" in out and "sign_in_lock_minutes = 30" in out
    for _ in range(3):  # three wrong PINs now lock, for 30 minutes, on every console
        with pytest.raises(NotAllowed):
            authenticate(store, name="joan", pin="0000")
    until = locked_until(store, joan.id)
    assert until is not None and (until - store.clock.now()).total_seconds() == 30 * 60
    (event,) = _events(store, "desk.settings_changed")
    assert event.details == {"sign_in_failures": {"from": 5, "to": 3}, "sign_in_lock_minutes": {"from": 15, "to": 30}}
    assert main(["db", "settings", "sign_in_failures=0", "--db", _url(store)]) == 1
    assert "a whole number from 1 to 100" in capsys.readouterr().err



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
