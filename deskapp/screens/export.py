"""Export tickets to CSV or JSON Lines (E-1 .. E-3): masked by default, unmasked only for a
supervisor (and asked twice), streamed by tickets.export.run.write_export in a worker while a
progress bar counts, written to a temporary file that replaces the target only on success.

Keys: ctrl+s export, escape back. Tab moves between the fields.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.validation import ValidationResult, Validator
from textual.widgets import Button, Checkbox, Input, Label, ProgressBar, Select, Static
from textual.worker import Worker

from deskapp.messages import ExportFinished, ExportProgress, ExportStarted
from deskapp.paths import default_export_dir
from deskapp.screens.confirm import ConfirmScreen
from deskapp.screens.supervisor import SupervisorScreen
from deskapp.widgets.field import LabeledInput
from deskapp.widgets.format import BAD, MUTED, OK, WARN, desk_zone, error_text
from tickets.i18n import N_, _

if TYPE_CHECKING:  # pragma: no cover
    from tickets.export.fields import Format

FORMATS = ((N_("CSV (spreadsheets)"), "csv"), (N_("JSON Lines"), "jsonl"))


WHEN_HINT = N_("a date (2026-11-01) or date and time (2026-11-01 08:30), desk time")


class WhenFormat(Validator):
    """An ISO date (start of that day at the desk) or date-time (desk time), as
    tickets.dates.parse_when reads it with the desk's zone."""

    def validate(self, value: str) -> ValidationResult:
        if not value.strip():
            return self.success()
        from tickets.dates import parse_when
        from tickets.errors import InvalidInput

        try:
            parse_when(value, option="date", zone=desk_zone())
        except InvalidInput:
            return self.failure(_(WHEN_HINT), value)
        return self.success()


@dataclass(frozen=True)
class ExportRequest:
    fmt: Format
    masked: bool
    since: datetime | None
    until: datetime | None
    kinds: tuple[str, ...]
    statuses: tuple[str, ...]
    path: Path


def default_path(fmt: str, now: datetime, directory: Path | None = None) -> str:
    """In the desk's export_dir (deskapp.config), else deskapp.paths.default_export_dir():
    never the current directory."""
    path = (directory or default_export_dir()) / f"deskapp-tickets-{now:%Y%m%d-%H%M}.{fmt}"
    home = Path.home()
    # Shorter to read (and the same file: the path is expanded when the export runs).
    return f"~/{path.relative_to(home)}" if path.is_relative_to(home) else str(path)


class ExportScreen(SupervisorScreen):
    """Choose the format, masking and filters, and where to write; watch it stream.

    Opened from the supervisors' keys; an agent who reaches it may export masked only (E-1)."""

    SCREEN_NAME = N_("Export")
    REFUSED = (N_("Exports are for supervisors only"), "E-1", N_("Sign in first."))

    BINDINGS = [
        Binding(
            "ctrl+s", "export", N_("Export"), id="export.run", tooltip=N_("Write the export (E-1: masked unless "
                                                                      "switched)")
        ),
        Binding("escape", "close", N_("Back"), id="export.close", tooltip=N_("Leave the export")),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.running = False
        self.result: tuple[int, ExportRequest] | None = None

    @property
    def allowed(self) -> bool:
        return self.agent is not None  # masked for agents; unmasked only for supervisors (E-1)

    @property
    def supervisor(self) -> bool:
        return self.agent is not None and self.agent.is_supervisor

    def _export_dir(self) -> Path | None:
        settings = getattr(self.app, "settings", None)
        return settings.export_dir if settings is not None and settings["export_dir"] else None

    def compose_allowed(self) -> ComposeResult:
        from tickets.enums import TicketKind, TicketStatus

        with VerticalScroll(id="export"):
            yield Static(_("Export tickets (E-1, E-2, E-3)"), id="export-title")
            yield Static(
                _("One record per ticket, oldest first. Personal data is masked unless a supervisor switches "
                  "it off; every export is recorded in the audit trail with its filters and row count."),
                id="export-help",
            )
            with Horizontal(classes="export-row"):
                yield Label(_("Format"))
                yield Select([(_(name), value) for name, value in FORMATS], value="csv", allow_blank=False,
                             id="export-format", compact=True)
            with Horizontal(classes="export-row"):
                yield Label(_("Personal data"))
                yield Checkbox(_("unmasked"), value=False, id="export-unmasked", disabled=not self.supervisor,
                               compact=True)
                yield Static("", id="export-masking")
            yield LabeledInput(_("Created since"), input_id="export-since", placeholder=_("e.g. 2026-11-01 (optional)"),
                               validators=[WhenFormat()])
            yield LabeledInput(_("Created before"), input_id="export-until",
                               placeholder=_("e.g. 2026-12-01, not included (optional)"), validators=[WhenFormat()])
            with Horizontal(classes="export-row"):
                yield Label(_("Kind"))
                yield Select([(k.label, k.value) for k in TicketKind], prompt=_("all kinds"), id="export-kind",
                             compact=True)
            with Horizontal(classes="export-row"):
                yield Label(_("Status"))
                yield Select([(s.label, s.value) for s in TicketStatus], prompt=_("all statuses"),
                             id="export-status", compact=True)
            yield LabeledInput(_("Write to file"), input_id="export-path", required=True)
            yield Button(_("Export (ctrl+s)"), id="export-run", variant="primary", compact=True)
            yield ProgressBar(id="export-progress", show_eta=False)
            yield Static("", id="export-result")

    def mount_allowed(self) -> None:
        path = self.query_one("#export-path", Input)
        path.value = default_path("csv", self.now(), self._export_dir())
        path.cursor_position = len(path.value)  # the file name shows, not only the folder
        self._show_masking()
        self.query_one("#export-format", Select).focus()

    # -- the form ----------------------------------------------------------------------------

    @on(Checkbox.Changed, "#export-unmasked")
    def _show_masking(self) -> None:
        unmasked = self.query_one("#export-unmasked", Checkbox).value
        masking = self.query_one("#export-masking", Static)
        if unmasked:
            masking.update(_("UNMASKED: names, sign-in IDs and phone numbers in full"))
        elif self.supervisor:
            masking.update(_("masked (E-1): ***0958, a***@example.com, A. S."))
        else:
            masking.update(_("masked (E-1); only supervisors may export unmasked"))
        masking.set_class(unmasked, "-unmasked")

    @on(Select.Changed, "#export-format")
    def _format_changed(self, event: Select.Changed) -> None:
        field = self.query_one("#export-path", Input)
        path = Path(field.value)
        if path.suffix in (".csv", ".jsonl") and event.value in ("csv", "jsonl"):
            field.value = str(path.with_suffix(f".{event.value}"))

    def _request(self) -> ExportRequest | None:
        """The form as a request, or None with every problem shown at its field."""
        from tickets.dates import parse_when
        from tickets.errors import InvalidInput

        ok = True
        when: dict[str, datetime | None] = {}
        for name in ("since", "until"):
            field = self.query_one(f"#field-export-{name}", LabeledInput)
            text = field.value.strip()
            when[name] = None
            if text:
                try:
                    when[name] = parse_when(text, option=name, zone=desk_zone())
                except InvalidInput:
                    field.set_message(_(WHEN_HINT))
                    ok = False
        if ok and when["since"] and when["until"] and when["since"] >= when["until"]:
            self.query_one("#field-export-until", LabeledInput).set_message(_("must be later than the start"))
            ok = False
        path_field = self.query_one("#field-export-path", LabeledInput)
        raw = path_field.value.strip()
        try:
            path = Path(raw).expanduser() if raw else None
        except RuntimeError:  # "~someone" with no such user (or no home directory)
            path_field.set_message(_("no home folder for {split}: give a full path").format(
                                       split=raw.split('/', 1)[0]))
            return None
        if path is None:
            path_field.set_message(_("required: where to write the export"))
            ok = False
        elif path.is_dir():
            path_field.set_message(_("this is a directory: add a file name"))
            ok = False
        elif not path.parent.is_dir():
            path_field.set_message(_("no such directory: {parent}").format(parent=path.parent))
            ok = False
        elif path.exists():
            path_field.set_message(_("a file of that name exists: choose another name (nothing is overwritten)"))
            ok = False
        else:
            path_field.set_message(None)
        if not ok or path is None:
            return None
        kind = self.query_one("#export-kind", Select).value
        status = self.query_one("#export-status", Select).value
        return ExportRequest(
            fmt="jsonl" if self.query_one("#export-format", Select).value == "jsonl" else "csv",
            masked=not (self.supervisor and self.query_one("#export-unmasked", Checkbox).value),
            since=when["since"],
            until=when["until"],
            kinds=(str(kind),) if kind is not Select.NULL else (),
            statuses=(str(status),) if status is not Select.NULL else (),
            path=path,
        )

    # -- keys --------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "export":
            return None if self.running else True
        return True

    def action_close(self) -> None:
        if self.running:
            self.notify(_("The export is still running."), severity="warning")
            return
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()

    @on(Button.Pressed, "#export-run")
    def _run_pressed(self) -> None:
        self.action_export()

    @work(exclusive=True, exit_on_error=False, group="export-dialog")
    async def action_export(self) -> None:
        if self.running:
            return
        request = self._request()
        if request is None:
            return
        if not request.masked:
            sure = await self.app.push_screen_wait(ConfirmScreen(
                _("Export personal data unmasked?"),
                Content.assemble(
                    ("E-1: ", "bold"),
                    _("the file will hold callers' names, sign-in IDs and phone numbers in full. The export "
                      "and who made it are recorded in the audit trail.\n\n"),
                    (_("Writing to {path}").format(path=request.path), MUTED),
                ),
                yes=_("Export unmasked"), yes_words=_("Yes, export unmasked"),
            ))
            if not sure:
                return
        self.running = True
        self.refresh_bindings()
        self.query_one("#export-run", Button).disabled = True
        self.query_one("#export-result", Static).update(Content.styled(_("Counting the tickets…"), MUTED))
        self._write(request)

    # -- the worker --------------------------------------------------------------------------

    def _progress(self, written: int) -> None:
        self.post_message(ExportProgress(written))

    @work(thread=True, exclusive=True, exit_on_error=False, group="export")
    def _write(self, request: ExportRequest) -> None:
        from tickets.dashboard import count_tickets
        from tickets.export.records import ExportFilter
        from tickets.export.run import write_anchor_file, write_export

        store = self.desk.opened_store
        from tickets.enums import TicketKind, TicketStatus

        filt = ExportFilter(since=request.since, until=request.until, kinds=tuple(map(TicketKind, request.kinds)),
                            statuses=tuple(map(TicketStatus, request.statuses)))
        self.post_message(ExportStarted(count_tickets(store, since=request.since, until=request.until,
                                                      kinds=filt.kinds, statuses=filt.statuses)))
        target = request.path
        fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")  # mode 0600
        anchors: list = []  # the export.started event's SEQ:HASH, written beside the file
        try:
            with open(fd, "w", encoding="utf-8", newline="") as out:  # CSV writes its own \r\n
                rows = write_export(
                    store, out, fmt=request.fmt, filt=filt, masked=request.masked, actor=self.agent,
                    progress=self._progress, started=anchors.append,
                )
                out.flush()
                os.fsync(out.fileno())
            if target.exists():
                raise FileExistsError(
                    _("{target} appeared while exporting; the export is left in {temp}").format(
                        target=target, temp=temp
                    )
                )
            os.replace(temp, target)
            write_anchor_file(target, anchors[0])
        except BaseException:
            if Path(temp).exists() and not target.exists():
                os.unlink(temp)
            raise
        self.post_message(ExportFinished(rows, request))

    def worker_failed(self, worker: Worker, error: BaseException) -> None:
        from tickets.errors import DeskError

        text = error_text(error) if isinstance(error, DeskError) else f"{type(error).__name__}: {error}"
        if worker.group != "export":
            self.query_one("#export-result", Static).update(Content.styled(_("Nothing was written: {text}").format(
                                                                               text=text), BAD))
            return
        self._finish()
        self.query_one("#export-result", Static).update(
            Content.styled(_("The export failed and nothing was written: {text}").format(text=text), BAD))

    def _finish(self) -> None:
        self.running = False
        self.query_one("#export-run", Button).disabled = False
        self.refresh_bindings()

    def on_export_started(self, message: ExportStarted) -> None:
        message.stop()
        bar = self.query_one("#export-progress", ProgressBar)
        bar.update(total=max(message.total, 1), progress=0)
        bar.set_class(True, "-running")
        self.query_one("#export-result", Static).update(
            Content.styled(_("Exporting {total:,} tickets…").format(total=message.total), MUTED))

    def on_export_progress(self, message: ExportProgress) -> None:
        message.stop()
        self.query_one("#export-progress", ProgressBar).update(progress=message.count)

    def on_export_finished(self, message: ExportFinished) -> None:
        message.stop()
        request = message.request
        self.result = (message.rows, request)
        self._finish()
        bar = self.query_one("#export-progress", ProgressBar)
        bar.update(total=max(message.rows, 1), progress=max(message.rows, 1))
        masking = (Content.styled(_("masked (E-1)"), OK) if request.masked
                   else Content.styled(_("UNMASKED"), WARN + " bold"))
        self.query_one("#export-result", Static).update(Content.assemble(
            ("✓ ", OK), (_("{rows:,} tickets").format(rows=message.rows), "bold"), _(" written to {path} ").format(
                path=request.path),
            f"({'CSV' if request.fmt == 'csv' else 'JSON Lines'}, ", masking, "). ",
            (_("The export is recorded in the audit trail."), MUTED),
        ))
