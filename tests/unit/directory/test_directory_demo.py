"""The shipped demo directory imports cleanly and covers every branch of the rules; the demo
caller scripts say exactly what the directory holds."""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from datetime import UTC, datetime, timedelta

import phonenumbers
import pytest
from sqlmodel import select

from identity import Address, CallerClaim, normalize_user_id
from tickets.agents import AgentInfo, list_agents
from tickets.clock import FixedClock
from tickets.demo import DEMO_AGENTS, DEMO_CALLERS, demo_directory, seed_demo
from tickets.directory import import_directory, parse_directory
from tickets.enums import AgentRole
from tickets.store.database import Store, make_engine
from tickets.store.models import Agent, ImsCampaign, Organization, Person, RenewalResource, Subscription
from tickets.store.schema import upgrade
from tickets.verification import verify_caller

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
TODAY = NOW.date()

POSTAL_CODE = {
    "GB": r"[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}",
    "US": r"\d{5}(-\d{4})?",
    "DE": r"\d{5}",
    "FR": r"\d{5}",
    "ES": r"\d{5}",
    "CN": r"\d{6}",
    "IN": r"[1-9]\d{5}",
    "JP": r"\d{3}-\d{4}",
    "BR": r"\d{5}-\d{3}",
    "NL": r"\d{4} [A-Z]{2}",
    "SE": r"\d{3} \d{2}",
    "AU": r"\d{4}",
}


def make_store(tmp_path, clock=None):
    store = Store(make_engine(f"sqlite:///{tmp_path / 't.db'}"), clock or FixedClock(NOW))
    upgrade(store.engine)
    return store


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo directory imported once; every coverage test reads it."""
    store = make_store(tmp_path_factory.mktemp("demo"))
    report = import_directory(store, json.dumps(demo_directory(NOW)))
    with store.read() as session:
        data = {
            "report": report,
            "orgs": session.exec(select(Organization)).all(),
            "people": session.exec(select(Person)).all(),
            "subs": session.exec(select(Subscription)).all(),
            "campaigns": session.exec(select(ImsCampaign)).all(),
            "resources": session.exec(select(RenewalResource)).all(),
        }
    data["store"] = store
    yield data
    store.dispose()


def days_ago(moment: datetime) -> int:
    return (TODAY - moment.date()).days


def test_demo_is_deterministic_and_relative_to_now():
    assert demo_directory(NOW) == demo_directory(NOW)
    later = parse_directory(json.dumps(demo_directory(NOW + timedelta(days=400))))
    first = parse_directory(json.dumps(demo_directory(NOW)))
    a, b = first.organizations[5].subscriptions[0], later.organizations[5].subscriptions[0]
    assert b.cancelled_at - a.cancelled_at == timedelta(days=400)


def test_demo_size_and_countries(demo):
    assert demo["report"].organizations_added == len(demo["orgs"]) >= 40
    countries = Counter(o.country for o in demo["orgs"])
    assert len(countries) >= 8
    assert {"GB", "US", "DE", "FR", "CN", "JP", "IN", "BR", "ES", "NL", "SE", "AU"} <= set(countries)


def test_demo_names_addresses_and_postal_codes_look_real(demo):
    orgs = demo["orgs"]
    non_ascii = [o.name for o in orgs if not o.name.isascii()]
    assert len(non_ascii) >= 6
    by_ref = {o.ref: o for o in orgs}
    chinese = [o for o in orgs if o.country == "CN" and any("CJK" in unicodedata.name(ch, "") for ch in o.name)]
    assert chinese and "北京" in chinese[0].city and not "".join(chinese[0].street_lines).isascii()
    assert any(o.country == "JP" and not o.name.isascii() for o in orgs)
    assert by_ref["ORG-0011"].name.startswith("Müller") and by_ref["ORG-0011"].city == "München"
    for org in orgs:
        assert org.street_lines and org.city
        assert re.fullmatch(POSTAL_CODE[org.country], org.postal_code), (org.ref, org.postal_code)
    assert any(not f"{p.first_name}{p.last_name}".isascii() for p in demo["people"])


def test_every_demo_phone_is_valid_for_its_country(demo):
    country = {o.id: o.country for o in demo["orgs"]}
    for person in demo["people"]:
        number = phonenumbers.parse(person.phone_e164, None)
        assert phonenumbers.is_valid_number(number), person.user_id
        assert phonenumbers.region_code_for_number(number) == country[person.organization_id], person.user_id
    assert len({p.phone_e164 for p in demo["people"]}) == len(demo["people"])


def test_demo_people_cover_the_caller_cases(demo):
    people = demo["people"]
    assert all(p.user_id == normalize_user_id(p.user_id) for p in people)
    by_org: dict[int, list[Person]] = {}
    for person in people:
        by_org.setdefault(person.organization_id, []).append(person)
    assert all(sum(p.is_primary_contact for p in members) == 1 for members in by_org.values())
    assert any(not p.roles for p in people)  # non-admin callers (V-2)
    # Organizations whose primary contact is not an admin: the caller is someone else.
    assert sum(1 for p in people if p.is_primary_contact and "admin" not in p.roles) >= 3
    assert any("billing_admin" in p.roles and "admin" not in p.roles for p in people)


def test_demo_products_channels_and_licences(demo):
    subs = demo["subs"]
    assert {s.product for s in subs} == {"o365", "intune", "d365", "cloud"}
    o365 = [s for s in subs if s.product == "o365"]
    intune = [s for s in subs if s.product == "intune"]
    assert any(s.channel == "trial" for s in o365) and any(s.channel == "trial" for s in intune)
    assert {"online", "product_key", "open", "fpp", "trial"} <= {s.channel for s in intune}
    assert sum(s.channel == "product_key" for s in intune) >= 2
    active_paid_o365 = [s for s in o365 if s.state == "active" and s.channel != "trial"]
    assert {24, 25} <= {s.licenses_assigned for s in active_paid_o365}
    assert any(s.licenses_assigned > 25 for s in active_paid_o365)
    assert any(days_ago(s.purchased_at) < 30 for s in active_paid_o365)  # C-6 first 30 days
    assert any(days_ago(s.purchased_at) > 30 and s.licenses_assigned >= 25 for s in active_paid_o365)
    assert any(not s.auto_renew and s.state == "active" and s.channel == "online" for s in intune)
    assert any(not s.auto_renew and s.state == "active" for s in o365)
    assert any(s.custom_domains for s in o365) and any(s.custom_domains for s in intune)
    assert {"cancelled", "expired", "deleted", "active"} <= {s.state for s in subs}
    assert all(s.term_end > s.term_start for s in subs)


def test_demo_dynamics_platforms_cancellations_and_campaigns(demo):
    d365 = [s for s in demo["subs"] if s.product == "d365"]
    assert {s.platform for s in d365} == {"online_services", "commerce_transaction"}
    cancelled = {days_ago(s.cancelled_at) for s in d365 if s.state == "cancelled"}
    assert {10, 45} <= cancelled
    org_url = {o.id: o.url for o in demo["orgs"]}
    assert all(org_url[s.organization_id] for s in d365)
    campaigns = demo["campaigns"]
    assert {"running", "paused", "cancelled"} <= {c.state for c in campaigns}
    sub_org = {s.id: s.organization_id for s in demo["subs"]}
    people = {p.user_id: p for p in demo["people"]}
    i1 = [
        c for c in campaigns
        if "billing_admin" not in people[c.billing_admin_user_id].roles
        and any(
            "billing_admin" in p.roles and p.organization_id == sub_org[c.subscription_id]
            for p in demo["people"]
        )
    ]
    assert i1, "I-1 needs a campaign whose billing admin is not the organization's billing admin"
    assert all(people[c.billing_admin_user_id].organization_id == sub_org[c.subscription_id] for c in campaigns)


def test_demo_intune_expedited(demo):
    expedited = [s for s in demo["subs"] if s.product == "intune" and s.expedited_at is not None]
    assert any(s.data_deleted_at is None and s.state == "cancelled" for s in expedited)  # pending deletion
    assert any(s.data_deleted_at is not None and s.state == "deleted" for s in expedited)


U1 = ("transaction_in_progress", "special_unsubscription_pending", "in_promotion", "invoice_issued")


def test_demo_renewal_resources_cover_each_u1_condition(demo):
    resources = demo["resources"]
    assert all(s.product == "cloud" for s in demo["subs"] if any(r.subscription_id == s.id for r in resources))

    def blocks(r):
        return [name for name in U1 if getattr(r, name)]

    batch = Counter(r.subscription_id for r in resources).most_common(1)[0][0]
    in_batch = [r for r in resources if r.subscription_id == batch]
    assert len(in_batch) == 10 and all(r.state == "inactive" for r in in_batch)
    assert sorted(blocks(r)[0] for r in in_batch if blocks(r)) == sorted(U1)  # one per condition
    assert sum(1 for r in in_batch if not blocks(r)) == 6
    assert any(r.cash_coupons_used for r in in_batch) and any(r.discount_coupons_used for r in in_batch)
    assert all(r.effective_at > NOW for r in in_batch)  # bought for a future effective time
    assert any(len(blocks(r)) > 1 for r in resources)
    assert any(r.state == "unsubscribed" for r in resources)


@pytest.mark.parametrize("caller", DEMO_CALLERS, ids=[c["key"] for c in DEMO_CALLERS])
def test_demo_callers_match_the_directory(caller, demo):
    org = next(o for o in demo["orgs"] if o.ref == caller["org_ref"])
    members = [p for p in demo["people"] if p.organization_id == org.id]
    person = next(p for p in members if p.user_id == normalize_user_id(caller["user_id"]))
    contact = next(p for p in members if p.is_primary_contact)
    assert caller["user_id"] == person.user_id
    number = phonenumbers.parse(caller["phone"], org.country)
    assert phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) == person.phone_e164
    assert (caller["contact_first_name"], caller["contact_last_name"]) == (contact.first_name, contact.last_name)
    assert (caller["org_name"], caller["url"], caller["country"]) == (org.name, org.url, org.country)
    assert (caller["street_lines"], caller["city"], caller["region"], caller["postal_code"]) == (
        org.street_lines, org.city, org.region, org.postal_code
    )
    sub = next(s for s in demo["subs"] if s.ref == caller["subscription_ref"])
    assert sub.organization_id == org.id
    if sub.product == "d365":
        assert caller["url"]
    assert caller["purpose"]


def test_demo_callers_pass_verification(demo):
    """What each script says passes the desk's own verification (tickets.verification, V-1..V-3),
    with the user ID in capitals and the organization name typed without punctuation."""
    store = demo["store"]
    with store.write() as session:
        row = Agent(name="ada", display_name="Ada Lovelace", role="agent", pin_hash="-", created_at=NOW)
        session.add(row)
        session.flush()
        agent = AgentInfo(row.id, row.name, row.display_name, AgentRole.AGENT)
    orgs = {o.ref: o.id for o in demo["orgs"]}
    for caller in DEMO_CALLERS:
        claim = CallerClaim(
            user_id=caller["user_id"].upper(),
            phone=caller["phone"],
            contact_first_name=caller["contact_first_name"],
            contact_last_name=caller["contact_last_name"],
            org_name=caller["org_name"].replace(".", "").replace(",", ""),
            address=Address(
                street_lines=tuple(caller["street_lines"]),
                city=caller["city"],
                region=caller["region"],
                postal_code=caller["postal_code"],
                country=caller["country"],
            ),
            org_url=caller["url"] or "",
        )
        result = verify_caller(store, agent=agent, organization_id=orgs[caller["org_ref"]], claim=claim)
        # V-2: a caller with no admin role fails even with every fact right.
        assert result.passed is (not caller["caller"].endswith("(no roles)")), caller["key"]


def test_demo_callers_cover_the_main_cases():
    assert 6 <= len(DEMO_CALLERS) <= 12  # the main cases and the 21Vianet desk's two
    assert len({c["key"] for c in DEMO_CALLERS}) == len(DEMO_CALLERS)
    assert any(c["caller"].endswith("(no roles)") for c in DEMO_CALLERS)


def test_seed_demo_creates_the_agents_and_can_run_twice(tmp_path):
    store = make_store(tmp_path)
    first = seed_demo(store)
    again = seed_demo(store)
    assert first.organizations_added >= 40 and again.organizations_added == 0
    assert again.organizations_updated == first.organizations_added
    agents = {(a.name, a.role.value) for a in list_agents(store)}
    assert agents == {(name, role) for name, _, role, _ in DEMO_AGENTS}
    # Two supervisors at the English desk and one at 21Vianet's: X-2 always finds a second one.
    assert sum(role == "supervisor" for _, _, role, _ in DEMO_AGENTS) == 3
