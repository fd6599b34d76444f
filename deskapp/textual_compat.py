"""Every use of a Textual private name, and every patch of Textual, in one place.

The console is pinned to one Textual release (`PINNED_TEXTUAL`, the same as pyproject.toml);
tests/unit/test_textual_compat.py fails when the installed Textual differs, or when a private
name used here is gone. On an upgrade this module is the one to read: each entry says what
public API it stands in for, and the defects guarded here are written up as reproductions to
report in docs/textual-upstream.md.

Nothing is patched at import: `install()` is called by the app as it is built
(`DeskApp.__init__`), and is idempotent.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any

from rich import _wrap as rich_wrap
from textual import _wrap as textual_wrap  # stands in for a public line-breaking hook (CJK)
from textual import events
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.dom import DOMNode, NoScreen
from textual.keys import (  # private: Pilot's own key-event helpers, no public equivalent (key_event)
    REPLACED_KEYS,
    _character_to_key,
    _get_unicode_name_from_key,
)
from textual.message import Message
from textual.message_pump import MessagePump
from textual.widgets import Header, OptionList
from textual.widgets._header import HeaderTitle  # stands in for a public export (the Header guard)
from textual.widgets._toast import ToastRack  # stands in for a public export (the type-ahead ignores it)
from textual.worker import Worker

from tickets.i18n import _

if TYPE_CHECKING:  # pragma: no cover
    from textual.app import App
    from textual.screen import Screen

PINNED_TEXTUAL = "8.2.8"

# Stands in for a public `textual.widgets.ToastRack` (the container of `App.notify` toasts): the
# type-ahead ignores its redraws (deskapp.keys.IGNORED). Textual exports Toast's rack nowhere.
__all__ = ["PINNED_TEXTUAL", "ToastRack", "character_to_key", "handling_count", "install",
           "is_thread_worker", "key_event", "translate_bindings", "pending_callbacks", "queued_messages", "screen_callback_senders",
           "send_key"]


# --- reading a message pump's state ---------------------------------------------------------


def queued_messages(pump: MessagePump) -> int:
    """Messages waiting on `pump`. The public `message_queue_size` counts the queue; Textual
    takes one more off it to see whether it can be combined with the current one
    (`MessagePump._peek_message` keeps it in `_pending_message`), which no public API shows."""
    return pump.message_queue_size + (pump._pending_message is not None)


def pending_callbacks(pump: MessagePump) -> int:
    """Callbacks queued by `call_next`/`call_after_refresh` and not yet run. Stands in for a
    public count of them (Textual has none: `_next_callbacks`)."""
    return len(pump._next_callbacks)


def screen_callback_senders(screen: Screen[Any]) -> Iterator[MessagePump]:
    """The senders of callbacks a screen runs after its next refresh (`Screen._callbacks`,
    filled by `call_after_refresh`). Stands in for a public view of them (none in Textual)."""
    return (sender for _callback, sender in screen._callbacks)


def is_thread_worker(worker: Worker[Any]) -> bool:
    """Whether the worker runs in a thread (`@work(thread=True)`). Stands in for a public
    `Worker.is_thread` (Textual keeps only the constructor argument, `_thread_worker`)."""
    return bool(worker._thread_worker)


# --- how many messages are being handled right now ------------------------------------------


class _Handling:
    """How many messages are being handled right now, across every message pump. Textual's
    queue does not count a message once it is taken off, and a handler may await (a mount, an
    action), so the count is kept around `MessagePump._dispatch_message`; a message bubbling to
    a parent is queued there before its child's count goes down. Stands in for a public
    "is this pump handling a message" (Textual has none)."""

    count = 0


def handling_count() -> int:
    """Messages being handled now, across the process (0 until `install()`)."""
    return _Handling.count


def _count_dispatch() -> None:
    dispatch: Callable[[MessagePump, Message], Awaitable[None]] = MessagePump._dispatch_message

    async def counted(pump: MessagePump, message: Message) -> None:
        _Handling.count += 1
        try:
            await dispatch(pump, message)
        finally:
            _Handling.count -= 1

    MessagePump._dispatch_message = counted  # type: ignore[method-assign,assignment]


# --- guards around Textual defects (docs/textual-upstream.md) -------------------------------

_move_page = OptionList._move_page


def _move_page_when_laid_out(self: OptionList, direction: Any) -> None:
    # Page up/down reaching an OptionList (the command palette, a Select's overlay) before
    # its lines are laid out raises KeyError in _index_to_line; the key simply does nothing.
    # No public API stands in: the fix belongs upstream (docs/textual-upstream.md, 1).
    try:
        _move_page(self, direction)
    except KeyError:
        return


def _header_on_mount(self: Header, _event: events.Mount) -> None:
    # Header.set_title is an awaited watcher: when the title changes as a screen is replaced
    # (signing in typed ahead), it can run after the old header's parts are removed and raise
    # NoMatches, which ends the app. A header with no title part has nothing to update.
    # `HeaderTitle` has no public export. The fix belongs upstream (docs/textual-upstream.md, 2).
    async def set_title() -> None:
        try:
            self.query_one(HeaderTitle).update(self.format_title())
        except (NoScreen, NoMatches):
            pass

    self.watch(self.app, "title", set_title)
    self.watch(self.app, "sub_title", set_title)
    self.watch(self.screen, "title", set_title)
    self.watch(self.screen, "sub_title", set_title)


# --- sending keys as the terminal would (tools/screenshots.py, the drills) -------------------


def character_to_key(character: str) -> str:
    """A printable character's key name ("." -> "full_stop"), as `Pilot.press` computes it.
    Stands in for a public `textual.keys.character_to_key` (Textual exports only the inverse)."""
    return _character_to_key(character)


def key_event(key: str) -> events.Key:
    """The Key event `Pilot.press(key)` makes (App._press_keys): the key's name for a printable
    character, and the character a key name stands for. Stands in for a public "key event
    for this key name" (Textual builds it inline, from `textual.keys` private helpers)."""
    import unicodedata

    if len(key) == 1 and not key.isalnum():
        key = _character_to_key(key)
    original = REPLACED_KEYS.get(key, key)
    try:
        char: str | None = unicodedata.lookup(_get_unicode_name_from_key(original))
    except KeyError:
        char = key if len(key) == 1 else None
    return events.Key(key, char)


def send_key(app: App[Any], event: events.Key) -> None:
    """Post a Key through the app's driver, as the terminal's reader does and as `Pilot.press`
    does, without Pilot's wait after each key. Stands in for a public `Pilot.press(wait=False)`
    (the driver is `App._driver`)."""
    event.set_sender(app)
    driver = app._driver
    if driver is None:
        raise RuntimeError("the app has no driver: it is not running")
    driver.send_message(event)


# --- installing -------------------------------------------------------------------------------

_installed = False


# --- the desk's language (tickets.i18n) --------------------------------------------------


def translate_bindings(node: DOMNode) -> None:
    """The node's key bindings with their descriptions, tooltips and group names in the desk's
    language. BINDINGS are class attributes, made before the language is chosen, so each node's
    own copy is translated as the node is made. Stands in for a public way to replace a node's
    bindings (Textual keeps them in the private per-node `_bindings` map)."""
    from dataclasses import replace

    from tickets.i18n import current_language

    if current_language() == "en":
        return
    table = node._bindings.key_to_bindings
    for key, bindings in list(table.items()):
        table[key] = [
            replace(b, description=_(b.description) if b.description else b.description,
                    tooltip=_(b.tooltip) if b.tooltip else b.tooltip,
                    group=Binding.Group(_(b.group.description), compact=b.group.compact) if b.group else None)
            for b in bindings
        ]


# Chinese has no spaces between words: a line may break between any two CJK characters (each
# two cells wide), and words of other scripts still break only at spaces. Textual's wrapper
# (`textual._wrap.re_chunk`) and Rich's, which Textual's Content uses (`rich._wrap.re_word`),
# split text with these module-level patterns; without a CJK branch a sentence of Chinese is
# one "word", pushed whole to the next line and then cut at the width. They stand in for a
# public line-breaking hook (none in Textual or Rich).
_CJK = "\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
CJK_CHUNK = re.compile(rf"[{_CJK}]\s*|[^\s{_CJK}]+\s*|\s+")
CJK_WORD = re.compile(rf"\s*[{_CJK}]\s*|\s*[^\s{_CJK}]+\s*")


def install() -> None:
    """Apply the patches above once per process (the app calls this as it is built)."""
    global _installed
    if _installed:
        return
    _installed = True
    textual_wrap.re_chunk = CJK_CHUNK
    rich_wrap.re_word = CJK_WORD
    _count_dispatch()
    OptionList._move_page = _move_page_when_laid_out  # type: ignore[method-assign]
    Header._on_mount = _header_on_mount  # type: ignore[method-assign,assignment]
