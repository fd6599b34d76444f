"""Command palette: the actions of the current screen (what its footer offers and more).

Built from the screen's active bindings, so the palette never offers a key the screen would
refuse (check_action) and stays in step with the footer without a second list to maintain.
"""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider


class ScreenCommands(Provider):
    """Every enabled, described binding of the screen the palette was opened from."""

    def _actions(self) -> list[tuple[str, str, str, object]]:
        seen: set[str] = set()
        found = []
        for key, active in self.screen.active_bindings.items():
            binding = active.binding
            if not active.enabled or not binding.description or binding.system:
                continue
            if binding.action in ("command_palette", "app.command_palette"):
                continue
            if binding.action in seen or binding.description in seen:
                continue
            seen.update((binding.action, binding.description))
            display = binding.key_display or self.app.get_key_display(binding)
            found.append((binding.description, binding.tooltip or f"key: {display}", binding.action, active.node))
        return found

    def _runner(self, action: str, node: object):
        return partial(self.app.run_action, action, node)

    async def discover(self) -> Hits:
        for description, help_text, action, node in self._actions():
            yield DiscoveryHit(description, self._runner(action, node), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for description, help_text, action, node in self._actions():
            score = matcher.match(description)
            if score > 0:
                yield Hit(score, matcher.highlight(description), self._runner(action, node), help=help_text)
