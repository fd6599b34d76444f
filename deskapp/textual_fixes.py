"""Guards around Textual 8.2.8 defects that would end the console on an agent's keystroke.

Each one is shown by a test; remove it when the pinned Textual no longer needs it.
"""

from __future__ import annotations

from textual.css.query import NoMatches
from textual.dom import NoScreen
from textual.widgets import Header, OptionList
from textual.widgets._header import HeaderTitle

_move_page = OptionList._move_page


def _move_page_when_laid_out(self: OptionList, direction) -> None:
    # Page up/down reaching an OptionList (the command palette, a Select's overlay) before
    # its lines are laid out raises KeyError in _index_to_line; the key simply does nothing.
    try:
        _move_page(self, direction)
    except KeyError:
        return


def _header_on_mount(self: Header, _event) -> None:
    # Header.set_title is an awaited watcher: when the title changes as a screen is replaced
    # (signing in typed ahead), it can run after the old header's parts are removed and raise
    # NoMatches, which ends the app. A header with no title part has nothing to update.
    async def set_title() -> None:
        try:
            self.query_one(HeaderTitle).update(self.format_title())
        except (NoScreen, NoMatches):
            pass

    self.watch(self.app, "title", set_title)
    self.watch(self.app, "sub_title", set_title)
    self.watch(self.screen, "title", set_title)
    self.watch(self.screen, "sub_title", set_title)


def install() -> None:
    OptionList._move_page = _move_page_when_laid_out
    Header._on_mount = _header_on_mount
