"""Closing the terminal (SIGHUP) or `kill -TERM` stops the console the way ctrl+q does: the app
leaves its loop, `App.run` returns, and the command line ends a call still open in the store
(the automatic wrap-up note and its `call.ended` event, end_call_left_open).

Python's default for both signals is to die on the spot, so a call taken when the agent's
terminal window was closed stayed open in the store for ever. The handlers run inside the
app's event loop (asyncio's add_signal_handler), never in the middle of a handler.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from typing import TYPE_CHECKING

from tickets.i18n import _

if TYPE_CHECKING:  # pragma: no cover
    from textual.app import App

    from deskapp.app import DeskApp

HANG_UPS = (signal.SIGHUP, signal.SIGTERM)


def stop_on_hang_up(app: App) -> None:
    """From the app's loop (its on_mount): SIGHUP and SIGTERM make `app` exit."""
    loop = asyncio.get_running_loop()
    for number in HANG_UPS:
        loop.add_signal_handler(number, _hung_up, app, number)


def _hung_up(app: App, number: int) -> None:
    app.log.warning(f"{signal.Signals(number).name}: leaving the console")
    app.exit(return_code=128 + number)


def end_call_left_open(app: DeskApp) -> None:
    """After the console has stopped (the terminal closed, a signal): a call still open is
    ended in the store with the automatic wrap-up note and its audit event."""
    from deskapp.app import AUTO_WRAP_UP
    from tickets.verification import end_call

    call, store, agent = app.call, app.store, app.agent
    if call is None or call.call_id is None or store is None or agent is None:
        return
    try:
        end_call(store, agent, call.call_id, AUTO_WRAP_UP)
    except Exception as error:  # the database is gone too: say so in one line
        print(_("deskapp: call {call_id} could not be ended: {__name__}").format(
                  call_id=call.call_id, __name__=type(error).__name__), file=sys.stderr)
    app.call = None
