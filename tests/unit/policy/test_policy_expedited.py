"""X-1 .. X-3: expedited deprovisioning of Intune subscriptions (seed 001, desk rules)."""

from __future__ import annotations

from datetime import UTC

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

from tickets.enums import Channel, Product, SubscriptionState, TicketKind
from tickets.policy import decide

X = TicketKind.EXPEDITED_DEPROVISIONING


def test_x1_offered_for_intune_only():
    for product in (Product.O365, Product.D365, Product.CLOUD):
        dec = decide(X, make_sub(product), make_caller(), NOW)
        assert texts(dec) == "X-1: expedited deprovisioning is offered for Intune subscriptions"


def test_x1_allowed_on_an_active_intune_subscription_through_support():
    sub = make_sub(Product.INTUNE, custom_domains=("contoso.cn",))
    dec = decide(X, sub, make_caller(), NOW)
    assert dec.allowed
    assert dec.needs_review and dec.needs_callback  # X-2, V-8
    assert [i.key for i in dec.checklist] == [
        "acknowledge_data_loss", "remove_domains", "update_dns", "save_data"]
    c = dec.consequences
    assert c.self_service == "X-1: only through support"
    assert c.early_termination_fee_may_apply  # still before term end (C-4)
    assert c.data_deletion_date is None  # not approved yet
    assert c.data_deletion_note == "X-2: all data is deleted within 3 days after approval"


def test_x1_allowed_on_a_cancelled_subscription_while_its_data_exists():
    sub = cancelled(make_sub(Product.INTUNE), days(-89))
    dec = decide(X, sub, make_caller(), NOW)
    assert dec.allowed
    assert dec.consequences.effective_date == d("2026-03-18")
    assert not dec.consequences.early_termination_fee_may_apply
    assert [i.key for i in dec.checklist] == ["acknowledge_data_loss", "save_data"]


def test_x2_explicit_acknowledgement_and_deletion_three_days_after_approval():
    sub = make_sub(Product.INTUNE)
    dec = decide(X, sub, make_caller(), NOW)
    ack = dec.checklist[0]
    assert ack.key == "acknowledge_data_loss" and ack.rule == "X-2"
    assert "nothing can be reversed" in ack.text
    assert "X-2: a supervisor other than the filing agent approves it" in note_texts(dec)

    # The clock moves: approved 2 days ago -> deletion still ahead; 4 days ago -> behind.
    two = decide(X, sub, make_caller(), NOW, approved_at=days(-2))
    four = decide(X, sub, make_caller(), NOW, approved_at=days(-4))
    assert two.consequences.data_deletion_date == d("2026-06-16") > TODAY
    assert four.consequences.data_deletion_date == d("2026-06-14") < TODAY
    assert two.consequences.effective_date == d("2026-06-13")
    assert "by 2026-06-16" in two.consequences.data_deletion_note


def test_x3_nothing_once_data_is_deleted():
    base = make_sub(Product.INTUNE)
    already = cancelled(base, days(-5), expedited_at=days(-5))
    assert texts(decide(X, already, make_caller(), NOW)) == (
        "X-3: Intune was already deprovisioned on 2026-06-10: nothing can be reversed")
    after_90 = cancelled(base, days(-90))
    assert texts(decide(X, after_90, make_caller(), NOW)) == (
        "X-3: the data was permanently deleted on 2026-06-15, 90 days after the cancellation on "
        "2026-03-17 (C-8)")
    deleted = cancelled(base, days(-10), data_deleted_at=days(-1))
    assert rules(decide(X, deleted, make_caller(), NOW)) == ["X-3"]
    gone = make_sub(Product.INTUNE, state=SubscriptionState.DELETED)
    assert rules(decide(X, gone, make_caller(), NOW)) == ["X-3"]


def test_x3_trial_and_open_ticket_still_refuse():
    sub = make_sub(Product.INTUNE, channel=Channel.TRIAL,
                   tickets=(make_ticket(TicketKind.CANCEL_EARLY),))
    assert rules(decide(X, sub, make_caller(), NOW)) == ["C-3", "C-9"]


def test_x1_three_days_from_approval_computed_in_one_place():
    # the policy, the lifecycle and the review screen all use this one function.
    from datetime import datetime

    from tickets.policy.expedited import deletion_date

    assert deletion_date(datetime(2026, 11, 22, 23, 59, tzinfo=UTC)).isoformat() == "2026-11-25"
    approved = days(2)
    dec = decide(TicketKind.EXPEDITED_DEPROVISIONING, make_sub(Product.INTUNE), make_caller(), NOW,
                 approved_at=approved)
    assert dec.consequences.data_deletion_date == deletion_date(approved)
