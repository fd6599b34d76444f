"""Desk habits by keys: the call timer and the verified caller in the header; after a failed
verification the next answers replace the old ones, ctrl+l clears the form; the key of a kind
the rules refuse says why (rule and reason)."""

from __future__ import annotations

from datetime import timedelta

from deskapp_testing import landed_on, make_app, notifications, sign_in_as, wait_until

from deskapp.screens.account import AccountScreen
from deskapp.screens.verification import VerificationScreen
from screenshots import caller_values, demo_caller, fill_verification, highlight, new_call_and_find, settle, take_call


async def test_the_header_times_the_call_and_names_the_verified_caller(seeded, clock):
    caller = demo_caller("intune-expedited")
    app = make_app(seeded, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_as(pilot, "ada")
        assert app.title == "deskapp · Ada Lovelace (ada, agent) · UTC"  # the desk's time zone last
        await pilot.press("n")
        await wait_until(pilot, lambda: landed_on(app, "CallScreen"))
        assert app.title == "ada · call 00:00 · UTC"
        clock.advance(timedelta(minutes=2, seconds=5))
        await wait_until(pilot, lambda: app.title == "ada · call 02:05 · UTC", timeout=3)
        await pilot.press("escape")  # back to home is not possible during a call: the wrap-up asks
        await pilot.press("escape")
        await new_call_and_find_in_call(pilot, caller)
        await wait_until(pilot, lambda: landed_on(app, AccountScreen))
        # The caller's name as the directory has it, once verified, with the call's time.
        assert app.title == "ada · call 02:05 · James O'Connor (verified) · UTC"
        clock.advance(timedelta(hours=1))
        await wait_until(pilot, lambda: "call 1:02:05" in app.title, timeout=3)
        await pilot.press("ctrl+g")
        await wait_until(pilot, lambda: landed_on(app, "WrapUpScreen"))
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.call is None and landed_on(app, "HomeScreen"))
        assert app.title == "deskapp · Ada Lovelace (ada, agent) · UTC"  # the caller leaves the header


async def new_call_and_find_in_call(pilot, caller) -> None:
    """On the call's search screen: find the organization and pass the verification."""
    from screenshots import type_text

    await type_text(pilot, caller["org_name"])
    await pilot.press("enter")
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    await fill_verification(pilot, caller)
    await pilot.press("ctrl+s")
    await settle(pilot)


async def test_after_a_failed_verification_the_next_answers_replace_the_old(seeded, clock):
    caller = demo_caller("intune-expedited")
    app = make_app(seeded, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in_as(pilot, "ada")
        await new_call_and_find(pilot, caller["org_name"])
        await fill_verification(pilot, caller, phone="0161 496 0999")  # well formed, not on file
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen.query_one("#verify-result").render().plain.startswith("Verification failed. 2 attempts")
        assert app.focused.id == "user_id"
        # The agent types the caller's answers again as a burst, field by field with Tab.
        right = caller_values(caller)
        keys: list[str] = []
        for field in ("user_id", "phone", "first_name", "last_name", "org_name", "street1", "street2", "city",
                      "region", "postal_code", "country"):
            keys += [*right[field], "tab"] if right[field] else ["tab"]
        await pilot.press(*keys)
        await settle(pilot)
        for field in ("user_id", "phone", "first_name", "org_name", "city", "country"):
            assert app.screen.query_one(f"#{field}").value in (right[field], "+44 161 496 0101"), field
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: landed_on(app, AccountScreen))


async def test_ctrl_l_clears_the_verification_form(seeded, clock):
    caller = demo_caller("intune-expedited")
    app = make_app(seeded, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in_as(pilot, "ada")
        await new_call_and_find(pilot, caller["org_name"])
        await fill_verification(pilot, caller, phone="0161 496 0999")
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert isinstance(app.screen, VerificationScreen)
        assert all(w.value == "" for w in app.screen.query("Input"))
        assert app.focused.id == "user_id" and not any(app.call.verify_values.values())
        # The attempts left stay in view; no attempt was used by clearing.
        result = app.screen.query_one("#verify-result").render().plain
        assert "2 attempt(s) left before ORG-0002 is locked (V-5)" in result
        await pilot.press(*"x@y.example")
        assert app.screen.query_one("#user_id").value == "x@y.example"


async def test_the_key_of_a_refused_kind_says_the_rule_and_reason(seeded, clock):
    caller = demo_caller("intune-trial")
    app = make_app(seeded, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in_as(pilot, "ada")
        await take_call(pilot, caller)
        await wait_until(pilot, lambda: landed_on(app, AccountScreen))
        await highlight(pilot, "#subscriptions", "SUB-0021")
        assert app.screen.check_action("file", ("cancel_early",)) is False  # not in the footer
        await pilot.press("c")
        await wait_until(pilot, lambda: "C-3" in notifications(app))
        assert "Refused:" in notifications(app) and landed_on(app, AccountScreen)  # no form opened
