"""`?` / F1: the desk's own keys for the screen, made from its bindings; the palette's Keys
opens it instead of Textual's generic panel, and the palette has no Screenshot (it wrote the
caller's personal data to a download folder)."""

from __future__ import annotations

from pathlib import Path

from deskapp_testing import landed_on, make_app, rendered_text, sign_in_as, wait_until

from deskapp.screens.keys import KeySheet
from screenshots import demo_caller, take_call


def sheet_text(app) -> str:
    """Every line of the sheet (it scrolls when a screen has many keys) as the agent reads it."""
    return " ".join(" ".join(str(w.visual).split()) for w in app.screen.query(".keys-key, .keys-what, .dialog-title"))


async def test_question_mark_lists_the_home_screens_keys_in_the_desks_words(seeded, clock):
    app = make_app(seeded, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_as(pilot, "ada")
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: landed_on(app, KeySheet))
        text = sheet_text(app)
        assert "Keys: Home" in text
        for words in ("n New call", "t My tickets", "s Sign out", "ctrl+q Quit: leave the console", "ctrl+f Search"):
            assert words in text, words
        assert "Review" not in text  # a supervisor's key is not offered to an agent
        for generic in ("Scroll Left", "Page Left", "Quit the app", "Scroll"):
            assert generic not in text
        await pilot.press("escape")
        await wait_until(pilot, lambda: landed_on(app, "HomeScreen"))
        await pilot.press("f1")
        await wait_until(pilot, lambda: landed_on(app, KeySheet))
        await pilot.press("f1")  # the same key closes it
        await wait_until(pilot, lambda: landed_on(app, "HomeScreen"))


async def test_during_a_call_the_sheet_says_what_quitting_does_and_marks_refused_kinds(seeded, clock):
    app = make_app(seeded, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in_as(pilot, "ada")
        await take_call(pilot, demo_caller("intune-trial"))
        await wait_until(pilot, lambda: landed_on(app, "AccountScreen"))
        await pilot.press("f1")
        await wait_until(pilot, lambda: landed_on(app, KeySheet))
        text = sheet_text(app)
        assert "Keys: Account" in text
        assert "ctrl+g End call" in text
        assert "ctrl+q Quit: asks first: the call in progress ends with an automatic wrap-up note" in text
        assert "Org tickets" in text and "f5 Reload" in text  # keys hidden from the footer are listed
        assert "Refused here: End of term, Early, Expedite" in text and "the key says which rule and why" in text


async def test_palette_keys_opens_the_sheet_and_there_is_no_screenshot(seeded, clock, monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    app = make_app(seeded, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_as(pilot, "ada")
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Screenshot" not in titles and titles.count("Keys") == 1 and titles.count("Quit") == 1
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: landed_on(app, "CommandPalette"))
        await pilot.press(*"screenshot")
        await pilot.pause(0.3)
        assert "Screenshot" not in rendered_text(app)
        await pilot.press("ctrl+u", *"keys", "enter")
        await wait_until(pilot, lambda: landed_on(app, KeySheet))
        app.action_screenshot()  # even called directly, nothing is written
        app.deliver_screenshot()
        await pilot.pause()
    assert not list(Path(tmp_path).rglob("*.svg"))
