"""The directory's stored comparison keys, on both engines: written with the facts on
every write path, filled for existing rows by migration 0007 and dropped by its downgrade, and
what verification compares (V-3), so they must follow the facts when the directory changes."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import inspect, text
from sqlmodel import select

import testkit
from identity import organization_fact_keys, person_fact_keys
from tickets.directory import import_directory
from tickets.store.models import Organization, Person
from tickets.verification import start_call, verify_caller

ORG_KEYS = ("key_name", "key_url", "key_address")
PERSON_KEYS = ("key_user_id", "key_phone", "key_first_name", "key_last_name")


@pytest.fixture
def directory(store):
    return testkit.Directory(store)


def _verify(directory, organization_id=None, **changes) -> bool:
    call_id = start_call(directory.store, directory.agent)
    return verify_caller(
        directory.store, agent=directory.agent, organization_id=organization_id or directory.org.id,
        claim=directory.claim(**changes), call_id=call_id,
    ).passed


def _keys(store, organization_id: int) -> tuple[tuple, list[tuple]]:
    with store.read() as session:
        org = session.get(Organization, organization_id)
        people = session.exec(select(Person).where(Person.organization_id == organization_id).order_by(Person.id))
        return (tuple(getattr(org, k) for k in ORG_KEYS),
                [tuple(getattr(p, k) for k in PERSON_KEYS) for p in people])


def _expected(store, organization_id: int) -> tuple[tuple, list[tuple]]:
    with store.read() as session:
        org = session.get(Organization, organization_id)
        people = session.exec(select(Person).where(Person.organization_id == organization_id).order_by(Person.id))
        return (organization_fact_keys(org.name, org.url, org.street_lines, org.city, org.region, org.postal_code,
                                       org.country),
                [person_fact_keys(p.user_id, p.phone_e164, p.first_name, p.last_name) for p in people])


def test_keys_are_written_with_the_facts_and_follow_an_orm_update(directory):
    store = directory.store
    assert _keys(store, directory.org.id) == _expected(store, directory.org.id)
    assert _keys(store, directory.org.id)[0][0] == "fabrikam ltd"
    with store.write() as session:
        org = session.get(Organization, directory.org.id)
        org.name, org.city = "Fabrikam Holdings", "Leeds"
        admin = session.get(Person, directory.admin.id)
        admin.first_name, admin.phone_e164 = "Anne", "+442079460900"
    assert _keys(store, directory.org.id) == _expected(store, directory.org.id)
    assert not _verify(directory)  # the old facts no longer pass (V-3)
    assert _verify(directory, org_name="fabrikam holdings", contact_first_name="ANNE", phone="020 7946 0900",
                   address=directory.claim().address.__class__(("1 Market Street",), "Leeds", "", "EC1A 1BB", "GB"))


def test_keys_follow_the_directory_import(store):
    """An import that adds, then updates an organization and a person keeps their keys right."""
    def document(name: str, first: str, phone: str) -> str:
        return json.dumps({"format": "deskapp-directory", "version": 1, "organizations": [{
            "ref": "ORG-K1", "name": name, "url": None, "country": "DE",
            "address": {"street_lines": ["2 Invalidenstraße"], "city": "Berlin", "postal_code": "10115"},
            "people": [{"user_id": "Kai.Admin@Keys.example.com", "first_name": first, "last_name": "Müller",
                        "phone": phone, "primary_contact": True, "roles": ["admin"]}],
        }]})

    import_directory(store, document("Schlüssel GmbH", "Kai", "030 1234567"))
    with store.read() as session:
        org_id = session.exec(select(Organization.id).where(Organization.ref == "ORG-K1")).one()
    first = _keys(store, org_id)
    assert first == _expected(store, org_id)
    assert first[1][0][:2] == ("kai.admin@keys.example.com", "+49301234567")
    import_directory(store, document("Schluessel AG", "Kay", "030 7654321"))
    second = _keys(store, org_id)
    assert second == _expected(store, org_id) and second != first
    assert second[0][0] == "schluessel ag" and second[1][0][1:3] == ("+49307654321", "kay")


def test_verification_works_out_keys_not_stored_yet(directory):
    """A NULL key (a row some writer left without keys) is worked out from its fact."""
    with directory.store.write() as session:
        session.execute(text("UPDATE organization SET key_name = NULL, key_url = NULL, key_address = NULL"))
        session.execute(text("UPDATE person SET key_user_id = NULL, key_phone = NULL, key_first_name = NULL, "
                             "key_last_name = NULL"))
    assert _verify(directory, org_name="FABRIKAM LTD")
    assert not _verify(directory, org_name="Fabrikam Inc")


def test_a_number_without_its_country_code_is_keyed_with_the_organizations_country(directory):
    with directory.store.write() as session:
        admin = session.get(Person, directory.admin.id)
        admin.phone_e164 = "020 7946 0958"  # as a hand-written row might hold it
    assert _keys(directory.store, directory.org.id)[1][0][1] is None
    assert _verify(directory)  # GB, the organization's country, reads it as +44 20 7946 0958


def test_migration_0007_fills_the_keys_of_existing_rows_and_its_downgrade_drops_them(directory):
    from tickets.store.schema import downgrade, upgrade

    store = directory.store
    before = _keys(store, directory.org.id)
    downgrade(store.engine, "0006")
    columns = {c["name"] for c in inspect(store.engine).get_columns("person")}
    assert not set(PERSON_KEYS) & columns
    assert not set(ORG_KEYS) & {c["name"] for c in inspect(store.engine).get_columns("organization")}
    with store.engine.begin() as connection:  # a row written before 0007, facts only
        connection.execute(text("UPDATE person SET first_name = 'Annie' WHERE id = :id"), {"id": directory.admin.id})
    upgrade(store.engine)
    after = _keys(store, directory.org.id)
    assert after == _expected(store, directory.org.id)
    assert after[0] == before[0] and after[1][0][2] == "annie" and after[1][1] == before[1][1]
    assert _verify(directory, contact_first_name="Annie")


def test_the_import_writes_rows_that_read_back_through_the_models(store):
    """The import writes with executemany on the driver connection: date-times,
    JSON lists, booleans and enums read back through the SQLModel columns as the file gave them."""
    from datetime import UTC, datetime, timedelta

    from tickets.store.models import ImsCampaign, RenewalResource, Subscription

    def sub(ref, product, **extra):
        return {"ref": ref, "name": ref, "product": product, "channel": "online", "state": "active",
                "purchased_at": "2025-01-10T00:00:00Z", "term_start": "2025-01-10T00:00:00+01:00",
                "term_end": "2026-01-10T00:00:00Z", "custom_domains": ["Keys.example.com"], **extra}

    document = {"format": "deskapp-directory", "version": 1, "organizations": [{
        "ref": "ORG-K2", "name": "Keys Ltd", "url": "keys.crm.dynamics.com", "country": "GB",
        "address": {"street_lines": ["1 Market Street", "Floor 2"], "city": "London", "postal_code": "EC1A 1BB"},
        "people": [{"user_id": "ann@keys.example.com", "first_name": "Ann", "last_name": "Key",
                    "phone": "020 7946 0958", "primary_contact": True, "roles": ["billing_admin", "admin"]}],
        "subscriptions": [
            sub("SUB-K1", "d365", platform="online_services", auto_renew=False, ims_campaigns=[
                {"ref": "IMS-K1", "name": "Ads", "billing_admin_user_id": "ann@keys.example.com", "state": "running"}]),
            sub("SUB-K2", "cloud", renewal_resources=[
                {"ref": "RES-K1", "description": "ECS", "effective_at": "2026-02-01T10:30:00Z", "state": "inactive",
                 "in_promotion": True, "cash_coupons_used": 500}]),
        ],
    }]}
    import_directory(store, json.dumps(document))
    with store.read() as session:
        org = session.exec(select(Organization).where(Organization.ref == "ORG-K2")).one()
        person = session.exec(select(Person).where(Person.organization_id == org.id)).one()
        subs = {s.ref: s for s in session.exec(select(Subscription).where(Subscription.organization_id == org.id))}
        campaign = session.exec(select(ImsCampaign)).one()
        resource = session.exec(select(RenewalResource)).one()
    assert org.street_lines == ["1 Market Street", "Floor 2"] and org.updated_at == store.clock.now()
    assert (person.phone_e164, person.roles, person.is_primary_contact) == (
        "+442079460958",
        ["admin", "billing_admin"],
        True,
    )
    assert subs["SUB-K1"].term_start == datetime(2025, 1, 9, 23, 0, tzinfo=UTC)
    assert subs["SUB-K1"].auto_renew is False and subs["SUB-K1"].cancelled_at is None
    assert subs["SUB-K2"].custom_domains == ["keys.example.com"] and subs["SUB-K1"].platform == "online_services"
    assert (campaign.subscription_id, campaign.state) == (subs["SUB-K1"].id, "running")
    assert (resource.effective_at, resource.in_promotion, resource.cash_coupons_used) == (
        datetime(2026, 2, 1, 10, 30, tzinfo=UTC), True, 500)
    assert _keys(store, org.id) == _expected(store, org.id)
    imported_at = org.updated_at
    store.clock.advance(timedelta(hours=1))
    import_directory(store, json.dumps(document))  # the same file again: nothing differs
    with store.read() as session:
        assert session.get(Organization, org.id).updated_at == imported_at
    document["organizations"][0]["address"]["street_lines"] = ["1 Market Street"]
    import_directory(store, json.dumps(document))
    with store.read() as session:
        assert session.get(Organization, org.id).updated_at == imported_at + timedelta(hours=1)
    assert _keys(store, org.id) == _expected(store, org.id)
