"""identity.phone's plain-number path (`_plain_key`) gives the key the general path gives
(`_possible`: phonenumbers' parse, possible check and read-back) or leaves the number to it,
on numbers of every region written every usual way and on near misses (V-3, V-4)."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from identity.errors import IdentityError
from identity.phone import _plain_key, _possible, phone_key

_REGIONS = sorted(phonenumbers.SUPPORTED_REGIONS)
_TYPES = [phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE,
          phonenumbers.PhoneNumberType.TOLL_FREE, phonenumbers.PhoneNumberType.VOIP,
          phonenumbers.PhoneNumberType.PREMIUM_RATE, phonenumbers.PhoneNumberType.UAN]
_FORMATS = [phonenumbers.PhoneNumberFormat.E164, phonenumbers.PhoneNumberFormat.INTERNATIONAL,
            phonenumbers.PhoneNumberFormat.NATIONAL]


def _general(value: str, region: str) -> str | tuple[str, str]:
    """The general path's key, or its error's words."""
    try:
        return _possible(value, region, "phone")[1]
    except IdentityError as error:
        return ("error", error.message)


def _agrees(value: str, region: str) -> bool:
    """Whether the plain path took the number (and gave the general path's key); fails if it
    gave another key, or if phone_key's answer differs from the general path's."""
    general = _general(value, region)
    plain = _plain_key(value.strip(), region) if value.isascii() else None
    if plain is not None:
        assert plain == general, (value, region)
    try:
        assert phone_key(value, region) == general
    except IdentityError as error:
        assert general == ("error", error.message)
    return plain is not None


def _written(digits: str, style: int) -> str:
    """The digits grouped as people write them (style 0: as they are)."""
    if style == 0 or len(digits) < 4:
        return digits
    sep = " -"[style % 2]
    size = 2 + style % 3
    return sep.join(digits[i:i + size] for i in range(0, len(digits), size))


@settings(max_examples=1500)
@given(st.sampled_from(_REGIONS), st.sampled_from(_TYPES), st.sampled_from(_FORMATS),
       st.lists(st.tuples(st.integers(0, 20), st.integers(0, 9)), max_size=3),
       st.sampled_from(["", "0", "1", "00", "011", "+", "+0", "8", "810"]), st.integers(-3, 3),
       st.integers(0, 5), st.sampled_from(["same", "GB", "US", "DE", "CN", "ZZ", "XX", "001"]))
@example("GB", phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberFormat.NATIONAL, [], "", 0, 0, "same")
def test_the_plain_path_gives_the_general_key_or_leaves_the_number(region, kind, form, changes, prefix, length,
                                                                   style, reading) -> None:
    example_number = phonenumbers.example_number_for_type(region, kind)
    assume(example_number is not None)
    written = phonenumbers.format_number(example_number, form)
    plus = written.startswith("+")
    digits = list("".join(c for c in written if c.isdigit()))
    for position, digit in changes:
        digits[position % len(digits)] = str(digit)
    text = prefix + "".join(digits)
    text = text[:length] if length < 0 else text + "5" * length
    body = text.lstrip("+")
    value = ("+" if plus or text.startswith("+") else "") + _written(body, style)
    _agrees(value, region if reading == "same" else reading)


@settings(max_examples=1500)
@given(st.text(alphabet="+0123456789 -()", max_size=24), st.sampled_from(_REGIONS + ["ZZ", "XX", "", "gb"]))
def test_the_plain_path_agrees_on_near_misses(value, region) -> None:
    _agrees(value, region)


@pytest.mark.parametrize(("value", "region"), [
    ("+44 20 7946 0958", "GB"), ("020 7946 0958", "GB"), ("+49 30 121168", "DE"), ("206 555-0101", "US"),
    ("0755 8612 3457", "CN"), ("+1 206 555 0100", "ZZ"), ("089 99998 101", "DE"), ("+81 3-1234-5678", "JP"),
    ("+442079460958", "FR"),
])
def test_the_usual_shapes_take_the_plain_path(value, region) -> None:
    assert _agrees(value, region)


@pytest.mark.parametrize(("value", "region"), [
    ("+44 (0)20 7946 0958", "GB"), ("0044 20 7946 0958", "GB"), ("44 20 7946 0958", "GB"), ("+0 20", "GB"),
    ("+999 123", "GB"), ("+12", "US"), ("06 1234 5678", "IT"), ("+39 06 1234 5678", "IT"), ("12", "GB"),
])
def test_what_the_plain_path_leaves_is_decided_by_the_general_one(value, region) -> None:
    assert not _agrees(value, region)
