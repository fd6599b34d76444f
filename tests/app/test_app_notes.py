"""Internal notes by keys: an agent on the ticket screen and a supervisor in the review queue
press `i`, type the note and Enter; it shows in the ticket's history with who and when. A note
holding a password is refused in the dialog (V-6) and nothing is written."""

from __future__ import annotations

from datetime import timedelta

from deskapp_testing import demo_claim, landed_on, make_app, screen_text, sign_in_as, wait_until
from sqlmodel import select

from deskapp.screens.ticket import TicketScreen
from tickets.agents import list_agents
from tickets.demo import DEMO_CALLERS
from tickets.enums import TicketKind
from tickets.filing import FilingRequest, file_ticket
from tickets.notes import list_notes
from tickets.store.models import AuditEvent, Organization
from tickets.verification import start_call, verify_caller

X_CHECKLIST = frozenset({"acknowledge_data_loss", "remove_domains", "update_dns", "save_data"})


def file_expedited(store, agent) -> int:
    script = next(c for c in DEMO_CALLERS if c["key"] == "intune-expedited")
    with store.read() as session:
        org_id = session.exec(select(Organization.id).where(Organization.ref == script["org_ref"])).one()
    call_id = start_call(store, agent)
    result = verify_caller(store, agent=agent, organization_id=org_id, claim=demo_claim(script["key"]), call_id=call_id)
    filed = file_ticket(
        store, agent=agent, verification_id=result.verification_id,
        request=FilingRequest(kind=TicketKind.EXPEDITED_DEPROVISIONING, subscription_ref=script["subscription_ref"],
                              idempotency_key=f"note-{agent.name}", confirmed=X_CHECKLIST),
    )
    return filed.filed[0].id


def noted_events(store) -> list[AuditEvent]:
    with store.read() as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.action == "ticket.noted")).all())


async def test_agent_adds_a_note_on_the_ticket_screen_and_sees_it_in_the_history(seeded, clock):
    agents = {a.name: a for a in list_agents(seeded)}
    ticket_id = file_expedited(seeded, agents["ada"])
    clock.advance(timedelta(minutes=20))
    app = make_app(seeded, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in_as(pilot, "ada")
        await pilot.press("t")  # my tickets
        await wait_until(pilot, lambda: "TK-000001" in screen_text(app, "#ticket-table"))
        await pilot.press("enter")
        await wait_until(pilot, lambda: landed_on(app, TicketScreen) and app.screen.detail is not None)
        await pilot.press("i")
        await wait_until(pilot, lambda: app.screen.query("#prompt_text"), "the note dialog")
        assert "Internal note on TK-000001" in screen_text(app)
        # V-6: a password typed into the note is refused before anything is written.
        await pilot.press(*"admin password is Winter2026!", "enter")
        await wait_until(pilot, lambda: "V-6" in screen_text(app, "#field-prompt_text .field-message"))
        await pilot.press("ctrl+a", "ctrl+k")
        await pilot.press(*"Caller will send the DNS change by Friday", "enter")
        await wait_until(pilot, lambda: "Note added at 2026-11-22 12:20 UTC" in screen_text(app, "#ticket-status"))
        await wait_until(pilot, lambda: "Note: Caller will send" in screen_text(app, "#ticket-history"))
        history = screen_text(app, "#ticket-history")
        assert ("2026-11-22 12:20 UTC  ada added an internal note\n"
                "  Note: Caller will send the DNS change by Friday") in history
    (note,) = list_notes(seeded, ticket_id)
    assert (note.author_name, note.text) == ("ada", "Caller will send the DNS change by Friday")
    (event,) = noted_events(seeded)
    assert "Friday" not in str(event.details) and event.details["length"] == len(note.text)


async def test_supervisor_adds_a_note_from_the_review_queue(seeded, clock):
    agents = {a.name: a for a in list_agents(seeded)}
    ticket_id = file_expedited(seeded, agents["ada"])
    app = make_app(seeded, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in_as(pilot, "linus")
        await pilot.press("r")
        await wait_until(pilot, lambda: landed_on(app, "ReviewQueueScreen") and app.screen.detail is not None)
        await pilot.press("i")
        await wait_until(pilot, lambda: app.screen.query("#prompt_text"), "the note dialog")
        await pilot.press("escape")  # cancelled: nothing written
        await wait_until(pilot, lambda: landed_on(app, "ReviewQueueScreen"))
        assert noted_events(seeded) == []
        await pilot.press("i")
        await wait_until(pilot, lambda: app.screen.query("#prompt_text"), "the note dialog")
        await pilot.press(*"Asked ada to call back after 3pm", "enter")
        await wait_until(pilot, lambda: "Note: Asked ada to call back after 3pm" in screen_text(app, "#review-history"))
        assert "linus added an internal note" in screen_text(app, "#review-history")
        assert "Note added at 2026-11-22 12:00 UTC" in screen_text(app, "#review-outcome")
    assert [n.author for n in list_notes(seeded, ticket_id)] == ["Linus Pauling"]
