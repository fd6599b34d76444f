"""What the console takes from the desk's settings (deskapp.config): time zone, key map, theme
(remembered when chosen), and the log. Kept out of deskapp.app so that the app gains a few
calls, not a section, and light: nothing here loads the ticket core.
"""

from __future__ import annotations

from datetime import UTC
from functools import partial
from typing import TYPE_CHECKING

from deskapp.config import ConfigError, Settings, remember
from deskapp.logs import log_failure, setup_logging
from deskapp.widgets.format import set_desk_zone

if TYPE_CHECKING:  # pragma: no cover
    from textual.app import App
    from textual.worker import Worker

__all__ = ["ConfigError", "apply_settings", "log_worker_failure", "on_mount"]


def apply_settings(app: App, settings: Settings | None) -> None:
    """Before the first frame: every time shown is in the desk's zone (UTC without settings)."""
    set_desk_zone(settings.zone if settings is not None else UTC)


def on_mount(app: App) -> None:
    settings: Settings | None = getattr(app, "settings", None)
    setup_logging()
    if settings is None:
        return
    if settings["keys"]:
        app.set_keymap(settings["keys"])
    theme = settings["theme"]
    if theme in app.available_themes:
        app.theme = theme
    else:
        app.notify(
            f"theme: {theme!r} is not a theme ({settings.items['theme'].source}); "
            f"try one of {', '.join(sorted(app.available_themes)[:6])} ...",
            severity="warning", timeout=10,
        )
    app._remembered_theme = app.theme
    app.theme_changed_signal.subscribe(app, partial(_remember_theme, app))


def _remember_theme(app: App, theme) -> None:
    """A theme chosen in the console (ctrl+p, "Change theme") is the theme of the next start."""
    if theme.name == getattr(app, "_remembered_theme", None):
        return
    app._remembered_theme = theme.name
    app.run_worker(
        partial(remember, theme=theme.name), thread=True, exit_on_error=False, group="state",
        description="remember the chosen theme",
    )


def log_worker_failure(worker: Worker, error: BaseException | None) -> None:
    if error is not None:
        log_failure(f"worker {worker.name or worker.description!s}", error)
