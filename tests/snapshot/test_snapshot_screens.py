"""Snapshots of the agent's main screens at 100x30, reached by keys (tools/screenshots.py
drivers). Time is frozen by the FixedClock (testkit.T0) and the input cursor does not blink."""

from __future__ import annotations

from screenshots import (
    demo_caller,
    fill_verification,
    new_call_and_find,
    open_form,
    settle,
    sign_in,
    take_call,
    type_text,
)

SIZE = (100, 30)


async def still(pilot) -> None:
    """No blinking cursor in a snapshot."""
    await settle(pilot)
    for field in pilot.app.screen.query("Input"):
        field.cursor_blink = False
    await pilot.pause()


def test_sign_in(snap_compare, seeded_app):
    async def run_before(pilot):
        await settle(pilot)
        await type_text(pilot, "ada")
        await still(pilot)

    assert snap_compare(seeded_app, terminal_size=SIZE, run_before=run_before)


def test_verification_with_inline_feedback(snap_compare, seeded_app):
    caller = demo_caller("d365-migration")

    async def run_before(pilot):
        await sign_in(pilot, "ada", "1111")
        await new_call_and_find(pilot, caller["org_name"])
        await fill_verification(pilot, caller, phone="12", org_url="")
        await pilot.press("ctrl+s")
        await still(pilot)

    assert snap_compare(seeded_app, terminal_size=SIZE, run_before=run_before)


def test_account_view(snap_compare, seeded_app):
    async def run_before(pilot):
        await sign_in(pilot, "ada", "1111")
        await take_call(pilot, demo_caller("intune-expedited"))
        await still(pilot)

    assert snap_compare(seeded_app, terminal_size=SIZE, run_before=run_before)


def test_ticket_form_early_cancellation(snap_compare, seeded_app):
    async def run_before(pilot):
        await sign_in(pilot, "ada", "1111")
        await take_call(pilot, demo_caller("o365-support-only"))
        await open_form(pilot, "SUB-0031", "cancel_early")
        await pilot.press("space", "down", "tab")
        await type_text(pilot, "2026-12-31")
        await still(pilot)

    assert snap_compare(seeded_app, terminal_size=SIZE, run_before=run_before)


def test_ticket_view(snap_compare, seeded_app):
    async def run_before(pilot):
        await sign_in(pilot, "ada", "1111")
        await take_call(pilot, demo_caller("intune-expedited"))
        await open_form(pilot, "SUB-0003", "expedited_deprovisioning")
        for _ in range(4):
            await pilot.press("space", "down")
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("t")  # my tickets
        await settle(pilot)
        await pilot.press("enter")
        await still(pilot)

    assert snap_compare(seeded_app, terminal_size=SIZE, run_before=run_before)
