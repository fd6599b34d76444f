"""Comparison keys: the fast paths give the keys the general ones give, a value and
its re-formatted variants get equal keys exactly when the old comparison called them equal, and
verifying against stored keys decides as verifying against the facts (V-3, V-4)."""

from __future__ import annotations

import unicodedata

import phonenumbers
import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from identity import (
    Address,
    CallerClaim,
    OrganizationKeys,
    OrganizationOnFile,
    PersonKeys,
    PersonOnFile,
    address_key,
    check_claim_format,
    claim_keys,
    normalize_address,
    normalize_text,
    normalize_url,
    normalize_user_id,
    organization_fact_keys,
    parse_phone,
    person_fact_keys,
    phone_key,
    verify,
    verify_keys,
)
from identity.errors import IdentityError
from identity.normalize import _normalize_text_general

ASCII = st.text(alphabet=st.characters(max_codepoint=127), max_size=40)
NAMEISH = st.text(alphabet=st.sampled_from("abcXYZ éÉßﬁ'.-,\t\u00a0\u200b0１"), max_size=20)


def _variants(value: str) -> list[str]:
    """The same fact as an agent might type it: case, spacing, punctuation, full-width forms."""
    full_width = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in value)
    return [value.upper(), value.lower(), f"  {value}  ", value.replace(" ", "   "), value + ".",
            value.replace(" ", ". "), full_width, unicodedata.normalize("NFD", value)]


@given(ASCII)
def test_the_ascii_text_key_is_the_key_of_the_rounds(value: str) -> None:
    assert normalize_text(value) == _normalize_text_general(value) == _text_key_by_rounds(value)


def _text_key_by_rounds(value: str) -> str:
    """normalize_text as it was: Unicode rounds until a fixed point, ASCII or not."""
    from identity.normalize import _MAX_ROUNDS, _SURROGATE, _one_round

    value = _SURROGATE.sub("", value)
    for _ in range(_MAX_ROUNDS):
        nxt = _one_round(value)
        if nxt == value:
            break
        value = nxt
    return value


# Letters a round makes ASCII (sharp s, dotted I, ligatures, squared "nA", parenthesised digits, A
# and its ring apart or composed) beside ASCII.
MADE_ASCII = st.text(st.sampled_from("aZ. \t\u00df\u0130\ufb01\u3381\u2488\u00c5A\u030a"), max_size=12)


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.text(max_size=30), NAMEISH, MADE_ASCII))
def test_a_text_made_ascii_by_a_round_ends_with_the_ascii_round(value: str) -> None:
    assert normalize_text(value) == _text_key_by_rounds(value)


@given(NAMEISH, NAMEISH)
def test_text_keys_of_variants_agree_with_the_old_comparison(a: str, b: str) -> None:
    for x in [a, *_variants(a)]:
        for y in [b, *_variants(a)]:
            assert (normalize_text(x) == normalize_text(y)) == (
                _normalize_text_general(x) == _normalize_text_general(y)
            )


def _user_id_by_rounds(value: str) -> str:
    """normalize_user_id as it was: email-validator until the key is a fixed point."""
    key = unicodedata.normalize("NFKC", value).strip()
    for _ in range(4):
        nxt = validate_email(key, check_deliverability=False).normalized.lower()
        if nxt == key:
            return key
        key = nxt
    return key


LOCAL = st.text(alphabet=st.sampled_from("abcAZ09._+-'\"é"), min_size=1, max_size=12)
DOMAIN = st.sampled_from(["Example.COM", "contoso.co.uk", "XN--BCHER-KVA.example", "bücher.example", "a-b.org"])


@settings(max_examples=300)
@given(LOCAL, DOMAIN, st.booleans())
def test_the_user_id_key_is_the_fixed_point_of_the_old_rounds(local: str, domain: str, shout: bool) -> None:
    value = f"{local}@{domain}"
    value = value.upper() if shout else value
    try:
        old = _user_id_by_rounds(value)
    except EmailNotValidError:
        with pytest.raises(IdentityError):
            normalize_user_id(value)
        return
    assert normalize_user_id(value) == old == normalize_user_id(old)


PHONES = st.sampled_from(["+44 20 7946 0958", "+442079460958", "+49 30 129062", "+1 206 555 0100", "+81 3-1234-5678",
                          "+61 2 9876 5432", "+12", "+999 123", "+44 (0)20 7946 0958"])


@given(PHONES, st.sampled_from(["GB", "DE", "US", "JP", "ZZ", "XX"]), st.sampled_from(["GB", "FR", "AU"]))
def test_a_number_with_its_country_code_has_one_key_in_every_region(phone: str, one: str, other: str) -> None:
    def key(region: str) -> str | None:
        try:
            return phone_key(phone, region)
        except IdentityError:
            return None

    assert key(one) == key(other)
    if key(one) is not None:
        assert key(one) == parse_phone(phone, one).e164


STREET = st.sampled_from(
    [
        "1 Market Street",
        "1 MARKET ST.",
        "  1  Market   Street ",
        "1 Market\tStreet",
        "2 Invalidenstraße",
        "2 INVALIDENSTRASSE",
        "",
        "Suite 5",
    ]
)


@given(st.lists(STREET, max_size=3), st.sampled_from(["London", "LONDON ", "Berlin", "", "Zürich"]),
       st.sampled_from(["", "WA", "w.a."]), st.sampled_from(["EC1A 1BB", "ec1a1bb", "10115", ""]),
       st.sampled_from(["GB", "gb", "ＧＢ", "DE", "UK1"]), st.lists(STREET, max_size=3))
def test_address_keys_agree_with_the_old_component_comparison(
    lines, city, region, postal, country, other_lines
) -> None:
    a = Address(tuple(lines), city, region, postal, country)
    b = Address(tuple(other_lines), city.upper(), region, postal.replace(" ", ""), country)

    def old(address: Address):
        try:
            key = normalize_address(address)
        except IdentityError:
            return None
        return (" ".join(key.street_lines), key.city, key.region, key.postal_code, key.country)

    if old(a) is None or old(b) is None:
        assert "" in (address_key(a), address_key(b))
    else:
        assert (address_key(a) == address_key(b)) == (old(a) == old(b))


ON_FILE = OrganizationOnFile(
    country="GB", name="Fabrikam Ltd.", url="fabrikam.crm4.dynamics.com",
    address=Address(("1 Market Street",), "London", "", "EC1A 1BB", "GB"),
    people=(
        PersonOnFile("1", "ann.admin@fabrikam.co.uk", "+442079460958", "Ann", "O'Admin", True,
                     frozenset({"admin"})),
        PersonOnFile("2", "bob.user@fabrikam.co.uk", "+442079460959", "Bob", "User", False, frozenset()),
    ),
    requires_url=True,
)


def _stored(on_file: OrganizationOnFile) -> OrganizationKeys:
    """The keys as the directory stores them (the functions the import and migration use)."""
    people = []
    for p in on_file.people:
        user_id, phone, first, last = person_fact_keys(p.user_id, p.phone_e164, p.first_name, p.last_name)
        people.append(PersonKeys(p.key, user_id, phone, first, last, p.is_primary_contact, p.roles))
    a = on_file.address
    name, url, address = organization_fact_keys(on_file.name, on_file.url, a.street_lines, a.city, a.region,
                                                a.postal_code, a.country)
    return OrganizationKeys(name, url, address, tuple(people), on_file.requires_url)


@settings(max_examples=200)
@given(
    st.sampled_from(["ann.admin@fabrikam.co.uk", "ANN.ADMIN@FABRIKAM.CO.UK", "bob.user@fabrikam.co.uk", "eve@x.org",
                     "not an address"]),
    st.sampled_from(["020 7946 0958", "+44 20 7946 0958", "020 7946 0959", "12", "０２０７９４６０９５８"]),
    st.sampled_from(["Ann", "ANN ", "Bob", "", "Ａｎｎ"]), st.sampled_from(["O'Admin", "oadmin", "Admin", "O’Admin"]),
    st.sampled_from(["Fabrikam Ltd", "FABRIKAM, LTD.", "Fabrikam", ""]),
    st.sampled_from(["https://Fabrikam.crm4.dynamics.com/main.aspx", "", "fabrikam.crm.dynamics.com", "x"]),
    st.sampled_from([("1 Market Street",), ("1 market st",), ("1", "Market Street"), ()]),
)
def test_verifying_against_stored_keys_decides_as_against_the_facts(
    user_id, phone, first, last, org, url, lines
) -> None:
    claim = CallerClaim(user_id, phone, first, last, org, Address(lines, "London", "", "EC1A1BB", "GB"), url)
    keys = claim_keys(claim, ON_FILE.country, ON_FILE.requires_url)
    assert keys.problems == check_claim_format(claim, ON_FILE.country, ON_FILE.requires_url)
    assert verify_keys(keys, _stored(ON_FILE)) == verify(claim, ON_FILE)


def test_a_malformed_fact_on_file_fails_its_factor_and_only_it() -> None:
    broken = OrganizationOnFile(
        ON_FILE.country, "...", "not a url", Address((), "", "", "", "GB"), ON_FILE.people, True
    )
    claim = CallerClaim("ann.admin@fabrikam.co.uk", "020 7946 0958", "Ann", "O'Admin", "Fabrikam Ltd",
                        ON_FILE.address, "fabrikam.crm4.dynamics.com")
    outcome = verify_keys(claim_keys(claim, "GB", True), _stored(broken))
    assert {str(f) for f in outcome.failed_factors} == {"org_name", "org_url", "address"}
    assert outcome == verify(claim, broken)


def test_the_claim_is_normalised_once_for_the_format_check_and_the_keys() -> None:
    claim = CallerClaim("Ann.Admin@Fabrikam.co.uk", "020 7946 0958", "Ann", "O'Admin", "Fabrikam Ltd", ON_FILE.address)
    keys = claim_keys(claim, "GB", False)
    assert keys.problems == {} and keys.url is None
    assert (keys.user_id, keys.phone, keys.first_name, keys.org_name) == (
        "ann.admin@fabrikam.co.uk", "+442079460958", "ann", "fabrikam ltd")


class _Text(str):
    """A str that is not exactly str: claim_keys reads its URL by the general path."""


@given(st.sampled_from(["", " ", "\t", "\u3000", "fabrikam.crm4.dynamics.com", "http://", "x"]), st.booleans())
def test_an_empty_url_gives_the_keys_and_problems_normalising_it_gives(url: str, requires_url: bool) -> None:
    from identity.keys import _NO_URL

    claim = CallerClaim("ann.admin@fabrikam.co.uk", "020 7946 0958", "Ann", "O'Admin", "Fabrikam Ltd",
                        ON_FILE.address, url)
    general = CallerClaim(*[_Text(v) if isinstance(v, str) else v for v in (
        claim.user_id, claim.phone, claim.contact_first_name, claim.contact_last_name, claim.org_name)],
        claim.address, _Text(url))
    assert claim_keys(claim, "GB", requires_url) == claim_keys(general, "GB", requires_url)
    with pytest.raises(IdentityError) as refused:
        normalize_url("", "org_url")
    assert f"{refused.value.message} ({refused.value.rule})" == _NO_URL


_TYPES = [phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE,
          phonenumbers.PhoneNumberType.TOLL_FREE, phonenumbers.PhoneNumberType.VOIP]


@settings(max_examples=400)
@given(st.sampled_from(sorted(phonenumbers.SUPPORTED_REGIONS)), st.sampled_from(_TYPES),
       st.lists(st.tuples(st.integers(0, 20), st.integers(0, 9)), max_size=4), st.sampled_from(["", "0", "1", "00"]),
       st.integers(-2, 2))
def test_reading_an_e164_key_back_without_parsing_agrees_with_parsing(region, kind, changes, prefix, length) -> None:
    """identity.phone._reads_back decides as parsing the E.164 text again did."""
    from identity.phone import _reads_back, _reparses

    example = phonenumbers.example_number_for_type(region, kind)
    assume(example is not None)
    digits = list(str(example.national_number))
    for position, digit in changes:
        digits[position % len(digits)] = str(digit)
    text = prefix + "".join(digits)
    text = text[:length] if length < 0 else text + "5" * length
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return
    assume(phonenumbers.is_possible_number_with_reason(number) == phonenumbers.ValidationResult.IS_POSSIBLE)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    assert _reads_back(number, e164, "phone") == _reparses(e164, "phone")
