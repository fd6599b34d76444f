"""Blind verification of a caller against the directory (V-1 .. V-5, V-7).

V-1: the caller must give the sign-in user ID, the phone number on that account, the first and
last name of the organization's primary contact, the organization name and the complete street
address; [D365] also the organization URL.
V-2: the caller must hold an admin role.
V-3: every factor is compared exactly after normalisation; no fuzzy matching.
V-4: the outcome is pass or fail as a whole. Which factors failed is returned for the audit only
and must never be shown to the agent; the outcome carries no stored value. Malformed input is
found by ``check_claim_format`` before an attempt is spent.
V-5: the outcome's ``failed_factors`` is what the store audits, never what was typed.
V-7: a pass names the caller (``person_key``) and roles for the one call's authorisation.

``verify`` never raises for string input and evaluates every factor, so the time it takes does
not tell which factor missed.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from identity.errors import IdentityError
from identity.normalize import (
    Address,
    address_problems,
    normalize_address,
    normalize_org_name,
    normalize_person_name,
    normalize_text,
    normalize_url,
)
from identity.phone import parse_phone
from identity.userid import normalize_user_id

__all__ = [
    "CALLER_ROLES",
    "SUBSCRIPTION_ADMIN_ROLES",
    "CallerClaim",
    "Factor",
    "OrganizationOnFile",
    "PersonOnFile",
    "VerificationOutcome",
    "check_claim_format",
    "verify",
]


class Factor(StrEnum):
    """One fact the caller must get right (V-1, V-2)."""

    USER_ID = "user_id"
    PHONE = "phone"
    CONTACT_NAME = "contact_name"
    ORG_NAME = "org_name"
    ADDRESS = "address"
    ORG_URL = "org_url"
    ADMIN_ROLE = "admin_role"


# V-2: the roles that list a person as an admin on the subscription (the policy's V-2 check).
SUBSCRIPTION_ADMIN_ROLES = frozenset({"admin", "billing_admin"})
# Who may pass verification: a V-2 admin, or (I-1) a campaign's Internet Marketing billing
# admin, who may cancel the campaigns without being the organization's admin.
CALLER_ROLES = SUBSCRIPTION_ADMIN_ROLES | {"ims_billing_admin"}


@dataclass(frozen=True)
class CallerClaim:
    """Exactly what the agent typed, raw strings (V-4: typed blind, never prompted)."""

    user_id: str
    phone: str
    contact_first_name: str
    contact_last_name: str
    org_name: str
    address: Address  # raw components as typed
    org_url: str = ""


@dataclass(frozen=True)
class PersonOnFile:
    """A person of the organization as the directory holds them."""

    key: str  # opaque id from the store
    user_id: str  # as stored; normalised before comparing
    phone_e164: str
    first_name: str
    last_name: str
    is_primary_contact: bool
    roles: frozenset[str]  # subset of CALLER_ROLES


@dataclass(frozen=True)
class OrganizationOnFile:
    """An organization as the directory holds it, with its people."""

    country: str  # default region for phone numbers (V-3)
    name: str
    url: str | None
    address: Address
    people: tuple[PersonOnFile, ...]
    requires_url: bool  # True when the organization has a Dynamics 365 subscription (V-1 [D365])


@dataclass(frozen=True)
class VerificationOutcome:
    """Pass or fail as a whole (V-4); ``failed_factors`` is for the audit only (V-5)."""

    passed: bool
    failed_factors: frozenset[Factor]
    person_key: str | None  # the caller's PersonOnFile.key when passed
    roles: frozenset[str]  # the caller's roles when passed, else empty


def check_claim_format(claim: CallerClaim, region: str, requires_url: bool) -> dict[str, str]:
    """V-4: per-field format problems of a claim, field name -> message naming the rule.

    Keys are among ``user_id``, ``phone``, ``contact_first_name``, ``contact_last_name``,
    ``org_name``, ``address.street``, ``address.city``, ``address.country`` and ``org_url``
    (the last only when ``requires_url``). An empty dict means the claim is well formed.
    Messages describe the problem, never a stored value.
    """
    problems: dict[str, str] = {}

    def check(call: Callable[[], object]) -> None:
        try:
            call()
        except IdentityError as error:
            problems[error.field] = f"{error.message} ({error.rule})"

    check(lambda: normalize_user_id(claim.user_id, "user_id"))
    check(lambda: parse_phone(claim.phone, region, "phone"))
    check(lambda: normalize_person_name(claim.contact_first_name, "contact_first_name"))
    check(lambda: normalize_person_name(claim.contact_last_name, "contact_last_name"))
    check(lambda: normalize_org_name(claim.org_name, "org_name"))
    for key, error in address_problems(claim.address, "address").items():
        problems[key] = f"{error.message} ({error.rule})"
    if requires_url:
        if not claim.org_url.strip():
            problems["org_url"] = "organization URL is required for Dynamics 365 (V-1)"
        else:
            check(lambda: normalize_url(claim.org_url, "org_url"))
    return problems


def _key(normalise: Callable[[str], str], value: str) -> str | None:
    """The V-3 key of ``value``, or ``None`` if it is malformed (a malformed factor fails)."""
    try:
        return normalise(value)
    except (IdentityError, TypeError):
        return None


def _same(claimed: str | None, on_file: str | None) -> bool:
    """Exact comparison in time independent of where the strings differ."""
    if claimed is None or on_file is None:
        # Still compare something, so a malformed value costs the same time as a mismatch.
        hmac.compare_digest(b"", b"")
        return False
    return hmac.compare_digest(
        claimed.encode("utf-8", "surrogatepass"), on_file.encode("utf-8", "surrogatepass")
    )


def _address_key(address: Address) -> tuple[str, ...] | None:
    try:
        key = normalize_address(address)
    except (IdentityError, TypeError, AttributeError):
        return None
    # Street lines are compared joined: "1 Main St" / "Suite 5" equals "1 Main St Suite 5".
    return (" ".join(key.street_lines), key.city, key.region, key.postal_code, key.country)


def _same_address(claimed: Address, on_file: Address) -> bool:
    a, b = _address_key(claimed), _address_key(on_file)
    if a is None or b is None:
        return _same(None, None)
    # Evaluate every component, then combine (no short circuit).
    results = [_same(x, y) for x, y in zip(a, b, strict=True)]
    return all(results)


def verify(claim: CallerClaim, on_file: OrganizationOnFile) -> VerificationOutcome:
    """Verify a caller's claim against an organization on file (V-1 .. V-4).

    The user ID identifies the caller among the organization's people; the phone must be that
    person's; the contact name must be the primary contact's, first and last in their slots; the
    organization name, the address (component by component) and, when ``requires_url``, the
    organization URL must match; the caller must hold an admin role (V-2). Any malformed claim
    field fails its factor. Every factor is evaluated, whatever fails first.
    """
    failed: set[Factor] = set()
    region = on_file.country

    # USER_ID: find the caller; scan every person so the position of a match does not show.
    claimed_user = _key(normalize_user_id, claim.user_id)
    caller: PersonOnFile | None = None
    for person in on_file.people:
        if _same(claimed_user, _key(normalize_user_id, person.user_id)) and caller is None:
            caller = person
    if caller is None:
        failed.add(Factor.USER_ID)

    # PHONE: the caller's own number, as E.164 with the organization's country as default region.
    # Without a caller there is no number to match: parse a stand-in so the work is the same.
    claimed_phone = _key(lambda v: parse_phone(v, region).e164, claim.phone)
    stored_phone = _key(
        lambda v: parse_phone(v, region).e164, caller.phone_e164 if caller is not None else claim.phone
    )
    if not _same(claimed_phone, stored_phone) or caller is None:
        failed.add(Factor.PHONE)

    # CONTACT_NAME: the primary contact's first AND last name, each in its own slot.
    first = _key(normalize_person_name, claim.contact_first_name)
    last = _key(normalize_person_name, claim.contact_last_name)
    name_matches = []
    for person in on_file.people:
        if person.is_primary_contact:
            first_ok = _same(first, _key(normalize_text, person.first_name))
            last_ok = _same(last, _key(normalize_text, person.last_name))
            name_matches.append(first_ok and last_ok)
    if not any(name_matches):
        failed.add(Factor.CONTACT_NAME)

    # ORG_NAME
    if not _same(_key(normalize_org_name, claim.org_name), _key(normalize_text, on_file.name)):
        failed.add(Factor.ORG_NAME)

    # ADDRESS, component by component
    if not _same_address(claim.address, on_file.address):
        failed.add(Factor.ADDRESS)

    # ORG_URL, only for Dynamics 365 organizations (V-1 [D365]); compared anyway for timing.
    url_ok = _same(_key(normalize_url, claim.org_url), _key(normalize_url, on_file.url or ""))
    if on_file.requires_url and not url_ok:
        failed.add(Factor.ORG_URL)

    # ADMIN_ROLE (V-2)
    roles = frozenset(caller.roles) if caller is not None else frozenset()
    if not roles & CALLER_ROLES:
        failed.add(Factor.ADMIN_ROLE)

    passed = not failed
    return VerificationOutcome(
        passed=passed,
        failed_factors=frozenset(failed),
        person_key=caller.key if passed and caller is not None else None,
        roles=roles if passed else frozenset(),
    )
