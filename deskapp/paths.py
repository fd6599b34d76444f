"""Where the console writes files by default. One function per place, so that a configuration
file can later override it in one spot."""

from __future__ import annotations

from pathlib import Path

import platformdirs

APP_NAME = "deskapp"


def default_export_dir() -> Path:
    """The folder exports go to unless another is given: `exports` in the user's data folder
    ($XDG_DATA_HOME/deskapp/exports, ~/.local/share/deskapp/exports on Linux), never the current
    directory. Created on first use, readable by its owner only: exports hold personal data."""
    folder = platformdirs.user_data_path(APP_NAME, appauthor=False) / "exports"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder
