"""Reading a directory file: bytes to one JSON object, or the one reason it cannot be read."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tickets.directory.records import FORMAT, VERSION
from tickets.errors import InvalidInput

MAX_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class DirectoryError:
    """One problem in a directory file: the record (``organizations[3].people[1]``, ``""`` for
    the file itself), the field (``phone``, ``address.city``; may be ``""``) and what is wrong."""

    path: str
    field: str
    message: str

    def __str__(self) -> str:
        where = " ".join(part for part in (self.path, self.field) if part)
        return f"{where}: {self.message}" if where else self.message


class DirectoryInvalid(InvalidInput):
    """The file was not imported. ``errors`` lists every problem; ``str()`` gives one a line."""

    def __init__(self, errors: Sequence[DirectoryError]):
        errors = list(errors)
        super().__init__([str(error) for error in errors])
        self.errors: list[DirectoryError] = errors  # type: ignore[assignment]
        self.message = "\n".join(str(error) for error in errors)



def refuse(message: str) -> DirectoryInvalid:
    return DirectoryInvalid([DirectoryError("", "", message)])


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


def load(data: bytes | str) -> dict[str, Any]:
    """The file's JSON object, or DirectoryInvalid with the one reason it cannot be read."""
    document = _parse(_text(data))
    if not isinstance(document, dict):
        raise refuse(
            f"the file must hold one JSON object with \"format\": \"{FORMAT}\", not {kind_of(document)}"
        )
    if document.get("format") != FORMAT:
        raise refuse(f"the file is not a deskapp directory: \"format\" must be \"{FORMAT}\"")
    version = document.get("version")
    if type(version) is not int or version != VERSION:
        raise refuse(f"unsupported directory version {show(version)}: this deskapp reads version {VERSION}")
    return document


def _text(data: bytes | str) -> str:
    """The file's text: at most MAX_BYTES, UTF-8, a leading byte-order mark dropped, not blank."""
    if isinstance(data, bytearray | memoryview):
        data = bytes(data)
    if not isinstance(data, bytes | str):
        raise TypeError(f"directory data must be bytes or str, not {type(data).__name__}")
    if len(data) > MAX_BYTES:
        raise refuse(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB")
    if isinstance(data, str):
        text = data.removeprefix("\ufeff")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise refuse(f"the file is not UTF-8 text (invalid byte at offset {error.start})") from None
    if not text.strip():
        raise refuse("the file is empty")
    return text


def _parse(text: str) -> Any:
    try:
        return json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        raise refuse("the file is not a directory: its JSON is nested far too deeply") from None
    except json.JSONDecodeError as error:
        raise refuse(_json_error(error, text)) from None
    except ValueError as error:  # NaN/Infinity, or an integer too long to read
        reason = "a number has too many digits" if "digits" in str(error) else str(error)
        raise refuse(f"the file is not valid JSON: {reason}") from None


def _json_error(error: json.JSONDecodeError, text: str) -> str:
    where = f"line {error.lineno} column {error.colno}"
    if error.msg.startswith("Unterminated string"):  # it runs to the end of the text
        return (f"the file is not valid JSON: it ends too early (truncated?) inside a string that starts "
                f"at {where}")
    if error.pos >= len(text.rstrip()):
        return f"the file is not valid JSON: it ends too early (truncated?) at {where}"
    return f"the file is not valid JSON: {error.msg} at {where}"


def kind_of(value: Any) -> str:
    return {
        list: "an array",
        str: "a string",
        int: "a number",
        float: "a number",
        bool: "true or false",
        type(None): "null",
        dict: "an object",
    }.get(type(value), type(value).__name__)


def show(value: Any) -> str:
    """A value for an error message: scalars shortened, containers by kind only."""
    if isinstance(value, str | int | float | bool) or value is None:
        text = repr(value) if not isinstance(value, int) or abs(value) < 10**30 else "a huge number"
        return text if len(text) <= 40 else text[:37] + "..."
    return kind_of(value)


def read_file(path: Path) -> bytes:
    """The bytes of the directory file at ``path``; DirectoryInvalid or InvalidInput if it
    cannot be read."""
    try:
        if path.stat().st_size > MAX_BYTES:
            raise refuse(f"{path}: the file is larger than {MAX_BYTES // (1024 * 1024)} MB")
        return path.read_bytes()
    except OSError as error:
        raise InvalidInput(f"{path}: cannot read the directory file ({error.strerror or error})") from None
