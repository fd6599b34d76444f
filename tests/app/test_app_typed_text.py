"""V-3: a console field refuses control characters as they are typed or pasted: none enters the
field's value, so none reaches a confirm screen (the core refuses them again on filing)."""

from __future__ import annotations

import asyncio
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from textual import events
from textual.app import App, ComposeResult

from deskapp.validators import TYPED_TEXT
from deskapp.widgets.field import LabeledInput

CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
# Text with control characters mixed in (ESC above all), as a paste or a terminal sends them.
TYPED = st.text(alphabet=st.one_of(st.characters(codec="utf-8"), st.sampled_from("\x1b\x00\x07\x7f\x85\x9b")),
                max_size=20)


class _Field(App):
    def compose(self) -> ComposeResult:
        yield LabeledInput("Reason", input_id="reason")


async def _typed(text: str, *, paste: bool) -> str:
    app = _Field()
    async with app.run_test() as pilot:
        field = app.query_one(LabeledInput)
        field.input.focus()
        await pilot.pause()
        if paste:
            field.input.post_message(events.Paste(text))
        else:
            for char in text:
                field.input.insert_text_at_cursor(char)  # what a key press inserts
        await pilot.pause()
        return field.value


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(text=TYPED)
def test_v3_no_control_character_enters_a_field_as_typed(text):
    value = asyncio.run(_typed(text, paste=False))
    assert CONTROL.search(value) is None
    assert value == CONTROL.sub("", text)  # everything else is kept, in order


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=TYPED)
def test_v3_a_paste_holding_a_control_character_is_refused_whole(text):
    value = asyncio.run(_typed(text, paste=True))
    assert CONTROL.search(value) is None
    line = text.splitlines()[0] if text.splitlines() else ""
    assert value == (line if re.fullmatch(TYPED_TEXT, line) else "")


def test_v3_esc_typed_into_a_field_is_not_in_its_value():
    assert asyncio.run(_typed("ab\x1bcd", paste=False)) == "abcd"


async def test_v3_a_paste_with_esc_into_the_reason_never_reaches_the_confirm_screen(seeded, clock):
    """The console's own form: a paste carrying ESC (a terminal's colour code) into the caller's
    reason is refused as it arrives; the confirm screen and the filed ticket never hold it."""
    from deskapp_testing import make_app, screen_text, tickets_of
    from textual.widgets import Input

    from deskapp.screens.ticket_form import TicketFormScreen
    from screenshots import demo_caller, open_form, settle, sign_in, take_call
    from tickets.store.queries import ticket_detail

    app = make_app(seeded, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "ada", "1111")
        await take_call(pilot, demo_caller("intune-expedited"))
        await open_form(pilot, "SUB-0003", "cancel_end_of_term")
        await pilot.press("space")
        reason = app.screen.query_one("#reason", Input)
        reason.focus()
        await settle(pilot)
        reason.post_message(events.Paste("moving \x1b[31mnow"))
        await settle(pilot)
        assert "\x1b" not in reason.value
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, TicketFormScreen)  # the confirm screen
        assert "\x1b" not in screen_text(app)
        await pilot.press("y")
        await settle(pilot)
        [row] = tickets_of(seeded, app.agent.id)
        assert "\x1b" not in (ticket_detail(seeded, row.id).reason or "")
