"""What every console screen shares: the header and footer, failed workers reported in one
place (the app's `report_worker_error`), with a hook for the screen to keep or mark its input,
and the width's breakpoint class (-narrow / -wide) from the start."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar, cast

from textual.binding import Binding
from textual.screen import ModalScreen, Screen
from textual.types import NoActiveAppError
from textual.worker import Worker, WorkerState

from deskapp.textual_compat import translate_bindings
from tickets.i18n import N_, _

if TYPE_CHECKING:  # pragma: no cover
    from typing import Any

    from deskapp.app import DeskApp
    from deskapp.state import CallState

    _Screen = Screen[Any]  # what the mixin is mixed into, for the type checker only
else:
    _Screen = object


class WorkerErrors(_Screen):
    """Worker.StateChanged does not bubble, so each screen forwards its failures to the app."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        translate_bindings(self)  # type: ignore[arg-type]
        if getattr(self, "SUB_TITLE", None):  # a class attribute, marked N_(): shown in the language
            self.sub_title = _(self.SUB_TITLE)  # type: ignore[attr-defined]
        # The breakpoint classes Textual gives a screen on its first Resize, given now from the
        # terminal's size: the screen's widgets are then styled once, not styled and restyled
        # whole before the first frame (a faster start-up; the classes end the same).
        try:
            size = self.app.size
        except NoActiveAppError:
            return
        horizontal = (self.HORIZONTAL_BREAKPOINTS if self.HORIZONTAL_BREAKPOINTS is not None
                      else self.app.HORIZONTAL_BREAKPOINTS) or []
        vertical = (self.VERTICAL_BREAKPOINTS if self.VERTICAL_BREAKPOINTS is not None
                    else self.app.VERTICAL_BREAKPOINTS) or []
        if horizontal or vertical:
            classes = {name: False for _, name in horizontal + vertical}
            for dimension, breakpoints in ((size.width, horizontal), (size.height, vertical)):
                classes.update(dict.fromkeys(self._get_breakpoint_classes(dimension, breakpoints), True))
            self.update_classes(classes, update=False)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            self.desk.report_worker_error(event.worker)
            self.worker_failed(event.worker, event.worker.error)

    def worker_failed(self, worker: Worker, error: BaseException) -> None:
        """Screen-specific reaction (mark fields, re-enable a button); the app has notified."""

    @property
    def desk(self) -> DeskApp:
        return cast("DeskApp", self.app)

    @property
    def call(self) -> CallState | None:
        return self.desk.call


# On every screen and dialog (a modal screen hides the app's own bindings); the app decides
# where it applies (DeskApp.check_action: a free-text field with templates in the config).
TEMPLATE_BINDING = Binding(
    "ctrl+t", "app.template", N_("Template"), id="template",
    tooltip=N_("Insert one of the desk's templates (its config file) into this text field"),
)

# `?` or F1: the sheet of this screen's keys (deskapp.screens.keys); in a text field `?` is typed.
KEYS_BINDING = Binding("question_mark,f1", "app.keys", N_("Keys"), id="keys", show=False,
                       tooltip=N_("The keys of this screen, in the desk's words"))


class DeskScreen(WorkerErrors, Screen[None]):
    BINDINGS = [TEMPLATE_BINDING, KEYS_BINDING]


T = TypeVar("T")


class DeskModal(WorkerErrors, ModalScreen[T]):
    BINDINGS = [TEMPLATE_BINDING, KEYS_BINDING]
