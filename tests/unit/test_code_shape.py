"""The shape kept in the product code (deskapp/, identity/, tickets/): no module over
500 lines (split by what changes together), and no block of 10 or more lines repeated anywhere
(a rule, a query or a screen's boilerplate written twice drifts apart). Blank lines, comments
and import statements are not counted as repeats (two modules may well import the same names)."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("deskapp", "identity", "tickets")
BLOCK = 10
MAX_LINES = 500


def _product_modules() -> list[Path]:
    return [p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))]


def test_no_module_is_over_500_lines():
    sizes = {str(p.relative_to(ROOT)): len(p.read_text(encoding="utf-8").splitlines()) for p in _product_modules()}
    assert len(sizes) > 50
    assert not {path: n for path, n in sizes.items() if n > MAX_LINES}


def _code_lines(path: Path) -> list[tuple[int, str]]:
    """(line number, stripped text) of the lines that count."""
    source = path.read_text(encoding="utf-8")
    skipped: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import | ast.ImportFrom):
            skipped.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    lines = []
    for number, line in enumerate(source.splitlines(), 1):
        text = line.strip()
        if text and not text.startswith("#") and number not in skipped:
            lines.append((number, text))
    return lines


def repeated_blocks(paths, root: Path = ROOT) -> dict[str, list[str]]:
    """Each window of BLOCK counted lines that occurs more than once -> where it starts."""
    where: dict[str, list[str]] = defaultdict(list)
    for path in paths:
        lines = _code_lines(path)
        for start in range(len(lines) - BLOCK + 1):
            window = "\n".join(text for _, text in lines[start : start + BLOCK])
            where[window].append(f"{path.relative_to(root)}:{lines[start][0]}")
    return {window: places for window, places in where.items() if len(places) > 1}


def test_no_block_of_ten_lines_is_repeated():
    found = repeated_blocks(_product_modules())
    firsts = sorted({tuple(places) for places in found.values()})
    assert not firsts, f"{len(firsts)} repeated blocks, e.g. {firsts[:5]}"


def test_the_check_finds_a_repeated_block(tmp_path):
    body = "".join(f"    total += {n}\n" for n in range(BLOCK))
    for name in ("a.py", "b.py"):
        (tmp_path / name).write_text(f"import os\n\n\ndef f():\n    total = 0\n{body}    return total\n")
    found = repeated_blocks([tmp_path / "a.py", tmp_path / "b.py"], root=tmp_path)
    assert found and all(len(places) == 2 for places in found.values())
