"""U-1 .. U-4: unsubscribing cloud renewal resources bought for a future time (seed 003)."""

from __future__ import annotations

from policy_factories import NOW, TODAY, days, make_caller, make_res, make_ticket, rules, texts

from tickets.enums import ResourceState, Role, TicketKind, TicketStatus
from tickets.policy import decide_batch, decide_resource

U = TicketKind.UNSUBSCRIBE_RESOURCE

BLOCKS = {
    "transaction_in_progress": "U-1: another transaction for RES-{i:04d} is in progress",
    "special_unsubscription_pending":
        "U-1: a special unsubscription from RES-{i:04d} is being applied for",
    "in_promotion": "U-1: the renewal order of RES-{i:04d} has been in a promotion activity",
    "invoice_issued": "U-1: an invoice has been issued for the renewal order of RES-{i:04d}",
}


def test_u1_inactive_future_resource_without_blocks_is_allowed():
    dec = decide_resource(make_res(), make_caller(), NOW)
    assert dec.allowed and dec.kind is U
    assert dec.consequences.effective_date == TODAY


def test_u1_each_failing_condition_is_listed():
    res = make_res(7, transaction_in_progress=True, special_unsubscription_pending=True,
                   in_promotion=True, invoice_issued=True)
    dec = decide_resource(res, make_caller(), NOW)
    assert not dec.allowed
    assert [str(r) for r in dec.reasons] == [t.format(i=7) for t in BLOCKS.values()]


def test_u1_not_inactive_or_already_started():
    done = decide_resource(make_res(state=ResourceState.UNSUBSCRIBED), make_caller(), NOW)
    assert texts(done) == "U-1: RES-0001 is already unsubscribed"
    started = decide_resource(make_res(effective_at=days(-1)), make_caller(), NOW)
    assert texts(started) == ("U-1: RES-0001 took effect on 2026-06-14: it is no longer an "
                              "inactive resource bought for a future time")
    # Same resource, clock moved past its effective time.
    res = make_res(effective_at=days(1))
    assert decide_resource(res, make_caller(), NOW).allowed
    assert not decide_resource(res, make_caller(), days(2)).allowed


def test_u1_role_needed():
    dec = decide_resource(make_res(), make_caller(Role.IMS_BILLING_ADMIN), NOW)
    assert rules(dec) == ["V-2"]


def test_u2_batch_of_10_with_4_blocked():
    resources = [make_res(i) for i in range(1, 11)]
    blocked = dict(zip((2, 4, 6, 8), BLOCKS, strict=True))
    resources = [make_res(r.id, **{blocked[r.id]: True}) if r.id in blocked else r
                 for r in resources]
    batch = decide_batch(resources, make_caller(), NOW)
    assert len(batch.allowed) == 6 and len(batch.refused) == 4
    assert [r.id for r, _ in batch.allowed] == [1, 3, 5, 7, 9, 10]
    for res, dec in batch.refused:
        assert [str(x) for x in dec.reasons] == [BLOCKS[blocked[res.id]].format(i=res.id)]
    for _, dec in batch.allowed:
        assert dec.required_fields == ("reason",)
        assert [i.key for i in dec.checklist] == ["confirm_unsubscription"]
        assert dec.checklist[0].rule == "U-2"


def test_u2_an_open_unsubscription_ticket_blocks_a_second():
    res = make_res(tickets=(make_ticket(U, TicketStatus.OPEN, ref="TK-000777"),))
    dec = decide_resource(res, make_caller(), NOW)
    assert texts(dec) == ("U-2: TK-000777 (unsubscription of a renewal resource, open) is already "
                          "filed for RES-0001")
    res = make_res(tickets=(make_ticket(U, TicketStatus.WITHDRAWN),))
    assert decide_resource(res, make_caller(), NOW).allowed


def test_u3_coupons_no_fee_cash_returned_discount_not():
    res = make_res(cash_coupons_used=1234, discount_coupons_used=500)
    dec = decide_resource(res, make_caller(), NOW)
    assert dec.consequences.coupon_handling == (
        "U-3: no handling fee; 12.34 of cash coupons returned; 5.00 of discount coupons not returned")
    assert not dec.consequences.early_termination_fee_may_apply


def test_u4_self_service_path():
    dec = decide_resource(make_res(), make_caller(), NOW)
    assert dec.consequences.self_service == (
        "U-4: the customer can do it themselves: Unsubscriptions and Returns/Exchanges > Cloud "
        "Service Unsubscriptions > Unsubscribe from Inactive Resources > Unsubscription Allowed")
