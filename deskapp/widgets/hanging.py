"""Long lines that wrap with a hanging indent, so a wrapped reason, checklist sentence or history
entry stays visibly under its own marker instead of running back to the margin.

`Static(hang(content))` or `static.update(hang(content))`: a Textual Visual that wraps each line
of `content` at the widget's width, breaking at spaces; continuation lines start under the text
after the line's marker (`  ✓ `, `  C-3: `, `• `), or two cells in from where the line starts.
"""

from __future__ import annotations

import re

from rich.cells import cell_len
from textual.content import Content
from textual.css.styles import RulesMap
from textual.strip import Strip
from textual.style import Style
from textual.visual import RenderOptions, Visual

# Leading spaces, then an optional bullet or tick, then an optional rule ID ("C-3: ").
_MARKER = re.compile(r"^( *)((?:[✓✗•·] |\[[ X]\] )?(?:[A-Z]{1,2}-\d+: )?)")
_MIN_BODY = 12  # below this many cells for the text, a hanging indent would cost more than it gives


def hanging_indent(plain: str) -> int:
    """Where continuation lines of `plain` start."""
    match = _MARKER.match(plain)
    assert match is not None  # the pattern matches the empty string
    spaces, marker = match.groups()
    return cell_len(spaces) + (cell_len(marker) if marker else 2)


def wrap_line(line: Content, width: int) -> list[Content]:
    """One logical line as display lines of at most `width` cells, hanging."""
    if width <= 0:
        return [line]
    if line.cell_length <= width:
        return [line]
    indent = hanging_indent(line.plain)
    if width - indent < _MIN_BODY:
        return line.wrap(width)
    first = line.wrap(width)[0]
    plain = line.plain
    cut = len(first.plain.rstrip())
    while cut < len(plain) and plain[cut] == " ":
        cut += 1
    pad = Content(" " * indent)
    rest = [pad + part for part in line[cut:].wrap(width - indent)] if cut < len(plain) else []
    return [first.rstrip(), *rest]


class Hanging(Visual):
    """`content` wrapped with hanging indents at whatever width it is drawn."""

    def __init__(self, content: Content) -> None:
        self.content = content
        self._cache: tuple[int, list[Content]] | None = None

    def __str__(self) -> str:
        return self.content.plain

    def lines(self, width: int) -> list[Content]:
        if self._cache is None or self._cache[0] != width:
            out: list[Content] = []
            for line in self.content.split("\n", allow_blank=True):
                out += wrap_line(line, width)
            self._cache = (width, out)
        return self._cache[1]

    def render_strips(self, width: int, height: int | None, style: Style, options: RenderOptions) -> list[Strip]:
        wrapped = Content("\n").join(self.lines(width))
        return wrapped.render_strips(width, height, style, options)

    def get_optimal_width(self, rules: RulesMap, container_width: int) -> int:
        return self.content.get_optimal_width(rules, container_width)

    def get_height(self, rules: RulesMap, width: int) -> int:
        return len(self.lines(width))


def hang(content: Content | str) -> Hanging:
    return Hanging(content if isinstance(content, Content) else Content(content))
