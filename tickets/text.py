"""What the core accepts as typed text: storable (V-3) and, for free text, free of
credentials (V-6). One place, so every entry point refuses the same things the same way."""

from __future__ import annotations

from collections.abc import Mapping

from identity import check_free_text, check_storable_text
from identity.errors import IdentityError
from tickets.errors import InvalidInput

MAX_FREE_TEXT = 2000


def check_text(
    values: Mapping[str, str], *, free_text: bool = True, max_length: int = MAX_FREE_TEXT
) -> None:
    """Raise InvalidInput naming every field that is too long, not storable, or (free text)
    looks like a password, PIN or one-time code."""
    errors: dict[str, str] = {}
    for field, value in values.items():
        if not isinstance(value, str):
            errors[field] = "must be text"
            continue
        if len(value) > max_length:
            errors[field] = f"at most {max_length} characters"
            continue
        try:
            check_storable_text(value, field)
            if free_text:
                check_free_text(value, field)
        except IdentityError as error:
            errors[field] = f"{error.message} ({error.rule})"
    if errors:
        rules = sorted({text.rsplit("(", 1)[-1].rstrip(")") for text in errors.values() if text.endswith(")")})
        raise InvalidInput(errors, rule=rules[0] if rules else None)
