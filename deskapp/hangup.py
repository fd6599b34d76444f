"""Closing the terminal (SIGHUP) or `kill -TERM` stops the console the way ctrl+q does: the app
leaves its loop, `App.run` returns, and the command line ends a call still open in the store
(the automatic wrap-up note and its `call.ended` event, deskapp.app.end_call_on_exit).

Python's default for both signals is to die on the spot, so a call taken when the agent's
terminal window was closed stayed open in the store for ever. The handlers run inside the
app's event loop (asyncio's add_signal_handler), never in the middle of a handler.
"""

from __future__ import annotations

import asyncio
import signal
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from textual.app import App

HANG_UPS = (signal.SIGHUP, signal.SIGTERM)


def stop_on_hang_up(app: App) -> None:
    """From the app's loop (its on_mount): SIGHUP and SIGTERM make `app` exit."""
    loop = asyncio.get_running_loop()
    for number in HANG_UPS:
        loop.add_signal_handler(number, _hung_up, app, number)


def _hung_up(app: App, number: int) -> None:
    app.log.warning(f"{signal.Signals(number).name}: leaving the console")
    app.exit(return_code=128 + number)
