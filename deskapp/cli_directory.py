"""`deskapp directory import`: the import with Rich's progress bar on a terminal,
nothing but the summary when standard error is piped or redirected."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tickets.i18n import _

STAGES = {"checking": "Checking organizations", "applying": "Writing the directory"}


@contextmanager
def _progress_bar(stream: Any) -> Iterator[Any]:
    """A progress(stage, done, total) callback drawing on `stream`, or None if it is no terminal."""
    if not stream.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(file=stream, force_terminal=True), transient=False) as bar:
        tasks: dict[str, Any] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(STAGES.get(stage, stage), total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield progress


def import_with_progress(store: Any, path: Path, stream: Any = None) -> int:
    from tickets.directory import import_directory_file

    with _progress_bar(stream or sys.stderr) as progress:
        report = import_directory_file(store, path, progress=progress)
    print(_("imported {path}: {report}").format(path=path, report=report))
    return 0
