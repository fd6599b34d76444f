"""Sign-in user IDs (V-1, V-3).

V-3: user IDs are compared "as validated addresses". The key is email-validator's normalised
form (NFC local part, IDNA-decoded lower-case domain) of the NFKC-normalised input, lower-cased,
so ``"Jane.Doe@CONTOSO.com"`` and ``"jane.doe@contoso.com"`` are the same user ID.
Deliverability is not checked: verification must not wait on DNS or leak lookups.
"""

from __future__ import annotations

import re
import unicodedata

import email_validator
from email_validator import EmailNotValidError, validate_email

from identity.errors import InvalidUserId
from identity.normalize import has_surrogate, require_str

__all__ = ["normalize_user_id"]

_MAX_ROUNDS = 4

# The usual shape of a user ID, which email-validator accepts as it is but for the case: an
# unquoted local part of letters and digits, single dots, hyphens, underscores or plus signs
# between them; a host of two labels or more (letters, digits, single inner hyphens: no IDNA,
# no "ab--"), its top-level domain letters only. Lengths within the library's limits (64 before
# the @, 63 a label, 254 in all: checked on the match). Its key is the input lower-cased
# (tests/unit/identity/test_identity_userid.py checks it against the library's).
_PLAIN = re.compile(
    r"[A-Za-z0-9]+(?:[._+-][A-Za-z0-9]+)*@((?:[A-Za-z0-9]{1,63}(?:-[A-Za-z0-9]{1,62})*\.)+[A-Za-z]{2,63})"
)
# Hosts the library refuses (special-use names) end with one of these.
_SPECIAL_USE = tuple(f".{name}" for name in email_validator.SPECIAL_USE_DOMAIN_NAMES)


def _plain_key(value: str) -> str | None:
    """The key of a user ID of the usual shape (`_PLAIN`), or None: the library decides."""
    found = _PLAIN.fullmatch(value)
    if found is None or len(value) > 254 or found.start(1) > 65:
        return None
    key = value.lower()
    host = "." + key[found.start(1):]
    if host.endswith(_SPECIAL_USE) or any(len(label) > 63 for label in host.split(".")):
        return None
    return key


def _once(value: str, field: str) -> str:
    try:
        validated = validate_email(value, check_deliverability=False)
    except EmailNotValidError as error:
        raise InvalidUserId(field, "V-3", str(error)) from None
    except (UnicodeError, ValueError):
        # email-validator's IDNA step can fail outside its own error type on odd code points.
        raise InvalidUserId(field, "V-3", "The email address is not valid.") from None
    return validated.normalized.lower()


def normalize_user_id(value: str, field: str = "user_id") -> str:
    """V-3 key of a sign-in user ID; ``InvalidUserId`` with email-validator's message otherwise."""
    if value.__class__ is str and value.isascii():
        key = value.strip()  # NFKC leaves ASCII as it is, and it holds no surrogate
        plain = _plain_key(key)
        if plain is not None:
            return plain
    else:
        require_str(value)
        if has_surrogate(value):
            raise InvalidUserId(field, "V-3", "The email address contains characters that are not valid text.")
        key = unicodedata.normalize("NFKC", value).strip()
    return _validated_key(key, field)


def _validated_key(key: str, field: str) -> str:
    """The key of a stripped, NFKC-normalised user ID by email-validator itself."""
    # Lower-casing can un-normalise a few characters; repeat until the key is a fixed point so
    # that normalising a key again never changes it.
    for _ in range(_MAX_ROUNDS):
        nxt = _once(key, field)
        if nxt == key or nxt.isascii():
            # An ASCII result is already the fixed point: email-validator changes nothing in an
            # ASCII address but the domain's case and needless quotes, and lower() creates
            # neither (one validation a claim; test_identity_keys checks it).
            return nxt
        key = nxt
    return key
