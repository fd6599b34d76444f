"""Closing the terminal (SIGHUP) or `kill -TERM` stops the console the way ctrl+q does: the app
leaves its loop, `App.run` returns, and the command line ends a call still open in the store
(the automatic wrap-up note and its `call.ended` event, end_call_left_open).

Python's default for both signals is to die on the spot, so a call taken when the agent's
terminal window was closed stayed open in the store for ever. The handlers run inside the
app's event loop (asyncio's add_signal_handler), never in the middle of a handler.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
import time
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


# How long the console may take to stop after a hang-up before the process ends anyway.
SHUTDOWN_GRACE_S = 5.0


def _hung_up(app: App, number: int) -> None:
    app.log.warning(f"{signal.Signals(number).name}: leaving the console")
    # The call is ended first, then the app asked to stop: Textual's shutdown after the
    # terminal was closed can stall for good (its driver's close waits on its output thread's
    # queue, seen with py-spy in 1 of about 20 closed terminals under load), and the process
    # must neither linger nor leave the call open.
    end_call_left_open(app)  # type: ignore[arg-type]  # stop_on_hang_up is given the DeskApp
    _end_process_if_stuck(128 + number)
    app.exit(return_code=128 + number)


def _end_process_if_stuck(code: int) -> None:
    """A daemon thread that ends the process with `code` if it is still running after
    SHUTDOWN_GRACE_S (a normal exit ends the thread with it)."""

    def watch() -> None:
        time.sleep(SHUTDOWN_GRACE_S)  # a real deadline for a stalled shutdown, not a test's wait
        os._exit(code)

    threading.Thread(target=watch, name="deskapp-hang-up", daemon=True).start()


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
