"""Desk habits at 80x24, each looked at before it was accepted: the key sheet of the account
during a call, a ticket's history with internal notes, and the header during a call (its timer
and the verified caller)."""

from __future__ import annotations

from datetime import timedelta

from screenshots import demo_caller, settle, sign_in, take_call

SIZE = (80, 24)


async def _still(pilot) -> None:
    await settle(pilot)
    for field in pilot.app.screen.query("Input"):
        field.cursor_blink = False
    await pilot.pause()


def test_key_sheet_of_the_account_during_a_call(snap_compare, seeded_store, clock):
    from deskapp.factory import make_app

    async def run_before(pilot):
        await sign_in(pilot, "ada", "1111")
        await take_call(pilot, demo_caller("intune-trial"))
        await pilot.press("f1")
        await _still(pilot)

    assert snap_compare(make_app(seeded_store, clock), terminal_size=SIZE, run_before=run_before)


def test_ticket_with_internal_notes(snap_compare, seeded_store, clock):
    from sqlmodel import select

    from deskapp.factory import make_app
    from identity import Address, CallerClaim
    from tickets.agents import list_agents
    from tickets.enums import TicketKind
    from tickets.filing import FilingRequest, file_ticket
    from tickets.notes import add_note
    from tickets.store.models import Organization
    from tickets.verification import start_call, verify_caller

    agents = {a.name: a for a in list_agents(seeded_store)}
    caller = demo_caller("intune-expedited")
    claim = CallerClaim(
        user_id=caller["user_id"], phone=caller["phone"], contact_first_name=caller["contact_first_name"],
        contact_last_name=caller["contact_last_name"], org_name=caller["org_name"], org_url=caller["url"] or "",
        address=Address(tuple(caller["street_lines"]), caller["city"], caller["region"], caller["postal_code"],
                        caller["country"]),
    )
    with seeded_store.read() as session:
        org_id = session.exec(select(Organization.id).where(Organization.ref == caller["org_ref"])).one()
    verified = verify_caller(seeded_store, agent=agents["ada"], organization_id=org_id, claim=claim,
                             call_id=start_call(seeded_store, agents["ada"]))
    request = FilingRequest(kind=TicketKind.CANCEL_END_OF_TERM, subscription_ref="SUB-0003",
                            idempotency_key="notes-snapshot", confirmed=frozenset({"turn_off_auto_renew"}),
                            reason="budget cut")
    filed = file_ticket(seeded_store, agent=agents["ada"], verification_id=verified.verification_id, request=request)
    ticket_id = filed.filed[0].id
    clock.advance(timedelta(minutes=7))
    add_note(seeded_store, agent=agents["ada"], ticket_id=ticket_id,
             text="Caller will send the DNS change by Friday; call back after 3pm.")
    clock.advance(timedelta(minutes=25))
    add_note(seeded_store, agent=agents["linus"], ticket_id=ticket_id, text="Checked with billing: no open invoice.")

    async def run_before(pilot):
        await sign_in(pilot, "ada", "1111")
        await pilot.press("t")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("end")  # the history is at the foot of the ticket
        await _still(pilot)

    assert snap_compare(make_app(seeded_store, clock), terminal_size=SIZE, run_before=run_before)


def test_header_during_a_call_with_its_timer_and_the_verified_caller(snap_compare, seeded_store, clock):
    from deskapp.factory import make_app

    app = make_app(seeded_store, clock)

    async def run_before(pilot):
        await sign_in(pilot, "ada", "1111")
        await take_call(pilot, demo_caller("intune-expedited"))
        clock.advance(timedelta(minutes=3, seconds=12))
        from deskapp.header import refresh_title

        refresh_title(pilot.app)  # what the next second's tick shows
        await _still(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
