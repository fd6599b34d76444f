"""Comparison keys: the directory's facts normalised once, a claim normalised once.

V-3 compares every factor exactly after normalisation. Normalising the people on file on every
call (a validation of each user ID, two phone parses each) cost most of a verification, so the
directory keeps its facts' keys beside them (``organization_keys``/``person_keys`` at import,
stored by tickets), and a claim is normalised once for both its format check and its
comparison (``claim_keys``). ``identity.verify_keys`` compares the two, every factor every time (V-4).

A stored key is ``""`` when the fact on file is malformed: a well-formed claim's key is never
empty, so that factor fails, as it did when the fact was normalised on each call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, NamedTuple

from identity.errors import IdentityError
from identity.normalize import (
    Address,
    address_problems_and_key,
    normalize_org_name,
    normalize_person_name,
    normalize_text,
    normalize_url,
)
from identity.phone import phone_key
from identity.userid import normalize_user_id

if TYPE_CHECKING:  # identity.verification imports this module
    from identity.verification import CallerClaim

__all__ = [
    "ClaimKeys",
    "OrganizationKeys",
    "PersonKeys",
    "address_key",
    "claim_keys",
    "organization_fact_keys",
    "organization_keys",
    "person_fact_keys",
    "person_keys",
    "phone_key_on_file",
    "phone_needs_region",
    "url_key",
    "user_id_key",
]


def _or_empty(normalise: Callable[[str], str], value: str) -> str:
    try:
        return normalise(value)
    except (IdentityError, TypeError, AttributeError):
        return ""


def user_id_key(user_id: str) -> str:
    return _or_empty(normalize_user_id, user_id)


def phone_key_on_file(phone: str, region: str) -> str:
    return _or_empty(lambda v: phone_key(v, region), phone)


def address_key(address: Address) -> str:
    try:
        return address_problems_and_key(address)[1] or ""
    except (IdentityError, TypeError, AttributeError):
        return ""


def url_key(url: str | None) -> str:
    if url is None or (isinstance(url, str) and not url.strip()):
        return ""  # no URL (normalize_url refuses an empty one): most organizations have none
    return _or_empty(normalize_url, url)


def phone_needs_region(phone: str) -> bool:
    """A number on file written without its country code reads differently in each region, so
    its key follows the organization's country and is not stored (tickets works it out then).
    With a leading "+" the default region plays no part in phonenumbers' reading."""
    return not (isinstance(phone, str) and phone.startswith("+"))


def organization_fact_keys(name: str, url: str | None, street_lines: Iterable[str], city: str, region: str,
                           postal_code: str, country: str) -> tuple[str, str, str]:
    """(name, URL, address) keys of an organization's facts, as the directory stores them."""
    address = Address(tuple(street_lines), city, region, postal_code, country)
    return _or_empty(normalize_text, name), url_key(url), address_key(address)


def person_fact_keys(user_id: str, phone: str, first_name: str, last_name: str) -> tuple[str, str | None, str, str]:
    """(user ID, phone, first name, last name) keys of a person's facts, as the directory stores
    them; the phone's is ``None`` when it depends on the organization's country."""
    phone_key_ = None if phone_needs_region(phone) else phone_key_on_file(phone, "ZZ")
    return (user_id_key(user_id), phone_key_, _or_empty(normalize_text, first_name),
            _or_empty(normalize_text, last_name))


# The keys are named tuples, not frozen dataclasses: as immutable, and made several times a
# verification (a person on file each, the claim once) for a third of the CPU.


class PersonKeys(NamedTuple):
    """A person on file as verification compares them."""

    key: str  # opaque id from the store
    user_id: str
    phone: str
    first_name: str
    last_name: str
    is_primary_contact: bool
    roles: frozenset[str]


class OrganizationKeys(NamedTuple):
    """An organization on file as verification compares it, with its people."""

    name: str
    url: str
    address: str
    people: tuple[PersonKeys, ...]
    requires_url: bool  # V-1 [D365]


def person_keys(key: str, user_id: str, phone: str, first_name: str, last_name: str, region: str,
                is_primary_contact: bool, roles: frozenset[str]) -> PersonKeys:
    return PersonKeys(key, user_id_key(user_id), phone_key_on_file(phone, region), normalize_text(first_name),
                      normalize_text(last_name), is_primary_contact, roles)


def organization_keys(name: str, url: str | None, address: Address, people: tuple[PersonKeys, ...],
                      requires_url: bool) -> OrganizationKeys:
    return OrganizationKeys(normalize_text(name), url_key(url), address_key(address), people, requires_url)


class ClaimKeys(NamedTuple):
    """A claim normalised once: its format problems (V-4, field -> message) and the key of each
    factor (``None`` where the claimed value is malformed, so that factor fails)."""

    problems: dict[str, str]
    user_id: str | None
    phone: str | None
    first_name: str | None
    last_name: str | None
    org_name: str | None
    address: str | None
    url: str | None
    error: Exception | None = None  # a non-str field: a caller's bug, raised by the format check


# What normalize_url says of an empty URL (tests/unit/identity/test_identity_keys.py checks it).
_NO_URL = "URL is empty (V-3)"


def claim_keys(claim: CallerClaim, region: str, requires_url: bool) -> ClaimKeys:
    """Normalise every field of ``claim`` once (the format check of ``check_claim_format`` and
    the keys ``verify`` compares). The URL's key is worked out whether or not it is asked for,
    so the work does not depend on the organization."""
    problems: dict[str, str] = {}
    errors: list[Exception] = []

    def key(field: str, normalise: Callable[..., str], value: str, *args: str) -> str | None:
        try:
            return normalise(value, *args, field)
        except IdentityError as error:
            problems[error.field] = f"{error.message} ({error.rule})"
        except TypeError as error:
            errors.append(error)
        return None

    user_id = key("user_id", normalize_user_id, claim.user_id)
    phone = key("phone", phone_key, claim.phone, region)
    first = key("contact_first_name", normalize_person_name, claim.contact_first_name)
    last = key("contact_last_name", normalize_person_name, claim.contact_last_name)
    org_name = key("org_name", normalize_org_name, claim.org_name)
    try:
        address_problems, address = address_problems_and_key(claim.address, "address")
    except (TypeError, AttributeError) as error:
        errors.append(error)
        address_problems, address = {}, None
    for field, problem in address_problems.items():
        problems[field] = f"{problem.message} ({problem.rule})"
    url: str | None = None
    url_problem: str | None = None
    url_error: TypeError | None = None
    if claim.org_url.__class__ is str and not claim.org_url:
        # No URL typed (most organizations have none): normalize_url's refusal, without raising it.
        url_problem = _NO_URL
    else:
        try:
            url = normalize_url(claim.org_url, "org_url")
        except IdentityError as error:
            url_problem = f"{error.message} ({error.rule})"
        except TypeError as error:
            url_error = error
    if requires_url:  # only a Dynamics 365 organization is asked its URL (V-1 [D365])
        try:
            if not claim.org_url.strip():
                problems["org_url"] = "organization URL is required for Dynamics 365 (V-1)"
            elif url_error is not None:
                errors.append(url_error)
            elif url_problem is not None:
                problems["org_url"] = url_problem
        except AttributeError as error:
            errors.append(error)
    return ClaimKeys(problems, user_id, phone, first, last, org_name, address, url, errors[0] if errors else None)
