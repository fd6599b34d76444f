"""Hostile input to `identity`: every normaliser and validator, check_claim_format and verify
take anything an agent can type (arbitrary Unicode, lone surrogates, control characters, SQL
and formula fragments, 100 kB strings) and answer with a value or an IdentityError carrying a
clear message that never echoes the typed value (V-4). Never another exception.
"""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drills.hostile import assert_clear, examples, hostile_text, regions
from identity import (
    Address,
    CallerClaim,
    OrganizationOnFile,
    PersonOnFile,
    check_claim_format,
    check_free_text,
    find_credential,
    format_as_you_type,
    normalize_address,
    normalize_org_name,
    normalize_person_name,
    normalize_text,
    normalize_url,
    normalize_user_id,
    parse_phone,
    verify,
)
from identity.errors import IdentityError

ON_FILE = OrganizationOnFile(
    country="GB",
    name="Fabrikam Ltd.",
    url="fabrikam.crm4.dynamics.com",
    address=Address(("1 Market Street",), "London", "", "EC1A 1BB", "GB"),
    people=(
        PersonOnFile("1", "ann.admin@fabrikam.co.uk", "+442079460958", "Ann", "Admin", True,
                     frozenset({"admin"})),
    ),
    requires_url=True,
)


def _either(call, *typed):
    """The value, or None after checking the IdentityError is clear."""
    try:
        return call()
    except IdentityError as error:
        assert_clear(error, *typed)
        return None


@examples()
@given(value=hostile_text())
def test_normalize_text_never_raises_and_is_idempotent(value):
    key = normalize_text(value)
    assert normalize_text(key) == key


@pytest.mark.parametrize("normalise", [normalize_person_name, normalize_org_name, normalize_user_id, normalize_url])
@examples()
@given(value=hostile_text())
def test_normalisers_answer_a_key_or_a_clear_identity_error(normalise, value):
    key = _either(lambda: normalise(value), value)
    if key is not None:
        assert _either(lambda: normalise(key)) == key, "a key must normalise to itself (V-3)"


@examples()
@given(value=hostile_text(), region=regions())
def test_parse_phone_answers_e164_or_a_clear_error(value, region):
    parsed = _either(lambda: parse_phone(value, region), value)
    if parsed is not None:
        assert parsed.e164.startswith("+") and parsed.e164[1:].isdigit()


@examples()
@given(value=hostile_text(), region=regions())
def test_format_as_you_type_never_raises(value, region):
    assert isinstance(format_as_you_type(value, region), str)


@examples()
@given(value=hostile_text())
def test_credential_check_is_clear_and_fast(value):
    started = time.perf_counter()
    reason = find_credential(value)
    _either(lambda: check_free_text(value, "reason"), value)
    assert reason is None or isinstance(reason, str)
    assert time.perf_counter() - started < 2.0, "V-6 check took over 2 s (catastrophic backtracking?)"


def _claims(text):
    address = st.builds(
        Address,
        street_lines=st.one_of(st.tuples(text), st.tuples(text, text), st.lists(text, max_size=3).map(tuple)),
        city=text, region=text, postal_code=text, country=text,
    )
    return st.builds(
        CallerClaim, user_id=text, phone=text, contact_first_name=text, contact_last_name=text,
        org_name=text, address=address, org_url=text,
    )


@examples()
@given(claim=_claims(hostile_text()), region=regions(), requires_url=st.booleans())
def test_check_claim_format_names_problems_without_echoing_them(claim, region, requires_url):
    problems = check_claim_format(claim, region, requires_url)
    typed = [claim.user_id, claim.phone, claim.contact_first_name, claim.contact_last_name, claim.org_name,
             claim.org_url, claim.address.city, *claim.address.street_lines]
    for field, message in problems.items():
        assert isinstance(field, str) and isinstance(message, str) and message.strip()
        assert len(message) <= 1000
        for value in typed:
            if len(value) >= 16 and value.strip():
                assert value not in message, f"{field}: the message echoes the typed value (V-4)"
        assert "(V-" in message, f"{field}: the message names no rule: {message!r}"


@examples()
@given(claim=_claims(hostile_text()))
def test_verify_never_raises_and_a_hostile_claim_never_passes(claim):
    outcome = verify(claim, ON_FILE)
    assert not outcome.passed and outcome.person_key is None and outcome.roles == frozenset()


@examples()
@given(address=_claims(hostile_text()).map(lambda c: c.address))
def test_normalize_address_answers_a_key_or_a_clear_error(address):
    key = _either(lambda: normalize_address(address))
    if key is not None:
        assert normalize_address(key) == key
