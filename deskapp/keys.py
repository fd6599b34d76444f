"""Type-ahead that never loses or misroutes a key: every key waits until the console has settled
from the one before it, then goes where it would have gone had it been typed after a pause.

Why this is needed (Textual 8.2.8, app.py `App.on_event`): the app forwards each key to the
widget focused *when the key is taken off the app's queue*. A burst (`ada` Tab `1111`) is taken
off in one go, so `1111` is already queued on the name field when the Tab, bubbling up to the
screen's `focus_next` binding, moves the focus: it lands in the name field. The same happens
across `widget.focus()` (deferred with `call_later`), screen pushes and switches (the new
screen composes and mounts in its own task) and workers whose result moves the focus or the
screen (search, verification, sign-in, filing).

The mechanism: the app takes every key and paste off its queue into `TypeAhead`, which hands
the next one on only when the console has settled:
- no message pump on the current screen (the app, the screen, every widget) has a message
  queued or being handled, no pending `call_next`/`call_after_refresh` callback, every widget
  mounted;
- no thread worker (a database call) is running, except groups that never decide where keys
  go (`BACKGROUND_GROUPS`), nor an async worker of the current screen (see `_worker_running`);
- the screen does not say the key must wait (`key_must_wait`, e.g. Enter on the PIN while the
  database is still opening).
While keys wait, the queue polls every few milliseconds; a key typed into a settled console is
handed on at once, so typing one key at a time costs nothing.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import TYPE_CHECKING

from textual import events
from textual.message_pump import MessagePump
from textual.widgets import Footer
from textual.worker import WorkerState

from deskapp.textual_compat import (
    ToastRack,
    handling_count,
    is_thread_worker,
    pending_callbacks,
    queued_messages,
    screen_callback_senders,
)

if TYPE_CHECKING:  # pragma: no cover
    from textual.app import App

# Workers that run beside the agent's typing and never move the focus or the screen: the
# database opening (sign-in waits for it only where it must, see SignInScreen.key_must_wait),
# the live queues' change watcher (deskapp.live: runs as long as its screen shows), the notice
# check and remembering the theme (deskapp.desk), and the review queue's read of the highlighted
# ticket (its screen holds the keys that act on the ticket until it is read: key_must_wait)
# and the note of which ticket a supervisor has open (tickets.viewers). Waiting for any of them
# would hold every key.
BACKGROUND_GROUPS = frozenset({"store", "live", "notices", "state", "review-detail", "presence"})
POLL_SECONDS = 0.001
SLOW_POLL_SECONDS = 0.01  # waiting for a worker or the database: nothing moves for a while
RUNNING = (WorkerState.PENDING, WorkerState.RUNNING)
# Widgets that only show things: their redraws (the footer recomposes on every focus move)
# never decide where a key goes, so keys do not wait for them.
IGNORED = (Footer, ToastRack)

TypedEvent = events.Key | events.Paste


class TypeAhead:
    """The app's queue of typed keys and pastes, handed on one at a time once settled."""

    def __init__(self, app: App, dispatch) -> None:
        self.app = app
        self._dispatch = dispatch  # coroutine function: the app's own handling of one event
        self.pending: deque[TypedEvent] = deque()
        self._polling = False
        self.handed_on = 0

    def __len__(self) -> int:
        return len(self.pending)

    async def take(self, event: TypedEvent) -> None:
        """Called by the app for every key and paste from the terminal, in arrival order."""
        if isinstance(event, events.Key) and event.key == "ctrl+j":
            # Enter typed before Textual put the terminal in raw mode arrives as a line feed
            # (the tty's ICRNL); no console key is bound to ctrl+j.
            event = events.Key("enter", "\r")
        self.pending.append(event)
        if not self._polling:  # a look is already on its way: it keeps the order
            await self._hand_on()

    async def _poll(self) -> None:
        self._polling = False
        await self._hand_on()

    async def _hand_on(self) -> None:
        """Hand on the next waiting key if the console has settled; else look again shortly."""
        waiting_for = self.waiting_for(self.pending[0]) if self.pending else None
        if self.pending and waiting_for is None:
            event = self.pending.popleft()
            self.handed_on += 1
            await self._dispatch(event)
        if self.pending and not self._polling:
            self._polling = True
            # Not a Textual timer: its callback runs in the timer's own task, and a timer nobody
            # holds may be collected. The loop holds this handle; the look itself is posted to
            # the app, so keys are always handed on from the app's message loop.
            delay = SLOW_POLL_SECONDS if waiting_for in ("worker", "screen") else POLL_SECONDS
            asyncio.get_running_loop().call_later(delay, self.app.call_later, self._poll)

    # --- is the console settled? ------------------------------------------------------------

    def waiting_for(self, event: TypedEvent) -> str | None:
        """Why `event` cannot be handed on yet ("messages", "worker", "screen"), or None."""
        app = self.app
        # The app is handling one message now (a key or a look): any other being handled, or
        # anything queued, means the console is still busy with an earlier key.
        if handling_count() > 1 or _busy(app):
            return "messages"
        try:
            screen = app.screen
        except Exception:  # no screen yet (start-up)
            return "messages"
        if not screen.is_mounted or _busy(screen):
            return "messages"
        if any(not isinstance(sender, IGNORED) for sender in screen_callback_senders(screen)):
            return "messages"
        if _unsettled(screen):
            return "messages"
        if self._worker_running():
            return "worker"
        gate = getattr(screen, "key_must_wait", None)
        if gate is not None and gate(event):
            return "screen"
        return None

    def _worker_running(self) -> bool:
        """A thread worker (a database call) runs, or an async worker of the current screen
        does (the command palette's search; a form's confirm step before its dialog is up). An
        async worker whose dialog is on top (push_screen_wait) is not waited for: the dialog
        needs the very keys that would wait."""
        screen = self.app.screen
        for worker in self.app.workers:
            if worker.state not in RUNNING or worker.group in BACKGROUND_GROUPS:
                continue
            if is_thread_worker(worker) or _screen_of(worker.node) is screen:
                return True
        return False


def _screen_of(node) -> object:
    try:
        return node.screen
    except Exception:  # the app, or a node no longer on a screen
        return None


def _busy(pump: MessagePump) -> bool:
    """Messages waiting on `pump`, or callbacks it will run next."""
    return bool(queued_messages(pump) or pending_callbacks(pump))


def _unsettled(screen) -> bool:
    """A widget of the screen not mounted yet, or one with messages waiting. Widgets that only
    show things (IGNORED) and their parts must be mounted too (a title set before the header
    has composed fails), but their redraws are not waited for."""
    stack = [(node, False) for node in reversed(screen.children)]
    while stack:
        node, shown_only = stack.pop()
        shown_only = shown_only or isinstance(node, IGNORED)
        if not node.is_mounted or (not shown_only and _busy(node)):
            return True
        stack.extend((child, shown_only) for child in reversed(node.children))
    return False
