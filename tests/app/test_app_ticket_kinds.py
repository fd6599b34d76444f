"""Whole calls by keys: sign in, find and verify a demo caller, file each ticket kind, and check
both what the screen says and what the store holds."""

from __future__ import annotations

from deskapp_testing import make_app, screen_text, tickets_of, wait_until

from deskapp.screens.account import AccountScreen
from deskapp.screens.filed import FiledScreen
from deskapp.screens.ticket_form import TicketFormScreen
from screenshots import demo_caller, open_form, settle, sign_in, take_call, type_text


async def file_it(pilot) -> str:
    """ctrl+s, confirm with y; returns what the filed dialog shows and closes it."""
    await pilot.press("ctrl+s")
    await settle(pilot)
    await pilot.press("y")
    await settle(pilot)
    assert isinstance(pilot.app.screen, FiledScreen), screen_text(pilot.app, "#form-problems")
    shown = screen_text(pilot.app)
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(pilot.app.screen, AccountScreen)
    return shown


async def tick_all(pilot, count: int) -> None:
    """Tick `count` checklist items from the top (focus is on the checklist)."""
    for _ in range(count):
        await pilot.press("space", "down")  # down stays on the last item


async def call_for(pilot, key: str):
    caller = demo_caller(key)
    await sign_in(pilot, "ada", "1111")
    await take_call(pilot, caller)
    assert isinstance(pilot.app.screen, AccountScreen), screen_text(pilot.app, "#verify-result")
    return caller


async def test_end_of_term_cancellation(seeded, clock):
    app = make_app(seeded, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await call_for(pilot, "intune-expedited")
        await open_form(pilot, "SUB-0003", "cancel_end_of_term")
        assert "Effective date: 2027-09-28" in screen_text(app, "#consequences")
        await tick_all(pilot, 1)
        shown = await file_it(pilot)
        assert "TK-000001" in shown and "End-of-term cancellation · open" in shown
        # The account is read again: C-9 now refuses a second cancellation.
        assert "C-9: TK-000001 (end-of-term cancellation, open) is already open" in screen_text(app, "#kinds")
        [row] = tickets_of(seeded, app.agent.id)
        assert (row.ref, row.kind.value, row.status.value) == ("TK-000001", "cancel_end_of_term", "open")
        assert row.subscription_ref == "SUB-0003" and row.effective_date == "2027-09-28"


async def test_early_cancellation_with_date_and_refund(seeded, clock):
    app = make_app(seeded, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await call_for(pilot, "o365-support-only")
        await open_form(pilot, "SUB-0031", "cancel_early")
        await tick_all(pilot, 3)  # C-7: domains, DNS, data
        await pilot.press("tab")
        await type_text(pilot, "2026-12-31")
        # The consequences follow the requested date (decided again, no database), once the
        # typed keys are handled (a loaded machine answers later than pilot.pause()).
        await wait_until(pilot, lambda: "Effective date: 2026-12-31" in screen_text(app, "#consequences"),
                         "the consequences of the requested date")
        consequences = screen_text(app, "#consequences")
        assert "Data deletion date: 2027-03-31" in consequences
        assert "Supervisor review: not needed" in consequences
        # The date changed the words of "access ends on ...": that item is to be read and
        # confirmed again (it was ticked for the old date).
        checklist = app.screen.query_one("#checklist")
        assert [w.ticked for w in checklist._widgets] == [True, True, False]
        assert "ends on 2026-12-31" in str(checklist._widgets[2].text)
        await pilot.press("shift+tab", "end", "space", "tab")
        assert all(w.ticked for w in checklist._widgets)
        await pilot.press("tab", "space")  # refund requested
        assert "Supervisor review: needed" in screen_text(app, "#consequences")
        await pilot.press("tab")
        await type_text(pilot, "moving to another provider")
        shown = await file_it(pilot)
        assert "TK-000001" in shown and "pending review" in shown
        [row] = tickets_of(seeded, app.agent.id)
        assert row.kind.value == "cancel_early" and row.status.value == "pending_review"
        assert row.effective_date == "2026-12-31"
        from tickets.store.queries import ticket_detail

        detail = ticket_detail(seeded, row.id)
        assert detail.fields["refund_requested"] is True and detail.reason == "moving to another provider"
        assert set(detail.checklist) == {"remove_domains", "update_dns", "save_data"}


async def test_expedited_deprovisioning(seeded, clock):
    app = make_app(seeded, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await call_for(pilot, "intune-expedited")
        await open_form(pilot, "SUB-0003", "expedited_deprovisioning")
        # Filing before every item is confirmed is refused inline, naming the items.
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, TicketFormScreen)
        assert "X-2: not yet confirmed with the caller" in screen_text(app, "#form-problems")
        await tick_all(pilot, 4)
        shown = await file_it(pilot)
        assert "Expedited deprovisioning · pending review" in shown
        [row] = tickets_of(seeded, app.agent.id)
        assert row.kind.value == "expedited_deprovisioning" and row.needs_review


async def test_migration_to_on_premises(seeded, clock):
    app = make_app(seeded, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await call_for(pilot, "d365-migration")
        await open_form(pilot, "SUB-0018", "migration_on_premises")
        await tick_all(pilot, 2)
        await pilot.press("tab")
        await type_text(pilot, "2026-12-05 09:00")
        await pilot.press("tab")
        await type_text(pilot, "it-ops@mueller-praezision.de")
        assert "Routed to: technical support" in screen_text(app, "#consequences")
        shown = await file_it(pilot)
        assert "Migration to on-premises · open" in shown
        [row] = tickets_of(seeded, app.agent.id)
        from tickets.store.queries import ticket_detail

        detail = ticket_detail(seeded, row.id)
        assert detail.fields["transfer_at"] == "2026-12-05T09:00:00Z"
        assert detail.fields["it_contact"] == "it-ops@mueller-praezision.de"


async def test_ims_cancellation_by_the_campaign_billing_admin(seeded, clock):
    app = make_app(seeded, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await call_for(pilot, "d365-ims-campaign-admin")
        await open_form(pilot, "SUB-0001", "ims_cancellation")
        await tick_all(pilot, 2)
        shown = await file_it(pilot)
        assert "Internet Marketing cancellation · open" in shown
        [row] = tickets_of(seeded, app.agent.id)
        assert row.kind.value == "ims_cancellation"


async def test_batch_unsubscription_reports_refused_resources(seeded, clock):
    app = make_app(seeded, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await call_for(pilot, "cloud-batch-unsubscribe")
        await open_form(pilot, "SUB-0036", "unsubscribe_resource")
        # RES-0001 can go; RES-0005 has another transaction in progress (U-1).
        await pilot.press("space", "down", "down", "down", "down", "space")
        assert "RES-0005" in screen_text(app, "#consequences") and "refused" in screen_text(app, "#consequences")
        await pilot.press("tab", "space", "tab")  # confirm (U-2), then the reason
        await type_text(pilot, "project cancelled")
        shown = await file_it(pilot)
        assert "TK-000001" in shown and "resource RES-0001" in shown
        assert "RES-0005 refused" in shown and "U-1: another transaction for RES-0005 is in progress" in shown
        [row] = tickets_of(seeded, app.agent.id)
        assert row.kind.value == "unsubscribe_resource"
