"""Files that are not a directory are refused with one clear error, never a traceback; and
parse_directory raises nothing but DirectoryInvalid whatever it is given (hypothesis)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tickets.directory as directory
from tickets.clock import FixedClock
from tickets.directory import DirectoryInvalid, ParsedDirectory, import_directory_file, parse_directory
from tickets.errors import InvalidInput
from tickets.store.database import Store, make_engine
from tickets.store.schema import upgrade

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def make_store(tmp_path, clock=None):
    store = Store(make_engine(f"sqlite:///{tmp_path / 't.db'}"), clock or FixedClock(NOW))
    upgrade(store.engine)
    return store


VALID = {
    "format": "deskapp-directory",
    "version": 1,
    "organizations": [{
        "ref": "ORG-1", "name": "Contoso Ltd.", "url": "contoso.crm11.dynamics.com", "country": "GB",
        "address": {"street_lines": ["1 Victoria Street"], "city": "London", "region": "", "postal_code": "SW1H 0ET"},
        "people": [{"user_id": "ann.smith@contoso.co.uk", "first_name": "Ann", "last_name": "Smith",
                    "phone": "020 7946 0958", "primary_contact": True, "roles": ["admin"]}],
        "subscriptions": [
            {"ref": "SUB-1", "name": "Dynamics 365 Sales", "product": "d365", "channel": "online",
             "platform": "online_services", "state": "active", "purchased_at": "2025-01-10T00:00:00Z",
             "term_start": "2025-01-10T00:00:00Z", "term_end": "2026-01-10T00:00:00Z",
             "auto_renew": True, "licenses_assigned": 30, "custom_domains": ["contoso.co.uk"],
             "cancelled_at": None, "expedited_at": None, "data_deleted_at": None,
             "ims_campaigns": [{"ref": "IMS-1", "name": "Spring", "billing_admin_user_id": "ann.smith@contoso.co.uk",
                                "state": "running"}],
             "renewal_resources": []},
            {"ref": "SUB-2", "name": "Elastic Compute Service", "product": "cloud", "channel": "online",
             "state": "active", "purchased_at": "2025-01-10T00:00:00Z",
             "term_start": "2025-01-10T00:00:00Z", "term_end": "2026-01-10T00:00:00Z",
             "renewal_resources": [{"ref": "RES-1", "description": "ECS renewal",
                                    "effective_at": "2026-12-01T00:00:00Z", "state": "inactive"}]},
        ],
    }],
}
VALID_TEXT = json.dumps(VALID)

REFUSED = {
    "truncated": (VALID_TEXT[: len(VALID_TEXT) // 2].encode(), "ends too early (truncated?)"),
    "not UTF-8": (b'{"format": "deskapp-directory", "name": "M\xfcller"}', "not UTF-8"),
    "deeply nested": (b"[" * 100_000 + b"]" * 100_000, "nested far too deeply"),
    "deeply nested object": (b'{"a":' * 100_000 + b"1" + b"}" * 100_000, "nested far too deeply"),
    "a JSON array": (b"[]", "must hold one JSON object"),
    "empty": (b"", "the file is empty"),
    "white space only": (b" \n\t ", "the file is empty"),
    "not JSON": (b"format=deskapp-directory", "not valid JSON"),
    "NaN": (b'{"format": "deskapp-directory", "version": NaN}', "NaN is not allowed"),
    "another format": (b'{"format": "something-else", "version": 1}', "not a deskapp directory"),
    "a later version": (b'{"format": "deskapp-directory", "version": 2}', "unsupported directory version 2"),
}


@pytest.mark.parametrize("name", REFUSED)
def test_unreadable_files_are_refused_with_one_clear_error(name, tmp_path):
    data, expected = REFUSED[name]
    with pytest.raises(DirectoryInvalid) as caught:
        parse_directory(data)
    [error] = caught.value.errors
    assert error.path == "" and error.field == "" and expected in error.message
    assert str(caught.value) == error.message

    store = make_store(tmp_path)
    path = tmp_path / "directory.json"
    path.write_bytes(data)
    with pytest.raises(DirectoryInvalid) as from_file:
        import_directory_file(store, path)
    assert len(from_file.value.errors) == 1


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path, monkeypatch):
    monkeypatch.setattr(directory.reading, "MAX_BYTES", 100)
    with pytest.raises(DirectoryInvalid, match="larger than"):
        parse_directory(VALID_TEXT)
    path = tmp_path / "big.json"
    path.write_text(VALID_TEXT)
    with pytest.raises(DirectoryInvalid, match="larger than"):
        import_directory_file(make_store(tmp_path), path)


def test_a_missing_file_is_invalid_input_naming_it(tmp_path):
    missing = tmp_path / "nowhere" / "directory.json"
    with pytest.raises(InvalidInput) as caught:
        import_directory_file(make_store(tmp_path), missing)
    assert not isinstance(caught.value, DirectoryInvalid)
    assert str(missing) in str(caught.value)


def test_a_byte_order_mark_is_accepted_and_a_file_imports(tmp_path):
    path = tmp_path / "directory.json"
    path.write_bytes(b"\xef\xbb\xbf" + VALID_TEXT.encode())
    report = import_directory_file(make_store(tmp_path), path)
    assert (report.organizations_added, report.people, report.resources) == (1, 1, 1)


# The documented example (docs/formats.md) is imported by tests/unit/test_formats_doc.py.


# --- nothing but DirectoryInvalid -----------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)


def _parse_only_fails_cleanly(data) -> None:
    try:
        result = parse_directory(data)
    except DirectoryInvalid as error:
        assert error.errors and all(str(e) for e in error.errors)
    else:
        assert isinstance(result, ParsedDirectory)


@settings(max_examples=150, deadline=None)
@given(st.text() | st.binary())
def test_arbitrary_text_and_bytes_raise_only_directory_invalid(data):
    _parse_only_fails_cleanly(data)


@settings(max_examples=150, deadline=None)
@given(json_values)
def test_arbitrary_json_values_raise_only_directory_invalid(value):
    _parse_only_fails_cleanly(json.dumps(value))
    _parse_only_fails_cleanly(json.dumps({"format": "deskapp-directory", "version": 1, "organizations": value}))


def _paths(value, prefix=()):
    """Every (container, key) pair in a JSON value, for the mutation strategy."""
    if isinstance(value, dict):
        for key, child in value.items():
            yield prefix + (key,)
            yield from _paths(child, prefix + (key,))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield prefix + (index,)
            yield from _paths(child, prefix + (index,))


ALL_PATHS = [p for p in _paths(VALID) if p[0] == "organizations" and len(p) > 1]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(ALL_PATHS), json_values | st.just(KeyError)), min_size=1, max_size=3))
def test_mutated_directories_raise_only_directory_invalid(mutations):
    document = copy.deepcopy(VALID)
    for path, replacement in mutations:
        target = document
        try:
            for key in path[:-1]:
                target = target[key]
            if replacement is KeyError:
                del target[path[-1]]
            else:
                target[path[-1]] = replacement
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed or replaced the container
    _parse_only_fails_cleanly(json.dumps(document))
