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
        if not value:  # nothing typed: storable, and no credential in it
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


def _is_cjk(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" for ch in text)


def person_name(first: str, last: str) -> str:
    """A person's name as it is written: Chinese (and other CJK) names family name first, with
    no space (王 伟 -> 王伟); others first name first ("Ann Smith")."""
    if _is_cjk(first) and _is_cjk(last):
        return f"{last}{first}"
    return f"{first} {last}"


def address_lines(street_lines: tuple[str, ...], postal_code: str, city: str, region: str,
                  country: str) -> tuple[str, ...]:
    """An address as it is written in its country: a Chinese address in Chinese order, from the
    largest place to the smallest (province, city, district and street, building), then the
    postal code; others street first, then "postcode city", region and country."""
    if country == "CN" and _is_cjk("".join(street_lines)):
        places = "".join(part for part in (region, city if city != region else "") if part)
        return tuple(x for x in (f"{places}{street_lines[0] if street_lines else ''}", *street_lines[1:],
                                 postal_code) if x)
    return tuple(street_lines) + tuple(part for part in (f"{postal_code} {city}".strip(), region, country) if part)
