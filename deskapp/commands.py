"""Command palette: the actions of the current screen (what its footer offers and more), in the
desk's words, ahead of Textual's own commands (theme, keys, screenshot, quit).

Built from the screen's active bindings, so the palette never offers a key the screen would
refuse (check_action) and stays in step with the footer without a second list to maintain. A
binding's description is the command; its tooltip, in the desk's words ("File an early
cancellation ..."), is the help line and is searched too, so "file" or "cancel" finds the kinds.
One provider yields both lists: the palette shows discovery hits in the order they come, and
search hits by score, where the screen's own get a lead of 1.
"""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.dom import DOMNode

SCREEN_LEAD = 1.0  # added to a screen action's match score: ahead of every generic command


class ScreenCommands(Provider):
    """Every enabled, described binding of the screen the palette was opened from, then the
    app's system commands."""

    def _actions(self) -> list[tuple[str, str, str, DOMNode]]:
        seen: set[str] = set()
        found: list[tuple[str, str, str, DOMNode]] = []
        for active in self.screen.active_bindings.values():
            binding = active.binding
            if not active.enabled or not binding.description or binding.system:
                continue
            if active.node is not self.screen and active.node is not self.app:
                continue  # a focused widget's keys (Up, Down, Home ...) are not the desk's actions
            if not _declared_by_the_desk(active.node, binding):
                continue  # Textual's own (focus next, copy, quit): after the desk's, as system commands
            if binding.action in ("command_palette", "app.command_palette", "keys", "app.keys"):
                continue  # the palette itself, and the key sheet: listed once, as a system command
            if binding.action in seen or binding.description in seen:
                continue
            seen.update((binding.action, binding.description))
            display = binding.key_display or self.app.get_key_display(binding)
            help_text = f"{binding.tooltip} ({display})" if binding.tooltip else f"key: {display}"
            found.append((binding.description, help_text, binding.action, active.node))
        found.sort(key=lambda action: action[3] is self.app)  # the screen's own first, then End call
        return found

    def _runner(self, action: str, node: DOMNode):
        return partial(self.app.run_action, action, node)

    def _system(self):
        return [c for c in self.app.get_system_commands(self.screen) if c.discover]

    async def discover(self) -> Hits:
        for description, help_text, action, node in self._actions():
            yield DiscoveryHit(description, self._runner(action, node), help=help_text)
        for command in self._system():
            yield DiscoveryHit(command.title, command.callback, help=command.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for description, help_text, action, node in self._actions():
            score = max(matcher.match(description), matcher.match(help_text))
            if score > 0:
                yield Hit(SCREEN_LEAD + score, matcher.highlight(description), self._runner(action, node),
                          text=description, help=help_text)
        for command in self.app.get_system_commands(self.screen):
            score = matcher.match(command.title)
            if score > 0:
                yield Hit(score, matcher.highlight(command.title), command.callback, help=command.help)


def _declared_by_the_desk(node: object, binding) -> bool:
    """Whether `binding` comes from a deskapp class's BINDINGS (not Textual's App or Screen)."""
    for cls in type(node).__mro__:
        for declared in cls.__dict__.get("BINDINGS", ()):
            if getattr(declared, "action", None) == binding.action:
                return not cls.__module__.startswith("textual")
    return False
