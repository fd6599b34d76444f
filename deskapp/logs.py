"""The desk's log: a rotating file in the user's state directory (platformdirs), so that a fault
at a desk can be diagnosed afterwards.

What goes in: every worker failure with its traceback, every store error, every command-line
error. What never goes in: personal data. An exception's message is left out of the log,
because drivers and validators quote the values they were given (SQLAlchemy appends the SQL
parameters, a phone parser repeats the number); the log keeps the exception's type, the rule and
field a DeskError names, and the stack (file, line, function and source line: code, not data).
"""

from __future__ import annotations

import logging
import logging.handlers
import traceback
from pathlib import Path

LOGGERS = ("deskapp", "tickets")
MAX_BYTES = 1_000_000
BACKUPS = 5
log = logging.getLogger("deskapp")


def log_file() -> Path:
    from deskapp.config import log_dir

    return log_dir() / "deskapp.log"


def describe(error: BaseException) -> str:
    """The exception's qualified type, and the rule and field it names: never its message."""
    kind = type(error)
    text = f"{kind.__module__}.{kind.__qualname__}"
    rule, field = getattr(error, "rule", None), getattr(error, "field", None)
    errors = getattr(error, "errors", None)
    if isinstance(errors, dict):
        field = field or ", ".join(map(str, errors))
    if rule:
        text += f" rule={rule}"
    if field:
        text += f" field={field}"
    return text


class SafeFormatter(logging.Formatter):
    """Tracebacks without exception messages (see the module's docstring)."""

    def formatException(self, ei) -> str:  # noqa: N802 - logging's name
        error = ei[1]
        parts: list[str] = []
        seen: set[int] = set()
        while error is not None and id(error) not in seen:
            seen.add(id(error))
            frames = traceback.format_list(traceback.extract_tb(error.__traceback__))
            parts.insert(0, "Traceback (most recent call last):\n" + "".join(frames) + describe(error))
            error = error.__cause__ or (None if error.__suppress_context__ else error.__context__)
        return "\nwhich caused:\n".join(parts)


_handler: logging.Handler | None = None


def setup_logging(path: Path | None = None) -> Path:
    """Attach the rotating file to the deskapp and tickets loggers (again if `path` moved).
    The file opens on the first record, so a console that never fails writes nothing."""
    global _handler
    path = path or log_file()
    if _handler is not None and getattr(_handler, "baseFilename", None) == str(path.absolute()):
        return path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=True
        )
    except OSError:  # a read-only home must not stop the desk
        handler = logging.NullHandler()
    handler.setFormatter(SafeFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if _handler is not None:
            logger.removeHandler(_handler)
            _handler.close()
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    _handler = handler
    return path


def log_failure(where: str, error: BaseException) -> None:
    """One record: where it failed, what (type, rule, field) and the stack."""
    log.error("%s failed: %s", where, describe(error), exc_info=(type(error), error, error.__traceback__))
