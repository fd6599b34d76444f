"""Templates from the desk's config by keys: ctrl+t in the wrap-up note inserts the desk's one
wrap-up template; in a reason it offers the reason templates, a digit inserts one at the cursor."""

from __future__ import annotations

from deskapp_testing import landed_on, make_app, screen_text, sign_in_as, wait_until

from deskapp.config import config_file, load_settings
from deskapp.screens.templates import TemplatePicker
from testkit import file_demo_ticket

CONFIG = """
[templates.wrap_up]
filed = "Ticket filed; the caller was told the dates."
[templates.reason]
moving = "The organization moves to another provider."
budget = "Budget cut for next year."
"""


def _settings(text: str = CONFIG):
    path = config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return load_settings(environ={})


def _value(app, selector: str) -> str:
    return app.screen.query_one(selector).value


async def test_ctrl_t_inserts_the_wrap_up_template_and_picks_a_reason(seeded, clock):
    from deskapp.screens.prompt import TextPromptScreen

    file_demo_ticket(seeded, user_id="raj.kumar@northwindtraders.co.uk")
    app = make_app(seeded, clock, settings=_settings())
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in_as(pilot, "ada")
        await pilot.press("n")
        await wait_until(pilot, lambda: landed_on(app, "CallScreen"))
        await pilot.press("ctrl+g")
        await wait_until(pilot, lambda: landed_on(app, "WrapUpScreen"))
        assert app.check_action("template", ()) is True  # offered in the footer here
        await pilot.press(*"Asked about fees.", "ctrl+t")
        await wait_until(pilot, lambda: "dates." in _value(app, "#wrap_up_note"))
        assert _value(app, "#wrap_up_note") == "Asked about fees. Ticket filed; the caller was told the dates."
        await pilot.press("escape")  # back to the call: it stays open
        await wait_until(pilot, lambda: landed_on(app, "CallScreen"))

        # A reason: withdrawing one of the agent's tickets (t, Enter, w) offers the two reason templates.
        await pilot.press("ctrl+g")
        await wait_until(pilot, lambda: landed_on(app, "WrapUpScreen"))
        await pilot.press("enter")  # the call ends
        await wait_until(pilot, lambda: app.call is None and landed_on(app, "HomeScreen"))
        await pilot.press("t")
        await wait_until(pilot, lambda: landed_on(app, "TicketListScreen") and "TK-" in screen_text(app))
        await pilot.press("enter")
        await wait_until(pilot, lambda: landed_on(app, "TicketScreen") and app.screen.detail is not None)
        await pilot.press("w")
        await wait_until(pilot, lambda: landed_on(app, TextPromptScreen))
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: landed_on(app, TemplatePicker))
        await pilot.press("2")
        await wait_until(pilot, lambda: landed_on(app, TextPromptScreen) and _value(app, "#prompt_text"))
        assert _value(app, "#prompt_text") == "Budget cut for next year."
        assert app.focused is app.screen.query_one("#prompt_text")  # typing goes on where it was
        await pilot.press(*" Confirmed twice.")
        assert _value(app, "#prompt_text") == "Budget cut for next year. Confirmed twice."
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: landed_on(app, TemplatePicker))
        await pilot.press("escape")  # nothing inserted
        await wait_until(pilot, lambda: landed_on(app, TextPromptScreen))
        assert _value(app, "#prompt_text") == "Budget cut for next year. Confirmed twice."
        await pilot.press("enter")  # the ticket is withdrawn with the reason as it stands
        await wait_until(pilot, lambda: "Reason: Budget cut for next year. Confirmed twice." in screen_text(
            app, "#ticket-history"))


async def test_no_templates_means_no_key(seeded, clock):
    app = make_app(seeded, clock, settings=_settings("[templates.reason]\na = \"Moving.\"\n"))
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in_as(pilot, "ada")
        await pilot.press("n")
        await wait_until(pilot, lambda: landed_on(app, "CallScreen"))
        await pilot.press("ctrl+g")
        await wait_until(pilot, lambda: landed_on(app, "WrapUpScreen"))
        assert not app.check_action("template", ())  # no wrap-up templates: not offered
        await pilot.press("ctrl+t", *"ok")
        await wait_until(pilot, lambda: _value(app, "#wrap_up_note") == "ok")
