"""Reading a directory file: bytes to one JSON object, or the one reason it cannot be read."""

from __future__ import annotations

import json
import json.decoder
import json.scanner
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tickets.directory.records import FORMAT, VERSION
from tickets.errors import InvalidInput
from tickets.i18n import N_, _

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
    raise ValueError(_("{name} is not allowed").format(name=name))


def load(data: bytes | str) -> dict[str, Any]:
    """The file's JSON object, or DirectoryInvalid with the one reason it cannot be read."""
    document = _parse(_text(data))
    if not isinstance(document, dict):
        raise refuse(
            _('the file must hold one JSON object with "format": "{format}", not {kind}').format(
                format=FORMAT, kind=kind_of(document))
        )
    if document.get("format") != FORMAT:
        raise refuse(_('the file is not a deskapp directory: "format" must be "{format}"').format(format=FORMAT))
    version = document.get("version")
    if type(version) is not int or version != VERSION:
        raise refuse(_("unsupported directory version {version}: this deskapp reads version {supported}").format(
            version=show(version), supported=VERSION))
    return document


def _text(data: bytes | str) -> str:
    """The file's text: at most MAX_BYTES, UTF-8, a leading byte-order mark dropped, not blank."""
    if isinstance(data, bytearray | memoryview):
        data = bytes(data)
    if not isinstance(data, bytes | str):
        raise TypeError(f"directory data must be bytes or str, not {type(data).__name__}")
    if len(data) > MAX_BYTES:
        raise refuse(_("the file is larger than {megabytes} MB").format(megabytes=MAX_BYTES // (1024 * 1024)))
    if isinstance(data, str):
        text = data.removeprefix("\ufeff")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise refuse(_("the file is not UTF-8 text (invalid byte at offset {offset})").format(
                offset=error.start)) from None
    if not text.strip():
        raise refuse(_("the file is empty"))
    return text


class _DuplicateKey(ValueError):
    def __init__(self, key: str, line: int | None = None) -> None:
        super().__init__(key, line)
        self.key, self.line = key, line


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """json's object_pairs_hook: an object naming a key twice is refused (json keeps the last)."""
    document = dict(pairs)
    if len(document) != len(pairs):  # the first key named twice, for the message
        seen: set[str] = set()
        for key, _value in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return document


# json's decoder and scanner modules, whose Python parser's internals typeshed does not declare.
_json_decoder: Any = json.decoder
_json_scanner: Any = json.scanner


def _duplicate_key_line(text: str) -> int:
    """The line of the first repeated key, found by parsing again with json's Python scanner and
    an object parser that notes where each key starts (only done for a file that has one)."""
    # The Python scanner's hooks (parse_object, scan_once) and helpers (JSONObject, scanstring,
    # WHITESPACE, py_make_scanner) are json's own but undeclared in typeshed: reached through Any.
    decoder: Any = json.JSONDecoder(parse_constant=_no_constant)

    def parse_object(s_and_end, strict, scan_once, object_hook, object_pairs_hook, memo=None):
        s, start = s_and_end
        pairs, end = _json_decoder.JSONObject(s_and_end, strict, scan_once, None, list, memo)
        if len({key for key, _value in pairs}) != len(pairs):
            raise _DuplicateKey("", _second_key_line(s, start, scan_once))
        return dict(pairs), end

    decoder.parse_object = parse_object
    decoder.scan_once = _json_scanner.py_make_scanner(decoder)
    try:
        decoder.decode(text)
    except _DuplicateKey as found:
        return found.line or 0
    return 0  # pragma: no cover - the fast parse found a duplicate, so this one does too


def _second_key_line(s: str, pos: int, scan_once: Any) -> int:
    """Walk the members of the object whose text starts at ``pos`` (after its "{")."""
    skip = _json_decoder.WHITESPACE.match
    seen: set[str] = set()
    while True:
        pos = skip(s, pos).end()
        key, after = _json_decoder.scanstring(s, pos + 1)
        if key in seen:
            return s.count("\n", 0, pos) + 1
        seen.add(key)
        pos = skip(s, skip(s, after).end() + 1).end()  # past the ":"
        _value, pos = scan_once(s, pos)
        pos = skip(s, pos).end() + 1  # past the "," (the last member has a duplicate before it)


def _parse(text: str) -> Any:
    try:
        return json.loads(text, parse_constant=_no_constant, object_pairs_hook=_unique_keys)
    except _DuplicateKey as duplicate:
        raise refuse(_("the key {key} appears twice in one object (line {line}): each key may be given once").format(
            key=json.dumps(duplicate.key), line=_duplicate_key_line(text))) from None
    except RecursionError:
        raise refuse(_("the file is not a directory: its JSON is nested far too deeply")) from None
    except json.JSONDecodeError as error:
        raise refuse(_json_error(error, text)) from None
    except ValueError as error:  # NaN/Infinity, or an integer too long to read
        reason = _("a number has too many digits") if "digits" in str(error) else str(error)
        raise refuse(_("the file is not valid JSON: {reason}").format(reason=reason)) from None


def _json_error(error: json.JSONDecodeError, text: str) -> str:
    where = {"line": error.lineno, "column": error.colno}
    if error.msg.startswith("Unterminated string"):  # it runs to the end of the text
        return _("the file is not valid JSON: it ends too early (truncated?) inside a string that starts "
                 "at line {line} column {column}").format(**where)
    if error.pos >= len(text.rstrip()):
        return _("the file is not valid JSON: it ends too early (truncated?) at line {line} column {column}").format(
            **where)
    # The JSON parser's own words ("Expecting ',' delimiter") are Python's, in English.
    return _("the file is not valid JSON: {reason} at line {line} column {column}").format(reason=error.msg, **where)


def kind_of(value: Any) -> str:
    kind = _KINDS.get(type(value))
    return _(kind) if kind else type(value).__name__


# What a JSON value is, in a message (translated where it is said).
_KINDS: dict[type, str] = {
    list: N_("an array"),
    str: N_("a string"),
    int: N_("a number"),
    float: N_("a number"),
    bool: N_("true or false"),
    type(None): "null",
    dict: N_("an object"),
}


def show(value: Any) -> str:
    """A value for an error message: scalars shortened, containers by kind only."""
    if isinstance(value, str | int | float | bool) or value is None:
        text = repr(value) if not isinstance(value, int) or abs(value) < 10**30 else _("a huge number")
        return text if len(text) <= 40 else text[:37] + "..."
    return kind_of(value)


def read_file(path: Path) -> bytes:
    """The bytes of the directory file at ``path``; DirectoryInvalid or InvalidInput if it
    cannot be read. At most MAX_BYTES are read whatever the file claims its size is: a pipe,
    a FIFO or /dev/zero has no size, and a regular file may grow while it is read."""
    try:
        with path.open("rb") as file:
            data = file.read(MAX_BYTES + 1)
    except OSError as error:
        raise InvalidInput(_("{path}: cannot read the directory file ({reason})").format(
            path=path, reason=error.strerror or error)) from None
    if len(data) > MAX_BYTES:
        raise refuse(_("{path}: the file is larger than {megabytes} MB").format(
            path=path, megabytes=MAX_BYTES // (1024 * 1024)))
    return data
