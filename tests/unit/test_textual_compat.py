"""Textual's private names are read and patched in one module, deskapp/textual_compat.py, for the
one Textual release it was written against: an upgrade fails here first, not in an agent's hands."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest
from textual.message_pump import MessagePump
from textual.screen import Screen
from textual.widgets import Header, OptionList
from textual.worker import Worker

from deskapp import textual_compat

ROOT = Path(__file__).resolve().parents[2]
PRIVATE = re.compile(r"textual\._|\._dispatch_message|widgets\._")


def pinned_in_pyproject() -> str:
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    (pin,) = [d for d in dependencies if re.match(r"textual\s*==", d)]
    return pin.split("==", 1)[1].strip()


def test_the_installed_textual_is_the_one_the_compat_module_was_written_for():
    assert textual_compat.PINNED_TEXTUAL == pinned_in_pyproject()
    assert version("textual") == textual_compat.PINNED_TEXTUAL, (
        "Textual differs from the pinned release: re-read deskapp/textual_compat.py (each entry "
        "names the public API it stands in for) and docs/textual-upstream.md, then move the pin")


def test_the_private_names_the_compat_module_reads_still_exist():
    pump = MessagePump()
    assert hasattr(pump, "_pending_message") and hasattr(pump, "_next_callbacks")
    assert isinstance(pump.message_queue_size, int)
    assert callable(MessagePump._dispatch_message)
    assert "_callbacks" in Screen.__init__.__code__.co_names
    assert "_thread_worker" in Worker.__init__.__code__.co_names
    assert callable(OptionList._move_page)
    assert callable(Header._on_mount)


def test_only_the_compat_module_names_textual_internals():
    offenders = []
    for package in ("deskapp", "tickets", "identity", "tools"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if path.name == "textual_compat.py":
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if PRIVATE.search(line):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


def test_importing_the_app_patches_nothing():
    probe = ("import deskapp.app\n"
             "from textual.message_pump import MessagePump\n"
             "from textual.widgets import OptionList\n"
             "print(MessagePump._dispatch_message.__qualname__, OptionList._move_page.__qualname__)\n"
             "deskapp.app.DeskApp()\n"
             "print(MessagePump._dispatch_message.__qualname__, OptionList._move_page.__qualname__)\n")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            cwd=ROOT, check=True)
    imported, built = result.stdout.splitlines()
    assert imported == "MessagePump._dispatch_message OptionList._move_page"
    assert built == "_count_dispatch.<locals>.counted _move_page_when_laid_out"


def test_install_patches_once(monkeypatch):
    monkeypatch.setattr(textual_compat, "_installed", False)
    original_move_page = OptionList._move_page
    original_on_mount = Header._on_mount
    original_dispatch = MessagePump._dispatch_message
    monkeypatch.setattr(OptionList, "_move_page", original_move_page)
    monkeypatch.setattr(Header, "_on_mount", original_on_mount)
    monkeypatch.setattr(MessagePump, "_dispatch_message", original_dispatch)
    textual_compat.install()
    assert OptionList._move_page is textual_compat._move_page_when_laid_out
    assert Header._on_mount is textual_compat._header_on_mount
    assert MessagePump._dispatch_message is not original_dispatch
    patched = MessagePump._dispatch_message
    textual_compat.install()
    assert MessagePump._dispatch_message is patched  # once per process


@pytest.mark.parametrize(("key", "name", "character"), [
    (".", "full_stop", "."), ("a", "a", "a"), ("enter", "enter", None), ("space", "space", " "),
])
def test_a_key_event_is_made_as_pilot_makes_it(key, name, character):
    event = textual_compat.key_event(key)
    assert (event.key, event.character) == (name, character)
