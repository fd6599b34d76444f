"""The one way to build the console, shared by the command line, the screenshot script, the
tests, the drills and the bench (style.md: one factory, like posting's `make_posting()`).

    make_app(settings=settings, demo=demo, start=start)   # the command line (deskapp.config)
    make_app(store, clock)                            # tests, screenshots: a migrated store

Whatever the console needs at construction (the store, the clock, where to start, an agent
already signed in) comes in here, so a new dependency is added in one place. Kept light:
Textual loads when an app is built, not when this module is imported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from deskapp.app import DeskApp
    from deskapp.config import Settings
    from tickets.agents import AgentInfo
    from tickets.clock import Clock
    from tickets.store.database import Store


def make_app(
    store: Store | None = None,
    clock: Clock | None = None,
    *,
    store_url: str | None = None,
    demo: bool = False,
    start: str | None = None,
    agent: AgentInfo | None = None,
    settings: Settings | None = None,
    language: str | None = None,
) -> DeskApp:
    """The console on `store` (its clock unless `clock` is given), or on the database at
    `store_url` (a fresh demo database with `demo`), opened after the first screen is drawn.
    `start="review"` opens at the review queue; `agent` starts signed in; `settings` are the
    desk's settings (deskapp.config) the command line resolved; `language` ("en", "zh-CN")
    overrides the settings' language (tests, screenshots)."""
    from deskapp.app import DeskApp

    if store is not None and (store_url is not None or demo):
        raise ValueError("make_app takes a store, or a store_url / demo to open, not both")
    return DeskApp(
        store=store, clock=clock, store_url=store_url, demo=demo, start=start, agent=agent, settings=settings,
        language=language,
    )
