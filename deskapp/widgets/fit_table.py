"""A DataTable whose columns always fit its width: when the cells are wider than the table,
the widest columns give way first and their cells end in an ellipsis, so no column falls off
the right edge at 80 columns (issue 11). The full text of every row stays in `full_rows`."""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len, set_cell_size
from textual import events
from textual.widgets import DataTable

ELLIPSIS = "…"


def ellipsize(text: str, width: int) -> str:
    """`text` in at most `width` cells, its end replaced by … when it does not fit."""
    if cell_len(text) <= width:
        return text
    if width <= 1:
        return ELLIPSIS[:width]
    return set_cell_size(text, width - 1).rstrip() + ELLIPSIS


def fit_widths(natural: Sequence[int], minimum: Sequence[int], available: int) -> list[int]:
    """Column widths summing to at most `available` (when the minimums allow): the widest
    columns shrink first, none below its minimum."""
    widths = list(natural)
    while sum(widths) > available:
        shrinkable = [i for i, w in enumerate(widths) if w > minimum[i]]
        if not shrinkable:
            break
        widest = max(widths[i] for i in shrinkable)
        for i in shrinkable:
            if widths[i] == widest:
                widths[i] -= 1
                if sum(widths) <= available:
                    break
    return widths


class FitTable(DataTable):
    """`set_columns` once, then `set_rows`; the table lays the cells out again on resize."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.columns_spec: list[tuple[str, str, int]] = []  # (label, key, minimum width)
        self.full_rows: list[tuple[str | None, tuple[str, ...]]] = []
        self._laid_out_for = -1

    def set_columns(self, columns: Sequence[tuple[str, str, int]]) -> None:
        self.columns_spec = list(columns)
        self._lay_out(force=True)

    def set_rows(self, rows: Sequence[tuple[str | None, Sequence[str]]]) -> None:
        self.full_rows = [(key, tuple(cells)) for key, cells in rows]
        self._lay_out(force=True)

    def full_row(self, index: int) -> tuple[str, ...]:
        return self.full_rows[index][1]

    def on_resize(self, event: events.Resize) -> None:
        self._lay_out()

    def _available(self) -> int:
        width = self.scrollable_content_region.width or self.app.size.width
        return max(width - 2 * self.cell_padding * len(self.columns_spec), len(self.columns_spec))

    def _lay_out(self, force: bool = False) -> None:
        available = self._available()
        if not force and available == self._laid_out_for:
            return
        self._laid_out_for = available
        natural = [
            max([cell_len(label), *(cell_len(cells[i]) for _, cells in self.full_rows)])
            for i, (label, _, _) in enumerate(self.columns_spec)
        ]
        minimum = [min(n, m) for n, (_, _, m) in zip(natural, self.columns_spec, strict=True)]
        widths = fit_widths(natural, minimum, available)
        row = self.cursor_row
        self.clear(columns=True)
        for (label, key, _), width in zip(self.columns_spec, widths, strict=True):
            self.add_column(ellipsize(label, width), key=key, width=width)
        for key, cells in self.full_rows:
            self.add_row(*(ellipsize(c, w) for c, w in zip(cells, widths, strict=False)), key=key)
        if self.full_rows:
            self.move_cursor(row=min(max(row, 0), len(self.full_rows) - 1), animate=False)

    def set_cell(self, row_key: str, column_key: str, text: str) -> None:
        """Change one cell's full text (the row may have left the table: then nothing)."""
        index = next((i for i, (label, key, _) in enumerate(self.columns_spec) if key == column_key), None)
        for n, (key, cells) in enumerate(self.full_rows):
            if key == row_key and index is not None:
                self.full_rows[n] = (key, cells[:index] + (text,) + cells[index + 1:])
                self._lay_out(force=True)
                return
