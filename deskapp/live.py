"""Live screens: the review queue and the dashboard read themselves again when the database
changes, without a key pressed (a ticket that needs review is in every open
supervisor queue within 2 s).

Each open screen opens a tickets.store.changes feed (LISTEN on PostgreSQL, PRAGMA data_version on
SQLite) in a short worker, then a timer asks it, without waiting, whether anything changed;
on a change the screen reloads in its own workers as if `r` were pressed. The timer and the
feed end with the screen.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:  # pragma: no cover
    from deskapp.screens.base import DeskScreen
    from tickets.store.changes import ChangeFeed
    from tickets.store.queries import TicketPage

    _Screen = DeskScreen  # what the mixin is mixed into, for the type checker only
else:
    _Screen = object

POLL_S = 0.25  # a change shows within this, plus the reload
_own_writes_lock = threading.Lock()


class DataChanged(Message):
    """Someone committed a change a live screen shows."""


class LiveScreen(_Screen):
    """Mixin for a DeskScreen: `self.watch_changes(reload)` in on_mount."""

    _on_change: Callable[[], object] | None = None
    _feed: ChangeFeed | None = None
    _token = 0
    live_pending = False  # the reload under way was started by a change, not by a key
    _own_writes = 0  # writes of this console's own under way (own_write)

    def watch_changes(self, reload: Callable[[], object]) -> None:
        self._on_change = reload
        # Only the connect runs in a worker, and ends: a worker left running for the life of
        # the screen held up the review queue's decision keys (its @work actions).
        self.app.run_worker(self._open_feed, thread=True, group="live", exit_on_error=False)

    def _open_feed(self) -> None:
        from tickets.store.changes import feed_for

        try:
            feed = feed_for(self.desk.store)
            token = feed.token()
        except Exception as error:  # noqa: BLE001 - no live refresh; `r` still works
            self.log.warning(f"live refresh off: {type(error).__name__}: {error}")
            return
        try:
            self.app.call_from_thread(self._start_polling, feed, token)
        except Exception:  # noqa: BLE001 - the app is closing
            feed.close()

    def _start_polling(self, feed: ChangeFeed, token: int) -> None:
        if not self.is_attached:
            feed.close()
            return
        self._feed, self._token = feed, token
        self.set_interval(POLL_S, self._poll)

    def _poll(self) -> None:
        """Non-blocking: data_version is read from a local file, notifications from a socket
        buffer; neither waits."""
        if self._feed is None or self._own_writes:
            return
        try:
            now = self._feed.wait(self._token, timeout=0)
        except Exception as error:  # noqa: BLE001 - the database went away: `r` says why
            self.log.warning(f"live refresh stopped: {type(error).__name__}: {error}")
            self._close_feed()
            return
        if now != self._token:
            self._token = now
            self.post_message(DataChanged())

    @contextmanager
    def own_write(self) -> Iterator[None]:
        """Around a write (in a worker) that nothing on this screen shows: which ticket a
        supervisor has open (tickets.viewers). On SQLite every commit wakes the feed, this
        console's own included, and the screen would read everything again for it; so the feed
        is not looked at during the write, and its token after the write counts as seen. (On
        PostgreSQL that table sends no NOTIFY: migration 0006 watches the desk's own tables.) A
        change someone else commits in those few milliseconds shows with the next one, or `r`."""
        from tickets.store.changes import SqliteChangeFeed

        with _own_writes_lock:
            self._own_writes += 1
        try:
            yield
        finally:
            feed = self._feed
            try:
                if isinstance(feed, SqliteChangeFeed):
                    self._token = feed.token()
            finally:
                with _own_writes_lock:
                    self._own_writes -= 1

    def _close_feed(self) -> None:
        feed, self._feed = self._feed, None
        if feed is not None:
            feed.close()

    def on_unmount(self) -> None:
        self._close_feed()

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
