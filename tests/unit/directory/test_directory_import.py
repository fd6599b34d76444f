"""The directory import (tickets.directory): every error reported at once, nothing half-imported,
re-imports in place, clashes with the database caught, aware UTC round trip."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import func, select

from tickets.clock import FixedClock
from tickets.directory import (
    DirectoryError,
    DirectoryInvalid,
    ImportReport,
    import_directory,
    parse_directory,
)
from tickets.store.database import Store, make_engine
from tickets.store.models import (
    Agent,
    AuditEvent,
    ImsCampaign,
    Organization,
    Person,
    RenewalResource,
    Subscription,
    VerificationAttempt,
)
from tickets.store.schema import upgrade

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def make_store(tmp_path, clock=None):
    store = Store(make_engine(f"sqlite:///{tmp_path / 't.db'}"), clock or FixedClock(NOW))
    upgrade(store.engine)
    return store


def _person(uid, first, last, phone, primary=False, roles=()):
    return {"user_id": uid, "first_name": first, "last_name": last, "phone": phone,
            "primary_contact": primary, "roles": list(roles)}


def _sub(ref, product="intune", channel="online", **extra):
    sub = {"ref": ref, "name": f"{product} plan", "product": product, "channel": channel,
           "state": "active", "purchased_at": "2025-01-10T00:00:00Z",
           "term_start": "2025-01-10T00:00:00Z", "term_end": "2026-01-10T00:00:00Z",
           "auto_renew": True, "licenses_assigned": 30, "custom_domains": []}
    sub.update(extra)
    return sub


def base_document() -> dict:
    """Four valid organizations; the tests plant errors in copies of it."""
    return {
        "format": "deskapp-directory",
        "version": 1,
        "organizations": [
            {
                "ref": "ORG-A",
                "name": "Contoso Ltd.",
                "url": "contoso.crm11.dynamics.com",
                "country": "GB",
                "address": {
                    "street_lines": ["1 Victoria Street", "Floor 3"],
                    "city": "London",
                    "region": "",
                    "postal_code": "SW1H 0ET",
                },
                "people": [
                    _person(
                        "ann.smith@contoso.co.uk", "Ann", "Smith", "020 7946 0958", True, ["admin", "billing_admin"]
                    ),
                    _person("tom.baker@contoso.co.uk", "Tom", "Baker", "+44 20 7946 0959", False, ["admin"]),
                    _person("priya.patel@contoso.co.uk", "Priya", "Patel", "02079460960", False, ["ims_billing_admin"]),
                    _person("oliver.reed@contoso.co.uk", "Oliver", "Reed", "020 7946 0961"),
                ],
                "subscriptions": [
                    _sub("SUB-A1", custom_domains=["contoso.co.uk"]),
                    _sub("SUB-A2", channel="product_key"),
                    _sub("SUB-A3", channel="open", auto_renew=False),
                    _sub(
                        "SUB-A4",
                        product="d365",
                        platform="online_services",
                        ims_campaigns=[
                            {
                                "ref": "IMS-A1",
                                "name": "Spring search ads",
                                "billing_admin_user_id": "priya.patel@contoso.co.uk",
                                "state": "running",
                            }
                        ],
                    ),
                    _sub(
                        "SUB-A5",
                        product="cloud",
                        renewal_resources=[
                            {
                                "ref": "RES-A1",
                                "description": "ECS c6.large renewal (12 months)",
                                "effective_at": "2026-12-01T00:00:00+08:00",
                                "state": "inactive",
                                "transaction_in_progress": False,
                                "special_unsubscription_pending": False,
                                "in_promotion": True,
                                "invoice_issued": False,
                                "cash_coupons_used": 500,
                                "discount_coupons_used": 0,
                            }
                        ],
                    ),
                ],
            },
            {
                "ref": "ORG-B",
                "name": "Adventure Works Cycles Inc.",
                "url": "adventureworks.crm.dynamics.com",
                "country": "US",
                "address": {
                    "street_lines": ["1200 Fifth Avenue"],
                    "city": "Seattle",
                    "region": "WA",
                    "postal_code": "98101",
                },
                "people": [
                    _person(
                        "kevin.liu@adventure-works.com",
                        "Kevin",
                        "Liu",
                        "(206) 555-0101",
                        True,
                        ["admin", "billing_admin"],
                    ),
                    _person("maria.garcia@adventure-works.com", "Maria", "Garcia", "(206) 555-0102"),
                ],
                "subscriptions": [
                    _sub("SUB-B1", product="o365"),
                    _sub(
                        "SUB-B2",
                        product="d365",
                        platform="commerce_transaction",
                        state="cancelled",
                        cancelled_at="2026-11-12T09:30:00-08:00",
                    ),
                ],
            },
            {
                "ref": "ORG-C",
                "name": "Müller Präzisionstechnik GmbH",
                "url": None,
                "country": "DE",
                "address": {
                    "street_lines": ["Leopoldstraße 31"],
                    "city": "München",
                    "region": "Bayern",
                    "postal_code": "80802",
                },
                "people": [
                    _person("juergen.weiss@mueller-praezision.de", "Jürgen", "Weiß", "089 99998 101", True, ["admin"])
                ],
                "subscriptions": [_sub("SUB-C1"), _sub("SUB-C2", channel="fpp")],
            },
            {
                "ref": "ORG-D",
                "name": "Boulangeries Dupré SARL",
                "country": "FR",
                "address": {
                    "street_lines": ["18 rue du Faubourg Saint-Honoré"],
                    "city": "Paris",
                    "postal_code": "75008",
                },
                "people": [
                    _person("pierre.dupre@boulangeries-dupre.fr", "Pierre", "Dupré", "01 99 00 10 01", True, ["admin"])
                ],
                "subscriptions": [_sub("SUB-D1"), _sub("SUB-D2", channel="trial")],
            },
        ],
    }


def dump(document) -> str:
    return json.dumps(document, ensure_ascii=False)


def counts(store) -> dict[str, int]:
    with store.read() as session:
        return {
            model.__name__: session.exec(select(func.count()).select_from(model)).one()
            for model in (Organization, Person, Subscription, ImsCampaign, RenewalResource, AuditEvent)
        }


# --- every error at once --------------------------------------------------------------------

PLANTED = {
    ("organizations[0].people[1]", "phone"),
    ("organizations[0].people[2]", "user_id"),
    ("organizations[0].people[3]", "roles[0]"),
    ("organizations[0].subscriptions[0]", "channel"),
    ("organizations[0].subscriptions[1]", "product"),
    ("organizations[0].subscriptions[2]", "state"),
    ("organizations[0].subscriptions[3]", "platform"),
    ("organizations[1]", "url"),
    ("organizations[1]", "address.city"),
    ("organizations[1].people[1]", "user_id"),
    ("organizations[1].subscriptions[0]", "term_end"),
    ("organizations[1].subscriptions[0]", "ims_campaigns"),
    ("organizations[2]", "ref"),
    ("organizations[2]", "country"),
    ("organizations[2].subscriptions[0]", "ref"),
    ("organizations[2].subscriptions[1]", "renewal_resources"),
    ("organizations[3]", "people"),
    ("organizations[3]", "address.street_lines"),
    ("organizations[3].subscriptions[0]", "cancelled_at"),
    ("organizations[3].subscriptions[1]", "licenses_assigned"),
}


def plant_twenty_errors(document: dict) -> dict:
    doc = copy.deepcopy(document)
    a, b, c, d = doc["organizations"]
    a["people"][1]["phone"] = "020 7946"  # 1 not a valid number for GB
    a["people"][2]["user_id"] = "priya at contoso"  # 2 malformed user ID
    a["people"][3]["roles"] = ["owner"]  # 3 role outside the list
    a["subscriptions"][0]["channel"] = "web"  # 4 unknown channel
    a["subscriptions"][1]["product"] = "office"  # 5 unknown product
    a["subscriptions"][2]["state"] = "paused"  # 6 unknown state
    a["subscriptions"][3]["platform"] = None  # 7 D365 without platform
    b["url"] = None  # 8 organization with a D365 subscription but no URL
    del b["address"]["city"]  # 9 no city
    b["people"][1]["user_id"] = "KEVIN.Liu@Adventure-Works.com"  # 10 duplicate user ID (after normalising)
    b["subscriptions"][0]["term_end"] = b["subscriptions"][0]["term_start"]  # 11 term end == start
    b["subscriptions"][0]["ims_campaigns"] = [  # 12 campaigns on a non-D365 subscription
        {"ref": "IMS-B1", "name": "Ads", "billing_admin_user_id": "kevin.liu@adventure-works.com", "state": "paused"}
    ]
    c["ref"] = "ORG-A"  # 13 duplicate organization ref
    c["country"] = "UK"  # 14 not ISO-2
    c["subscriptions"][0]["ref"] = "SUB-A1"  # 15 duplicate subscription ref
    c["subscriptions"][1]["renewal_resources"] = [  # 16 resources on a non-cloud subscription
        {"ref": "RES-C1", "description": "x", "effective_at": "2026-12-01T00:00:00Z", "state": "inactive"}
    ]
    d["people"][0]["primary_contact"] = False  # 17 no primary contact
    d["address"]["street_lines"] = []  # 18 no street line
    d["subscriptions"][0]["state"] = "cancelled"  # 19 cancelled without cancelled_at
    d["subscriptions"][1]["licenses_assigned"] = -5  # 20 negative licences
    return doc


def test_base_document_is_valid():
    parsed = parse_directory(dump(base_document()))
    assert len(parsed.organizations) == 4
    ann = parsed.organizations[0].people[0]
    assert ann.phone == "+442079460958" and ann.user_id == "ann.smith@contoso.co.uk"


def test_twenty_planted_errors_are_all_reported_and_nothing_changes(tmp_path):
    store = make_store(tmp_path)
    import_directory(store, dump(base_document()))
    before = counts(store)
    bad = dump(plant_twenty_errors(base_document()))

    with pytest.raises(DirectoryInvalid) as caught:
        import_directory(store, bad)

    errors = caught.value.errors
    assert all(isinstance(e, DirectoryError) for e in errors)
    assert {(e.path, e.field) for e in errors} == PLANTED
    assert len(errors) == 20
    assert counts(store) == before
    text = str(caught.value)
    assert len(text.splitlines()) == 20
    assert "organizations[0].people[1] phone: not a valid phone number for GB" in text.splitlines()
    assert "(the United Kingdom is GB)" in text
    # parse_directory, without a database, reports the same twenty.
    with pytest.raises(DirectoryInvalid) as pure:
        parse_directory(bad)
    assert {(e.path, e.field) for e in pure.value.errors} == PLANTED


def test_error_messages_name_the_problem():
    doc = base_document()
    doc["organizations"][0]["subscriptions"][0]["channel"] = "web"
    doc["organizations"][0]["subscriptions"][0]["colour"] = "red"
    doc["organizations"][0]["subscriptions"][1]["term_start"] = "2025-01-10T00:00:00"
    doc["organizations"][0]["subscriptions"][2]["purchased_at"] = 1736467200
    with pytest.raises(DirectoryInvalid) as caught:
        parse_directory(dump(doc))
    lines = str(caught.value).splitlines()
    assert lines == [
        "organizations[0].subscriptions[0] channel: unknown value 'web'; expected 'online', "
        "'product_key', 'open', 'fpp' or 'trial'",
        "organizations[0].subscriptions[0] colour: unknown key",
        "organizations[0].subscriptions[1] term_start: must carry a time zone (e.g. 2025-01-10T00:00:00Z or +01:00)",
        "organizations[0].subscriptions[2] purchased_at: must be a date-time with a zone, e.g. 2025-01-10T00:00:00Z",
    ]


def test_campaign_billing_admin_must_be_a_person_of_the_organization():
    doc = base_document()
    doc["organizations"][0]["subscriptions"][3]["ims_campaigns"][0]["billing_admin_user_id"] = (
        "kevin.liu@adventure-works.com"
    )
    with pytest.raises(DirectoryInvalid) as caught:
        parse_directory(dump(doc))
    assert [(e.path, e.field) for e in caught.value.errors] == [
        ("organizations[0].subscriptions[3].ims_campaigns[0]", "billing_admin_user_id")
    ]


# --- applying -------------------------------------------------------------------------------


def test_import_counts_and_audits_once(tmp_path):
    store = make_store(tmp_path)
    report = import_directory(store, dump(base_document()), actor="ada")
    assert report == ImportReport(
        organizations_added=4, organizations_updated=0, people=8, subscriptions=11, campaigns=1, resources=1
    )
    with store.read() as session:
        events = session.exec(select(AuditEvent)).all()
        org = session.exec(select(Organization).where(Organization.ref == "ORG-A")).one()
        kevin = session.exec(select(Person).where(Person.user_id == "kevin.liu@adventure-works.com")).one()
    assert [(e.action, e.actor, e.subject) for e in events] == [("directory.imported", "ada", "directory")]
    assert events[0].details["organizations_added"] == 4 and events[0].details["people"] == 8
    assert org.name_key == "contoso ltd" and org.street_lines == ["1 Victoria Street", "Floor 3"]
    assert kevin.phone_e164 == "+12065550101" and kevin.roles == ["admin", "billing_admin"]


def test_reimport_updates_in_place(tmp_path):
    store = make_store(tmp_path)
    import_directory(store, dump(base_document()))
    with store.read() as session:
        ids_before = {o.ref: o.id for o in session.exec(select(Organization))}
        subs_before = {s.ref: s.id for s in session.exec(select(Subscription))}
        people_before = {p.user_id: p.id for p in session.exec(select(Person))}
    before = counts(store)

    doc = base_document()
    doc["organizations"][0]["name"] = "Contoso Holdings Ltd."
    doc["organizations"][0]["address"]["street_lines"] = ["2 Victoria Street"]
    doc["organizations"][0]["address"]["postal_code"] = "SW1H 0EU"
    doc["organizations"][0]["people"][1]["phone"] = "020 7946 0999"
    doc["organizations"][1]["subscriptions"][0]["licenses_assigned"] = 24
    report = import_directory(store, dump(doc))

    assert (report.organizations_added, report.organizations_updated) == (0, 4)
    with store.read() as session:
        assert {o.ref: o.id for o in session.exec(select(Organization))} == ids_before
        assert {s.ref: s.id for s in session.exec(select(Subscription))} == subs_before
        assert {p.user_id: p.id for p in session.exec(select(Person))} == people_before
        org = session.exec(select(Organization).where(Organization.ref == "ORG-A")).one()
        tom = session.exec(select(Person).where(Person.user_id == "tom.baker@contoso.co.uk")).one()
        b1 = session.exec(select(Subscription).where(Subscription.ref == "SUB-B1")).one()
    assert org.name == "Contoso Holdings Ltd." and org.name_key == "contoso holdings ltd"
    assert org.street_lines == ["2 Victoria Street"] and org.postal_code == "SW1H 0EU"
    assert tom.phone_e164 == "+442079460999" and b1.licenses_assigned == 24
    after = counts(store)
    assert after.pop("AuditEvent") == before.pop("AuditEvent") + 1
    assert after == before


def test_user_id_of_another_organization_in_the_database_is_refused(tmp_path):
    store = make_store(tmp_path)
    import_directory(store, dump(base_document()))
    before = counts(store)
    other = {
        "format": "deskapp-directory", "version": 1,
        "organizations": [{
            "ref": "ORG-X", "name": "Fabrikam UK Ltd", "country": "GB",
            "address": {"street_lines": ["Unit 4, Pomona Strand"], "city": "Manchester"},
            "people": [
                _person("fiona@fabrikam.co.uk", "Fiona", "Hall", "0161 496 0100", True, ["admin"]),
                _person("Ann.Smith@CONTOSO.co.uk", "Ann", "Smith", "0161 496 0101"),
            ],
            "subscriptions": [_sub("SUB-B1")],  # a ref that belongs to ORG-B
        }],
    }
    with pytest.raises(DirectoryInvalid) as caught:
        import_directory(store, dump(other))
    assert [(e.path, e.field, e.message) for e in caught.value.errors] == [
        ("organizations[0].people[1]", "user_id", "already belongs to a person of organization ORG-A"),
        ("organizations[0].subscriptions[0]", "ref", "already belongs to organization ORG-B"),
    ]
    assert counts(store) == before
    parse_directory(dump(other))  # the file alone is fine: only the database shows the clash


def test_people_no_longer_listed_are_removed_unless_an_attempt_refers_to_them(tmp_path):
    store = make_store(tmp_path)
    import_directory(store, dump(base_document()))
    with store.write() as session:
        tom = session.exec(select(Person).where(Person.user_id == "tom.baker@contoso.co.uk")).one()
        agent = Agent(name="ada", display_name="Ada", role="agent", pin_hash="x", created_at=NOW)
        session.add(agent)
        session.flush()
        session.add(VerificationAttempt(organization_id=tom.organization_id, agent_id=agent.id, at=NOW,
                                        passed=True, person_id=tom.id))
    doc = base_document()
    del doc["organizations"][0]["people"][1:3]  # Tom (referenced) and Priya (not)
    doc["organizations"][0]["subscriptions"][3]["ims_campaigns"][0]["billing_admin_user_id"] = (
        "ann.smith@contoso.co.uk"
    )
    report = import_directory(store, dump(doc))
    assert (report.people, report.people_removed, report.people_kept) == (6, 1, 1)
    with store.read() as session:
        uids = set(session.exec(select(Person.user_id)))
    assert "tom.baker@contoso.co.uk" in uids and "priya.patel@contoso.co.uk" not in uids


def test_datetimes_round_trip_as_aware_utc(tmp_path):
    store = make_store(tmp_path)
    import_directory(store, dump(base_document()))
    with store.read() as session:
        b2 = session.exec(select(Subscription).where(Subscription.ref == "SUB-B2")).one()
        res = session.exec(select(RenewalResource).where(RenewalResource.ref == "RES-A1")).one()
        org = session.exec(select(Organization).where(Organization.ref == "ORG-A")).one()
    for value in (b2.purchased_at, b2.term_start, b2.term_end, b2.cancelled_at, res.effective_at, org.updated_at):
        assert value.tzinfo is not None and value.utcoffset() == timedelta(0)
    assert b2.cancelled_at == datetime(2026, 11, 12, 17, 30, tzinfo=UTC)
    assert res.effective_at == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
    assert b2.expedited_at is None and org.updated_at == NOW


# V-3: the directory reads phone numbers with identity.parse_phone, the reader verification
# compares with, so a number on file is always the key a caller's typed number is matched to.
_PHONE_CHARS = "0123456789٠١٢٣٤٥٦٧٨٩０１２３４５６７８９+()-. x"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(typed=st.one_of(st.text(alphabet=_PHONE_CHARS, min_size=1, max_size=20),
                       st.sampled_from(["020 7946 0958", "+44 20 7946 0958 x12", "٠٢٠ ٧٩٤٦ ٠٩٥٨",
                                        "０２０ ７９４６ ０９５８", "020 7946", "+44 0", "tel:+44-20-7946-0958"])))
def test_v3_a_phone_on_file_is_what_identity_reads(typed):
    from identity import IdentityError, parse_phone

    doc = base_document()
    doc["organizations"] = doc["organizations"][:1]
    doc["organizations"][0]["people"][0]["phone"] = typed
    try:
        stored = parse_directory(json.dumps(doc)).organizations[0].people[0].phone
    except DirectoryInvalid as refused:
        assert [(e.path, e.field) for e in refused.errors] == [("organizations[0].people[0]", "phone")]
        try:
            assert not parse_phone(typed, "GB").valid
        except IdentityError:
            pass  # not even a possible number
        return
    read = parse_phone(typed, "GB")
    assert read.valid and stored == read.e164
