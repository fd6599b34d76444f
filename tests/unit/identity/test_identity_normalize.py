"""V-3: names, organization names, URLs and addresses compared exactly after normalisation."""

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from identity import (
    Address,
    IdentityError,
    InvalidAddress,
    InvalidName,
    InvalidUrl,
    normalize_address,
    normalize_org_name,
    normalize_person_name,
    normalize_text,
    normalize_url,
)

# Arbitrary Unicode, with lone surrogates, punctuation, combining marks and compatibility forms
# drawn more often than a uniform draw would.
TRICKY = (
    "\ud800\udfff\u0301\u0308\u200b\ufeff\u00a0\u3000\u2028\t\n.,'-"
    "\u2019\uff0e\u3002\u00df\u0130\ufb01\u2460\u2488\u1e9e"
)
CHARS = st.one_of(
    st.characters(exclude_categories=()),
    st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF, exclude_categories=()),
    st.sampled_from(TRICKY),
)
# A small alphabet where punctuation between a letter and a combining mark is common: removing
# the punctuation lets them compose, which a single normalisation pass would miss.
SMALL = st.text(st.sampled_from("aeiAEI.'-\u0301\u0308\u0327 \u200b\u1100\u1161\u11a8\ufb01"), max_size=12)
TEXT = st.one_of(st.text(CHARS, max_size=40), SMALL)
SETTINGS = settings(max_examples=200, deadline=None)


# --- normalize_text ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("  Contoso   Ltd. ", "contoso ltd"),
        ("CONTOSO LTD", "contoso ltd"),
        ("Ｃｏｎｔｏｓｏ\u3000Ｌｔｄ", "contoso ltd"),  # full-width letters and ideographic space
        ("Mu\u0308ller", "müller"),  # combining diaeresis composes
        ("STRASSE", "strasse"),
        ("Straße", "strasse"),  # casefold, not lower
        ("O'Brien", "obrien"),  # punctuation removed, not replaced
        ("Con\u200btoso", "contoso"),  # zero-width space dropped
        ("a\tb\nc\u2028d", "a b c d"),
        ("bad\ud800surrogate", "badsurrogate"),
        ("...", ""),
    ],
)
def test_v3_normalize_text(raw: str, key: str) -> None:
    assert normalize_text(raw) == key


def test_v3_normalize_text_takes_str_only() -> None:
    with pytest.raises(TypeError):
        normalize_text(None)  # type: ignore[arg-type]


@SETTINGS
@given(TEXT)
def test_v3_normalize_text_is_idempotent_and_total(value: str) -> None:
    key = normalize_text(value)
    assert normalize_text(key) == key
    assert key == key.strip()
    assert "  " not in key
    assert not any("\ud800" <= ch <= "\udfff" for ch in key)


# --- names ------------------------------------------------------------------------------------


def test_v3_org_names_equal_after_punctuation_and_case() -> None:
    assert normalize_org_name("Contoso Ltd") == normalize_org_name("Contoso Ltd.")
    assert normalize_org_name("contoso  LTD") == normalize_org_name("Contoso Ltd.")


def test_v3_near_miss_org_name_is_not_equal() -> None:
    assert normalize_org_name("Contoso Ltd") != normalize_org_name("Contosso Ltd")


@pytest.mark.parametrize("raw", ["", "   ", "...", "\u200b"])
def test_v3_empty_names_are_rejected_naming_the_field(raw: str) -> None:
    with pytest.raises(InvalidName) as info:
        normalize_person_name(raw, "contact_first_name")
    assert info.value.field == "contact_first_name"
    assert info.value.rule == "V-3"
    with pytest.raises(InvalidName) as info:
        normalize_org_name(raw)
    assert info.value.field == "org_name"


def test_v3_overlong_name_is_rejected() -> None:
    assert len(normalize_person_name("a" * 200)) == 200
    with pytest.raises(InvalidName, match="200"):
        normalize_person_name("a" * 201)


@SETTINGS
@given(TEXT)
def test_v3_name_normalisers_are_idempotent_and_raise_only_identity_errors(value: str) -> None:
    for normalise in (normalize_person_name, normalize_org_name):
        try:
            key = normalise(value)
        except IdentityError:
            continue
        assert normalise(key) == key


# --- organization URL -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "contoso.crm.dynamics.com",
        "https://contoso.crm.dynamics.com/",
        "HTTPS://Contoso.CRM.Dynamics.com",
        "https://contoso.crm.dynamics.com:443/main.aspx?appid=1#x",
        "  contoso.crm.dynamics.com.  ",
        "//contoso.crm.dynamics.com/path",
        "ｃｏｎｔｏｓｏ．ｃｒｍ．ｄｙｎａｍｉｃｓ．ｃｏｍ",
    ],
)
def test_v3_url_variants_normalise_to_the_host(raw: str) -> None:
    assert normalize_url(raw) == "contoso.crm.dynamics.com"


def test_v3_idn_host_and_its_a_label_are_equal() -> None:
    assert normalize_url("https://Bücher.example/") == normalize_url("xn--bcher-kva.example")


@pytest.mark.parametrize(
    "raw",
    ["", "   ", "https://", "localhost", "contoso", "192.168.0.1", "http://[::1]/", "con toso.com",
     "-contoso.com", "contoso.com:abc", "xn--zz.example", "a" * 64 + ".com"],
)
def test_v3_implausible_urls_are_rejected_naming_the_field(raw: str) -> None:
    with pytest.raises(InvalidUrl) as info:
        normalize_url(raw)
    assert info.value.field == "org_url"


def test_v6_url_with_credentials_is_rejected() -> None:
    with pytest.raises(InvalidUrl) as info:
        normalize_url("https://admin:hunter2@contoso.crm.dynamics.com/")
    assert info.value.rule == "V-6"
    assert "hunter2" not in str(info.value)


URLISH = st.one_of(
    TEXT,
    st.builds(
        lambda scheme, labels, tail: scheme + ".".join(labels) + tail,
        st.sampled_from(["", "https://", "HTTP://", "//"]),
        st.lists(st.text(CHARS, min_size=1, max_size=8), min_size=1, max_size=4),
        st.sampled_from(["", "/", ":443", "/a?b#c", "."]),
    ),
    st.from_regex(r"\A[A-Za-z0-9-]{1,10}(\.[A-Za-z0-9-]{1,10}){1,3}\Z"),
)


@SETTINGS
@given(URLISH)
def test_v3_normalize_url_is_idempotent_and_raises_only_invalid_url(value: str) -> None:
    try:
        key = normalize_url(value)
    except InvalidUrl:
        return
    assert normalize_url(key) == key
    assert key.isascii() and key == key.lower()


def _outcome(normalise, *args):
    """What a normaliser gives: its key, or the field, rule and message of its error."""
    try:
        return normalise(*args)
    except IdentityError as error:
        return (type(error), error.field, error.rule, error.message)


# ASCII URLs near the edges of the usual shape: schemes that are not one, Punycode, empty and
# long labels, hyphens at a label's ends, ports, user names, white space and separators.
ASCII_URL_PART = st.one_of(
    st.text(st.sampled_from("aZ09-.:/?#\\@ \t\x1f"), max_size=6),
    st.sampled_from(["xn--bcher-kva", "XN--zz", "crm", "com", "c0m", "a" * 63, "b" * 64, "-a", "a-", "1.2"]),
)
ASCII_URLS = st.builds(
    lambda scheme, parts, tail: scheme + "".join(parts) + tail,
    st.sampled_from(["", "https://", "HTTP://", "//", "a.b://", "contoso.com://", "  ", "x:"]),
    st.lists(st.one_of(ASCII_URL_PART, st.just(".")), max_size=8),
    st.sampled_from(["", "/", ":443", ":", ":4a", "/a?b#c", ".", "..", " ", "\\x", "@h.com"]),
)


@settings(max_examples=1000, deadline=None)
@given(st.one_of(ASCII_URLS, URLISH))
def test_v3_the_plain_url_path_gives_the_general_key_and_errors(value: str) -> None:
    from identity.normalize import _normalize_url_general

    assert _outcome(normalize_url, value, "org_url") == _outcome(_normalize_url_general, value, "org_url")


# --- address ----------------------------------------------------------------------------------

ADDRESS = Address(("1 Main Street", "Suite 5"), "London", "", "SW1A 1AA", "GB")


def test_v3_address_normalised_component_by_component() -> None:
    raw = Address(("  1 MAIN STREET. ", "", "Suite  5"), "london", "", "sw1a1aa", "gb")
    assert normalize_address(raw) == normalize_address(ADDRESS)
    assert normalize_address(ADDRESS) == Address(("1 main street", "suite 5"), "london", "", "sw1a1aa", "GB")


def test_v3_postal_code_key_is_stable_when_spaces_go() -> None:
    # Dropping the space lets "A" and the combining grave compose; the key must be a fixed point.
    key = normalize_address(Address(("0",), "0", "", "A \u0300", "AA")).postal_code
    assert key == "\u00e0"


def test_v3_full_width_country_is_accepted() -> None:
    assert normalize_address(Address(("1 Main St",), "London", "", "", "ｇｂ")).country == "GB"


def _country_by_nfkc(value: str):
    """normalize_country as it was: NFKC first, ASCII or not."""
    code = unicodedata.normalize("NFKC", value).strip().upper()
    if len(code) != 2 or not (code.isascii() and code.isalpha()):
        return (InvalidAddress, "address.country", "V-3", "country must be a two-letter ISO 3166 code")
    return code


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(st.characters(max_codepoint=127), max_size=4), st.text(st.sampled_from("gbGB \t\x1fｇ1"),
                                                                             max_size=4)))
def test_v3_an_ascii_country_code_is_read_as_through_nfkc(value: str) -> None:
    from identity.normalize import normalize_country

    assert _outcome(normalize_country, value, "address.country") == _country_by_nfkc(value)


@pytest.mark.parametrize(
    ("address", "field"),
    [
        (Address((), "London", "", "", "GB"), "address.street"),
        (Address(("", " . "), "London", "", "", "GB"), "address.street"),
        (Address(("1 Main St",), "  ", "", "", "GB"), "address.city"),
        (Address(("1 Main St",), "London", "", "", "United Kingdom"), "address.country"),
        (Address(("1 Main St",), "London", "", "", ""), "address.country"),
        (Address(("1 Main St",), "London", "", "", "G1"), "address.country"),
    ],
)
def test_v1_incomplete_address_is_rejected_naming_the_component(address: Address, field: str) -> None:
    with pytest.raises(InvalidAddress) as info:
        normalize_address(address)
    assert info.value.field == field


ADDRESSES = st.builds(
    Address,
    st.lists(TEXT, max_size=3).map(tuple),
    TEXT,
    TEXT,
    TEXT,
    st.one_of(TEXT, st.sampled_from(["GB", "gb", "ｕｓ", "De", "  fr "])),
)


@SETTINGS
@given(ADDRESSES)
def test_v3_normalize_address_is_idempotent_and_raises_only_invalid_address(address: Address) -> None:
    try:
        key = normalize_address(address)
    except InvalidAddress:
        return
    assert normalize_address(key) == key
