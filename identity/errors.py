"""Errors raised by the ``identity`` package.

Every error names the field that was wrong and the rule it breaks (V-3, V-4, V-6 ...), so the
console can flag the field inline and the store can audit the rule without the typed value.
Messages never echo what was typed: a value may be a secret (V-6) or a fact an impostor is
fishing for (V-4).
"""

from __future__ import annotations

__all__ = [
    "CredentialInFreeText",
    "IdentityError",
    "InvalidAddress",
    "InvalidName",
    "InvalidPhone",
    "InvalidText",
    "InvalidUrl",
    "InvalidUserId",
]


class IdentityError(ValueError):
    """Base of every error the package raises for a bad *value* (never for a bad call)."""

    def __init__(self, field: str, rule: str, message: str) -> None:
        # Pass all three to ValueError so the error pickles and copies (args rebuild it).
        super().__init__(field, rule, message)
        self.field = field
        self.rule = rule
        self.message = message

    def __str__(self) -> str:
        return f"{self.field}: {self.message} ({self.rule})"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(field={self.field!r}, rule={self.rule!r}, message={self.message!r})"


class InvalidUserId(IdentityError):
    """A sign-in user ID that is not a valid address (V-3)."""


class InvalidPhone(IdentityError):
    """A phone number that is not even possible (V-3)."""


class InvalidName(IdentityError):
    """A person or organization name that is empty or too long after normalisation (V-3)."""


class InvalidAddress(IdentityError):
    """A street address without street, city or a two-letter country (V-1, V-3)."""


class InvalidUrl(IdentityError):
    """An organization URL without a plausible host (V-1 [D365], V-3)."""


class InvalidText(IdentityError):
    """Text no database can hold as typed: lone surrogates or control characters (V-3)."""


class CredentialInFreeText(IdentityError):
    """Free text that looks like a password, PIN or one-time code (V-6)."""
