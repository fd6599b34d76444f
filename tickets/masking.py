"""Masking personal data (E-1): phone numbers, e-mail addresses, names, and best effort in
free text. The export and the console both show personal data through these functions."""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "***"


def mask_phone(phone: str | None) -> str | None:
    """`+442079460958` -> `***0958`: only the last 4 digits, never the length of the number."""
    if phone is None:
        return None
    digits = _NON_DIGITS.sub("", phone)
    if not digits:
        return None if not phone.strip() else MASK
    # A short number would be almost all shown: hide it whole.
    return MASK + digits[-4:] if len(digits) >= 7 else MASK


def mask_email(address: str | None) -> str | None:
    """`ann.smith@contoso.co.uk` -> `a***@contoso.co.uk`: first character and domain."""
    if address is None:
        return None
    address = address.strip()
    if not address:
        return None
    local, at, domain = address.rpartition("@")
    if not at or not local:
        return MASK
    return f"{local[0]}{MASK}@{domain}"


def _initial(name: str | None) -> str | None:
    for char in name or "":
        if char.isalnum():
            return char.upper() + "."
    return None


def mask_name(first: str | None, last: str | None) -> str | None:
    """`Ann`, `Smith` -> `A. S.`."""
    initials = [i for i in (_initial(first), _initial(last)) if i]
    return " ".join(initials) or None


# The free-text patterns, compiled when scrub_text first runs: `deskapp export` on SQLite
# writes the stored masked text (scrub_stored) and never needs them.
_EMAIL_IN_TEXT_PATTERN = r"[^\s@<>()\[\]\"',;:]+@[^\s@<>()\[\]\"',;:]+\.[^\s@<>()\[\]\"',;:]+"
# A run of digits with the separators people write phone numbers with: ( ) . - / space.
_PHONE_IN_TEXT_PATTERN = r"(?<![\w./-])\+?\(?\d[\d\s().\-/]{5,}\d(?![\w])"
_ISO_DATE_PATTERN = r"\d{4}-\d{2}-\d{2}"
_DIGITS_PATTERN = r"\d(?:\D{0,3}\d){6}"  # 7 digits close together: maybe a phone number
_compiled: list[re.Pattern[str]] = []


def _patterns() -> list[re.Pattern[str]]:
    """[e-mail in text, phone in text, ISO date, 7 digits close together], compiled once."""
    if not _compiled:
        _compiled.extend(re.compile(p) for p in (_EMAIL_IN_TEXT_PATTERN, _PHONE_IN_TEXT_PATTERN, _ISO_DATE_PATTERN,
                                                  _DIGITS_PATTERN))
    return _compiled


_NON_DIGITS = re.compile(r"\D+")


def _mask_phone_match(match: re.Match[str]) -> str:
    text = match.group(0)
    if sum(c.isdigit() for c in text) < 7 or _patterns()[2].fullmatch(text):
        return text
    return mask_phone(text) or text


def scrub_text(text: str | None, names: Iterable[str | None] = ()) -> str | None:
    """Best effort (E-1): mask e-mail addresses, phone numbers and the given names (the
    caller's own, as whole words) typed into free text."""
    if not text:
        return text
    email_in_text, phone_in_text, _iso_date, digits = _patterns()
    if "@" in text:
        text = email_in_text.sub(lambda m: mask_email(m.group(0)) or MASK, text)
    if digits.search(text):
        text = phone_in_text.sub(_mask_phone_match, text)
    folded = text.casefold()
    words = sorted({n.strip() for n in names if n and len(n.strip()) >= 2 and n.strip().casefold() in folded},
                   key=len, reverse=True)
    if words:
        pattern = r"(?<!\w)(?:" + "|".join(re.escape(w) for w in words) + r")(?!\w)"
        text = re.sub(pattern, lambda m: _initial(m.group(0)) or MASK, text, flags=re.IGNORECASE)
    return text


def scrub_stored(text: str | None) -> str | None:
    """What a ticket stores beside its free text (`reason_scrubbed`, `decision_reason_scrubbed`)
    when it is written: `scrub_text` without names. E-mail and phone masking do not depend on
    who called, and `scrub_text` masks the caller's names last, on that result, so the export
    only has to look for the names at export time (tickets.export.sql); the regular
    expressions run once per text, not once per export. A change here needs a migration that
    recomputes the stored values."""
    return scrub_text(text, ())
