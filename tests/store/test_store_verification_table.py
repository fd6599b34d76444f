"""V-1..V-4 on the demo directory: 30+ callers, exact answers and near misses, with the
outcome each must get. "malformed" means refused before any attempt is spent (V-4)."""

from __future__ import annotations

import dataclasses

import pytest
from sqlmodel import select

from identity import Address, CallerClaim
from tickets.agents import authenticate
from tickets.demo import DEMO_CALLERS
from tickets.errors import InvalidInput
from tickets.store.models import Organization
from tickets.verification import verify_caller

CALLERS = {c["key"]: c for c in DEMO_CALLERS}


def claim_for(key: str) -> CallerClaim:
    c = CALLERS[key]
    return CallerClaim(
        user_id=c["user_id"],
        phone=c["phone"],
        contact_first_name=c["contact_first_name"],
        contact_last_name=c["contact_last_name"],
        org_name=c["org_name"],
        address=Address(tuple(c["street_lines"]), c["city"], c["region"], c["postal_code"], c["country"]),
        org_url=c["url"] or "",
    )


def with_address(claim: CallerClaim, **changes) -> CallerClaim:
    return dataclasses.replace(claim, address=dataclasses.replace(claim.address, **changes))


def _one_digit_off(phone: str) -> str:
    last = phone.rstrip()[-1]
    return phone.rstrip()[:-1] + ("1" if last != "1" else "2")


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) if ch.isdigit() else ch for ch in text)


X, M = "intune-product-key", "d365-migration"
CASES: list[tuple[str, str, callable, str]] = [
    # Every scripted caller as they would say it.
    *[(f"{key} as on file", key, lambda c: c, "fail" if key == "non-admin" else "pass") for key in CALLERS],
    # Forms that normalise to the same values (V-3).
    ("user ID in capitals", X, lambda c: dataclasses.replace(c, user_id=c.user_id.upper()), "pass"),
    ("phone in international form", X, lambda c: dataclasses.replace(c, phone="+44 113 496 0102"), "pass"),
    ("phone in full-width digits", X, lambda c: dataclasses.replace(c, phone=_fullwidth(c.phone)), "pass"),
    (
        "organization name without its full stop",
        "intune-expedited",
        lambda c: dataclasses.replace(c, org_name=c.org_name.rstrip(".")),
        "pass",
    ),
    (
        "organization name shouted with extra spaces",
        X,
        lambda c: dataclasses.replace(c, org_name="  " + c.org_name.upper().replace(" ", "   ") + " "),
        "pass",
    ),
    (
        "postal code without its space",
        X,
        lambda c: with_address(c, postal_code=c.address.postal_code.replace(" ", "")),
        "pass",
    ),
    ("URL typed with https and a slash", M, lambda c: dataclasses.replace(c, org_url=f"https://{c.org_url}/"), "pass"),
    # Near misses: no fuzzy matching (V-3).
    ("phone one digit off", X, lambda c: dataclasses.replace(c, phone=_one_digit_off(c.phone)), "fail"),
    (
        "first and last name of the contact swapped",
        X,
        lambda c: dataclasses.replace(
            c, contact_first_name=c.contact_last_name, contact_last_name=c.contact_first_name
        ),
        "fail",
    ),
    (
        "the caller's own name instead of the primary contact",
        X,
        lambda c: dataclasses.replace(c, contact_first_name="Raj", contact_last_name="Kumar"),
        "fail",
    ),
    (
        "contact name without its umlaut",
        M,
        lambda c: dataclasses.replace(c, contact_first_name=c.contact_first_name.replace("ü", "u")),
        "fail",
    ),
    (
        "street number wrong",
        X,
        lambda c: with_address(
            c, street_lines=(c.address.street_lines[0].replace("1", "7", 1),) + c.address.street_lines[1:]
        ),
        "fail",
    ),
    ("wrong city", X, lambda c: with_address(c, city="Manchester"), "fail"),
    ("wrong postal code", X, lambda c: with_address(c, postal_code="LS1 1AA"), "fail"),
    ("organization name of another company", X, lambda c: dataclasses.replace(c, org_name="Contoso Ltd."), "fail"),
    ("wrong organization URL", M, lambda c: dataclasses.replace(c, org_url="contoso.crm11.dynamics.com"), "fail"),
    (
        "user ID of someone at another organization",
        X,
        lambda c: dataclasses.replace(c, user_id="james.oconnor@fabrikam.co.uk"),
        "fail",
    ),
    # Malformed input costs no attempt (V-4).
    ("phone that is not a number", X, lambda c: dataclasses.replace(c, phone="12"), "malformed"),
    ("user ID that is not an address", X, lambda c: dataclasses.replace(c, user_id="raj.kumar"), "malformed"),
    ("Dynamics 365 without the URL", M, lambda c: dataclasses.replace(c, org_url=""), "malformed"),
    ("no street line", X, lambda c: with_address(c, street_lines=()), "malformed"),
]


def test_there_are_at_least_thirty_cases():
    assert len(CASES) >= 30


@pytest.fixture
def demo(demo_store):
    store = demo_store
    with store.read() as session:
        orgs = {o.ref: o.id for o in session.exec(select(Organization))}
    return store, orgs, authenticate(store, name="ada", pin="1111")


@pytest.mark.parametrize(("label", "key", "change", "expected"), CASES, ids=[c[0] for c in CASES])
def test_v1_v3_verification_table(demo, label, key, change, expected):
    store, orgs, agent = demo
    claim = change(claim_for(key))
    org_id = orgs[CALLERS[key]["org_ref"]]
    if expected == "malformed":
        with pytest.raises(InvalidInput):
            verify_caller(store, agent=agent, organization_id=org_id, claim=claim)
        return
    result = verify_caller(store, agent=agent, organization_id=org_id, claim=claim)
    assert result.passed is (expected == "pass"), label


def test_right_person_at_the_wrong_organization_fails(demo):
    store, orgs, agent = demo
    result = verify_caller(store, agent=agent, organization_id=orgs["ORG-0002"], claim=claim_for(X))
    assert not result.passed
