"""Each defect an agent met in a real terminal, replayed by keys."""

from __future__ import annotations

from deskapp_testing import make_app, screen_text, tickets_of

from deskapp.screens.call import CallScreen
from deskapp.screens.ticket_form import TicketFormScreen
from deskapp.widgets.checklist import CheckList
from screenshots import demo_caller, open_form, settle, sign_in, take_call, type_text

SIZE = (80, 24)


async def call_for(pilot, key: str):
    caller = demo_caller(key)
    await sign_in(pilot, "ada", "1111")
    await take_call(pilot, caller)
    return caller


async def test_o365_trial_offers_no_refund_and_files(seeded, clock):
    """C-4: a trial is not paid for; the form offers no Refund box, and the ticket files."""
    app = make_app(seeded, clock)
    async with app.run_test(size=SIZE) as pilot:
        await call_for(pilot, "o365-trial")
        await open_form(pilot, "SUB-0033", "cancel_early")
        form = app.screen
        assert isinstance(form, TicketFormScreen)
        assert not form.query("#refund_requested") and not form.refund_offered
        assert "Refund" not in screen_text(app, "#form")
        checklist = form.query_one("#checklist", CheckList)
        for _ in checklist.keys:
            await pilot.press("space", "down")
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        [row] = tickets_of(seeded, app.agent.id)
        assert (row.kind.value, row.status.value) == ("cancel_early", "open")


async def test_a_paid_early_cancellation_still_offers_the_refund(seeded, clock):
    app = make_app(seeded, clock)
    async with app.run_test(size=SIZE) as pilot:
        await call_for(pilot, "o365-support-only")
        await open_form(pilot, "SUB-0031", "cancel_early")
        assert app.screen.refund_offered and app.screen.query("#refund_requested")


async def test_after_a_refused_submit_focus_is_on_the_first_item_still_missing(seeded, clock):
    app = make_app(seeded, clock)
    async with app.run_test(size=SIZE) as pilot:
        await call_for(pilot, "o365-support-only")
        await open_form(pilot, "SUB-0031", "cancel_early")
        checklist = app.screen.query_one("#checklist", CheckList)
        assert checklist.keys == ["remove_domains", "update_dns", "save_data"]
        await pilot.press("space")  # the first item only
        await pilot.press("tab")  # away from the checklist
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "Cannot file yet" in screen_text(app, "#form-problems")
        assert app.focused is checklist and checklist.current.key == "update_dns"
        await pilot.press("space", "ctrl+s")  # ticked where the cursor is: save_data is next
        await settle(pilot)
        assert app.focused is checklist and checklist.current.key == "save_data"
        assert isinstance(app.screen, TicketFormScreen)


async def test_form_problems_name_fields_by_their_labels(seeded, clock):
    app = make_app(seeded, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await call_for(pilot, "d365-migration")
        await open_form(pilot, "SUB-0018", "migration_on_premises")
        await pilot.press("space", "down", "space", "tab")
        await type_text(pilot, "2026-12-05 09:00")
        await pilot.press("tab")
        await type_text(pilot, "not an address")
        await pilot.press("ctrl+s")
        await settle(pilot)
        problems = screen_text(app, "#form-problems")
        assert "IT contact e-mail: an e-mail address" in problems
        assert "it_contact" not in screen_text(app)
        assert app.focused.id == "it_contact"  # the field with the message


async def test_batch_cursor_home_end_select_allowed_and_every_consequence(seeded, clock):
    app = make_app(seeded, clock)
    async with app.run_test(size=SIZE) as pilot:
        await call_for(pilot, "cloud-batch-unsubscribe")
        await open_form(pilot, "SUB-0036", "unsubscribe_resource")
        form = app.screen
        resources = form.query_one("#resources", CheckList)
        assert app.focused is resources and resources.current.has_class("-cursor")
        scroll = form.query_one("#form")
        await pilot.press("end")
        assert resources.cursor == len(resources.keys) - 1
        at_end = scroll.scroll_y
        await pilot.press("down", "down")  # at the end: the cursor stays, the form does not scroll away
        await pilot.pause()
        assert resources.cursor == len(resources.keys) - 1 and scroll.scroll_y == at_end
        await pilot.press("home")
        assert resources.cursor == 0
        allowed = [res.ref for res, decision in form.view.resources if decision.allowed]
        assert len(allowed) == 6 and len(resources.keys) == 10
        await pilot.press("ctrl+a")  # select every allowed resource
        await pilot.pause()
        assert sorted(resources.selected) == sorted(allowed) == sorted(form.state.resources)
        consequences = screen_text(app, "#consequences")
        assert all(ref in consequences for ref in allowed)
        await pilot.press("tab", "space", "tab")
        await type_text(pilot, "project cancelled")
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        rows = tickets_of(seeded, app.agent.id)
        assert len(rows) == 6 and {r.kind.value for r in rows} == {"unsubscribe_resource"}


async def test_find_screen_typing_after_a_search_reaches_the_query_and_ctrl_s_runs_it(seeded, clock):
    app = make_app(seeded, clock)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "ada", "1111")
        await pilot.press("n")
        await settle(pilot)
        await type_text(pilot, "Contoso Ltd.")
        await pilot.press("ctrl+s")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CallScreen) and app.focused.id == "found"
        first = [h.ref for h in app.call.handles]
        assert first
        await pilot.press("ctrl+u")  # back to the query, emptied
        assert app.focused.id == "search_org_name" and app.focused.value == ""
        await type_text(pilot, "Fabrikam UK Ltd")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert [h.ref for h in app.call.handles] == ["ORG-0002"] != first
        await type_text(pilot, "x")  # typing on the list goes to the query too
        assert app.focused.id == "search_org_name" and app.focused.value == "Fabrikam UK Ltdx"
        await pilot.press("backspace", "ctrl+s")
        await settle(pilot)
        assert [h.ref for h in app.call.handles] == ["ORG-0002"]
