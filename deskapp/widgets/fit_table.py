"""A DataTable whose columns always fit its width: when the cells are wider than the table,
the widest columns give way first and their cells end in an ellipsis, so no column falls off
the right edge at 80 columns. The full text of every row stays in `full_rows`.

Laying the cells out again (new rows, a resize, a cell whose text grew) rebuilds the table, and
DataTable's rebuild moves its cursor to the first row and back, posting a RowHighlighted for
each. A screen that loads the highlighted row's details, and then changes a cell of that row,
would start the rebuild again from its own handler: an endless loop of loads that held every
key (the review queue froze on the first Down). So a rebuild keeps the cursor on the same row
(by key) without a word, and says RowHighlighted once, only when the highlighted row changed;
a changed cell that still fits is written in place, without a rebuild."""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len, set_cell_size
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.widgets import DataTable

from tickets.i18n import N_

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

    # Its columns always fit, so there is nothing to scroll sideways: Home and End go to the
    # first and the last row, as in a desk's ticket list (DataTable's own move along a row).
    BINDINGS = [
        Binding("home", "scroll_top", N_("First row"), show=False),
        Binding("end", "scroll_bottom", N_("Last row"), show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.columns_spec: list[tuple[str, str, int]] = []  # (label, key, minimum width)
        self.full_rows: list[tuple[str | None, tuple[str, ...]]] = []
        self.cell_styles: dict[tuple[str, str], str] = {}  # (row key, column key) -> Rich style
        self._laid_out_for = -1
        self._widths: list[int] = []

    def set_columns(self, columns: Sequence[tuple[str, str, int]]) -> None:
        self.columns_spec = list(columns)
        self._lay_out(force=True)

    def set_rows(self, rows: Sequence[tuple[str | None, Sequence[str]]],
                 styles: dict[tuple[str, str], str] | None = None) -> None:
        """The rows (key, cells); `styles` marks some cells: (row key, column key) -> Rich style."""
        self.full_rows = [(key, tuple(cells)) for key, cells in rows]
        self.cell_styles = dict(styles or {})
        self._lay_out(force=True)

    def _cell(self, row_key: str | None, column_key: str, text: str, width: int) -> str | Text:
        shown = ellipsize(text, width)
        style = self.cell_styles.get((row_key, column_key)) if row_key is not None else None
        return Text(shown, style=style) if style else shown

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
        self._widths = widths
        before = self.highlighted_key()
        row = self.cursor_row
        keys = [key for key, _ in self.full_rows]
        if before is not None and before in keys:
            row = keys.index(before)  # the same ticket stays highlighted when rows come and go
        with self.prevent(DataTable.RowHighlighted, DataTable.CellHighlighted):
            self.clear(columns=True)
            for (label, column, _), width in zip(self.columns_spec, widths, strict=True):
                self.add_column(ellipsize(label, width), key=column, width=width)
            for row_key, cells in self.full_rows:
                columns = zip(cells, widths, self.columns_spec, strict=False)
                shown = (self._cell(row_key, spec[1], c, w) for c, w, spec in columns)
                self.add_row(*shown, key=row_key)
            if self.full_rows:
                self.move_cursor(row=min(max(row, 0), len(self.full_rows) - 1), animate=False)
        after = self.highlighted_key()
        if after is not None and after != before:
            self.post_message(DataTable.RowHighlighted(self, self.cursor_row, self.coordinate_to_cell_key(
                self.cursor_coordinate).row_key))

    def highlighted_key(self) -> str | None:
        """The key of the row under the cursor, or None (no rows)."""
        if not self.row_count or not self.is_valid_row_index(self.cursor_row):
            return None
        return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value

    def set_cell(self, row_key: str, column_key: str, text: str) -> None:
        """Change one cell's full text (the row may have left the table: then nothing)."""
        index = next((i for i, (label, key, _) in enumerate(self.columns_spec) if key == column_key), None)
        for n, (key, cells) in enumerate(self.full_rows):
            if key == row_key and index is not None:
                if cells[index] == text:
                    return
                self.full_rows[n] = (key, cells[:index] + (text,) + cells[index + 1:])
                widest = max(cell_len(self.columns_spec[index][0]), *(cell_len(c[index]) for _, c in self.full_rows))
                if index < len(self._widths) and widest <= self._widths[index]:
                    self.update_cell(row_key, column_key, self._cell(row_key, column_key, text, self._widths[index]))
                else:
                    self._lay_out(force=True)
                return
