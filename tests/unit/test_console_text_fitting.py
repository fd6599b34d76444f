"""Text fits 80 columns: table cells end in an ellipsis, long lines hang."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from rich.cells import cell_len
from textual.content import Content

from deskapp.widgets.fit_table import ellipsize, fit_widths
from deskapp.widgets.hanging import hanging_indent, wrap_line


def test_ellipsize_keeps_what_fits_and_marks_what_does_not():
    assert ellipsize("Expedited deprovisioning", 30) == "Expedited deprovisioning"
    assert ellipsize("Expedited deprovisioning", 10) == "Expedited…"
    assert ellipsize("Müller Präzisionstechnik", 8) == "Müller…"
    assert ellipsize("成都熊猫游戏有限公司", 7) == "成都熊…"  # wide characters count two cells


@given(st.text(max_size=40), st.integers(min_value=1, max_value=50))
def test_ellipsize_never_exceeds_the_width(text, width):
    shown = ellipsize(text, width)
    assert cell_len(shown) <= width
    assert shown == text or shown.endswith("…")


def test_fit_widths_shrinks_the_widest_first_down_to_the_minimums():
    assert fit_widths([9, 24, 14, 30], [9, 10, 8, 10], 100) == [9, 24, 14, 30]
    assert fit_widths([9, 24, 14, 30], [9, 10, 8, 10], 60) == [9, 18, 14, 19]
    assert fit_widths([9, 24, 14, 30], [9, 10, 8, 10], 20) == [9, 10, 8, 10]  # never below the minimums


@given(
    st.lists(st.integers(min_value=1, max_value=60), min_size=1, max_size=8), st.integers(min_value=0, max_value=300)
)
def test_fit_widths_fits_when_the_minimums_allow(natural, available):
    minimum = [min(n, 5) for n in natural]
    widths = fit_widths(natural, minimum, available)
    assert all(m <= w <= n for w, m, n in zip(widths, minimum, natural, strict=True))
    assert sum(widths) <= max(available, sum(minimum))


def test_a_long_reason_wraps_under_its_text_not_the_margin():
    line = Content("  C-7: update the DNS records of brightwave-sz.cn that point to Office 365 at the registrar")
    assert hanging_indent(line.plain) == 7  # under the text after "  C-7: "
    shown = [part.plain for part in wrap_line(line, 40)]
    assert shown[0] == "  C-7: update the DNS records of"
    assert all(part.startswith(" " * 7) and not part[7].isspace() for part in shown[1:])
    assert " ".join(p.strip() for p in shown) == line.plain.strip()
    assert all(cell_len(p) <= 40 for p in shown)


@given(st.text(alphabet=st.sampled_from("ab ✓•-:C7"), max_size=120), st.integers(min_value=1, max_value=60))
def test_wrapping_never_exceeds_the_width_nor_loses_a_word(text, width):
    shown = [part.plain for part in wrap_line(Content(text), width)]
    assert all(cell_len(p) <= width for p in shown)
    assert "".join(shown).replace(" ", "") == text.replace(" ", "")
