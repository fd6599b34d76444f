"""Normalisation of the free-text verification factors (V-1, V-3).

V-3: comparison is exact after normalisation (Unicode NFKC, case, white space, punctuation) and
never fuzzy. Each normaliser here returns the *matching key* of a value: two values are the same
fact exactly when their keys are equal. Keys are for comparing, not for showing.

Every function takes ``str`` only (anything else is a programming error and raises
``TypeError``), is idempotent, and signals a bad value only with an ``IdentityError`` subclass.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from identity.errors import InvalidAddress, InvalidName, InvalidText, InvalidUrl

__all__ = [
    "DISGUISING_CHARACTERS",
    "check_storable_text",
    "check_undisguised_text",
    "MAX_ADDRESS_LINE_LENGTH",
    "MAX_NAME_LENGTH",
    "Address",
    "normalize_address",
    "normalize_org_name",
    "normalize_person_name",
    "normalize_text",
    "normalize_url",
]

MAX_NAME_LENGTH = 200
MAX_ADDRESS_LINE_LENGTH = 200

# A few rounds always reach the fixed point in practice (removing a character can let its
# neighbours compose under NFKC, so one pass is not always enough); the bound is a safety net.
_MAX_ROUNDS = 8


def require_str(value: object, what: str = "value") -> str:
    """Return ``value`` if it is a ``str``; anything else is a caller's bug, not bad input."""
    if not isinstance(value, str):
        raise TypeError(f"{what} must be str, not {type(value).__name__}")
    return value


_SURROGATE = re.compile("[\ud800-\udfff]")
# Control characters other than tab, line feed and carriage return, and DEL: one C-speed search
# (filing checks every free-text field with it).
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def has_surrogate(value: str) -> bool:
    """True if ``value`` holds a lone surrogate (not valid Unicode text; e.g. from a bad paste)."""
    return not value.isascii() and _SURROGATE.search(value) is not None


def check_storable_text(value: str, field: str) -> str:
    """Refuse text that is not text: lone surrogates (a broken paste) and control characters
    other than tab and line breaks. Databases refuse or mangle them, so they are stopped here
    with the field named instead of surfacing as a driver error (V-3)."""
    require_str(value)
    if has_surrogate(value) or _NOT_TEXT.search(value) is not None:
        raise InvalidText(
            field, "V-3", "contains characters that are not valid text (control characters or a broken paste)"
        )
    return value


# Invisible format characters that can make a name read as something else: bidirectional
# overrides and isolates (U+202A-U+202E, U+2066-U+2069) reorder what is shown, zero-width
# characters (U+200B-U+200D, U+2060, U+FEFF) hide inside a name, and line and paragraph
# separators (U+2028, U+2029) break it over lines.
DISGUISING_CHARACTERS = frozenset(
    "\u200b\u200c\u200d\u2060\ufeff\u2028\u2029"
    + "".join(chr(c) for c in range(0x202A, 0x202F))
    + "".join(chr(c) for c in range(0x2066, 0x206A))
)


_DISGUISING = re.compile("[" + "".join(sorted(DISGUISING_CHARACTERS)) + "]")


# Fillers that render as nothing but are letters, not format characters: Hangul fillers
# (U+3164, U+115F, U+1160, U+FFA0) pass for an empty name or pad one unseen.
INVISIBLE_LETTERS = frozenset("\u3164\u115f\u1160\uffa0")


def is_invisible(char: str) -> bool:
    """Every invisible format character (Unicode category Cf: bidi marks, soft hyphen, invisible
    operators, tags ...) and the invisible fillers."""
    return char in DISGUISING_CHARACTERS or char in INVISIBLE_LETTERS or unicodedata.category(char) == "Cf"


def _first_invisible(value: str) -> str | None:
    match = _DISGUISING.search(value)
    if match is not None:
        return match.group()
    return next((char for char in value if ord(char) > 0x7F and is_invisible(char)), None)


def check_undisguised_text(value: str, field: str) -> str:
    """Refuse a stored name or address holding an invisible character (`is_invisible`), naming
    the field and the character: matching ignores them (V-3), but a person reading the
    directory would not see the name that is matched."""
    require_str(value)
    found = None if value.isascii() else _first_invisible(value)
    if found is not None:
        raise InvalidText(field, "V-3", f"contains the invisible character U+{ord(found):04X} "
                                        f"({unicodedata.name(found, 'format character')}), which can "
                                        "disguise text: remove it")
    return value


class _MarkTable(dict[int, str | None]):
    """``str.translate`` table of ``_strip_marks``, filled as characters are met (a lookup per
    character instead of a category call)."""

    def __missing__(self, code: int) -> str | None:
        ch = chr(code)
        category = unicodedata.category(ch)
        if category[0] == "P" or category in ("Cf", "Cs"):
            out = None
        elif category == "Cc":
            out = " " if ch.isspace() else None
        else:
            out = ch
        if len(self) < 50_000:  # a bound on memory, whatever text comes in
            self[code] = out
        return out


_MARKS = _MarkTable()


def _strip_marks(value: str) -> str:
    """Drop punctuation (P*), invisible format characters (Cf) and lone surrogates (Cs).

    Control characters (Cc) that are white space become a space; other controls are dropped.
    Format characters are dropped because a zero-width space pasted into a name must not turn
    a match into a miss.
    """
    return value.translate(_MARKS)


def _folded(value: str) -> str:
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", value).casefold())


def _one_round(value: str) -> str:
    # str.split() splits on every Unicode white space run and drops the ends.
    return " ".join(_strip_marks(_folded(value)).split())


# What one round does to an ASCII character: NFKC leaves ASCII alone and casefolding it is
# lower(), so a round is a table lookup; punctuation (P*) and non-space controls go, space
# controls become a space. As a bytes table (one C pass over the encoded text, lower-casing
# included): about half the CPU of str.lower() then str.translate() with a dict.
_ASCII_DROPPED = bytes(
    c for c in range(128)
    if (unicodedata.category(chr(c))[0] == "P" or unicodedata.category(chr(c)) == "Cc") and not chr(c).isspace()
)
_ASCII_TABLE = bytes(
    32 if chr(c).isspace() else (c + 32 if 65 <= c <= 90 else c) if c < 128 else c for c in range(256)
)


def normalize_text(value: str) -> str:
    """V-3 matching key of free text: NFKC, casefolded, punctuation removed, white space collapsed.

    ``"  Contoso   Ltd. "`` and ``"CONTOSO LTD"`` both give ``"contoso ltd"``. Punctuation is
    removed, not replaced: ``"O'Brien"`` gives ``"obrien"``. Lone surrogates are dropped.
    Never raises for a ``str``; may return ``""``.
    """
    if value.__class__ is str and value.isascii():
        # Most names are ASCII; one round of the table is already the fixed point
        # (tests/unit/identity/test_identity_keys.py checks it against the general path).
        return _ascii_round(value)
    return _normalize_text_general(value)


def _ascii_round(value: str) -> str:
    """`_one_round` of ASCII text, and its fixed point (the spaces the table leaves are the only
    white space bytes.split() sees)."""
    return b" ".join(value.encode("ascii").translate(_ASCII_TABLE, _ASCII_DROPPED).split()).decode("ascii")


def _normalize_text_general(value: str) -> str:
    require_str(value)
    try:
        value.encode("utf-8")  # fails on lone surrogates only: cheaper than searching for them
    except UnicodeEncodeError:
        value = _SURROGATE.sub("", value)
    for done in range(1, _MAX_ROUNDS + 1):
        if value.isascii():
            return _ascii_round(value)
        # `_one_round`, which ends with the ASCII round once the text is ASCII ("Straße" ->
        # "strasse"): the rounds after it give that round's result (lower-case: nothing a
        # round keeps of ASCII differs but by case), the fixed point, with no more Unicode passes.
        folded = _folded(value)
        if folded.isascii() and done < _MAX_ROUNDS:
            return _ascii_round(folded)
        nxt = " ".join(_strip_marks(folded).split())
        if nxt == value:
            break
        value = nxt
    return value


def _normalize_name(value: str, field: str, kind: str) -> str:
    key = normalize_text(value)  # V-3's one home (the rule catalog names it)
    if not key:
        raise InvalidName(field, "V-3", f"{kind} is empty")
    if len(key) > MAX_NAME_LENGTH:
        raise InvalidName(field, "V-3", f"{kind} is longer than {MAX_NAME_LENGTH} characters")
    return key


def normalize_person_name(value: str, field: str = "name") -> str:
    """V-3 key of a first or last name; ``InvalidName`` if empty or over 200 characters."""
    return _normalize_name(value, field, "name")


def normalize_org_name(value: str, field: str = "org_name") -> str:
    """V-3 key of an organization name: ``"Contoso Ltd"`` and ``"Contoso Ltd."`` are equal."""
    return _normalize_name(value, field, "organization name")


# --- organization URL (V-1 [D365]) -----------------------------------------------------------

_SCHEME = re.compile(r"^[a-z][a-z0-9+.\-]*://", re.IGNORECASE)
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_TLD = re.compile(r"^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$")
# Dots that IDNA treats as label separators (ideographic and half-width ideographic full stop).
_AUTHORITY_END = re.compile(r"[/?#\\]")
_DOTS = str.maketrans({"\u3002": ".", "\uff61": ".", "\uff0e": "."})


def _ascii_label(label: str, field: str) -> str:
    """One host label as lower-case ASCII (IDNA A-label for non-ASCII labels)."""
    try:
        if label.isascii():
            label = label.lower()
            if label.startswith("xn--"):
                # Only a canonical A-label is accepted, so "xn--" and Unicode input meet.
                if label.encode("ascii").decode("idna").encode("idna").decode("ascii").lower() != label:
                    raise UnicodeError("not canonical")
            return label
        return label.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise InvalidUrl(field, "V-3", "host name is not valid") from None


# What normalize_url keys the usual way: after the scheme, if any, an ASCII host of two labels or more
# (none a Punycode one: those are checked by IDNA), an alphabetic top-level domain, perhaps a
# trailing dot and a port, then nothing or a path, query or fragment, which play no part.
# The scheme as _SCHEME reads it, possessive: when there is one, it is never read as a host.
_PLAIN_URL = re.compile(
    r"(?:[A-Za-z][A-Za-z0-9+.\-]*://)?+"
    r"((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63})\.?(?::[0-9]*)?(?:[/?#\\].*)?",
    re.DOTALL,
)


def normalize_url(value: str, field: str = "org_url") -> str:
    """V-3 key of an organization URL: its host, lower-case ASCII (IDNA).

    The scheme, user-less authority, port, path, query, fragment and a trailing dot are not
    part of the key: ``"HTTPS://Contoso.crm.dynamics.com/main.aspx"`` gives
    ``"contoso.crm.dynamics.com"``. ``InvalidUrl`` if there is no plausible public host
    (at least two labels, alphabetic top-level domain, no IP address) or if a user name or
    password is embedded (V-6).
    """
    if value.__class__ is str and value.isascii():
        # NFKC and the full stops leave ASCII as it is: an ASCII URL of the usual shape gives
        # its host in one match (tests/unit/identity/test_identity_normalize.py checks it
        # against the general path).
        plain = _PLAIN_URL.fullmatch(value.strip())
        if plain is not None:
            host = plain.group(1).lower()
            if len(host) <= 253 and "xn--" not in host:
                return host
    return _normalize_url_general(value, field)


def _normalize_url_general(value: str, field: str) -> str:
    require_str(value)
    if has_surrogate(value):
        raise InvalidUrl(field, "V-3", "contains characters that are not valid text")
    text = unicodedata.normalize("NFKC", value).translate(_DOTS).strip()
    if not text:
        raise InvalidUrl(field, "V-3", "URL is empty")
    match = _SCHEME.match(text)
    if match:
        text = text[match.end() :]
    elif text.startswith("//"):
        text = text[2:]
    authority = _AUTHORITY_END.split(text, maxsplit=1)[0]
    if "@" in authority:
        raise InvalidUrl(field, "V-6", "URL must not contain a user name or password")
    host, sep, port = authority.rpartition(":")
    if not sep:
        host = authority
    elif port and not (port.isascii() and port.isdigit()):
        raise InvalidUrl(field, "V-3", "URL has an invalid port")
    if host.endswith("."):
        host = host[:-1]
    if not host or host.split() != [host]:  # any white space in it
        raise InvalidUrl(field, "V-3", "URL has no host name")
    labels = [_ascii_label(label, field) for label in host.split(".")]
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise InvalidUrl(field, "V-3", "URL has no plausible host name")
    if not _TLD.match(labels[-1]):
        raise InvalidUrl(field, "V-3", "URL has no plausible host name")
    result = ".".join(labels)
    if len(result) > 253:
        raise InvalidUrl(field, "V-3", "host name is too long")
    return result


# --- street address (V-1) --------------------------------------------------------------------


@dataclass(frozen=True)
class Address:
    """A complete street address, component by component (V-1)."""

    street_lines: tuple[str, ...]
    city: str
    region: str  # may be ""
    postal_code: str  # may be ""
    country: str  # ISO 3166-1 alpha-2, upper-case


def normalize_country(value: str, field: str = "address.country") -> str:
    """ISO 3166-1 alpha-2 code, upper-case (``"gb"`` and full-width ``"ＧＢ"`` give ``"GB"``)."""
    if value.__class__ is str and value.isascii():
        code = value.strip().upper()  # NFKC leaves ASCII as it is
    else:
        require_str(value)
        code = unicodedata.normalize("NFKC", value).strip().upper() if not has_surrogate(value) else ""
    if len(code) != 2 or not (code.isascii() and code.isalpha()):
        raise InvalidAddress(field, "V-3", "country must be a two-letter ISO 3166 code")
    return code


def address_problems(address: Address, field: str = "address") -> dict[str, InvalidAddress]:
    """Every format problem of ``address``, keyed ``f"{field}.street"``, ``.city``, ``.country``."""
    return _checked_parts(address, field)[0]


def _checked_parts(address: Address, field: str) -> tuple[dict[str, InvalidAddress], list[str], str, str | None]:
    """(the problems, the street lines' keys, the city's key, the country code or None): what
    both the format check and the key need, worked out once."""
    problems: dict[str, InvalidAddress] = {}
    street_key, city_key = f"{field}.street", f"{field}.city"
    lines = [key for key in map(normalize_text, _lines(address.street_lines)) if key]
    if not lines:
        problems[street_key] = InvalidAddress(street_key, "V-1", "street address is required")
    elif max(map(len, lines)) > MAX_ADDRESS_LINE_LENGTH:
        problems[street_key] = InvalidAddress(
            street_key, "V-3", f"street line is longer than {MAX_ADDRESS_LINE_LENGTH} characters"
        )
    city = normalize_text(require_str(address.city, "city"))
    if not city:
        problems[city_key] = InvalidAddress(city_key, "V-1", "city is required")
    elif len(city) > MAX_ADDRESS_LINE_LENGTH:
        problems[city_key] = InvalidAddress(
            city_key, "V-3", f"city is longer than {MAX_ADDRESS_LINE_LENGTH} characters"
        )
    country = None
    try:
        country = normalize_country(address.country, f"{field}.country")
    except InvalidAddress as error:
        problems[error.field] = error
    return problems, lines, city, country


def _lines(lines: Iterable[str]) -> list[str]:
    if isinstance(lines, str):
        # A bare string is one line, not a sequence of one-character lines.
        return [lines]
    return [require_str(line, "street line") for line in lines]


def _postal_code(value: str) -> str:
    """``normalize_text`` without any space (removing one can let its neighbours compose)."""
    if value.isascii():
        return normalize_text(value).replace(" ", "")  # nothing composes in ASCII: one pass
    for _ in range(_MAX_ROUNDS):
        nxt = normalize_text(value).replace(" ", "")
        if nxt == value:
            break
        value = nxt
    return value


def normalize_address(address: Address, field: str = "address") -> Address:
    """V-3 key of an address, component by component with ``normalize_text``.

    Empty street lines are dropped; the postal code also loses its inner spaces
    (``"SW1A 1AA"`` equals ``"SW1A1AA"``); the country is an upper-case alpha-2 code.
    ``InvalidAddress`` (field ``address.street``, ``address.city`` or ``address.country``)
    if there is no street line, no city or no valid country.
    """
    problems, lines, city, country = _checked_parts(address, field)
    if problems or country is None:  # the country is None only when it is one of the problems
        raise next(iter(problems.values()))
    return Address(
        street_lines=tuple(lines),
        city=city,
        region=normalize_text(require_str(address.region, "region")),
        postal_code=_postal_code(require_str(address.postal_code, "postal_code")),
        country=country,
    )


# Joins an address's component keys into one (one stored key, one comparison). No
# component key can hold it: normalize_text turns a control character into a space or drops it.
ADDRESS_KEY_SEPARATOR = "\x1f"


def address_problems_and_key(address: Address, field: str = "address") -> tuple[dict[str, InvalidAddress], str | None]:
    """The format problems of ``address`` and, when there are none, its V-3 key as one string
    (street lines joined by a space, then city, region, postal code and country), each
    component normalised once. Raises as ``address_problems`` does for a non-``str`` street
    line, city or country; the key is ``None`` for a non-``str`` region or postal code."""
    problems, lines, city, country = _checked_parts(address, field)
    if problems or country is None:  # the country is None only when it is one of the problems
        return problems, None
    try:
        region = normalize_text(require_str(address.region, "region"))
        postal = _postal_code(require_str(address.postal_code, "postal_code"))
    except TypeError:
        return problems, None
    return problems, ADDRESS_KEY_SEPARATOR.join((" ".join(lines), city, region, postal, country))
