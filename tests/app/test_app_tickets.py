"""Tickets by keys: the lists (paged by 50, filtered), one ticket's view, and the agent's
lifecycle steps: callback (V-8), start, resolve, withdraw; a refused step shows its reason."""

from __future__ import annotations

from datetime import timedelta

from deskapp_testing import make_app, notifications, screen_text

from deskapp.screens.ticket import TicketScreen
from deskapp.screens.tickets import TicketListScreen
from screenshots import demo_caller, open_form, settle, sign_in, take_call, type_text


async def file_from_form(pilot, ticks: int) -> None:
    for _ in range(ticks):
        await pilot.press("space", "down")
    await pilot.press("ctrl+s")
    await settle(pilot)
    await pilot.press("y")
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)


async def test_ticket_view_callback_refused_start_and_withdraw(seeded, clock):
    from tickets.store.queries import ticket_detail

    app = make_app(seeded, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "ada", "1111")
        await take_call(pilot, demo_caller("intune-expedited"))
        await open_form(pilot, "SUB-0003", "expedited_deprovisioning")
        await file_from_form(pilot, 4)
        await pilot.press("o")  # the organization's tickets
        await settle(pilot)
        assert isinstance(app.screen, TicketListScreen)
        assert "TK-000001 | Expedited deprovisioning | pending review | ada | SUB-0003" in screen_text(
            app, "#ticket-table"
        )
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen)
        shown = screen_text(app)
        assert "TK-000001" in shown and "pending review" in shown
        # The sentences confirmed with the caller, not the items' internal names.
        assert ("✓ the caller explicitly acknowledges that all data of Microsoft Intune is deleted within 3 days"
                in screen_text(app, "#ticket-checklist"))
        assert "acknowledge_data_loss" not in screen_text(app) and "acknowledge data loss" not in screen_text(app)
        assert "Supervisor review: needed" in screen_text(app, "#ticket-consequences")
        # V-8: the verified caller and the number on file to call back.
        assert ("Call back the number on file: James O'Connor on +441614960101, the number on file"
                in screen_text(app, "#ticket-callback"))
        history = screen_text(app, "#ticket-history")
        assert "ada filed the ticket" in history and "as pending review" in history
        assert "the caller confirmed:\n    ✓ the caller explicitly acknowledges that all data" in history
        assert "ticket.filed" not in history and "checklist=" not in history
        await pilot.press("c")
        await settle(pilot)
        await type_text(pilot, "caller confirmed on the number on file")
        await pilot.press("enter")
        await settle(pilot)
        assert "Callback recorded" in screen_text(app, "#ticket-status")
        assert "Recorded 2026-11-22 12:00 UTC by Ada Lovelace" in screen_text(app, "#ticket-callback")
        # T-2: a ticket waiting for review cannot be started: the reason shows.
        await pilot.press("s")
        await settle(pilot)
        assert "T-2: a pending review ticket cannot become in progress" in screen_text(app, "#ticket-status")
        assert "T-2: a pending review ticket cannot become in progress" in notifications(app)
        await pilot.press("w")
        await settle(pilot)
        await pilot.press("enter")  # a reason is required
        assert "required" in screen_text(app, "#field-prompt_text .field-message")
        await type_text(pilot, "caller changed their mind")
        await pilot.press("enter")
        await settle(pilot)
        assert "TK-000001 is now withdrawn" in screen_text(app, "#ticket-status")
        assert ("ada withdrew it (T-2)\n  pending review → withdrawn\n  Reason: caller changed their mind"
                in screen_text(app, "#ticket-history"))
        ticket_id = app.screen.ticket_id
    detail = ticket_detail(seeded, ticket_id)
    assert detail.row.status.value == "withdrawn" and detail.callback_at is not None


async def test_start_and_resolve_an_open_ticket(seeded, clock):
    from tickets.store.queries import ticket_detail

    app = make_app(seeded, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "ada", "1111")
        await take_call(pilot, demo_caller("d365-ims-campaign-admin"))
        await open_form(pilot, "SUB-0001", "ims_cancellation")
        await file_from_form(pilot, 2)
        await pilot.press("t")  # my tickets (t on every screen)
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert "Not needed for this ticket." in screen_text(app, "#ticket-callback")
        await pilot.press("s")
        await settle(pilot)
        assert "is now in progress" in screen_text(app, "#ticket-status")
        await pilot.press("v")
        await settle(pilot)
        assert "is now resolved" in screen_text(app, "#ticket-status")
        ticket_id = app.screen.ticket_id
        await pilot.press("escape")
        await settle(pilot)
        assert "resolved" in screen_text(app, "#ticket-table")
    assert ticket_detail(seeded, ticket_id).row.status.value == "resolved"


def add_tickets(store, agent_name: str, count: int) -> None:
    """Many withdrawn tickets straight into the store (set-up only: the lists read them)."""
    from sqlmodel import select

    from tickets.store.models import Agent, Subscription, Ticket

    with store.write() as session:
        agent = session.exec(select(Agent).where(Agent.name == agent_name)).one()
        sub = session.exec(select(Subscription).where(Subscription.ref == "SUB-0003")).one()
        now = store.clock.now()
        for i in range(count):
            at = now - timedelta(minutes=count - i)
            session.add(Ticket(
                kind="cancel_end_of_term", status="withdrawn", organization_id=sub.organization_id,
                subscription_id=sub.id, filed_by_id=agent.id, created_at=at, updated_at=at,
                idempotency_key=f"bulk-{i}", content_hash="0" * 64,
            ))


async def test_my_tickets_page_by_fifty_and_filter(seeded, clock):
    add_tickets(seeded, "ada", 120)
    app = make_app(seeded, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "ada", "1111")
        await pilot.press("t")
        await settle(pilot)
        table = app.screen.query_one("#ticket-table")
        assert table.row_count == 50
        assert screen_text(app, "#page-info").startswith("Page 1: tickets 1–50 · n: next page")
        assert app.screen.check_action("previous_page", ()) is False
        first_page_top = table.get_row_at(0)[0]
        await pilot.press("n")
        await settle(pilot)
        assert screen_text(app, "#page-info").startswith("Page 2: tickets 51–100")
        await pilot.press("n")
        await settle(pilot)
        assert table.row_count == 20 and screen_text(app, "#page-info").startswith("Page 3: tickets 101–120")
        assert app.screen.check_action("next_page", ()) is False
        await pilot.press("p", "p")
        await settle(pilot)
        assert table.get_row_at(0)[0] == first_page_top
        # Filter by status: only open tickets (there are none).
        await pilot.press("f", "enter")
        await pilot.press("down", "enter")  # the first status: open
        await settle(pilot)
        assert table.row_count == 0 and "no tickets" in screen_text(app, "#page-info")

