"""A checklist whose long items wrap under their own text (SelectionList keeps prompts to one
line). One tab stop, like a list: up and down move the cursor, space or enter ticks."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.dom import DOMNode
from textual.events import Click
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static

from deskapp.textual_compat import translate_bindings
from tickets.i18n import N_


class CheckItem(Widget):
    """`[X] text that wraps with a hanging indent`."""

    DEFAULT_CSS = """
    CheckItem {
        height: auto;
        & > Horizontal { height: auto; }
        & .check-box { width: 4; color: $text-muted; }
        & .check-text { width: 1fr; height: auto; }
        &.-ticked .check-box { color: $text-success; text-style: bold; }
    }
    """

    def __init__(self, key: str, text: Content | str, ticked: bool = False) -> None:
        super().__init__()
        self.key = key
        self.text = text
        self.ticked = ticked

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Static(self._box(), classes="check-box", markup=False)
            yield Static(self.text, classes="check-text", markup=False)

    def on_mount(self) -> None:
        self.set_class(self.ticked, "-ticked")

    def _box(self) -> str:
        return "[X]" if self.ticked else "[ ]"

    def set_text(self, text: Content | str) -> None:
        if str(text) != str(self.text):
            self.text = text
            for static in self.query(".check-text").results(Static):
                static.update(text)

    def toggle(self) -> None:
        self.ticked = not self.ticked
        self.set_class(self.ticked, "-ticked")
        for box in self.query(".check-box").results(Static):
            box.update(self._box())


class CheckList(Vertical, can_focus=True):
    """Items to tick; posts `CheckList.Changed` with the ticked keys."""

    DEFAULT_CSS = """
    CheckList {
        height: auto;
        border: round $primary 50%;
        & > .checklist-empty { color: $text-muted; }
        &:focus { border: round $primary; }
        /* The cursor must be plain to see: the block cursor's colours and a pointer. */
        &:focus > CheckItem.-cursor { background: $block-cursor-background; color: $block-cursor-foreground; }
        &:focus > CheckItem.-cursor .check-box, &:focus > CheckItem.-cursor .check-text {
            color: $block-cursor-foreground; text-style: bold;
        }
        & > CheckItem.-cursor { background: $boost; }
    }
    """
    BINDINGS = [
        # Not "toggle": DOMNode.action_toggle(attribute) is Textual's own action.
        Binding("space,enter", "tick", N_("Tick"), show=False),
        Binding("down", "move(1)", N_("Next item"), show=False),
        Binding("up", "move(-1)", N_("Previous item"), show=False),
        Binding("home", "edge(0)", N_("First item"), show=False),
        Binding("end", "edge(-1)", N_("Last item"), show=False),
    ]

    @dataclass
    class Changed(Message):
        checklist: CheckList
        selected: list[str]

        @property
        def control(self) -> CheckList:
            return self.checklist

    def __init__(
        self,
        *,
        empty: str = "nothing to confirm",
        id: str | None = None,
        items: Iterable[tuple[str, Content | str]] = (),
        ticked: Iterable[str] = (),
    ) -> None:
        """`items` are composed with the list: its first frame shows them (no empty box while
        the screen around it mounts, however loaded the machine)."""
        super().__init__(id=id)
        translate_bindings(self)
        self._empty = empty
        chosen = set(ticked)
        items = list(items)
        self._items: tuple[str, ...] = tuple(key for key, _ in items)
        self._widgets: list[CheckItem] = [CheckItem(key, text, key in chosen) for key, text in items]
        self.cursor = 0

    def compose(self) -> ComposeResult:
        empty = Static(self._empty, classes="checklist-empty", markup=False)
        empty.display = not self._widgets
        yield empty
        yield from self._widgets

    def on_mount(self) -> None:
        for index, widget in enumerate(self._widgets):  # the cursor shown, nothing scrolled
            widget.set_class(index == self.cursor, "-cursor")

    def set_items(self, items: Iterable[tuple[str, Content | str]], ticked: set[str]) -> None:
        """Replace the items; the same keys with new texts are updated in place (cursor kept).
        An item whose words change after it was ticked is unticked: the caller confirmed the
        old words (a requested date typed later changes "access ends on ..."), so it is read
        and ticked again; the change is reported (Changed)."""
        items = list(items)
        before = {widget.key: str(widget.text) for widget in self._widgets}
        if [key for key, _ in items] == self.keys:
            unticked = False
            for widget, (_, text) in zip(self._widgets, items, strict=True):
                if widget.ticked and str(text) != before[widget.key]:
                    widget.toggle()
                    unticked = True
                widget.set_text(text)
            if unticked:
                self.post_message(self.Changed(self, self.selected))
            return
        for widget in self._widgets:
            widget.remove()
        self._items = tuple(key for key, _ in items)
        still = {key for key, text in items if key in ticked and before.get(key, str(text)) == str(text)}
        self._widgets = [CheckItem(key, text, key in still) for key, text in items]
        self.query_one(".checklist-empty", Static).display = not items
        self.cursor = 0
        if self._widgets:
            self.mount_all(self._widgets)
            self._show_cursor()
        if ticked & set(self._items) != still:
            self.post_message(self.Changed(self, self.selected))

    @property
    def keys(self) -> list[str]:
        return list(self._items)

    @property
    def selected(self) -> list[str]:
        return [item.key for item in self._widgets if item.ticked]

    @property
    def current(self) -> CheckItem | None:
        return self._widgets[self.cursor] if self._widgets else None

    def _show_cursor(self) -> None:
        for index, widget in enumerate(self._widgets):
            widget.set_class(index == self.cursor, "-cursor")
        if self.current is not None and self.current.is_mounted:
            self.current.scroll_visible(animate=False)

    def move_to(self, key: str) -> None:
        """Put the cursor on the item `key` (shown, scrolled into view)."""
        if key in self._items:
            self.cursor = self._items.index(key)
            self._show_cursor()

    def action_move(self, step: int) -> None:
        # At either end the key is still taken here: the form around must not scroll away.
        if self._widgets:
            self.cursor = max(0, min(len(self._widgets) - 1, self.cursor + step))
            self._show_cursor()

    def action_edge(self, index: int) -> None:
        if self._widgets:
            self.cursor = index % len(self._widgets)
            self._show_cursor()

    def tick(self, keys: Iterable[str]) -> None:
        """Tick these items (others keep their state) and report the change once."""
        wanted = set(keys)
        changed = False
        for item in self._widgets:
            if item.key in wanted and not item.ticked:
                item.toggle()
                changed = True
        if changed:
            self.post_message(self.Changed(self, self.selected))

    def action_tick(self) -> None:
        item = self.current
        if item is not None:
            item.toggle()
            self.post_message(self.Changed(self, self.selected))

    def on_click(self, event: Click) -> None:
        widget: DOMNode | None = event.widget
        while widget is not None and not isinstance(widget, CheckItem):
            widget = widget.parent if widget is not self else None
        if isinstance(widget, CheckItem):
            self.cursor = self._widgets.index(widget)
            self._show_cursor()
            self.action_tick()
