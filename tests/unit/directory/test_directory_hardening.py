"""A hostile or large directory file: duplicate keys refused with the key and its line,
non-regular files read with a hard byte limit, format characters that can disguise text refused
in names, the summary counts what was removed, and the import reports its progress."""

from __future__ import annotations

import copy
import io
import json
import os
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_directory_files import VALID, VALID_TEXT, make_store

import tickets.directory.reading as reading
from deskapp.cli_directory import import_with_progress
from identity import DISGUISING_CHARACTERS
from tickets.directory import DirectoryInvalid, import_directory, import_directory_file, parse_directory

# --- duplicate keys --------------------------------------------------------------------------


def _objects(document, path=()):
    """(path, object) of every JSON object in the document."""
    if isinstance(document, dict):
        yield path, document
        for key, value in document.items():
            yield from _objects(value, (*path, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield from _objects(value, (*path, index))


def _with_duplicate(path, key):
    """VALID as indented JSON, with `key` of the object at `path` written twice; and the line of
    the second one."""
    marker = "__DUPLICATE_MARKER__"
    document = copy.deepcopy(VALID)
    target = document
    for part in path:
        target = target[part]
    target[marker] = target[key]
    text = json.dumps(document, indent=1)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if marker in row)
    return text.replace(json.dumps(marker), json.dumps(key)), line


OBJECT_KEYS = [(path, key) for path, obj in _objects(VALID) for key in obj]


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(OBJECT_KEYS))
def test_a_key_given_twice_anywhere_is_refused_with_the_key_and_its_line(path_key):
    path, key = path_key
    text, line = _with_duplicate(path, key)
    with pytest.raises(DirectoryInvalid) as refused:
        parse_directory(text)
    assert [str(e) for e in refused.value.errors] == [
        f'the key "{key}" appears twice in one object (line {line}): each key may be given once']


def test_the_same_key_in_nested_objects_is_no_duplicate():
    assert parse_directory(VALID_TEXT).organizations[0].ref == "ORG-1"  # "ref" at many levels


# --- non-regular files -----------------------------------------------------------------------


def test_dev_zero_is_read_only_up_to_the_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(reading, "MAX_BYTES", 1000)
    with pytest.raises(DirectoryInvalid, match="larger than"):
        import_directory_file(make_store(tmp_path), "/dev/zero")


def _fifo(tmp_path, payload: bytes, repeat: int = 1):
    fifo = tmp_path / "directory.fifo"
    os.mkfifo(fifo)

    def write():
        try:
            with open(fifo, "wb") as pipe:
                for _ in range(repeat):
                    pipe.write(payload)
        except BrokenPipeError:
            pass  # the reader stopped at its limit and closed the pipe

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    return fifo, writer


def test_a_fifo_is_read_like_a_file(tmp_path):
    fifo, writer = _fifo(tmp_path, VALID_TEXT.encode())
    report = import_directory_file(make_store(tmp_path), fifo)
    writer.join(5)
    assert report.organizations_added == 1


def test_an_endless_fifo_is_cut_at_the_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(reading, "MAX_BYTES", 10_000)
    fifo, writer = _fifo(tmp_path, b" " * 4096, repeat=1_000_000)
    with pytest.raises(DirectoryInvalid, match="larger than"):
        import_directory_file(make_store(tmp_path), fifo)
    writer.join(5)
    assert not writer.is_alive()


# --- characters that disguise text -----------------------------------------------------------

NAME_FIELDS = {
    ("organizations", 0, "name"): "organizations[0] name",
    ("organizations", 0, "people", 0, "first_name"): "organizations[0].people[0] first_name",
    ("organizations", 0, "people", 0, "last_name"): "organizations[0].people[0] last_name",
    ("organizations", 0, "subscriptions", 0, "name"): "organizations[0].subscriptions[0] name",
    ("organizations", 0, "address", "city"): "organizations[0] address.city",
}


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(field=st.sampled_from(sorted(NAME_FIELDS)), char=st.sampled_from(sorted(DISGUISING_CHARACTERS)),
       at=st.integers(1, 3))  # inside the name: the ends are trimmed as white space
def test_format_characters_that_disguise_a_name_are_refused_naming_the_field(field, char, at):
    document = copy.deepcopy(VALID)
    target = document
    for part in field[:-1]:
        target = target[part]
    value = target[field[-1]]
    at = min(at, len(value) - 1)
    target[field[-1]] = value[:at] + char + value[at:]
    with pytest.raises(DirectoryInvalid) as refused:
        parse_directory(json.dumps(document))
    (error,) = refused.value.errors
    assert str(error).startswith(NAME_FIELDS[field] + ": contains the invisible character ")
    assert f"U+{ord(char):04X}" in str(error)


# Every invisible format character (category Cf) and the invisible fillers, names and addresses
# alike: what the issue found accepted first, then any Cf character.
SEEN_ACCEPTED = "\u200e\u200f\u061c\u00ad\u2064\u180e\U000e0041\u3164\u115f\u1160\uffa0"
INVISIBLE = st.one_of(st.sampled_from(SEEN_ACCEPTED), st.characters(categories=["Cf"]))
ADDRESS_FIELDS = {
    ("organizations", 0, "address", "street_lines", 0): "address",
    ("organizations", 0, "address", "city"): "address.city",
}


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(field=st.sampled_from(sorted(NAME_FIELDS) + sorted(ADDRESS_FIELDS)), char=INVISIBLE, at=st.integers(1, 3))
def test_v3_every_invisible_format_character_is_refused_in_names_and_addresses(field, char, at):
    document = copy.deepcopy(VALID)
    target = document
    for part in field[:-1]:
        target = target[part]
    value = target[field[-1]]
    at = min(at, len(value) - 1)
    target[field[-1]] = value[:at] + char + value[at:]
    with pytest.raises(DirectoryInvalid) as refused:
        parse_directory(json.dumps(document))
    (error,) = refused.value.errors
    named = NAME_FIELDS.get(field) or ADDRESS_FIELDS[field]
    assert named in str(error) and ": contains the invisible character " in str(error), str(error)
    assert f"U+{ord(char):04X}" in str(error)


# --- the summary and the progress ------------------------------------------------------------


def test_the_summary_always_counts_what_was_removed(tmp_path):
    store = make_store(tmp_path)
    assert "0 people removed, 0 kept" in str(import_directory(store, VALID_TEXT))
    document = copy.deepcopy(VALID)
    person = copy.deepcopy(document["organizations"][0]["people"][0])
    document["organizations"][0]["people"].append({**person, "user_id": "tom@contoso.co.uk",
                                                   "primary_contact": False, "phone": "020 7946 0959"})
    import_directory(store, json.dumps(document))
    assert "1 people removed, 0 kept" in str(import_directory(store, VALID_TEXT))


def test_the_import_reports_its_progress(tmp_path):
    seen = []
    import_directory(make_store(tmp_path), VALID_TEXT, progress=lambda *step: seen.append(step))
    assert seen == [("checking", 1, 1), *[("applying", done, 4) for done in range(5)]]


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_the_cli_draws_a_progress_bar_on_a_terminal_only(tmp_path, capsys):
    path = tmp_path / "directory.json"
    path.write_text(VALID_TEXT)
    terminal = _Terminal()
    assert import_with_progress(make_store(tmp_path), path, terminal) == 0
    drawn = terminal.getvalue()
    assert "Checking organizations" in drawn and "Writing the directory" in drawn and "4/4" in drawn
    assert "0 people removed" in capsys.readouterr().out
    (tmp_path / "piped").mkdir()
    piped = io.StringIO()
    assert import_with_progress(make_store(tmp_path / "piped"), path, piped) == 0
    assert piped.getvalue() == ""
