"""Properties: decide() never raises on valid facts, refusals always cite a rule, allowed
decisions always carry their consequences."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from tickets.enums import (
    CampaignState,
    Channel,
    Platform,
    Product,
    ResourceState,
    Role,
    SubscriptionState,
    TicketKind,
    TicketStatus,
)
from tickets.facts import CallerFacts, CampaignFacts, ResourceFacts, SubscriptionFacts, TicketSummary
from tickets.kinds import KINDS
from tickets.policy import KIND_PRODUCTS, RULES, decide, decide_batch, validate_filing

RULE_ID = re.compile(r"^[A-Z]-\d$")
USERS = ("ada@contoso.cn", "eve@contoso.cn")

moments = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2032, 1, 1),
                       timezones=st.just(UTC))
maybe_moment = st.none() | moments

tickets = st.builds(TicketSummary, ref=st.from_regex(r"TK-\d{6}", fullmatch=True),
                    kind=st.sampled_from(TicketKind), status=st.sampled_from(TicketStatus),
                    created_at=moments)
campaigns = st.builds(CampaignFacts, ref=st.just("CMP-1"), name=st.sampled_from(["Spring", "Fall"]),
                      billing_admin_user_id=st.sampled_from(USERS),
                      state=st.sampled_from(CampaignState))
callers = st.builds(CallerFacts, user_id=st.sampled_from(USERS),
                    roles=st.frozensets(st.sampled_from(Role)), is_primary_contact=st.booleans())


@st.composite
def often_none(draw, strategy):
    """None three times in four, so that allowed decisions come up often enough."""
    return None if draw(st.integers(0, 3)) else draw(strategy)


@st.composite
def subscriptions(draw, near=None, kind=None):
    """Random valid facts; with `near`, times fall around that moment so rules actually apply."""
    base = near if near is not None else draw(moments)
    term_start = base - timedelta(days=draw(st.integers(0, 400)))
    around = st.integers(-120, 120).map(lambda n: base + timedelta(days=n, hours=n % 24))
    states = [SubscriptionState.ACTIVE] * 3 + [SubscriptionState.CANCELLED] * 2 + [
        SubscriptionState.EXPIRED, SubscriptionState.DELETED]
    return SubscriptionFacts(
        id=1, ref="SUB-1", name="Plan",
        product=draw(often_product(kind)),
        channel=draw(st.sampled_from(Channel)),
        platform=draw(st.none() | st.sampled_from(Platform)),
        state=draw(st.sampled_from(states)),
        purchased_at=term_start - timedelta(days=draw(st.integers(0, 800))),
        term_start=term_start,
        term_end=max(term_start + timedelta(days=1),
                     base + timedelta(days=draw(st.integers(-60, 700)))),
        auto_renew=draw(st.booleans()),
        licenses_assigned=draw(st.integers(0, 500)),
        custom_domains=draw(st.lists(st.sampled_from(["contoso.cn", "fabrikam.cn"]), max_size=2,
                                     unique=True).map(tuple)),
        campaigns=draw(st.lists(campaigns, max_size=3).map(tuple)),
        cancelled_at=draw(st.none() | around),  # also None while CANCELLED: must not raise
        expedited_at=draw(often_none(around)),
        data_deleted_at=draw(often_none(around)),
        tickets=draw(often_none(st.lists(tickets, max_size=2).map(tuple))) or (),
    )


def often_product(kind):
    """Mostly a product the kind is offered for; any product now and then."""
    if kind is None:
        return st.sampled_from(Product)
    offered = sorted(KIND_PRODUCTS[kind][0])
    return st.sampled_from(offered * 3 + list(Product))


@st.composite
def scenarios(draw, kind=None):
    now = draw(moments)
    return draw(subscriptions(near=now, kind=kind)), now


resources = st.builds(
    ResourceFacts, id=st.integers(1, 99), ref=st.just("RES-1"), subscription_ref=st.just("SUB-1"),
    description=st.just("Renewal"), effective_at=moments, state=st.sampled_from(ResourceState),
    transaction_in_progress=st.booleans(), special_unsubscription_pending=st.booleans(),
    in_promotion=st.booleans(), invoice_issued=st.booleans(),
    cash_coupons_used=st.integers(0, 10**6), discount_coupons_used=st.integers(0, 10**6),
    tickets=st.lists(tickets, max_size=2).map(tuple))


def check(dec):
    if dec.allowed:
        assert dec.consequences is not None
        json.dumps(dec.consequences.as_dict())
    else:
        assert dec.consequences is None
        assert dec.reasons and any(RULE_ID.match(r.rule) for r in dec.reasons)
    for r in (*dec.reasons, *(dec.consequences.notes if dec.consequences else ())):
        assert RULE_ID.match(r.rule) and r.rule in RULES and r.text
    for item in dec.checklist:
        assert item.rule in RULES and item.key and item.text
    json.dumps(dec.as_dict())


@settings(max_examples=300, deadline=None)
@given(data=st.data(), kind=st.sampled_from(TicketKind), caller=callers,
       requested=st.none() | st.dates(), refund=st.booleans(), approved=maybe_moment,
       fields=st.dictionaries(st.sampled_from(["requested_date", "transfer_at", "it_contact",
                                               "reason"]),
                              st.none() | st.text(max_size=20) | moments | st.dates()))
def test_decide_never_raises_and_always_explains(data, kind, caller, requested, refund,
                                                 approved, fields):
    sub, now = data.draw(scenarios(kind))
    dec = decide(kind, sub, caller, now, requested_date=requested, refund_requested=refund,
                 approved_at=approved)
    assert dec.kind is kind
    check(dec)
    # The form shows the kind's own fields (tickets.kinds) and a reason: all the policy may require.
    assert set(dec.required_fields) <= {*KINDS[kind].form_fields, "reason"}
    for r in validate_filing(dec, confirmed=(), fields=fields, now=now):
        assert RULE_ID.match(r.rule)


@settings(max_examples=100, deadline=None)
@given(batch=st.lists(resources, max_size=6), caller=callers, now=moments)
def test_batch_never_raises_and_partitions(batch, caller, now):
    result = decide_batch(batch, caller, now)
    assert len(result.allowed) + len(result.refused) == len(batch)
    for _, dec in (*result.allowed, *result.refused):
        check(dec)
