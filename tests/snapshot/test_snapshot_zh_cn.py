"""Every screen at 80x24 in Simplified Chinese (tools/screen_tour.py, `language="zh-CN"`),
each looked at before it was accepted; and what each shows holds no English left but rule IDs,
product names, key names and the directory's own data (names, addresses, references): a text a
person reads that is not in the catalog shows up here as an English word."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from screen_tour import STOPS
from screenshots import settle
from tickets.demo import DEMO_AGENTS, demo_directory

SIZE = (80, 24)
WORD = re.compile(r"[A-Za-z][A-Za-z'’]*[A-Za-z]")
# Names that stay as they are in Chinese: products and their parts, the console's own name,
# key names as printed on the keys (footer "esc", prose "Esc"), abbreviations the desk uses as
# such, time zones. Nothing else: every other English word on a zh-CN screen fails the test.
KEPT = {
    "Office", "Microsoft", "Intune", "Dynamics", "Internet", "Marketing", "Ad", "Center", "Online",
    "Services", "Commerce", "Transaction", "Excel", "IMS", "FPP", "deskapp", "PIN", "ID", "IT", "URL",
    "DNS", "NS", "UTC", "CST", "ctrl", "esc", "Esc", "enter", "Enter", "tab", "space", "CSV", "JSON", "Lines",
    "SUB", "ORG",
    "TK", "RES", "CMP", "VAT", "YYYY", "MM", "DD", "HH", "rldx",
}
def rendered_text(app) -> str:
    """What the terminal shows now, line by line (as tests/app/deskapp_testing.rendered_text)."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


# What the directory holds as data a person reads as it is stored: names, addresses, references,
# phones (e-mail addresses and domains are left out of a screen's words anyway). Not its field
# names, nor its enumerations (states, channels, roles): those are the console's own words.
DATA_FIELDS = {
    "ref", "name", "url", "city", "region", "postal_code", "country", "street_lines",
    "first_name", "last_name", "phone", "custom_domains", "description",
}


def _data_values(node: object, field: str = "") -> list[str]:
    if isinstance(node, dict):
        return [text for key, value in node.items() for text in _data_values(value, key)]
    if isinstance(node, list):
        return [text for value in node for text in _data_values(value, field)]
    return [node] if isinstance(node, str) and field in DATA_FIELDS else []


def _data_words() -> set[str]:
    """Every word of the demo directory's data and the demo agents' names: shown as stored."""
    values = _data_values(demo_directory(datetime(2026, 11, 22, tzinfo=UTC)))
    agents = [text for user, name, _role, _pin in DEMO_AGENTS for text in (user, name)]
    return set(WORD.findall(" ".join(values + agents)))


DATA = _data_words()


def english_words(text: str) -> set[str]:
    """The English words of a screen's text, leaving out e-mail addresses, domains and paths."""
    text = re.sub(r"\S*[@/]\S*|\b[\w-]+\.(?:[\w-]+\.)*[a-z]{2,}\b", " ", text)
    # A cell's text cut with an ellipsis ("Ga…" of "Games"): data, however short the cut.
    text = re.sub(r"\b(\w+)…", lambda cut: " " if any(d.startswith(cut[1]) for d in DATA) else cut[0], text)
    return {w for w in WORD.findall(text) if w not in KEPT and w not in DATA and not _cut(w)}


def _cut(word: str) -> bool:
    """A name cut short to fit its cell ("Fabri…"): the start of a data word."""
    return len(word) >= 3 and any(d.startswith(word) for d in DATA | KEPT)


@pytest.mark.parametrize("stop", STOPS, ids=[s.name for s in STOPS])
def test_every_screen_at_80x24_in_zh_cn(snap_compare, seeded_store, clock, stop):
    from deskapp.factory import make_app

    if stop.prepare is not None:
        stop.prepare(seeded_store)
    shown: list[str] = []

    async def run_before(pilot):
        await stop.drive(pilot)
        await settle(pilot)
        for field in pilot.app.screen.query("Input"):
            field.cursor_blink = False
        await pilot.pause()
        shown.append(rendered_text(pilot.app))

    app = make_app(seeded_store, clock, language="zh-CN")
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
    assert english_words(shown[0]) == set()
