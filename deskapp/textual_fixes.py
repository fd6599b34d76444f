"""Guards around Textual 8.2.8 defects that would end the console on an agent's keystroke.

Each one is shown by a test; remove it when the pinned Textual no longer needs it.
"""

from __future__ import annotations

from textual.widgets import OptionList

_move_page = OptionList._move_page


def _move_page_when_laid_out(self: OptionList, direction) -> None:
    # Page up/down reaching an OptionList (the command palette, a Select's overlay) before
    # its lines are laid out raises KeyError in _index_to_line; the key simply does nothing.
    try:
        _move_page(self, direction)
    except KeyError:
        return


def install() -> None:
    OptionList._move_page = _move_page_when_laid_out
