"""Sign-in user IDs (V-1, V-3).

V-3: user IDs are compared "as validated addresses". The key is email-validator's normalised
form (NFC local part, IDNA-decoded lower-case domain) of the NFKC-normalised input, lower-cased,
so ``"Jane.Doe@CONTOSO.com"`` and ``"jane.doe@contoso.com"`` are the same user ID.
Deliverability is not checked: verification must not wait on DNS or leak lookups.
"""

from __future__ import annotations

import unicodedata

from email_validator import EmailNotValidError, validate_email

from identity.errors import InvalidUserId
from identity.normalize import has_surrogate, require_str

__all__ = ["normalize_user_id"]

_MAX_ROUNDS = 4


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
    else:
        require_str(value)
        if has_surrogate(value):
            raise InvalidUserId(field, "V-3", "The email address contains characters that are not valid text.")
        key = unicodedata.normalize("NFKC", value).strip()
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
