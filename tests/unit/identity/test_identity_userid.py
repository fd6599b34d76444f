"""V-3: user IDs are compared as validated addresses."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from identity import InvalidUserId, normalize_user_id

CHARS = st.one_of(
    st.characters(exclude_categories=()),
    st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF, exclude_categories=()),
    st.sampled_from("@.@.-_+ＡＢ＠．\u0130\u00df\u0301"),
)
SETTINGS = settings(max_examples=200, deadline=None)


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("jane.doe@contoso.com", "jane.doe@contoso.com"),
        ("Jane.Doe@CONTOSO.COM", "jane.doe@contoso.com"),
        ("  jane.doe@contoso.com  ", "jane.doe@contoso.com"),
        ("ｊａｎｅ＠ｃｏｎｔｏｓｏ．ｃｏｍ", "jane@contoso.com"),  # full-width, NFKC
        ("Jörg@Bücher.example", "jörg@bücher.example"),
        ("jorg@xn--bcher-kva.example", "jorg@bücher.example"),  # A-label and U-label meet
        ("用户@例子.广告", "用户@例子.广告"),
    ],
)
def test_v3_user_ids_normalise(raw: str, key: str) -> None:
    assert normalize_user_id(raw) == key


@pytest.mark.parametrize(
    "raw", ["", "jane", "jane@", "@contoso.com", "jane@@contoso.com", "jane..doe@contoso.com",
            "jane@localhost", "jane doe@contoso.com", "jane@contoso", "ja\ud800ne@contoso.com"],
)
def test_v3_invalid_user_ids_are_rejected_naming_the_field(raw: str) -> None:
    with pytest.raises(InvalidUserId) as info:
        normalize_user_id(raw, "user_id")
    assert info.value.field == "user_id"
    assert info.value.rule == "V-3"
    assert info.value.message  # email-validator's explanation


def test_v3_near_miss_user_id_is_a_different_key() -> None:
    assert normalize_user_id("jane.doe@contoso.com") != normalize_user_id("jane.do@contoso.com")


USERISH = st.one_of(
    st.text(CHARS, max_size=30),
    st.builds(
        lambda a, b: f"{a}@{b}", st.text(CHARS, min_size=1, max_size=12), st.text(CHARS, min_size=1, max_size=12)
    ),
    st.emails(),
)


@SETTINGS
@given(USERISH)
def test_v3_normalize_user_id_is_idempotent_and_raises_only_invalid_user_id(value: str) -> None:
    try:
        key = normalize_user_id(value)
    except InvalidUserId:
        return
    assert normalize_user_id(key) == key
