"""V-1 .. V-4: blind verification of a caller against an organization on file."""

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from identity import (
    CALLER_ROLES,
    Address,
    CallerClaim,
    Factor,
    OrganizationOnFile,
    PersonOnFile,
    VerificationOutcome,
    check_claim_format,
    verify,
)

PRIMARY = PersonOnFile(
    key="k-7f3a",
    user_id="Megan.Bowen@Fabrikam.example",
    phone_e164="+442079460958",
    first_name="Megan",
    last_name="Bowen",
    is_primary_contact=True,
    roles=frozenset({"admin", "billing_admin"}),
)
BILLING = PersonOnFile(
    key="k-91c2",
    user_id="alex.wilber@fabrikam.example",
    phone_e164="+442079460111",
    first_name="Alex",
    last_name="Wilber",
    is_primary_contact=False,
    roles=frozenset({"ims_billing_admin"}),
)
READER = PersonOnFile(
    key="k-0d44",
    user_id="lee.gu@fabrikam.example",
    phone_e164="+442079460222",
    first_name="Lee",
    last_name="Gu",
    is_primary_contact=False,
    roles=frozenset(),
)
ORG = OrganizationOnFile(
    country="GB",
    name="Fabrikam Holdings Ltd.",
    url="https://fabrikam-ops.crm11.dynamics.com/",
    address=Address(("Flat 3, Quayside House", "17 Harbour Row"), "Bristol", "Avon", "BS1 4RN", "GB"),
    people=(READER, PRIMARY, BILLING),
    requires_url=False,
)
D365_ORG = dataclasses.replace(ORG, requires_url=True)

RIGHT = CallerClaim(
    user_id="megan.bowen@fabrikam.example",
    phone="020 7946 0958",
    contact_first_name="Megan",
    contact_last_name="Bowen",
    org_name="Fabrikam Holdings Ltd",
    address=Address(("Flat 3, Quayside House", "17 Harbour Row"), "Bristol", "Avon", "BS1 4RN", "GB"),
    org_url="fabrikam-ops.crm11.dynamics.com",
)


def claim(**changes: object) -> CallerClaim:
    return dataclasses.replace(RIGHT, **changes)


def address(**changes: object) -> Address:
    return dataclasses.replace(RIGHT.address, **changes)


CASES = {
    "all right": (ORG, RIGHT, set()),
    "all right, D365": (D365_ORG, RIGHT, set()),
    "upper case": (
        ORG,
        claim(
            user_id="MEGAN.BOWEN@FABRIKAM.EXAMPLE",
            contact_first_name="MEGAN",
            contact_last_name="BOWEN",
            org_name="FABRIKAM HOLDINGS LTD.",
            address=Address(("FLAT 3, QUAYSIDE HOUSE", "17 HARBOUR ROW"), "BRISTOL", "AVON", "BS1 4RN", "gb"),
        ),
        set(),
    ),
    "lower case": (
        ORG,
        claim(
            contact_first_name="megan",
            contact_last_name="bowen",
            org_name="fabrikam holdings ltd",
            address=Address(("flat 3 quayside house", "17 harbour row"), "bristol", "avon", "bs14rn", "GB"),
        ),
        set(),
    ),
    "extra spaces": (
        ORG,
        claim(
            user_id="  megan.bowen@fabrikam.example ",
            contact_first_name=" Megan ",
            contact_last_name="Bowen  ",
            org_name="  Fabrikam   Holdings  Ltd ",
            phone=" +44 (0)20  7946 0958 ",
            address=Address(
                ("  Flat 3,  Quayside House", "", "17  Harbour Row "), " Bristol", " Avon ", "BS1  4RN", " GB "
            ),
        ),
        set(),
    ),
    "street lines split differently": (
        ORG,
        claim(address=address(street_lines=("Flat 3, Quayside House 17 Harbour Row",))),
        set(),
    ),
    "full-width input": (ORG, claim(phone="０２０ ７９４６ ０９５８", contact_first_name="Ｍｅｇａｎ"), set()),
    "international phone": (ORG, claim(phone="+44 20 7946 0958"), set()),
    "phone one digit off": (ORG, claim(phone="020 7946 0959"), {Factor.PHONE}),
    "phone of another person": (ORG, claim(phone="020 7946 0111"), {Factor.PHONE}),
    "phone malformed": (ORG, claim(phone="12"), {Factor.PHONE}),
    "wrong user id": (
        ORG,
        claim(user_id="megan.bowen@fabrikam.example.com"),
        {Factor.USER_ID, Factor.PHONE, Factor.ADMIN_ROLE},
    ),
    "malformed user id": (ORG, claim(user_id="megan.bowen"), {Factor.USER_ID, Factor.PHONE, Factor.ADMIN_ROLE}),
    "near-miss user id": (
        ORG,
        claim(user_id="megan.bowan@fabrikam.example"),
        {Factor.USER_ID, Factor.PHONE, Factor.ADMIN_ROLE},
    ),
    "non-admin caller": (ORG, claim(user_id="lee.gu@fabrikam.example", phone="020 7946 0222"), {Factor.ADMIN_ROLE}),
    "IMS billing admin caller": (ORG, claim(user_id="alex.wilber@fabrikam.example", phone="020 7946 0111"), set()),
    "names swapped": (ORG, claim(contact_first_name="Bowen", contact_last_name="Megan"), {Factor.CONTACT_NAME}),
    "first name only right": (ORG, claim(contact_last_name="Bowan"), {Factor.CONTACT_NAME}),
    "non-primary contact named": (
        ORG,
        claim(contact_first_name="Alex", contact_last_name="Wilber"),
        {Factor.CONTACT_NAME},
    ),
    "empty contact name": (ORG, claim(contact_first_name=""), {Factor.CONTACT_NAME}),
    "org name near miss": (ORG, claim(org_name="Fabrikam Holding Ltd"), {Factor.ORG_NAME}),
    "org name missing suffix": (ORG, claim(org_name="Fabrikam Holdings"), {Factor.ORG_NAME}),
    "city wrong": (ORG, claim(address=address(city="Bath")), {Factor.ADDRESS}),
    "postal code wrong": (ORG, claim(address=address(postal_code="BS1 4RM")), {Factor.ADDRESS}),
    "region missing": (ORG, claim(address=address(region="")), {Factor.ADDRESS}),
    "country wrong": (ORG, claim(address=address(country="IE")), {Factor.ADDRESS}),
    "street line missing": (ORG, claim(address=address(street_lines=("17 Harbour Row",))), {Factor.ADDRESS}),
    "URL not required, missing": (ORG, claim(org_url=""), set()),
    "URL required, missing": (D365_ORG, claim(org_url=""), {Factor.ORG_URL}),
    "URL required, wrong": (D365_ORG, claim(org_url="fabrikam-ops.crm4.dynamics.com"), {Factor.ORG_URL}),
    "URL required, with scheme and path": (
        D365_ORG,
        claim(org_url="HTTPS://Fabrikam-Ops.crm11.dynamics.com/main.aspx"),
        set(),
    ),
    "URL required, none on file": (dataclasses.replace(D365_ORG, url=None), RIGHT, {Factor.ORG_URL}),
    "everything wrong": (
        D365_ORG,
        CallerClaim("x@y.example", "1", "", "", "", Address((), "", "", "", ""), ""),
        set(Factor),
    ),
}


@pytest.mark.parametrize(("org", "the_claim", "failed"), CASES.values(), ids=CASES.keys())
def test_v1_v2_v3_verify(org: OrganizationOnFile, the_claim: CallerClaim, failed: set[Factor]) -> None:
    outcome = verify(the_claim, org)
    assert outcome.failed_factors == frozenset(failed)
    assert outcome.passed is (not failed)
    if outcome.passed:
        caller = next(p for p in org.people if p.user_id.lower() == the_claim.user_id.strip().lower())
        assert outcome.person_key == caller.key
        assert outcome.roles == caller.roles
        assert outcome.roles & CALLER_ROLES
    else:
        assert outcome.person_key is None
        assert outcome.roles == frozenset()


def test_v2_no_primary_contact_on_file_fails_the_contact_factor() -> None:
    org = dataclasses.replace(ORG, people=(dataclasses.replace(PRIMARY, is_primary_contact=False),))
    assert verify(RIGHT, org).failed_factors == {Factor.CONTACT_NAME}


ON_FILE_STRINGS = [
    "Megan", "Bowen", "megan", "bowen", "Fabrikam", "fabrikam", "Quayside", "quayside", "Harbour", "Bristol",
    "bristol", "Avon", "BS1", "4RN", "bs14rn", "7946", "0958", "+442079460958", "dynamics", "Alex", "Wilber", "Lee",
]


@pytest.mark.parametrize(("org", "the_claim", "failed"), CASES.values(), ids=CASES.keys())
def test_v4_outcome_reveals_no_stored_value(
    org: OrganizationOnFile, the_claim: CallerClaim, failed: set[Factor]
) -> None:
    outcome = verify(the_claim, org)
    text = repr(outcome) + str(outcome) + repr(dataclasses.asdict(outcome))
    for stored in ON_FILE_STRINGS:
        assert stored not in text
    assert {f.name for f in dataclasses.fields(VerificationOutcome)} == {
        "passed",
        "failed_factors",
        "person_key",
        "roles",
    }


# --- check_claim_format (V-4: malformed input flagged inline) ----------------------------------


def test_v4_well_formed_claim_has_no_problems() -> None:
    assert check_claim_format(RIGHT, "GB", requires_url=True) == {}
    # Well formed is not the same as right: a wrong but valid claim has no format problems.
    assert check_claim_format(claim(phone="020 7946 0959", org_name="Someone Else"), "GB", requires_url=False) == {}


def test_v4_every_malformed_field_is_reported_with_its_rule() -> None:
    bad = CallerClaim(
        user_id="megan.bowen",
        phone="12",
        contact_first_name=" ",
        contact_last_name="...",
        org_name="",
        address=Address(("", " "), "", "", "", "United Kingdom"),
        org_url="not a url",
    )
    problems = check_claim_format(bad, "GB", requires_url=True)
    assert set(problems) == {
        "user_id", "phone", "contact_first_name", "contact_last_name", "org_name",
        "address.street", "address.city", "address.country", "org_url",
    }
    assert problems["phone"] == "not a possible phone number for GB: too short (V-3)"
    assert all(message.endswith(("(V-1)", "(V-3)", "(V-6)")) for message in problems.values())


def test_v4_url_checked_only_when_required() -> None:
    assert check_claim_format(claim(org_url=""), "GB", requires_url=False) == {}
    assert check_claim_format(claim(org_url="nonsense"), "GB", requires_url=False) == {}
    assert set(check_claim_format(claim(org_url=""), "GB", requires_url=True)) == {"org_url"}


def test_v4_phone_format_uses_the_given_region() -> None:
    assert check_claim_format(RIGHT, "GB", requires_url=False) == {}
    assert "phone" in check_claim_format(RIGHT, "", requires_url=False)


# --- totality ---------------------------------------------------------------------------------

TEXT = st.text(
    st.one_of(
        st.characters(exclude_categories=()),
        st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF, exclude_categories=()),
        st.sampled_from("@.+0123456789 "),
    ),
    max_size=20,
)
CLAIMS = st.builds(
    CallerClaim,
    st.one_of(TEXT, st.just(RIGHT.user_id)),
    st.one_of(TEXT, st.just(RIGHT.phone)),
    st.one_of(TEXT, st.just("Megan")),
    st.one_of(TEXT, st.just("Bowen")),
    TEXT,
    st.builds(Address, st.lists(TEXT, max_size=2).map(tuple), TEXT, TEXT, TEXT, TEXT),
    TEXT,
)


@settings(max_examples=150, deadline=None)
@given(CLAIMS, st.sampled_from([ORG, D365_ORG]))
def test_v4_verify_and_format_check_never_raise(the_claim: CallerClaim, org: OrganizationOnFile) -> None:
    outcome = verify(the_claim, org)
    assert outcome.passed is (not outcome.failed_factors)
    problems = check_claim_format(the_claim, org.country, org.requires_url)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in problems.items())
