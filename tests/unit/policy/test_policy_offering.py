"""Where each kind is offered (KIND_PRODUCTS), decide_all, and serialisation of decisions."""

from __future__ import annotations

import json

from policy_factories import NOW, make_caller, make_sub

from identity import CALLER_ROLES, SUBSCRIPTION_ADMIN_ROLES
from tickets.enums import Product, Role, TicketKind
from tickets.policy import KIND_PRODUCTS, RULES, decide, decide_all


def test_kind_products_cover_every_kind_and_cite_known_rules():
    assert set(KIND_PRODUCTS) == set(TicketKind)
    for products, rule in KIND_PRODUCTS.values():
        assert products and rule in RULES


def test_decide_all_in_ticket_kind_order_without_resource_kind():
    for product in Product:
        decisions = decide_all(make_sub(product), make_caller(), NOW)
        assert [x.kind for x in decisions] == [k for k in TicketKind
                                               if k is not TicketKind.UNSUBSCRIBE_RESOURCE]
        for dec in decisions:
            offered = product in KIND_PRODUCTS[dec.kind][0]
            if not offered:
                assert not dec.allowed and dec.reasons[0].rule == KIND_PRODUCTS[dec.kind][1]
            for r in dec.reasons:
                assert r.rule in RULES


def test_decide_unsubscribe_on_a_subscription_points_to_resources():
    dec = decide(TicketKind.UNSUBSCRIBE_RESOURCE, make_sub(Product.CLOUD), make_caller(), NOW)
    assert not dec.allowed and dec.reasons[0].rule == "U-2"
    dec = decide(TicketKind.UNSUBSCRIBE_RESOURCE, make_sub(Product.O365), make_caller(), NOW)
    assert str(dec.reasons[0]) == "U-1: unsubscription is offered for Cloud service renewal resources"


def test_consequences_as_dict_is_json_with_iso_dates():
    dec = decide(TicketKind.CANCEL_EARLY, make_sub(Product.O365), make_caller(), NOW)
    data = json.loads(json.dumps(dec.consequences.as_dict()))
    assert data["effective_date"] == "2026-06-15"
    assert data["data_deletion_date"] == "2026-09-13"
    assert data["notes"][0]["rule"] == "C-4"
    assert json.loads(json.dumps(dec.as_dict()))["kind"] == "cancel_early"


def test_v2_admin_roles_are_one_set_of_real_roles():
    # V-2: identity verifies with it and the policy decides with it (there were two).
    assert SUBSCRIPTION_ADMIN_ROLES == {Role.ADMIN, Role.BILLING_ADMIN}
    # I-1: a campaign's billing admin may also pass verification.
    assert CALLER_ROLES == SUBSCRIPTION_ADMIN_ROLES | {Role.IMS_BILLING_ADMIN}
    ims_only = make_caller(Role.IMS_BILLING_ADMIN)
    refused = decide(TicketKind.CANCEL_END_OF_TERM, make_sub(Product.INTUNE), ims_only, NOW)
    assert not refused.allowed and [r.rule for r in refused.reasons] == ["V-2"]
