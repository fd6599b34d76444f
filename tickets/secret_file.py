"""Secrets kept in files: the database password, the SMTP password, webhook signing secrets.

Each is the first line of a file only its owner can read (as libpq asks of ~/.pgpass), never a
value typed on a command line or in the config itself.
"""

from __future__ import annotations

import stat
from pathlib import Path

from tickets.i18n import _


def read_secret_line(path: Path, setting: str) -> bytes:
    """The first line of `path`, without its line end. ValueError, one sentence naming `setting`,
    when others can read the file or it cannot be read."""
    try:
        if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise ValueError(
                setting + ": " + _("{path} can be read by other users; chmod 600 {path}").format(path=path)
            )
        with path.open("rb") as stream:
            return stream.readline().rstrip(b"\r\n")
    except OSError as error:
        raise ValueError(
            setting + ": " + _("cannot read {path}: {reason}").format(path=path, reason=error.strerror)
        ) from None


def read_secret_text(path: Path, setting: str) -> str:
    """read_secret_line as text: UTF-8 and not empty."""
    line = read_secret_line(path, setting)
    try:
        secret = line.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError(setting + ": " + _("{path} is not UTF-8 text").format(path=path)) from None
    if not secret:
        raise ValueError(setting + ": " + _("{path} is empty").format(path=path))
    return secret
