"""The header: who is signed in; during a call, how long it has run and who was verified.

Its own module, importing nothing of the console, so that a screen sets the title without
importing deskapp.desk (which opens other screens)."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from tickets.i18n import _

if TYPE_CHECKING:
    from textual.app import App

CALL_TICK_SECONDS = 1.0


def header_title(app: App) -> str:
    from deskapp.widgets.format import desk_zone
    from tickets.desk_time import zone_key

    agent, call = getattr(app, "agent", None), getattr(app, "call", None)
    if agent is None:
        return "deskapp"
    # The desk's time zone once, here: every time on every screen is in it.
    zone = zone_key(desk_zone())
    if call is None or call.started_at is None:
        return f"deskapp · {agent.display_name} ({agent.name}, {agent.role.label}) · {zone}"
    seconds = max(0, int((app.now() - call.started_at).total_seconds()))  # type: ignore[attr-defined]
    hours, rest = divmod(seconds, 3600)
    elapsed = f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60:02d}:{rest % 60:02d}"
    # Short at 80 columns: the sign-in name, the call's time, the verified caller, the screen.
    title = _("{name} · call {elapsed}").format(name=agent.name, elapsed=elapsed)
    if call.account is not None:
        title += _(" · {caller} (verified)").format(caller=call.account.caller.name)
    return f"{title} · {zone}"


def refresh_title(app: App) -> None:
    """Set the header's title from the agent and the call (every second while a call is open)."""
    title = header_title(app)
    if app.title != title:
        app.title = title
    timer = getattr(app, "_call_timer", None)
    call = getattr(app, "call", None)
    if call is not None and timer is None:
        ticking = app.set_interval(CALL_TICK_SECONDS, partial(refresh_title, app), name="call-timer")
        app._call_timer = ticking  # type: ignore[attr-defined]
    elif call is None and timer is not None:
        timer.stop()
        app._call_timer = None  # type: ignore[attr-defined]
