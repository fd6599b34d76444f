"""The early-cancel form's checklist: composed with the form (its items in the first frame, no
"nothing to confirm" box while it mounts), and an item whose words change after it was ticked
(a requested date typed later) is unticked, so the caller confirms the new words."""

from __future__ import annotations

from deskapp_testing import make_app, notifications

from deskapp.widgets.checklist import CheckList
from screen_tour import _form
from screenshots import settle, type_text


def items(app) -> list[tuple[str, bool, str]]:
    checklist = app.screen.query_one("#checklist", CheckList)
    return [(w.key, w.ticked, str(w.text)) for w in checklist._widgets]


async def test_a_ticked_item_whose_words_change_is_unticked(seeded, clock):
    app = make_app(seeded, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await _form(pilot, "o365-support-only", "cancel_early")
        before = items(app)
        assert before
        assert not app.screen.query_one("#checklist .checklist-empty").display
        for _ in before:
            await pilot.press("space", "down")
        await settle(pilot)
        assert all(ticked for _, ticked, _ in items(app))
        assert app.screen.state.confirmed == {key for key, _, _ in before}
        # The requested date is typed after the items were read and ticked (V-1).
        await pilot.press("tab")
        await type_text(pilot, "2026-12-31")
        await settle(pilot)
        after = items(app)
        changed = [key for (key, _, old), (_, _, new) in zip(before, after, strict=True) if old != new]
        assert changed, "the requested date changes no item's words: this test shows nothing"
        for key, ticked, text in after:
            assert ticked == (key not in changed), (key, text)
        assert "2026-12-31" in " ".join(text for key, _, text in after if key in changed)
        assert app.screen.state.confirmed == {key for key, _, _ in before} - set(changed)
        # Filing now is refused until the changed item is confirmed again.
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "Cannot file yet" in str(app.screen.query_one("#form-problems").render())
        assert not notifications(app).count("Filed")


async def test_the_batch_confirmation_says_its_sentence_once(seeded, clock):
    app = make_app(seeded, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await _form(pilot, "cloud-batch-unsubscribe", "unsubscribe_resource")
        await pilot.press("ctrl+a")  # every resource the rules allow (U-1)
        await settle(pilot)
        chosen = app.screen.state.resources
        assert len(chosen) >= 2
        (key, _, text), = items(app)
        assert key == "confirm_unsubscription"
        assert text.count("the caller confirms unsubscribing from") == 1
        assert text.count("for the reason given") == 1
        assert all(ref in text for ref in chosen)  # each resource is named in the one sentence
