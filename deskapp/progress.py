"""Rich progress for long command-line work whose total is not known in advance (a streamed
export): a pulsing bar, the count so far, the rate and the time taken, on standard error."""

from __future__ import annotations

from typing import TextIO

from tickets.i18n import number


class CountProgress:
    """Call with the running count; `done()` replaces the bar with one summary line. Both are
    whole sentences: `running` has a {count} placeholder, `finished` {count}, {where} and
    {seconds}."""

    def __init__(self, stream: TextIO, *, running: str, finished: str) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self.console = Console(file=stream, highlight=False)
        self.finished = finished
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn(running.format(count="{task.completed:,.0f}")),
            BarColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            console=self.console,
            transient=True,  # the bar goes; done() leaves one line
        )
        self.task = self.progress.add_task("", total=None, rate="")
        self.progress.start()

    def __call__(self, count: int) -> None:
        speed = self.progress.tasks[0].speed
        self.progress.update(self.task, completed=count, rate=f"{speed:,.0f}/s" if speed else "")

    def stop(self) -> None:
        self.progress.stop()

    def done(self, count: int, where: str) -> None:
        elapsed = self.progress.tasks[0].elapsed or 0.0
        self.stop()
        self.console.print(
            self.finished.format(count=number(count), where=where, seconds=f"{elapsed:.1f}"),
            soft_wrap=True, markup=False,
        )
