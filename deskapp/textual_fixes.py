"""Guards around Textual 8.2.8 defects that would end the console on an agent's keystroke.

Each one is shown by a test; remove it when the pinned Textual no longer needs it.
"""

from __future__ import annotations

import re

from rich import _wrap as rich_wrap
from textual import _wrap as textual_wrap
from textual.css.query import NoMatches
from textual.dom import DOMNode, NoScreen
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


def translate_bindings(node: DOMNode) -> None:
    """The node's key bindings with their descriptions and tooltips in the desk's language
    (tickets.i18n): BINDINGS are class attributes, made before the language is chosen, so each
    node's own copy (Textual's per-node BindingsMap) is translated as the node is made."""
    from dataclasses import replace

    from tickets.i18n import _, current_language

    if current_language() == "en":
        return
    table = node._bindings.key_to_bindings
    for key, bindings in list(table.items()):
        table[key] = [
            replace(b, description=_(b.description) if b.description else b.description,
                    tooltip=_(b.tooltip) if b.tooltip else b.tooltip)
            for b in bindings
        ]


# Chinese has no spaces between words: a line may break between any two CJK characters (each
# two cells wide), and words of other scripts still break only at spaces. Textual's wrapper
# splits text into "chunks" with this module-level pattern; without the CJK branch a sentence
# of Chinese is one chunk, pushed whole to the next line and then cut at the width.
_CJK = "\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
CJK_CHUNK = re.compile(rf"[{_CJK}]\s*|[^\s{_CJK}]+\s*|\s+")
# The same for Rich's word splitter, which Textual's Content uses to wrap.
CJK_WORD = re.compile(rf"\s*[{_CJK}]\s*|\s*[^\s{_CJK}]+\s*")


def install() -> None:
    textual_wrap.re_chunk = CJK_CHUNK
    rich_wrap.re_word = CJK_WORD
    OptionList._move_page = _move_page_when_laid_out
    Header._on_mount = _header_on_mount
