"""The review queue, driven by keys as a supervisor would (X-2, V-8, T-2).

Tickets are filed through the core first (a demo agent verifies a demo caller and files an
expedited deprovisioning), then the real console is run from sign-in: name, Enter, PIN,
Enter, `r` for the review queue.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from deskapp_testing import demo_claim, landed_on, make_app, sign_in_as, wait_until
from sqlmodel import select

from tickets.agents import AgentInfo, list_agents
from tickets.demo import DEMO_CALLERS
from tickets.enums import TicketKind, TicketStatus
from tickets.filing import FilingRequest, file_ticket
from tickets.lifecycle import record_callback, reject
from tickets.store.models import Organization, Ticket
from tickets.store.queries import ticket_detail
from tickets.verification import start_call, verify_caller

SIZE = (120, 40)
X_CHECKLIST = frozenset({"acknowledge_data_loss", "remove_domains", "update_dns", "save_data"})


# --- helpers ---------------------------------------------------------------------------------


@pytest.fixture
def store(seeded):
    """The demo directory and agents (tests/app/conftest.py), on SQLite."""
    return seeded


@pytest.fixture
def demo(store):
    return {a.name: a for a in list_agents(store)}


def file_expedited(store, agent: AgentInfo, *, callback: bool = True) -> int:
    """The demo's Intune expedited-deprovisioning caller, verified and filed by `agent`."""
    script = next(c for c in DEMO_CALLERS if c["key"] == "intune-expedited")
    with store.read() as session:
        org_id = session.exec(select(Organization.id).where(Organization.ref == script["org_ref"])).one()
    call_id = start_call(store, agent)
    result = verify_caller(store, agent=agent, organization_id=org_id, claim=demo_claim(script["key"]), call_id=call_id)
    assert result.passed
    filed = file_ticket(
        store, agent=agent, verification_id=result.verification_id,
        request=FilingRequest(
            kind=TicketKind.EXPEDITED_DEPROVISIONING, subscription_ref=script["subscription_ref"],
            idempotency_key=f"x-{agent.name}", confirmed=X_CHECKLIST,
        ),
    )
    ticket = filed.filed[0]
    assert ticket.status is TicketStatus.PENDING_REVIEW
    if callback:
        record_callback(store, agent=agent, ticket_id=ticket.id, note="called back the number on file")
    return ticket.id


def _flat(text: str) -> str:
    return " ".join(text.split())


def on_screen(app, *needles: str) -> bool:
    """Every needle is in a text widget shown on the terminal now (line breaks ignored)."""
    from textual.widgets import Static

    shown = app.screen._compositor.visible_widgets
    text = _flat(" ".join(str(w.visual) for w in shown if isinstance(w, Static)))
    return all(_flat(n) in text for n in needles)


async def see(pilot, *needles: str) -> None:
    """Wait until every needle is visible on the terminal."""
    await wait_until(pilot, lambda: on_screen(pilot.app, *needles), timeout=5)


def in_view(app, *needles: str) -> bool:
    """Every needle is in the screen's text widgets, scrolled into view or not."""
    from textual.widgets import Static

    text = _flat(" ".join(str(w.visual) for w in app.screen.query(Static) if w.display))
    return all(_flat(n) in text for n in needles)


async def sign_in_and_open_review(pilot, name: str) -> None:
    app = pilot.app
    await sign_in_as(pilot, name)
    await pilot.press("r")
    await wait_until(pilot, lambda: type(app.screen).__name__ == "ReviewQueueScreen")


def review(app):
    from deskapp.screens.review import ReviewQueueScreen

    screen = app.screen
    assert isinstance(screen, ReviewQueueScreen)
    return screen


async def open_ticket(pilot, ticket_id: int) -> None:
    """Wait for the queue, move the cursor to the ticket (arrow keys) and select it (Enter)."""
    from textual.widgets import DataTable

    app = pilot.app
    await wait_until(pilot, lambda: review(app).page is not None)
    table = app.screen.query_one("#review-table", DataTable)
    target = table.get_row_index(str(ticket_id))
    while table.cursor_row < target:
        await pilot.press("down")
    await pilot.press("enter")
    await wait_until(pilot, lambda: review(app).detail is not None and review(app).detail.row.id == ticket_id)


def stored(store, ticket_id: int) -> Ticket:
    with store.read() as session:
        return session.get(Ticket, ticket_id)


# --- tests -----------------------------------------------------------------------------------


async def test_supervisor_approves_an_expedited_deprovisioning_filed_by_another_agent(store, clock, demo):
    ticket_id = file_expedited(store, demo["ada"])
    clock.advance(timedelta(hours=2))  # reviewed later the same day
    app = make_app(store, clock)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in_and_open_review(pilot, "linus")
        await open_ticket(pilot, ticket_id)
        # The evidence is on screen before deciding: verification, callback, checklist, consequences.
        await see(pilot, "You can approve (a)", "TK-000001 · Expedited deprovisioning", "Filed by: ada")
        assert in_view(app, "verified at 2026-11-22 12:00 UTC by Ada Lovelace", "✓ user ID", "✓ phone on file",
                       "Callback (V-8)", "recorded at 2026-11-22 12:00 UTC by Ada Lovelace",
                       "✓ the caller explicitly acknowledges that all data of",  # the sentence read to the caller
                       "Consequences (T-1)", "Early termination fee: may apply",
                       "If approved now, all data is deleted on 2026-11-25",
                       "History (A-1)", "ada filed the ticket", "the caller confirmed: ✓ the caller explicitly",
                       "ada recorded the callback to the number on file (V-8)")
        await pilot.press("a")
        await see(pilot, "Approve TK-000001?", "deletes all its data on 2026-11-25")
        await pilot.press("y")
        await wait_until(pilot, lambda: stored(store, ticket_id).status == "approved")
        await wait_until(pilot, lambda: review(app).detail.row.status is TicketStatus.APPROVED)
        await see(pilot, "All its data is deleted on 2026-11-25", "Approved by Linus Pauling")
        assert in_view(app, "Data deletion date: 2026-11-25", "linus approved it (X-2)", "pending review → approved",
                       "all its data is deleted on 2026-11-25")

    ticket = stored(store, ticket_id)
    assert ticket.status == TicketStatus.APPROVED.value
    assert ticket.decided_by_id == demo["linus"].id
    approved_at = ticket.decided_at
    assert approved_at == clock.now()
    assert ticket.data_deletion_date == (approved_at + timedelta(days=3)).date().isoformat() == "2026-11-25"


async def test_x2_a_supervisor_cannot_approve_a_ticket_they_filed(store, clock, demo):
    ticket_id = file_expedited(store, demo["margaret"])  # a supervisor took the call herself
    app = make_app(store, clock)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in_and_open_review(pilot, "margaret")
        await open_ticket(pilot, ticket_id)
        screen = review(app)
        assert screen.check_action("approve", ()) is None  # shown dimmed in the footer
        await see(
            pilot, "You cannot approve this ticket", "X-2: four eyes: the agent who filed a ticket cannot decide it"
        )
        await pilot.press("a")
        await wait_until(pilot, lambda: on_screen(app, f"You cannot approve TK-{ticket_id:06d}"))
        assert isinstance(app.screen, type(review(app)))  # no dialog: nothing to confirm
        await pilot.press("j")  # nor reject it
        await wait_until(pilot, lambda: on_screen(app, f"You cannot reject TK-{ticket_id:06d}"))
    assert stored(store, ticket_id).status == TicketStatus.PENDING_REVIEW.value
    assert stored(store, ticket_id).decided_by_id is None


async def test_rejection_with_its_reason_shows_on_the_ticket(store, clock, demo):
    ticket_id = file_expedited(store, demo["grace"])
    app = make_app(store, clock)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in_and_open_review(pilot, "linus")
        await open_ticket(pilot, ticket_id)
        await pilot.press("j")
        await see(pilot, "T-2: a reason is required")
        await pilot.press("enter")  # empty: refused, the dialog stays
        await see(pilot, "required")
        await pilot.press(*"Caller unsure", "enter")
        await wait_until(pilot, lambda: review(app).detail.row.status is TicketStatus.REJECTED)
        await see(pilot, "Rejected by Linus Pauling", "Reason: Caller unsure")
        table = app.screen.query_one("#review-table")
        assert table.get_cell(str(ticket_id), "status") == "rejected"  # the queue's row shows it too
    detail = ticket_detail(store, ticket_id)
    assert detail.row.status is TicketStatus.REJECTED
    assert detail.decision_reason == "Caller unsure"
    assert detail.decided_by == "Linus Pauling"


async def test_concurrent_decision_shows_who_decided_and_the_result(store, clock, demo):
    ticket_id = file_expedited(store, demo["ada"])
    app = make_app(store, clock)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in_and_open_review(pilot, "linus")
        await open_ticket(pilot, ticket_id)
        assert review(app).check_action("approve", ()) is True
        # Meanwhile Margaret rejects it from her own console, between two looks of the live
        # refresh (stopped here: had it shown her decision first, `a` would rightly be refused).
        review(app)._close_feed()
        reject(store, supervisor=demo["margaret"], ticket_id=ticket_id, reason="caller hesitated")
        await pilot.press("a", "y")
        await wait_until(pilot, lambda: review(app).detail.row.status is TicketStatus.REJECTED)
        await see(pilot, f"TK-{ticket_id:06d} was already decided by Margaret Hamilton: it is now rejected")
        await see(pilot, "Rejected by Margaret Hamilton", "Reason: caller hesitated")
        assert review(app).check_action("approve", ()) is False  # nothing left to decide
    ticket = stored(store, ticket_id)
    assert ticket.status == "rejected" and ticket.decided_by_id == demo["margaret"].id


async def test_v8_callback_recorded_from_the_queue_unblocks_approval(store, clock, demo):
    ticket_id = file_expedited(store, demo["ada"], callback=False)
    app = make_app(store, clock)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in_and_open_review(pilot, "linus")
        await open_ticket(pilot, ticket_id)
        await see(pilot, "V-8: record the callback to the phone number on file before approving")
        assert review(app).check_action("approve", ()) is None
        await pilot.press("c")
        await wait_until(pilot, lambda: app.screen.query("#prompt_text"))
        await pilot.press(*"confirmed", "enter")
        await wait_until(pilot, lambda: review(app).detail.callback_at is not None)
        await see(pilot, "recorded at", "by Linus Pauling", "You can approve (a)")
        assert review(app).check_action("approve", ()) is True
    assert stored(store, ticket_id).callback_by_id == demo["linus"].id


async def test_an_agent_is_refused_the_review_queue(store, clock, demo):
    file_expedited(store, demo["ada"])
    from deskapp.screens.review import ReviewQueueScreen

    app = make_app(store, clock)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in_as(pilot, "grace")
        await pilot.press("r")  # the home screen's key is not offered to agents
        await pilot.pause()
        assert not isinstance(app.screen, ReviewQueueScreen)
        app.push_screen(ReviewQueueScreen())  # and pushed anyway, the screen itself refuses
        await wait_until(pilot, lambda: landed_on(app, ReviewQueueScreen))
        await see(pilot, "The review queue is for supervisors only (X-2)", "Grace Hopper (grace), an agent")
        assert not app.screen.query("#review-table")


async def test_deskapp_review_opens_the_queue_right_after_a_supervisor_signs_in(store, clock, demo):
    ticket_id = file_expedited(store, demo["ada"])
    app = make_app(store, clock, start="review")  # `deskapp review`
    async with app.run_test(size=SIZE) as pilot:
        await sign_in_as(pilot, "linus", lands_on="ReviewQueueScreen")
        await wait_until(pilot, lambda: review(app).detail is not None)
        assert review(app).detail.row.id == ticket_id


async def test_the_queue_pages_by_fifty_oldest_first(store, clock, demo):
    from tickets.store.models import Agent

    # 53 pending tickets, straight into the store (one subscription each: C-9).
    with store.write() as session:
        ada = session.exec(select(Agent).where(Agent.name == "ada")).one()
        org = session.exec(select(Organization)).first()
        from tickets.store.models import Subscription

        base = clock.now() - timedelta(days=3)
        for i in range(53):
            sub = Subscription(ref=f"SUB-P{i:03d}", organization_id=org.id, name="Intune", product="intune",
                               channel="online", state="active", purchased_at=base, term_start=base,
                               term_end=base + timedelta(days=365))
            session.add(sub)
            session.flush()
            at = base + timedelta(minutes=i)
            session.add(Ticket(kind="expedited_deprovisioning", status="pending_review", organization_id=org.id,
                               subscription_id=sub.id, filed_by_id=ada.id, created_at=at, updated_at=at,
                               idempotency_key=f"p{i}", content_hash="h", needs_review=True, needs_callback=True))
    app = make_app(store, clock)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in_and_open_review(pilot, "linus")
        await wait_until(pilot, lambda: review(app).page is not None)
        from textual.widgets import DataTable

        table = app.screen.query_one("#review-table", DataTable)
        assert table.row_count == 50
        first = review(app).page.rows[0]
        assert first.ref == "TK-000001"
        await see(pilot, "Page 1 · tickets 1–50 · more: n")
        await pilot.press("n")
        await wait_until(pilot, lambda: table.row_count == 3)
        assert [r.ref for r in review(app).page.rows] == ["TK-000051", "TK-000052", "TK-000053"]
        await see(pilot, "Page 2 · tickets 51–53 · last page")
        assert review(app).check_action("next_page", ()) is False
        await pilot.press("p")
        await wait_until(pilot, lambda: table.row_count == 50)
        assert review(app).page.rows[0].ref == "TK-000001"
