"""The pty layer imports its helper (desk_terminal.py) by name, as tests/app does its own."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = str(Path(__file__).parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)
