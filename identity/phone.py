"""Phone numbers (V-1, V-3).

V-3: phone numbers are compared as E.164, parsed with the organization's country as the default
region. Impossible numbers are malformed input (V-4: flagged inline, no attempt spent); numbers
that are possible but not known to be valid (new ranges, test ranges) are accepted with a
warning, since the number on file is the authority, not the metadata.

Full-width and other non-Latin decimal digits (Arabic-Indic, Persian, Devanagari ...) are read
as digits. Only ``phonenumbers`` core is used, never its geocoder or carrier data.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, ValidationResult

from identity.errors import InvalidPhone
from identity.normalize import has_surrogate, require_str

__all__ = ["ParsedPhone", "format_as_you_type", "parse_phone", "phone_key"]

# Longer than any real number with its punctuation; keeps the formatter's work bounded.
_MAX_TYPED_LENGTH = 64

# Whole sentences in the desk's words (the field's label stands beside them on screen).
_PARSE_ERRORS = {
    NumberParseException.INVALID_COUNTRY_CODE: "no valid country code: start with + and the country code",
    NumberParseException.NOT_A_NUMBER: "type the digits of a phone number (spaces, dashes, brackets and + are fine)",
    NumberParseException.TOO_SHORT_AFTER_IDD: "too short for a phone number",
    NumberParseException.TOO_SHORT_NSN: "too short for a phone number",
    NumberParseException.TOO_LONG: "too long for a phone number",
}

_IMPOSSIBLE = {
    ValidationResult.INVALID_COUNTRY_CODE: "unknown country code",
    ValidationResult.TOO_SHORT: "too short",
    ValidationResult.TOO_LONG: "too long",
    ValidationResult.INVALID_LENGTH: "wrong length",
    ValidationResult.IS_POSSIBLE_LOCAL_ONLY: "area code missing",
}


@dataclass(frozen=True)
class ParsedPhone:
    """A possible phone number: its E.164 key and, for unusual numbers, why it is unusual."""

    e164: str
    warning: str | None = None
    valid: bool = True  # phonenumbers knows the number as valid for its region


def _region(region: str) -> str:
    code = unicodedata.normalize("NFKC", region).strip().upper() if isinstance(region, str) else ""
    # "ZZ" is phonenumbers' unknown region: only numbers written with +country code parse.
    return code if code in phonenumbers.SUPPORTED_REGIONS else "ZZ"


def _ascii_digits(value: str) -> str:
    """Map every decimal digit of any script to ASCII; leave other characters alone."""
    out: list[str] = []
    for ch in value:
        digit = unicodedata.decimal(ch, None) if not ch.isascii() else None
        out.append(str(digit) if digit is not None else ch)
    return "".join(out)


def _parse(value: str, region: str, field: str) -> phonenumbers.PhoneNumber:
    try:
        return phonenumbers.parse(value, region)
    except NumberParseException as error:
        message = _PARSE_ERRORS.get(error.error_type, _PARSE_ERRORS[NumberParseException.NOT_A_NUMBER])
        raise InvalidPhone(field, "V-3", message) from None


def _region_name(number: phonenumbers.PhoneNumber) -> str:
    # A parsed number always has its country code; 0 (no country) would name the region "ZZ".
    return phonenumbers.region_code_for_country_code(number.country_code or 0)


def _possible(value: str, region: str, field: str) -> tuple[phonenumbers.PhoneNumber, str]:
    """The parsed number and its E.164 key; ``InvalidPhone`` if it is not even possible."""
    require_str(value)
    if has_surrogate(value):
        raise InvalidPhone(field, "V-3", "phone number contains characters that are not valid text")
    text = unicodedata.normalize("NFKC", value)
    if not text.isascii():
        text = _ascii_digits(text)
    number = _parse(text.strip(), _region(region), field)
    reason = phonenumbers.is_possible_number_with_reason(number)
    if reason != ValidationResult.IS_POSSIBLE:
        detail = _IMPOSSIBLE.get(reason, "not possible")
        raise InvalidPhone(field, "V-3", f"not a possible phone number for {_region_name(number)}: {detail}")
    e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    # The key must be stable: its own E.164 text must parse back to itself from any region.
    if not _reads_back(number, e164, field):
        raise InvalidPhone(field, "V-3", f"not a possible phone number for {_region_name(number)}")
    return number, e164


def _reparses(e164: str, field: str) -> bool:
    """Whether ``e164`` parses back (with no default region) to itself, a possible number."""
    again = _parse(e164, "ZZ", field)
    return (phonenumbers.format_number(again, PhoneNumberFormat.E164) == e164
            and phonenumbers.is_possible_number_with_reason(again) == ValidationResult.IS_POSSIBLE)


def _reads_back(number: phonenumbers.PhoneNumber, e164: str, field: str) -> bool:
    """``_reparses(e164)`` for a possible ``number`` without parsing the text again.

    E.164 is "+", the country code and the national significant number. Parsing it, phonenumbers
    finds that country code again (country codes are prefix-free) and then the one step that can
    change the number: it strips what looks like a national prefix when the rest still has a
    possible length. If that step keeps the digits, the number read back is this one, whose
    E.164 text is ``e164`` and which is possible; otherwise it differs. The general path stays
    for what this reasoning does not cover (tests/unit/identity/test_identity_keys.py compares
    the two on numbers of every region).
    """
    code = number.country_code
    metadata = None if code is None else phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code(
        code, phonenumbers.region_code_for_country_code(code))
    strip = getattr(phonenumbers.phonenumberutil, "_maybe_strip_national_prefix_carrier_code", None)
    if code is None or metadata is None or strip is None or not e164.startswith(f"+{code}"):
        return _reparses(e164, field)
    national = e164[len(str(code)) + 1:]
    _, potential, _ = strip(national, metadata)
    if potential == national:
        return True
    return phonenumbers.phonenumberutil._test_number_length(potential, metadata) in _NOT_TAKEN


# A stripped national number phonenumbers does not take (its parse keeps the digits as given).
_NOT_TAKEN = (ValidationResult.TOO_SHORT, ValidationResult.IS_POSSIBLE_LOCAL_ONLY, ValidationResult.INVALID_LENGTH)


def phone_key(value: str, region: str, field: str = "phone") -> str:
    """The E.164 key ``parse_phone`` gives, without asking whether the number is valid for its
    region (verification compares keys only). Raises exactly as ``parse_phone``."""
    if isinstance(value, str) and value.isascii():  # ASCII: NFKC leaves it, no surrogates
        key = _plain_key(value.strip(), region)
        if key is not None:
            return key
    return _possible(value, region, field)[1]


# Digits in groups parted by one space or hyphen, maybe after a "+": how numbers are mostly
# written ("+44 20 7946 0958", "020 7946 0958", "+1 206-555-0100").
_PLAIN = re.compile(r"(\+?)([0-9]+(?:[ -][0-9]+)*)")
_CODES = phonenumbers.COUNTRY_CODE_TO_REGION_CODE
_METADATA = phonenumbers.PhoneMetadata
_MIN_NATIONAL, _MAX_NATIONAL = 2, 17  # phonenumbers' bounds of a national significant number
# parse's own steps (private to phonenumbers: without them, every number takes the general path).
_STRIP = getattr(phonenumbers.phonenumberutil, "_maybe_strip_national_prefix_carrier_code", None)
_LENGTH = getattr(phonenumbers.phonenumberutil, "_test_number_length", None)


def _plain_key(text: str, region: str) -> str | None:
    """``_possible``'s key of a number written plainly (``_PLAIN``), read as phonenumbers reads
    it, or None where its reading takes a step this does not (then the general path decides,
    errors included): a "+" without a known country code, an international prefix (00, 011),
    a number starting with its region's country code, a national number left with a leading
    zero, a national prefix stripped from after a "+", a number not possible.

    phonenumbers' parse of such a text: no extension nor letters to strip; after a "+" the
    country code (prefix-free, 1 to 3 digits) and the rest, else the region's country code and
    all the digits; then the national prefix stripped if what is left still has a possible
    length. The key is "+", the code and that national number, when the number is possible
    and reads back to itself (``_reads_back``). tests/unit/identity/test_identity_phone_plain.py
    compares this with the general path on numbers of every region and near misses."""
    found = _PLAIN.fullmatch(text)
    if found is None or _STRIP is None or _LENGTH is None:
        return None
    plus, digits = found.groups()
    digits = digits.replace(" ", "").replace("-", "")
    if len(digits) <= _MIN_NATIONAL:
        return None
    if plus:
        if digits[0] == "0":
            return None
        for size in (1, 2, 3):
            code = int(digits[:size])
            if code in _CODES:
                break
        else:
            return None
        national = digits[size:]
        metadata = _METADATA.metadata_for_region_or_calling_code(code, _CODES[code][0])
    else:
        metadata = _METADATA.metadata_for_region(_region(region), None)
        if metadata is None or metadata.country_code is None:
            return None
        code = metadata.country_code
        idd = metadata.international_prefix
        if (idd and re.match(idd, digits)) or digits.startswith(str(code)):
            return None
        national = digits
    if metadata is None or len(national) < _MIN_NATIONAL:
        return None
    _, stripped, _ = _STRIP(national, metadata)
    if stripped != national and _LENGTH(stripped, metadata) not in _NOT_TAKEN:
        if plus:  # taken after a "+": the general path (E.164 text that would not read back)
            return None
        national = stripped
    if not _MIN_NATIONAL <= len(national) <= _MAX_NATIONAL or national[0] == "0":
        return None
    if not plus:  # the key is read back with its country's own metadata (_reads_back)
        metadata = _METADATA.metadata_for_region_or_calling_code(code, _CODES[code][0])
        if metadata is None:
            return None
        _, again, _ = _STRIP(national, metadata)
        if again != national and _LENGTH(again, metadata) not in _NOT_TAKEN:
            return None
    if _LENGTH(national, metadata) != ValidationResult.IS_POSSIBLE:
        return None
    return f"+{code}{national}"


def parse_phone(value: str, region: str, field: str = "phone") -> ParsedPhone:
    """Parse a typed phone number to E.164 with ``region`` (the organization's country) as default.

    ``InvalidPhone`` if the number is not even possible. A number that is possible but not valid
    for its region, or that carries an extension (E.164 has none), is accepted with a warning.
    """
    number, e164 = _possible(value, region, field)
    warnings: list[str] = []
    valid = phonenumbers.is_valid_number(number)
    if not valid:
        warnings.append(f"possible but not a valid number for {_region_name(number)}")
    if number.extension:
        warnings.append("extension ignored")
    return ParsedPhone(e164=e164, warning="; ".join(warnings) or None, valid=valid)


def format_as_you_type(value: str, region: str) -> str:
    """Format a partly typed number as the agent types it; never raises.

    ``"+442079460958"`` gives ``"+44 20 7946 0958"``; ``"02079460958"`` with ``"GB"`` gives
    ``"020 7946 0958"``. Everything but digits (any script) and a leading ``+`` is dropped;
    if formatting fails, those characters are returned as they are.
    """
    if not isinstance(value, str):
        return ""
    typed: list[str] = []
    for ch in value:
        if ch in "+\uff0b" and not typed:
            typed.append("+")
        else:
            digit = unicodedata.decimal(ch, None)
            if digit is not None:
                typed.append(str(digit))
        if len(typed) >= _MAX_TYPED_LENGTH:
            break
    plain = "".join(typed)
    try:
        formatter = phonenumbers.AsYouTypeFormatter(_region(region))
        out = plain
        for ch in plain:
            out = formatter.input_digit(ch)
        return out
    except Exception:  # noqa: BLE001 - a formatting aid must never break typing
        return plain
