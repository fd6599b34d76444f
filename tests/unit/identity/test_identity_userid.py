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


# The usual shape's fast path (identity.userid._plain_key) against email-validator itself: what
# it keys, the library keys the same; near misses (special-use hosts, long parts, double
# hyphens, odd separators) must fall to the library.
PLAIN_ISH = st.one_of(
    st.from_regex(r"[A-Za-z0-9]{1,8}(?:[._+-][A-Za-z0-9]{1,8}){0,3}@(?:[A-Za-z0-9-]{1,8}\.){1,3}[A-Za-z0-9]{1,6}",
                  fullmatch=True),
    st.builds(lambda local, host, top: f"{local}@{host}.{top}",
              st.text(st.sampled_from("aZ09._+-'!#"), min_size=1, max_size=70),
              st.text(st.sampled_from("aZ09-."), min_size=1, max_size=70),
              st.sampled_from(["com", "test", "local", "localhost", "arpa", "onion", "invalid", "co.uk", "c0m",
                               "x", "ORG", "xn--p1ai", "Test"])),
    st.emails(),
)


@settings(max_examples=1500, deadline=None)
@given(PLAIN_ISH)
def test_v3_the_plain_user_id_fast_path_keys_as_email_validator(value: str) -> None:
    from identity.userid import _plain_key, _validated_key

    plain = _plain_key(value)
    if plain is None:
        return
    assert plain == _validated_key(value, "user_id")


@pytest.mark.parametrize("raw", ["a@b.co", "Info@Example.COM", "a_b+c-d.e@x-y.org", "0@0.ab",
                                 "a" * 64 + "@x.org", "a@" + "b" * 63 + ".org", "a@" + "b.c" * 80 + "d.org"])
def test_v3_plain_user_ids_take_the_fast_path_or_agree(raw: str) -> None:
    from identity.userid import _plain_key, _validated_key

    try:
        library = _validated_key(raw, "user_id")
    except InvalidUserId:
        library = None
    assert _plain_key(raw) in (library, None)
    assert _plain_key("a" * 65 + "@x.org") is None and _plain_key("a@" + "b" * 64 + ".org") is None
    assert _plain_key("jane@contoso.test") is None and _plain_key("jane@ab--cd.org") is None
