"""Helpers for the app tests, in one place: building the console, waiting for it, reading
what it shows. The drivers that press keys live in tools/screenshots.py (shared with the
screenshot script); the demo store comes from tests/conftest.py (`seeded` in tests/app/conftest.py).
"""

from __future__ import annotations

import asyncio

# The console is built as the command line builds it: make_app(store, clock, ...).
from deskapp.factory import make_app
from identity import Address, CallerClaim
from screenshots import demo_caller
from tickets.demo import DEMO_AGENTS

__all__ = [
    "DEMO_PINS", "demo_claim", "landed_on", "make_app", "notifications", "rendered_text", "screen_text", "sign_in_as",
    "text_of", "tickets_of", "wait_until",
]

DEMO_PINS = {name: pin for name, _display, _role, pin in DEMO_AGENTS}


# --- waiting ---------------------------------------------------------------------------------


async def wait_until(pilot, condition, what: str = "", timeout: float = 15.0) -> None:
    """Let workers (threads) and messages run until `condition()` holds; bounded, and a timeout
    says what was awaited and what the screen showed."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            awaited = what or getattr(condition, "__name__", "the condition")
            raise AssertionError(f"timed out after {timeout} s waiting for {awaited}; "
                                 f"the screen shows:\n{rendered_text(pilot.app)}")
        await pilot.pause(0.02)


def landed_on(app, screen_type: type | str) -> bool:
    """The console shows a screen of this type (or type name) and has mounted it (its on_mount
    has run). `app.screen` is the new screen as soon as it is pushed or switched to, before it
    has composed: a test that ends there shuts the app down under the screen's mount, and its
    on_mount then finds its widgets gone (NoMatches at shutdown)."""
    screen = app.screen
    name = screen_type if isinstance(screen_type, str) else screen_type.__name__
    return type(screen).__name__ == name and screen.is_mounted


async def sign_in_as(pilot, name: str, *, lands_on: str = "HomeScreen") -> None:
    """Sign in as the demo agent `name` (its demo PIN) once the store is open, and wait for the
    screen the console lands on."""
    app = pilot.app
    await wait_until(pilot, lambda: app.store is not None and app.screen.query("#agent_name"), what="the sign-in form")
    await pilot.press(*name, "enter", *DEMO_PINS[name], "enter")
    await wait_until(pilot, lambda: app.agent is not None and landed_on(app, lands_on), what=lands_on)


# --- the demo's callers ----------------------------------------------------------------------


def demo_claim(key: str, **changes) -> CallerClaim:
    """What the demo caller `key` (tickets.demo.DEMO_CALLERS) says, with `changes` (a wrong
    answer, say)."""
    script = demo_caller(key)
    values = dict(
        user_id=script["user_id"], phone=script["phone"], contact_first_name=script["contact_first_name"],
        contact_last_name=script["contact_last_name"], org_name=script["org_name"], org_url=script["url"] or "",
        address=Address(tuple(script["street_lines"]), script["city"], script["region"], script["postal_code"],
                        script["country"]),
    )
    return CallerClaim(**{**values, **changes})


# --- reading what the screen shows ----------------------------------------------------------


def widget_text(widget) -> str:
    """The text a widget shows: Static/Label content, an Input's value, OptionList prompts,
    DataTable cells."""
    from textual.widgets import DataTable, Input, OptionList, Static

    from deskapp.widgets.fit_table import FitTable

    if isinstance(widget, Input):
        return widget.value
    if isinstance(widget, OptionList):
        return "\n".join(str(widget.get_option_at_index(i).prompt) for i in range(widget.option_count))
    if isinstance(widget, FitTable):  # the full text of each row (cells shown may end in …)
        return "\n".join(" | ".join(cells) for _, cells in widget.full_rows)
    if isinstance(widget, DataTable):
        return "\n".join(" | ".join(str(c) for c in widget.get_row_at(i)) for i in range(widget.row_count))
    if isinstance(widget, Static):
        return str(widget.render())
    return ""


def screen_text(app, selector: str = "*") -> str:
    """Everything the active screen shows (for `in` assertions)."""
    screen = app.screen
    widgets = list(screen.query(selector))
    return "\n".join(t for t in (widget_text(w) for w in widgets) if t)


def text_of(app, selector: str | None = None) -> str:
    """The text of the widget `selector` names, or of every visible Static on the screen, its
    white space collapsed to single spaces (wrapping does not split a phrase)."""
    from textual.widgets import Static

    widgets = [app.screen.query_one(selector)] if selector else [w for w in app.screen.query(Static) if w.display]
    return " ".join(" ".join(str(w.visual).split()) for w in widgets)


def rendered_text(app) -> str:
    """What the terminal shows now, line by line, as plain text."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def notifications(app) -> str:
    return "\n".join(f"{n.title}: {n.message}" for n in app._notifications)


def tickets_of(store, agent_id: int):
    from tickets.store.queries import list_tickets

    return list_tickets(store, filed_by_id=agent_id).rows
