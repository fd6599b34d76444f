"""C-1 .. C-9: ending Office 365 and Intune subscriptions (seeds 000 and 001)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from policy_factories import (
    NOW,
    TODAY,
    cancelled,
    d,
    days,
    make_caller,
    make_sub,
    make_ticket,
    note_texts,
    rules,
    texts,
)

from tickets.enums import Channel, Product, SubscriptionState, TicketKind, TicketStatus
from tickets.policy import decide

EARLY = TicketKind.CANCEL_EARLY
EOT = TicketKind.CANCEL_END_OF_TERM
X = TicketKind.EXPEDITED_DEPROVISIONING


# C-1 -----------------------------------------------------------------------------------------


def test_c1_end_of_term_turns_auto_renew_off_and_expires_at_term_end():
    dec = decide(EOT, make_sub(Product.INTUNE), make_caller(), NOW)
    assert dec.allowed
    c = dec.consequences
    assert c.effective_date == d("2027-01-04")
    assert not c.early_termination_fee_may_apply
    assert c.refund is None
    assert c.self_service == ("C-1: the customer can do it themselves: Subscriptions > Manage > "
                              "Intune > Turn auto-renew off")
    assert [i.key for i in dec.checklist] == ["turn_off_auto_renew"]
    assert "C-1: auto-renew is turned off: Intune expires on 2027-01-04" in note_texts(dec)
    # The Intune article names no deletion date for expiry at term end: none is claimed.
    assert c.data_deletion_date is None and c.data_deletion_note.startswith("C-1:")
    assert not dec.needs_review and not dec.needs_callback


def test_c1_nothing_to_do_when_auto_renew_is_already_off():
    dec = decide(EOT, make_sub(Product.INTUNE, auto_renew=False), make_caller(), NOW)
    assert not dec.allowed
    assert texts(dec) == "C-1: nothing to do: auto-renew is already off; it expires on 2027-01-04"
    assert dec.consequences is None


def test_c1_end_of_term_is_offered_for_intune_only():
    for product in (Product.O365, Product.D365, Product.CLOUD):
        dec = decide(EOT, make_sub(product), make_caller(), NOW)
        assert texts(dec) == "C-1: end-of-term cancellation is offered for Intune subscriptions"


# C-2 -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("channel", "word"), [(Channel.OPEN, "Open"), (Channel.FPP, "FPP")])
def test_c2_open_and_fpp_need_no_end_of_term_cancellation(channel, word):
    dec = decide(EOT, make_sub(Product.INTUNE, channel=channel), make_caller(), NOW)
    assert not dec.allowed
    assert texts(dec) == (f"C-2: {word} subscriptions already expire at term end: no end-of-term "
                          "cancellation is needed; it expires on 2027-01-04")


# C-3 -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [EOT, EARLY, X])
def test_c3_intune_trial_cannot_be_cancelled(kind):
    dec = decide(kind, make_sub(Product.INTUNE, channel=Channel.TRIAL), make_caller(), NOW)
    assert not dec.allowed
    assert str(dec.reasons[0]) == ("C-3: Intune trial subscriptions cannot be cancelled; it expires "
                                   "on 2027-01-04 and its data is deleted then")


def test_c3_same_request_different_answer_for_o365_and_intune_trials():
    caller = make_caller()
    o365 = decide(EARLY, make_sub(Product.O365, channel=Channel.TRIAL), caller, NOW)
    intune = decide(EARLY, make_sub(Product.INTUNE, channel=Channel.TRIAL), caller, NOW)
    assert o365.allowed and not intune.allowed
    assert "C-6" in rules(o365)  # O365 trials can be cancelled
    assert rules(intune) == ["C-3"]
    assert not o365.consequences.early_termination_fee_may_apply
    assert o365.consequences.refund == "C-4: none: a trial subscription is not paid for"


# C-4 -----------------------------------------------------------------------------------------


def test_c4_early_cancellation_may_cost_a_fee_or_owe_a_refund():
    for product in (Product.O365, Product.INTUNE):
        dec = decide(EARLY, make_sub(product), make_caller(), NOW)
        assert dec.allowed
        c = dec.consequences
        assert c.effective_date == TODAY
        assert c.early_termination_fee_may_apply
        assert c.refund.startswith("C-4: a refund may be owed")
        assert "refunds go through support" in c.refund
        assert "C-4: early termination fees may apply: the term runs until 2027-01-04" in note_texts(dec)
        assert not dec.needs_review and not dec.needs_callback
        assert dec.required_fields == ()


def test_c4_requested_date_sets_the_effective_date_and_must_fall_in_the_term():
    sub = make_sub(Product.O365)
    ok = decide(EARLY, sub, make_caller(), NOW, requested_date=d("2026-07-01"))
    assert ok.consequences.effective_date == d("2026-07-01")
    assert ok.consequences.data_deletion_date == d("2026-09-29")
    past = decide(EARLY, sub, make_caller(), NOW, requested_date=TODAY - timedelta(days=1))
    assert texts(past) == "V-1: the requested date 2026-06-14 is in the past (today is 2026-06-15)"
    late = decide(EARLY, sub, make_caller(), NOW, requested_date=d("2027-01-05"))
    assert texts(late) == "V-1: the requested date 2027-01-05 is after the term ends on 2027-01-04"
    at_end = decide(EARLY, sub, make_caller(), NOW, requested_date=d("2027-01-04"))
    assert at_end.allowed and not at_end.consequences.early_termination_fee_may_apply


def test_c4_refund_request_needs_review_and_callback():
    dec = decide(EARLY, make_sub(Product.O365), make_caller(), NOW, refund_requested=True)
    assert dec.allowed and dec.needs_review and dec.needs_callback
    assert "V-8" in [n.rule for n in dec.consequences.notes]


@pytest.mark.parametrize(
    ("product", "channel", "offered"),
    [
        (Product.O365, Channel.ONLINE, True),
        (Product.INTUNE, Channel.ONLINE, True),
        (Product.D365, Channel.ONLINE, True),
        (Product.O365, Channel.TRIAL, False),  # C-4: a trial is not paid for, nothing to refund
        (Product.INTUNE, Channel.PRODUCT_KEY, False),  # C-5: the partner refunds, not us
    ],
)
def test_c4_the_decision_says_whether_a_refund_may_be_requested(product, channel, offered):
    """The form offers the Refund box only where the policy allows a request."""
    sub = make_sub(product, channel=channel)
    dec = decide(EARLY, sub, make_caller(), NOW)
    assert dec.refund_offered is offered and dec.as_dict()["refund_offered"] is offered
    asked = decide(EARLY, sub, make_caller(), NOW, refund_requested=True)
    assert (not asked.allowed) is (not offered)  # a request the box would not offer is refused
    assert decide(EOT, sub, make_caller(), NOW).refund_offered is False  # only early cancellations


def test_c4_not_offered_for_cloud():
    dec = decide(EARLY, make_sub(Product.CLOUD), make_caller(), NOW)
    assert texts(dec) == ("C-4: early cancellation is offered for Office 365, Intune and "
                          "Dynamics 365 subscriptions")


def test_c4_term_already_over():
    sub = make_sub(Product.O365, term_end=days(-3))
    dec = decide(EARLY, sub, make_caller(), NOW)
    assert texts(dec) == "C-4: the term ended on 2026-06-12: nothing to cancel early"


# C-5 -----------------------------------------------------------------------------------------


def test_c5_product_key_cancelled_through_support_but_not_refunded():
    sub = make_sub(Product.INTUNE, channel=Channel.PRODUCT_KEY)
    dec = decide(EARLY, sub, make_caller(), NOW)
    assert dec.allowed
    assert dec.consequences.refund == ("C-5: cancelled through support but not refunded by us; the "
                                       "partner that sold the key may refund")
    assert dec.consequences.self_service.startswith("C-5: only through support")


def test_c5_refund_request_on_a_product_key_is_refused():
    sub = make_sub(Product.INTUNE, channel=Channel.PRODUCT_KEY)
    dec = decide(EARLY, sub, make_caller(), NOW, refund_requested=True)
    assert not dec.allowed and rules(dec) == ["C-5"]
    assert "the partner that sold the key may refund" in texts(dec)


# C-6 -----------------------------------------------------------------------------------------


def test_c6_self_service_boundary_24_vs_25_licenses():
    old = make_sub(Product.O365, purchased_at=days(-400))
    few = decide(EARLY, replace(old, licenses_assigned=24), make_caller(), NOW)
    many = decide(EARLY, replace(old, licenses_assigned=25), make_caller(), NOW)
    assert few.consequences.self_service.startswith(
        "C-6: the customer can cancel it themselves (24 licenses assigned, fewer than 25): "
        "admin center > Billing > Subscriptions > Office 365 E3 > Cancel subscription, then review "
        "the dates and give feedback")
    assert many.consequences.self_service == (
        "C-6: only through support: 25 licenses assigned and bought 2025-05-11, more than 30 days ago")
    assert few.allowed and many.allowed  # the desk files either way


def test_c6_any_subscription_within_30_days_of_purchase():
    # Whole days at the desk: bought on 2026-05-16, self-service through the end of 2026-06-15
    # (the date the agent reads), refused from the next day on (tickets.desk_time).
    recent = make_sub(Product.O365, licenses_assigned=400, purchased_at=days(-30))
    late = replace(recent, purchased_at=days(-31))
    s = decide(EARLY, recent, make_caller(), NOW).consequences.self_service
    assert s.startswith("C-6: the customer can cancel it themselves (bought 2026-05-16, within the "
                        "first 30 days (until 2026-06-15))")
    assert decide(EARLY, late, make_caller(), NOW).consequences.self_service.startswith(
        "C-6: only through support: 400 licenses assigned and bought 2026-05-15")


def test_c6_intune_is_never_self_service_before_term_end():
    dec = decide(EARLY, make_sub(Product.INTUNE, licenses_assigned=1), make_caller(), NOW)
    assert dec.consequences.self_service.startswith("C-4: only through support")


# C-7 -----------------------------------------------------------------------------------------


def test_c7_checklist_names_the_custom_domains():
    sub = make_sub(Product.O365, custom_domains=("contoso.cn", "mail.contoso.cn"))
    dec = decide(EARLY, sub, make_caller(), NOW)
    keys = {i.key: i for i in dec.checklist}
    assert list(keys) == ["remove_domains", "update_dns", "save_data"]
    assert "contoso.cn, mail.contoso.cn" in keys["remove_domains"].text
    assert "NS records at the registrar" in keys["update_dns"].text
    assert all(i.rule == "C-7" for i in dec.checklist)


def test_c7_no_domain_item_without_custom_domains():
    dec = decide(EARLY, make_sub(Product.INTUNE), make_caller(), NOW)
    assert [i.key for i in dec.checklist] == ["update_dns", "save_data"]


# C-8 -----------------------------------------------------------------------------------------


def test_c8_data_deleted_90_days_after_the_cancellation_takes_effect():
    o365 = decide(EARLY, make_sub(Product.O365), make_caller(), NOW)
    intune = decide(EARLY, make_sub(Product.INTUNE), make_caller(), NOW)
    assert o365.consequences.data_deletion_date == TODAY + timedelta(days=90) == d("2026-09-13")
    assert intune.consequences.data_deletion_date == d("2026-09-13")
    # Only the Office 365 article names a Cancelled state.
    assert "Cancelled state with reduced functionality" in note_texts(o365)
    assert "Cancelled state" not in note_texts(intune)


def test_c8_already_cancelled_subscription_cannot_be_cancelled_again():
    sub = cancelled(make_sub(Product.O365), days(-10))
    dec = decide(EARLY, sub, make_caller(), NOW)
    assert texts(dec) == ("C-8: Office 365 E3 was already cancelled on 2026-06-05 and is in the "
                          "Cancelled state with reduced functionality until its data is deleted "
                          "on 2026-09-03")


@pytest.mark.parametrize("state", [SubscriptionState.EXPIRED, SubscriptionState.DELETED])
def test_c8_expired_or_deleted_allow_nothing(state):
    sub = make_sub(Product.INTUNE, state=state)
    for kind in (EOT, EARLY, X):
        dec = decide(kind, sub, make_caller(), NOW)
        assert not dec.allowed and dec.reasons


# C-9 -----------------------------------------------------------------------------------------


def test_c9_one_open_cancellation_ticket_per_subscription():
    sub = make_sub(Product.O365, tickets=(make_ticket(EARLY, TicketStatus.PENDING_REVIEW),))
    dec = decide(EARLY, sub, make_caller(), NOW)
    assert texts(dec) == ("C-9: TK-000123 (early cancellation, pending review) is already open for "
                          "this subscription")


@pytest.mark.parametrize("status", [TicketStatus.RESOLVED, TicketStatus.REJECTED, TicketStatus.WITHDRAWN])
def test_c9_closed_tickets_do_not_block(status):
    sub = make_sub(Product.INTUNE, tickets=(make_ticket(EARLY, status),))
    assert decide(EARLY, sub, make_caller(), NOW).allowed


def test_c9_lists_every_refusal_reason_not_just_the_first():
    sub = make_sub(Product.INTUNE, channel=Channel.TRIAL, tickets=(make_ticket(X),))
    dec = decide(EARLY, sub, make_caller(), NOW)
    assert rules(dec) == ["C-3", "C-9"]
