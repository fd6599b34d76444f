"""What the console takes from the desk's settings (deskapp.config): time zone, key map, theme
(remembered when chosen), and the log. Kept out of deskapp.app so that the app gains a few
calls, not a section, and light: nothing here loads the ticket core, and deskapp.config
(TOML, time zones, platformdirs) loads when first needed, not before the first frame.
"""

from __future__ import annotations

from datetime import UTC
from functools import partial
from typing import TYPE_CHECKING

from deskapp.logs import log_failure, setup_logging
from deskapp.widgets.format import set_desk_zone
from tickets.i18n import _

if TYPE_CHECKING:  # pragma: no cover
    from textual.app import App
    from textual.widgets import Input
    from textual.worker import Worker

    from deskapp.app import DeskApp
    from deskapp.config import Settings
    from tickets.store.database import Store

__all__ = ["apply_settings", "insert_template", "log_worker_failure", "on_mount", "open_search", "templates_here"]


def apply_settings(app: App, settings: Settings | None, store: Store | None = None,
                   language: str | None = None) -> None:
    """Before the first frame: every time shown, and every day the rules count, is in the
    desk's zone: the settings' (UTC without settings), or a given store's when there are none."""
    from deskapp.language import apply_language

    apply_language(language or (settings.language if settings is not None else "en"))
    if settings is None and store is not None:
        set_desk_zone(store.zone)
        return
    zone = settings.zone if settings is not None else UTC
    set_desk_zone(zone)
    if store is not None:
        store.zone = zone


def on_mount(app: DeskApp) -> None:
    settings: Settings | None = getattr(app, "settings", None)
    # The log file's place comes from deskapp.config; nothing logs before the first frame, and
    # callbacks after it run in order, so the store's opening (scheduled next) logs to it.
    app.call_after_refresh(setup_logging)
    if settings is None:
        return
    if settings["keys"]:
        app.set_keymap(settings["keys"])
    theme = settings["theme"]
    if theme in app.available_themes:
        app.theme = theme
    else:
        app.notify(
            _("theme: {theme!r} is not a theme ({source}); try one of {join} ...").format(
                theme=theme, source=settings.items['theme'].source, join=', '.join(sorted(app.available_themes)[:6])),
            severity="warning", timeout=10,
        )
    app._remembered_theme = app.theme
    app.theme_changed_signal.subscribe(app, partial(_remember_theme, app))


def _remember_theme(app: DeskApp, theme) -> None:
    """A theme chosen in the console (ctrl+p, "Change theme") is the theme of the next start."""
    if theme.name == getattr(app, "_remembered_theme", None):
        return
    app._remembered_theme = theme.name
    from deskapp.config import remember

    app.run_worker(
        partial(remember, theme=theme.name), thread=True, exit_on_error=False, group="state",
        description="remember the chosen theme",
    )


def log_worker_failure(worker: Worker, error: BaseException | None) -> None:
    if error is not None:
        log_failure(f"worker {worker.name or worker.description!s}", error)


def open_search(app: App) -> None:
    """ctrl+f on any screen: the search screen (or back to its box if it is already open)."""
    from deskapp.screens.search import SearchScreen

    if isinstance(app.screen, SearchScreen):
        app.screen.query_one("#search-text").focus()
        return
    app.push_screen(SearchScreen())


# The header's title and call timer: deskapp.header (screens use it without reaching the app).
from deskapp.header import header_title, refresh_title  # noqa: E402,F401

# --- the desk's templates (deskapp.templates): ctrl+t in a free-text field ---------------------


def templates_here(app: App) -> tuple[Input, str, dict[str, str]] | None:
    """The focused free-text field (one that refuses credentials, V-6), its group and the
    desk's templates for it; None where ctrl+t has nothing to insert."""
    from textual.widgets import Input

    from deskapp.templates import group_of
    from deskapp.validators import NoCredential

    settings: Settings | None = getattr(app, "settings", None)
    field = app.focused
    if settings is None or not isinstance(field, Input) or field.disabled:
        return None
    if not any(isinstance(v, NoCredential) for v in field.validators):
        return None
    group = group_of(field.id)
    templates = settings["templates"].get(group)
    return (field, group, templates) if templates else None


def insert_template(app: App) -> None:
    """ctrl+t: one template for the field goes in at once; several are offered to pick from."""
    from deskapp.screens.templates import TemplatePicker
    from deskapp.templates import GROUPS

    here = templates_here(app)
    if here is None:
        return
    field, group, templates = here
    if len(templates) == 1:
        _insert(app, field, next(iter(templates.values())))
        return
    app.push_screen(TemplatePicker(_(GROUPS[group]), templates), callback=partial(_picked, app, field))


def _picked(app: App, field: Input, text: str | None) -> None:
    if text is not None and field.is_attached:
        field.focus()
        _insert(app, field, text)


def _insert(app: App, field: Input, text: str) -> None:
    before = field.value[:field.cursor_position]
    if before and not before.endswith(" "):
        text = " " + text
    if field.max_length and len(field.value) + len(text) > field.max_length:
        app.notify(_("The template does not fit: the field takes at most {count} characters.").format(
                   count=field.max_length),
                   severity="warning")
        return
    field.insert_text_at_cursor(text)


# --- notices for the filing agent (tickets.notices) ------------------------------------------

NOTICE_INTERVAL = 5.0  # seconds between checks: one indexed range read of new audit events


def start_notices(app: DeskApp) -> None:
    """At sign-in: remember where the audit chain ends, then check every few seconds."""
    stop_notices(app)
    app._notice_seq = None
    app._notice_timer = app.set_interval(NOTICE_INTERVAL, partial(check_notices, app), name="notices")
    check_notices(app)


def stop_notices(app: DeskApp) -> None:
    timer = getattr(app, "_notice_timer", None)
    if timer is not None:
        timer.stop()
    app._notice_timer = None


def check_notices(app: DeskApp) -> None:
    agent, store = getattr(app, "agent", None), getattr(app, "store", None)
    if agent is None or store is None:
        return
    app.run_worker(
        partial(_read_notices, app, store, agent, app._notice_seq), thread=True, group="notices",
        exit_on_error=False, description="check for notices",
    )


def _read_notices(app: DeskApp, store, agent, after: int | None) -> None:
    from tickets.errors import StoreUnavailable
    from tickets.notices import awaiting_callback, latest_seq, notices_for

    try:
        if after is None:
            seq, waiting = latest_seq(store), awaiting_callback(store, agent)
            app.call_from_thread(_show_notices, app, agent, [], seq, waiting)
            return
        notices, seq = notices_for(store, agent, after)
    except StoreUnavailable:
        return  # logged by the store; the next check tries again (no toast every few seconds)
    if seq != after:
        app.call_from_thread(_show_notices, app, agent, notices, seq, [])


def _show_notices(app: DeskApp, agent, notices, seq: int, waiting: list[str]) -> None:
    if getattr(app, "agent", None) != agent:
        return  # signed out meanwhile
    seen = app._notice_seq
    if seen is not None and seq <= seen:
        return  # an overlapping check already showed these
    app._notice_seq = seq
    for notice in notices:
        if seen is None or notice.seq > seen:
            app.notify(str(notice), title=_("Your ticket {ticket_ref}").format(
                ticket_ref=notice.ticket_ref), markup=False, timeout=20,
                       severity="information" if notice.what == "approved" else "warning")
    if waiting:
        app.notify(
            _("{count} of your tickets wait for a callback to the number on file before a supervisor can "
              "decide (V-8): {join}{value}").format(
                count=len(waiting), join=', '.join(waiting[:5]), value=' ...' if len(waiting) > 5 else ''),
            title=_("Callback needed"), severity="warning", markup=False, timeout=20,
        )


# --- what a key map can name (for `deskapp config`) -------------------------------------------


def binding_ids() -> dict[str, tuple[str, str, list[str]]]:
    """Every binding id of the console: id -> (default keys, description, screens that have it)."""
    import importlib
    import pkgutil

    from textual.binding import Binding
    from textual.dom import DOMNode

    import deskapp.screens
    from deskapp.app import DeskApp

    classes: list[type[DOMNode]] = [DeskApp]
    for info in pkgutil.iter_modules(deskapp.screens.__path__):
        module = importlib.import_module(f"deskapp.screens.{info.name}")
        classes += [
            obj for obj in vars(module).values()
            if isinstance(obj, type) and issubclass(obj, DOMNode) and obj.__module__ == module.__name__
            and "BINDINGS" in vars(obj)
        ]
    ids: dict[str, tuple[str, str, list[str]]] = {}
    for cls in classes:
        for binding in cls.BINDINGS:
            if isinstance(binding, Binding) and binding.id:
                keys, description, owners = ids.setdefault(binding.id, (binding.key, binding.description, []))
                owners.append(cls.__name__)
    return dict(sorted(ids.items()))
