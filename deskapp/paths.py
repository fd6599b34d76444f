"""Where the console writes files by default. One function per place; the desk's settings
(deskapp.config: export_dir) override it."""

from __future__ import annotations

from pathlib import Path

from deskapp.config import data_dir


def default_export_dir() -> Path:
    """The folder exports go to unless the settings name another: `exports` in the user's data
    folder ($XDG_DATA_HOME/deskapp/exports, ~/.local/share/deskapp/exports on Linux), never the
    current directory. Created on first use, readable by its owner only: exports hold personal data."""
    folder = data_dir() / "exports"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder
