"""Live screens: the review queue and the dashboard read themselves again when the database
changes, without a key pressed (issue 14: a ticket that needs review is in every open
supervisor queue within 2 s).

A thread worker per open screen waits on tickets.changes (LISTEN on PostgreSQL, PRAGMA
data_version on SQLite) and posts `DataChanged` to its screen; the screen reloads in its own
workers as if `r` were pressed. The worker ends with its screen (Textual cancels a screen's
workers when it is removed) within one wait.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from textual.message import Message
from textual.worker import get_current_worker

if TYPE_CHECKING:  # pragma: no cover
    from tickets.queries import TicketPage

WAIT_S = 0.5  # the longest a closed screen's watcher lingers


class DataChanged(Message):
    """Someone committed a change a live screen shows."""


class LiveScreen:
    """Mixin for a DeskScreen: `self.watch_changes(reload)` in on_mount."""

    _on_change: Callable[[], object] | None = None
    live_pending = False  # the reload under way was started by a change, not by a key

    def watch_changes(self, reload: Callable[[], object]) -> None:
        self._on_change = reload
        self.run_worker(self._watch, thread=True, exclusive=True, group="live", exit_on_error=False)  # type: ignore[attr-defined]

    def _watch(self) -> None:
        from tickets.changes import feed_for

        worker = get_current_worker()
        store = self.desk.store  # type: ignore[attr-defined]
        try:
            feed = feed_for(store)
        except Exception as error:  # noqa: BLE001 - no live refresh; `r` still works
            self.log.warning(f"live refresh off: {type(error).__name__}: {error}")  # type: ignore[attr-defined]
            return
        try:
            token = feed.token()
            while not worker.is_cancelled:
                now = feed.wait(token, timeout=WAIT_S)
                if now != token and not worker.is_cancelled:
                    token = now
                    self.post_message(DataChanged())  # type: ignore[attr-defined]
        except Exception as error:  # noqa: BLE001 - the database went away: `r` says why
            self.log.warning(f"live refresh stopped: {type(error).__name__}: {error}")  # type: ignore[attr-defined]
        finally:
            feed.close()

    def on_data_changed(self, message: DataChanged) -> None:
        message.stop()
        if self._on_change is not None:
            self.live_pending = True
            self._on_change()


def keep_in_view(page: TicketPage, previous: TicketPage | None, ticket_id: int | None) -> TicketPage:
    """`page` with the ticket being looked at kept in its place, when a live reload (someone's
    decision, perhaps this supervisor's own) has just taken it out of the queue: the reviewer
    still sees the outcome, and new tickets appear around it."""
    if ticket_id is None or previous is None or any(r.id == ticket_id for r in page.rows):
        return page
    kept = [r for r in previous.rows if r.id == ticket_id]
    return replace(page, rows=tuple(sorted([*page.rows, *kept], key=lambda r: (r.created_at, r.id))))
