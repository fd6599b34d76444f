"""What every console screen shares: the header and footer, and failed workers reported in one
place (the app's `report_worker_error`), with a hook for the screen to keep or mark its input."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar, cast

from textual.screen import ModalScreen, Screen
from textual.worker import Worker, WorkerState

if TYPE_CHECKING:  # pragma: no cover
    from deskapp.app import DeskApp
    from deskapp.state import CallState


class WorkerErrors:
    """Worker.StateChanged does not bubble, so each screen forwards its failures to the app."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            self.desk.report_worker_error(event.worker)  # type: ignore[attr-defined]
            self.worker_failed(event.worker, event.worker.error)

    def worker_failed(self, worker: Worker, error: BaseException) -> None:
        """Screen-specific reaction (mark fields, re-enable a button); the app has notified."""

    @property
    def desk(self) -> DeskApp:
        return cast("DeskApp", self.app)  # type: ignore[attr-defined]

    @property
    def call(self) -> CallState | None:
        return self.desk.call


class DeskScreen(WorkerErrors, Screen[None]):
    pass


T = TypeVar("T")


class DeskModal(WorkerErrors, ModalScreen[T]):
    pass
