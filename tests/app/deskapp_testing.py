"""Helpers for the app and snapshot tests: a seeded database template and the app factory.

The drivers that press keys live in deskapp.screenshots (shared with the screenshot script).
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import testkit
from tickets.clock import FixedClock
from tickets.store import Store


class SeededTemplate:
    """One migrated database seeded with the demo directory (dated relative to testkit.T0),
    copied for each test."""

    def __init__(self, directory: Path) -> None:
        from tickets.demo import seed_demo

        self.path = directory / "seeded.db"
        store = testkit.make_store(f"sqlite:///{self.path}", FixedClock(testkit.T0))
        from tickets.schema import upgrade

        upgrade(store.engine)
        seed_demo(store, now=testkit.T0)
        with store.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        store.dispose()

    def store(self, directory: Path, clock: FixedClock) -> Store:
        target = directory / f"desk-{uuid.uuid4().hex[:8]}.db"
        shutil.copyfile(self.path, target)
        return testkit.make_store(f"sqlite:///{target}", clock)


def make_app(store: Store, clock: FixedClock):
    from deskapp.app import DeskApp

    return DeskApp(store=store, clock=clock)


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


def notifications(app) -> str:
    return "\n".join(f"{n.title}: {n.message}" for n in app._notifications)


def tickets_of(store, agent_id: int):
    from tickets.queries import list_tickets

    return list_tickets(store, filed_by_id=agent_id).rows
