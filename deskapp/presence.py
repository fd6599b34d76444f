"""Which ticket a supervisor has open in the review queue, kept in the desk's database for the
other supervisors' consoles (tickets.viewers): a mixin for the review queue screen (with
deskapp.live.LiveScreen, whose `own_write` keeps these writes from waking this console).

Only opening another ticket writes; reading the same ticket again (a reload, someone's change)
only reads, so two consoles never wake each other for ever. While a ticket stays open its row
is touched every TOUCH_EVERY; leaving the screen deletes it, in a worker of the app's, which
outlives the screen.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

TOUCH_EVERY = timedelta(seconds=30)  # as tickets.viewers.TOUCH_EVERY (not imported at start-up)


class TicketPresence:
    """Mixin: `watch_presence()` on mount, `opening(ticket_id)` before reading a ticket."""

    _viewing: int | None = None  # the ticket this supervisor has open

    def watch_presence(self) -> None:
        self.set_interval(TOUCH_EVERY.total_seconds(), self._still_viewing)  # type: ignore[attr-defined]

    def opening(self, ticket_id: int) -> bool:
        """Whether reading `ticket_id` opens it (a ticket other than the one open): the read
        then writes who has it open (tickets.viewers.open_ticket) instead of only reading."""
        if ticket_id == self._viewing:
            return False
        self._viewing = ticket_id
        return True

    def on_unmount(self) -> None:
        self._presence(None)  # left the queue: nobody is told this supervisor has a ticket open

    def _still_viewing(self) -> None:
        if self._viewing is not None:
            self._presence(self._viewing)

    def _presence(self, ticket_id: int | None) -> None:
        from tickets.viewers import leave, open_ticket

        me: Any = self
        store, agent = me.desk.store, me.agent
        if store is None or agent is None:
            return

        def work() -> None:
            with me.own_write():
                if ticket_id is None:
                    leave(store, agent)
                else:
                    open_ticket(store, agent, ticket_id)

        me.app.run_worker(work, thread=True, group="presence", exit_on_error=False)
