"""V-3: text a database cannot hold is refused with the field named, never passed on."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from identity import InvalidText, check_storable_text
from identity.errors import IdentityError


@pytest.mark.parametrize("bad", ["a\x00b", "\ud800", "bell\x07", "del\x7f", "x\x1by"])
def test_v3_control_characters_and_lone_surrogates_are_refused(bad):
    with pytest.raises(InvalidText) as raised:
        check_storable_text(bad, "reason")
    assert raised.value.field == "reason" and raised.value.rule == "V-3"


@pytest.mark.parametrize("good", ["", "Müller GmbH", "line one\nline two\ttab", "北京市 朝阳区", "emoji 🙂"])
def test_v3_ordinary_text_is_kept_as_is(good):
    assert check_storable_text(good, "reason") == good


@settings(max_examples=200)
@given(st.text(st.characters()))
def test_v3_storable_text_either_passes_unchanged_or_raises_its_own_error(value):
    try:
        assert check_storable_text(value, "f") == value
    except IdentityError:
        pass
    else:
        value.encode("utf-8")  # what passes can be stored


@settings(max_examples=300)
@given(st.text(st.characters(max_codepoint=0x200)))
def test_v3_refuses_exactly_the_control_characters_but_tab_and_line_breaks(value):
    """The search stands for the rule as written: a code point below 32 other than tab, line feed
    and carriage return, or DEL (127), is refused; nothing else below U+0200 is."""
    controls = any((ord(ch) < 32 and ch not in "\t\n\r") or ord(ch) == 127 for ch in value)
    try:
        check_storable_text(value, "f")
    except InvalidText:
        assert controls
    else:
        assert not controls
