"""The quick check of a directory file passes exactly the files the record-by-record
Checker passes, with the same result; on any problem the Checker's errors are what is reported."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tickets.directory.checking import Checker, check
from tickets.directory.quick import check_quickly
from tickets.directory.reading import load


def _sub(ref: str, product: str = "intune", **extra):
    return {"ref": ref, "name": ref, "product": product, "channel": "online", "state": "active",
            "purchased_at": "2025-01-10T00:00:00Z", "term_start": "2025-01-10T00:00:00Z",
            "term_end": "2026-01-10T00:00:00+02:00", **extra}


def _document():
    return {"format": "deskapp-directory", "version": 1, "organizations": [
        {"ref": "ORG-1", "name": "Contoso Ltd.", "url": "contoso.crm.dynamics.com", "country": "GB",
         "address": {"street_lines": ["1 Market Street"], "city": "London", "postal_code": "EC1A 1BB"},
         "people": [
             {"user_id": "Ann@Contoso.co.uk", "first_name": "Ann", "last_name": "O'Brien", "phone": "020 7946 0958",
              "primary_contact": True, "roles": ["admin", "billing_admin"]},
             {"user_id": "bob@contoso.co.uk", "first_name": "Bob", "last_name": "Smith", "phone": "+44 20 7946 0959"},
         ],
         "subscriptions": [
             _sub("SUB-1", custom_domains=["Contoso.co.uk"]),
             _sub("SUB-2", "d365", platform="online_services", ims_campaigns=[
                 {"ref": "IMS-1", "name": "Ads", "billing_admin_user_id": "ann@contoso.co.uk", "state": "running"}]),
             _sub("SUB-3", "cloud", renewal_resources=[
                 {"ref": "RES-1", "description": "ECS", "effective_at": "2026-02-01T00:00:00Z", "state": "inactive"}]),
         ]},
        {"ref": "ORG-2", "name": "Fabrikam GmbH", "country": "DE",
         "address": {"street_lines": ["2 Invalidenstraße"], "city": "Berlin"},
         "people": [{"user_id": "eva@fabrikam.de", "first_name": "Eva", "last_name": "Müller", "phone": "030 1234567",
                     "primary_contact": True, "roles": ["admin"]}]},
    ]}


def _org(doc):
    return doc["organizations"][0]


# Each breaks one rule the Checker enforces across or within records.
BREAKS = {
    "people not a list": lambda d: _org(d).update(people={"user_id": "x@y.z"}),
    "person not an object": lambda d: _org(d)["people"].append("x"),
    "subscriptions null": lambda d: _org(d).update(subscriptions=None),
    "campaigns a string": lambda d: _org(d)["subscriptions"][1].update(ims_campaigns="IMS-1"),
    "resource a number": lambda d: _org(d)["subscriptions"][2]["renewal_resources"].append(1),
    "unknown top-level key": lambda d: d.update(extra=1),
    "organizations an object": lambda d: d.update(organizations={}),
    "duplicate organization ref": lambda d: d["organizations"][1].update(ref="ORG-1"),
    "duplicate user ID across organizations": lambda d: d["organizations"][1]["people"][0].update(
        user_id="ANN@contoso.co.uk"
    ),
    "two primary contacts": lambda d: _org(d)["people"][1].update(primary_contact=True),
    "no primary contact": lambda d: _org(d)["people"][0].update(primary_contact=False),
    "possible but not valid phone": lambda d: _org(d)["people"][0].update(phone="0100 000 0000"),
    "impossible phone": lambda d: _org(d)["people"][0].update(phone="12"),
    "duplicate subscription ref": lambda d: _org(d)["subscriptions"][1].update(ref="SUB-1"),
    "term ends before it starts": lambda d: _org(d)["subscriptions"][0].update(term_end="2024-01-01T00:00:00Z"),
    "cancelled without a date": lambda d: _org(d)["subscriptions"][0].update(state="cancelled"),
    "D365 without platform": lambda d: _org(d)["subscriptions"][1].pop("platform"),
    "platform on Intune": lambda d: _org(d)["subscriptions"][0].update(platform="online_services"),
    "campaign on Intune": lambda d: _org(d)["subscriptions"][0].update(
        ims_campaigns=[{"ref": "IMS-9", "name": "x", "billing_admin_user_id": "ann@contoso.co.uk", "state": "running"}]
    ),
    "resources on D365": lambda d: _org(d)["subscriptions"][1].update(
        renewal_resources=[
            {"ref": "RES-9", "description": "x", "effective_at": "2026-02-01T00:00:00Z", "state": "inactive"}
        ]
    ),
    "campaign admin not of the organization": lambda d: _org(d)["subscriptions"][1]["ims_campaigns"][0].update(
        billing_admin_user_id="eva@fabrikam.de"
    ),
    "duplicate campaign ref": lambda d: (
        _org(d)["subscriptions"][0].update(ims_campaigns=[])
        or _org(d)["subscriptions"][1]["ims_campaigns"].append(dict(_org(d)["subscriptions"][1]["ims_campaigns"][0]))
    ),
    "duplicate resource ref": lambda d: _org(d)["subscriptions"][2]["renewal_resources"].append(
        dict(_org(d)["subscriptions"][2]["renewal_resources"][0])
    ),
    "D365 without URL": lambda d: _org(d).update(url=None),
    "bad user ID": lambda d: _org(d)["people"][1].update(user_id="not an address"),
    "name of punctuation only": lambda d: _org(d).update(name="..."),
    "zero-width space in a name": lambda d: _org(d)["people"][0].update(first_name="An\u200bn"),
    "control character": lambda d: _org(d).update(name="Contoso\x07"),
    "unknown key in a person": lambda d: _org(d)["people"][0].update(nickname="Annie"),
    "naive date-time": lambda d: _org(d)["subscriptions"][0].update(term_start="2025-01-10T00:00:00"),
}


def _slow(document):
    checker = Checker()
    organizations = checker.directory(document)
    return organizations, checker


def _seen(checker: Checker):
    return (checker.org_refs, checker.user_ids, checker.sub_refs, checker.campaign_refs, checker.resource_refs)


def test_a_good_file_passes_both_ways_with_the_same_result() -> None:
    document = _document()
    quick = check_quickly(copy.deepcopy(document), None)
    organizations, checker = _slow(copy.deepcopy(document))
    assert quick is not None and not checker.errors
    parsed, quick_checker = quick
    assert list(parsed.organizations) == organizations
    assert _seen(quick_checker) == _seen(checker)
    assert [p.phone for _, p in parsed.people] == ["+442079460958", "+442079460959", "+49301234567"]


@pytest.mark.parametrize("name", sorted(BREAKS))
def test_a_file_with_a_problem_is_left_to_the_checker(name: str) -> None:
    document = _document()
    BREAKS[name](document)
    _, checker = _slow(copy.deepcopy(document))
    assert checker.errors, f"the Checker passes {name!r}: the case tests nothing"
    assert check_quickly(copy.deepcopy(document), None) is None
    parsed, reported = check(json.dumps(document))
    assert parsed is None and reported.errors == checker.errors


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(sorted(BREAKS)), max_size=3, unique=True))
def test_quick_and_record_by_record_agree_on_any_mix_of_problems(names: list[str]) -> None:
    document = _document()
    for name in names:
        try:
            BREAKS[name](document)
        except (AttributeError, IndexError, KeyError, TypeError):
            pass  # an earlier break took away what this one changes
    document = load(json.dumps(document)) if isinstance(document.get("organizations"), list) else document
    _, checker = _slow(copy.deepcopy(document))
    assert (check_quickly(copy.deepcopy(document), None) is None) == bool(checker.errors)
