"""Lockouts (V-5) by keys: an organization locked after 3 failed verifications is listed; a
supervisor unlocks it with a reason, which removes it and is recorded in the audit trail."""

from __future__ import annotations

import pytest
from deskapp_testing import DEMO_PINS, demo_claim, landed_on, make_app, sign_in_as, text_of, wait_until
from sqlmodel import col, select

from tickets.agents import list_agents
from tickets.demo import DEMO_CALLERS
from tickets.store.models import AuditEvent, Organization
from tickets.verification import locked_organizations, lockout_status, verify_caller

SIZE = (120, 36)


@pytest.fixture
def store(seeded):
    return seeded


@pytest.fixture
def agents(store):
    return {a.name: a for a in list_agents(store)}


def lock_out(store, agent) -> Organization:
    """Three well-formed but wrong verifications of the demo's Intune caller (V-5)."""
    script = next(c for c in DEMO_CALLERS if c["key"] == "intune-expedited")
    with store.read() as session:
        org = session.exec(select(Organization).where(Organization.ref == script["org_ref"])).one()
    claim = demo_claim(script["key"], phone="+44 20 7946 0000")
    for _ in range(3):
        result = verify_caller(store, agent=agent, organization_id=org.id, claim=claim)
        assert not result.passed
    assert result.locked
    return org


async def test_v5_locked_organization_is_listed_and_unlocked_with_a_reason(store, clock, agents):
    from textual.widgets import DataTable

    from deskapp.screens.lockouts import LockoutsScreen

    org = lock_out(store, agents["ada"])
    app = make_app(store, clock)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in_as(pilot, "linus")
        await pilot.press("l")
        await wait_until(pilot, lambda: landed_on(app, LockoutsScreen))
        table = app.screen.query_one("#lockouts-table", DataTable)
        await wait_until(pilot, lambda: table.row_count == 1)
        # Locked since the third failure, for 24 hours (V-5).
        assert table.get_row_at(0)[:4] == [org.ref, org.name, "2026-11-22 12:00", "2026-11-23 12:00"]
        assert "1 organization locked for verification (V-5)" in text_of(app)

        await pilot.press("u")
        await wait_until(pilot, lambda: app.screen.query("#prompt_text"))
        assert f"Unlock {org.name} ({org.ref})" in text_of(app)
        await pilot.press("enter")  # a reason is required
        await pilot.pause()
        assert app.screen.query("#prompt_text")
        await pilot.press(*"Caller misread the phone", "enter")
        await wait_until(pilot, lambda: landed_on(app, LockoutsScreen) and table.row_count == 0)
        await wait_until(pilot, lambda: "No organization is locked" in text_of(app))
        assert f"{org.name} ({org.ref}) unlocked" in text_of(app)

    assert locked_organizations(store) == []
    assert not lockout_status(store, org.id).locked
    with store.read() as session:
        event = session.exec(
            select(AuditEvent).where(AuditEvent.action == "organization.unlocked").order_by(col(AuditEvent.seq).desc())
        ).first()
    assert event is not None
    assert event.actor == "linus" and event.subject == f"organization:{org.id}"
    assert event.details["reason"] == "Caller misread the phone" and event.details["rule"] == "V-5"


async def test_lockouts_are_for_supervisors_only(store, clock, agents):
    from deskapp.screens.lockouts import LockoutsScreen

    lock_out(store, agents["ada"])
    app = make_app(store, clock)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in_as(pilot, "ada")
        await pilot.press("l")  # not offered to agents
        await pilot.pause()
        assert not isinstance(app.screen, LockoutsScreen)
        app.push_screen(LockoutsScreen())  # and pushed anyway, the screen itself refuses
        await wait_until(pilot, lambda: landed_on(app, LockoutsScreen)
                         and "Lockouts are for supervisors only (V-5)" in text_of(app))
        assert not app.screen.query("#lockouts-table")
        assert app.screen.check_action("unlock", ()) is False


async def test_an_agent_locked_out_of_signing_in_is_listed_and_unlocked(store, clock, agents):
    from textual.widgets import DataTable

    from deskapp.screens.lockouts import LockoutsScreen
    from tickets.agents import authenticate
    from tickets.errors import NotAllowed
    from tickets.signin import locked_until

    for _ in range(5):  # 5 wrong PINs in the database, as from any console or command
        with pytest.raises(NotAllowed):
            authenticate(store, name="grace", pin="0000")
    assert locked_until(store, agents["grace"].id) is not None
    app = make_app(store, clock)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in_as(pilot, "linus")
        await pilot.press("l")
        await wait_until(pilot, lambda: landed_on(app, LockoutsScreen))
        table = app.screen.query_one("#lockouts-table", DataTable)
        await wait_until(pilot, lambda: table.row_count == 1)
        row = table.get_row_at(0)
        assert row[:2] + row[3:] == ["agent", f"{agents['grace'].display_name} (grace)", "2026-11-22 12:15", "5"]
        assert row[2] and row[2] < row[3]  # since when: the wrong PIN that locked it
        assert "1 agent locked out of signing in (5 wrong PINs)" in text_of(app)
        await pilot.press("u")
        await wait_until(pilot, lambda: app.screen.query("#prompt_text"))
        assert "Unlock agent" in text_of(app)
        await pilot.press(*"She forgot her new PIN", "enter")
        await wait_until(pilot, lambda: landed_on(app, LockoutsScreen) and table.row_count == 0)
    assert locked_until(store, agents["grace"].id) is None
    assert authenticate(store, name="grace", pin=DEMO_PINS["grace"]).name == "grace"
    with store.read() as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "agent.unlocked")).one()
    assert event.actor == "linus" and event.details == {"reason": "She forgot her new PIN"}
