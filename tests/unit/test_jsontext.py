"""tickets.jsontext: the same text as json.JSONEncoder(...).encode, the same errors."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tickets.jsontext import encoder

SETTINGS = [
    {},  # json.dumps (SQLAlchemy's JSON type, rawsql.bind_json)
    {"sort_keys": True},  # T-3's content hash (tickets.filing)
    {"sort_keys": True, "separators": (",", ":"), "ensure_ascii": False},  # A-1's details (tickets.audit.format)
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


@pytest.mark.parametrize("settings", SETTINGS)
@given(value=json_values)
def test_same_text_as_the_standard_encoder(settings: dict, value: object) -> None:
    expected = json.JSONEncoder(**settings).encode(value)
    assert encoder(**settings)(value) == expected
    assert encoder(**settings, check_circular=False)(value) == expected


@pytest.mark.parametrize("settings", SETTINGS)
def test_same_errors(settings: dict) -> None:
    encode = encoder(**settings)
    with pytest.raises(TypeError, match="Object of type set is not JSON serializable"):
        encode({"a": {1}})
    looped: list = []
    looped.append(looped)
    with pytest.raises(ValueError, match="Circular reference detected"):
        encode(looped)
    # An error leaves nothing behind: the same value encodes afterwards.
    assert encode([[1], {"b": [2]}]) == json.JSONEncoder(**settings).encode([[1], {"b": [2]}])

