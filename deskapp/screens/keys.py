"""`?` or F1: the desk's own keys for the screen in front of the agent, made from its bindings
(what its footer offers, the keys it hides from the footer, the focused desk widget's keys and
the console's keys), each with its words and what it does. Replaces Textual's generic Keys panel
(scroll left, page left, "quit the app" even during a call).

A key the screen shows but refuses now is listed as such; one that is not offered at all here
(another screen's, a kind the subscription does not allow) is not listed, except where the key
says why it is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Static

from deskapp.screens.base import DeskModal
from tickets.i18n import N_, _

# Keys as the desk's home screen and README write them (the footer's ^ and arrows are Textual's).
KEY_NAMES = {"escape": "esc", "question_mark": "?", "enter": "enter", "space": "space"}


@dataclass(frozen=True)
class KeyLine:
    keys: str
    words: str
    detail: str
    now: bool  # False: shown dimmed by the screen (refused now, with its reason on screen)


def _declared_by_the_desk(node: object, binding: Binding) -> bool:
    from deskapp.commands import _declared_by_the_desk as declared

    return declared(node, binding)


def screen_keys(screen: Screen) -> list[KeyLine]:
    """The desk's keys on `screen`, the screen's own first, then the console's."""
    app = screen.app
    own: dict[tuple[str, str], KeyLine] = {}
    console: list[KeyLine] = []
    refused: list[tuple[str, str]] = []  # (key, words) of the keys the rules refuse here
    for key, active in screen.active_bindings.items():
        binding, node = active.binding, active.node
        if binding.system or not binding.description or not _declared_by_the_desk(node, binding):
            continue
        if binding.action in ("app.keys", "keys"):
            continue  # this sheet: listed once, last
        display = binding.key_display or KEY_NAMES.get(key, key)
        detail = binding.tooltip or ""
        if binding.action.startswith("refused("):
            refused.append((display, binding.description))
            continue
        line = KeyLine(display, binding.description, detail, active.enabled)
        if node is app:
            console.append(line)
            continue
        group = own.get((binding.action, binding.description))
        if group is None:
            own[(binding.action, binding.description)] = line
        else:  # one action on several keys (y and ctrl+s): one line
            own[(binding.action, binding.description)] = KeyLine(f"{group.keys}, {display}", group.words,
                                                                   group.detail, group.now)
    if refused:  # one line for them all: each key, pressed, says which rule refuses it and why
        own[("refused", "")] = KeyLine(" ".join(k for k, _words in refused), _("Refused here"),
                                       _("{actions}: the key says which rule and why").format(
                                           actions=_(", ").join(w for _key, w in refused)),
                                       True)
    in_call = getattr(app, "call", None) is not None
    console += [
        KeyLine("tab", _("Next field or list"), _("shift+tab: the one before"), True),
        KeyLine("ctrl+p", _("Commands"), _("every action of this screen by name"), True),
        KeyLine("ctrl+q", _("Quit"),
                _("asks first: the call in progress ends with an automatic wrap-up note") if in_call
                else _("leave the console"), True),
        KeyLine("?, f1", _("Keys"), _("this list (escape closes it)"), True),
    ]
    return [*own.values(), *console]


def key_words(line: KeyLine) -> Content:
    return Content.assemble((line.words, "bold" if line.now else "dim"),
                            (("" if line.now else _(" (not now)")), "dim"),
                            (f": {line.detail}" if line.detail else "", "" if line.now else "dim"))


class KeySheet(DeskModal[None]):
    # The box's size is in deskapp.tcss (the app's .dialog rule wins over a DEFAULT_CSS).
    DEFAULT_CSS = """
    KeySheet .keys-row { height: auto; }
    KeySheet .keys-key { width: 15; padding-right: 1; color: $text-primary; text-style: bold; }
    KeySheet .keys-what { width: 1fr; }
    """
    BINDINGS = [
        Binding("escape", "close", N_("Close"), id="keys_close", tooltip=N_("Back to the screen")),
        Binding("question_mark,f1", "close", N_("Close"), show=False, id="keys_close_again"),
    ]

    def __init__(self, screen: Screen) -> None:
        super().__init__()
        self._for = screen
        self._lines = screen_keys(screen)

    def compose(self) -> ComposeResult:
        name = getattr(self._for, "SCREEN_NAME", None) or self._for.sub_title or type(self._for).__name__
        with Vertical(id="keys-box", classes="dialog"):
            yield Static(_("Keys: {name}").format(name=name), classes="dialog-title", markup=False)
            with VerticalScroll(id="keys-body"):
                for line in self._lines:
                    with Horizontal(classes="keys-row"):
                        yield Static(line.keys, classes="keys-key", markup=False)
                        yield Static(key_words(line), classes="keys-what")
        yield Footer()

    def action_close(self) -> None:
        self.dismiss(None)
