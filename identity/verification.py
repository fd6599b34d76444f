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
from dataclasses import dataclass
from enum import StrEnum

from identity.keys import (
    ClaimKeys,
    OrganizationKeys,
    PersonKeys,
    claim_keys,
    organization_keys,
    person_keys,
)
from identity.normalize import Address

__all__ = [
    "CALLER_ROLES",
    "SUBSCRIPTION_ADMIN_ROLES",
    "CallerClaim",
    "Factor",
    "OrganizationOnFile",
    "PersonOnFile",
    "VerificationOutcome",
    "check_claim_format",
    "organization_keys_of",
    "verify",
    "verify_keys",
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
    Messages describe the problem, never a stored value. (``claim_keys`` gives these problems
    and the claim's keys in one pass; tickets uses it so as to normalise a claim once.)
    """
    keys = claim_keys(claim, region, requires_url)
    if keys.error is not None:
        raise keys.error
    return keys.problems


def organization_keys_of(on_file: OrganizationOnFile) -> OrganizationKeys:
    """The keys of an organization on file, as the directory stores them."""
    region = on_file.country
    people = tuple(
        person_keys(p.key, p.user_id, p.phone_e164, p.first_name, p.last_name, region, p.is_primary_contact,
                    p.roles)
        for p in on_file.people
    )
    return organization_keys(on_file.name, on_file.url, on_file.address, people, on_file.requires_url)


def verify(claim: CallerClaim, on_file: OrganizationOnFile) -> VerificationOutcome:
    """Verify a caller's claim against an organization on file (V-1 .. V-4).

    The user ID identifies the caller among the organization's people; the phone must be that
    person's; the contact name must be the primary contact's, first and last in their slots; the
    organization name, the address (component by component) and, when ``requires_url``, the
    organization URL must match; the caller must hold an admin role (V-2). Any malformed claim
    field fails its factor. Every factor is evaluated, whatever fails first. (With the keys
    already stored, ``verify_keys`` of ``claim_keys`` does the same without normalising the
    organization again.)
    """
    keys = claim_keys(claim, on_file.country, on_file.requires_url)
    return verify_keys(keys, organization_keys_of(on_file))


_compare_digest = hmac.compare_digest


def _same(claimed: str | None, on_file: str) -> bool:
    """Exact comparison in time independent of where the strings differ."""
    if claimed is None:
        # Still compare something, so a malformed value costs the same time as a mismatch.
        _compare_digest(b"", b"")
        return False
    if claimed.isascii() and on_file.isascii():  # compare_digest takes ASCII text as it is
        return _compare_digest(claimed, on_file)
    return _compare_digest(claimed.encode("utf-8", "surrogatepass"), on_file.encode("utf-8", "surrogatepass"))


def verify_keys(claim: ClaimKeys, on_file: OrganizationKeys) -> VerificationOutcome:
    """Compare a normalised claim with the keys on file (V-1 .. V-4): every factor is evaluated
    and every person looked at, whatever fails first."""
    failed: set[Factor] = set()
    # USER_ID: find the caller; scan every person so the position of a match does not show.
    caller: PersonKeys | None = None
    for person in on_file.people:
        if _same(claim.user_id, person.user_id) and caller is None:
            caller = person
    if caller is None:
        failed.add(Factor.USER_ID)
    # PHONE: the caller's own number; without a caller the claim meets itself, the same work.
    stored_phone = caller.phone if caller is not None else (claim.phone or "")
    if not _same(claim.phone, stored_phone) or caller is None:
        failed.add(Factor.PHONE)
    # CONTACT_NAME: the primary contact's first AND last name, each in its own slot.
    name_matches = []
    for person in on_file.people:
        if person.is_primary_contact:
            first_ok = _same(claim.first_name, person.first_name)
            last_ok = _same(claim.last_name, person.last_name)
            name_matches.append(first_ok and last_ok)
    if not any(name_matches):
        failed.add(Factor.CONTACT_NAME)
    if not _same(claim.org_name, on_file.name):
        failed.add(Factor.ORG_NAME)
    # ADDRESS: one key of all its components (none can hold the separator), so equal keys are
    # equal components.
    if not _same(claim.address, on_file.address):
        failed.add(Factor.ADDRESS)
    # ORG_URL, only for Dynamics 365 organizations (V-1 [D365]); compared anyway for timing.
    url_ok = _same(claim.url, on_file.url)
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
