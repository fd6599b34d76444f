"""At 80x24 (the narrow layout: the queue above, the ticket below) the review's outcome lines
wrap inside the screen: the approval's deletion date and the callback sentence's full stop were
cut at column 80, because the detail pane kept the wide layout's `2fr` width, which in a
vertical layout is twice the screen's width."""

from __future__ import annotations

from deskapp_testing import make_app, rendered_text, wait_until
from test_supervisor_review import demo, file_expedited, open_ticket, sign_in_and_open_review, store  # noqa: F401

SMALL = (80, 24)


def flat(text: str) -> str:
    """The screen's text with its line breaks and hanging indents taken out."""
    return " ".join(text.split())


async def test_outcome_lines_wrap_at_80x24(store, clock, demo):  # noqa: F811
    ticket_id = file_expedited(store, demo["ada"], callback=False)
    app = make_app(store, clock)
    async with app.run_test(size=SMALL) as pilot:
        await sign_in_and_open_review(pilot, "linus")
        await open_ticket(pilot, ticket_id)
        detail = app.screen.query_one("#review-detail")
        assert detail.region.right <= SMALL[0], detail.region
        await pilot.press("c", "enter")
        callback = "V-8: callback recorded at 2026-11-22 12:00 UTC; the ticket can now be approved."
        await wait_until(pilot, lambda: callback in flat(rendered_text(app)), what="the whole callback sentence")
        await pilot.press("a", "y")
        approved = "TK-000001 approved at 2026-11-22 12:00 UTC. All its data is deleted on 2026-11-25 (X-1, X-2)."
        await wait_until(pilot, lambda: approved in flat(rendered_text(app)), what="the whole approval sentence")
        outcome = app.screen.query_one("#review-outcome")
        assert outcome.region.right <= SMALL[0] and outcome.region.height >= 2, outcome.region
