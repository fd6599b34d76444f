"""Hostile directory files: tickets.directory.parse_directory (and import_directory, on each
configured engine) take any bytes and answer with a parsed directory or DirectoryInvalid whose
every problem has a clear message (never RecursionError, UnicodeDecodeError, TypeError ...).
A file that is truncated, not UTF-8, or deeply nested is refused cleanly, saying so.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import testkit
from drills.hostile import MAX_MESSAGE, assert_clear, examples, hostile_text
from tickets.demo import demo_directory
from tickets.directory import DirectoryInvalid, import_directory, parse_directory

DOCUMENT = demo_directory(testkit.T0)
SMALL = {**DOCUMENT, "organizations": DOCUMENT["organizations"][:2]}  # Contoso (D365, IMS) and Fabrikam
SMALL_BYTES = json.dumps(SMALL, ensure_ascii=False).encode()


def _leaves(value, path=()):
    """Every place in a document a value can be put: (path to the container, key or index)."""
    if isinstance(value, dict):
        for key, child in value.items():
            yield path, key
            yield from _leaves(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield path, index
            yield from _leaves(child, (*path, index))


PLACES = list(_leaves(SMALL))


def _nested(depth: int, leaf):
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.integers(min_value=10**30, max_value=10**4000),
        st.floats(allow_nan=False),
        hostile_text(surrogates=False),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(hostile_text(long=False), children, max_size=4)
    ),
    max_leaves=12,
) | st.builds(_nested, st.sampled_from([10, 100, 500, 900, 990]), st.just("deep"))


def _check(data):
    try:
        return parse_directory(data)
    except DirectoryInvalid as invalid:
        assert invalid.errors, "DirectoryInvalid without a problem"
        for problem in invalid.errors:
            text = str(problem)
            assert text.strip() and len(text) <= MAX_MESSAGE, f"unclear problem ({len(text)} chars): {text[:200]!r}"
        return None
    except Exception as error:  # noqa: BLE001 - anything else must still be the core's own
        assert_clear(error)
        return None


def _replace(document, place, value):
    document = json.loads(json.dumps(document))
    path, key = place
    container = document
    for part in path:
        container = container[part]
    container[key] = value
    return document


@examples()
@given(place=st.sampled_from(PLACES), value=json_values)
def test_any_value_anywhere_is_parsed_or_refused_clearly(place, value):
    document = _replace(SMALL, place, value)
    _check(json.dumps(document, ensure_ascii=False).encode("utf-8", "surrogatepass"))


COUNTRY = (("organizations", 0), "country")


@examples()
@given(place=st.sampled_from(PLACES), value=hostile_text())
# A long country came back whole in its message (found at random; now always tried).
@example(place=COUNTRY, value="é" * 2_001)
@example(place=COUNTRY, value="\x00" * 2_001)
def test_hostile_text_in_any_field_is_parsed_or_refused_clearly(place, value):
    document = _replace(SMALL, place, value)
    _check(json.dumps(document, ensure_ascii=True))  # \\ud800 escapes reach the parser as lone surrogates


@examples()
@given(cut=st.integers(min_value=0, max_value=len(SMALL_BYTES) - 1))
def test_a_truncated_file_is_refused_saying_so(cut):
    data = SMALL_BYTES[:cut]
    with pytest.raises(DirectoryInvalid) as caught:
        parse_directory(data)
    message = str(caught.value)
    assert any(word in message for word in ("truncated", "not valid JSON", "empty", "not UTF-8")), message


@examples()
@given(at=st.integers(min_value=0, max_value=len(SMALL_BYTES)), junk=st.sampled_from(
    [b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"\x80\x80", b"\xc0\xaf", b"\xfe\xff"]))
def test_a_file_that_is_not_utf8_is_refused_saying_so(at, junk):
    with pytest.raises(DirectoryInvalid, match="not UTF-8"):
        parse_directory(SMALL_BYTES[:at] + junk + SMALL_BYTES[at:])


@examples()
@given(data=st.binary(max_size=2000))
def test_random_bytes_are_refused_clearly(data):
    _check(data)


@pytest.mark.parametrize("depth", [1_000, 10_000, 100_000, 1_000_000])
@pytest.mark.parametrize("shape", ["array", "object", "in-field"])
def test_a_deeply_nested_file_is_refused_cleanly(depth, shape):
    if shape == "array":
        text = "[" * depth + "]" * depth
    elif shape == "object":
        text = '{"a":' * depth + "1" + "}" * depth
    else:
        text = json.dumps(SMALL).replace('"Contoso Ltd."', "[" * depth + '"x"' + "]" * depth, 1)
    with pytest.raises(DirectoryInvalid) as caught:
        parse_directory(text)
    assert len(str(caught.value)) <= MAX_MESSAGE


@pytest.mark.parametrize("data", [
    b"", b"   ", b"\xef\xbb\xbf", b"null", b"[]", b'"deskapp-directory"', b"1e999", b"NaN",
    b'{"format": "deskapp-directory", "version": 1, "organizations": [], "organizations": 1}',
    b'{"format": "deskapp-directory", "version": 1, "organizations": [' + b"1" * 5000 + b"]}",
    b'{"format": "deskapp-directory", "version": 1e999}',
    b'{"format": "deskapp-directory", "version": true}',
], ids=lambda d: repr(d[:30]))
def test_odd_documents_are_refused_clearly(data):
    assert _check(data) is None


@examples(50)
@given(place=st.sampled_from([p for p in PLACES if isinstance(p[1], str)]), value=hostile_text(surrogates=False))
def test_import_directory_stores_or_refuses_hostile_text(engine_url, place, value):
    store = testkit.make_store(engine_url)
    try:
        document = _replace(SMALL, place, value)
        try:
            import_directory(store, json.dumps(document, ensure_ascii=False))
        except Exception as error:  # noqa: BLE001 - checked
            assert_clear(error)
            if isinstance(error, DirectoryInvalid):
                assert all(len(str(p)) <= MAX_MESSAGE for p in error.errors)
    finally:
        store.dispose()
