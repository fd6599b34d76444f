"""Dynamics 365 (seed 002): V-1/V-2 billing actions, M-1..M-4, R-1..R-3, I-1, I-2."""

from __future__ import annotations

from dataclasses import replace

from policy_factories import (
    NOW,
    cancelled,
    d,
    days,
    make_caller,
    make_campaign,
    make_sub,
    make_ticket,
    note_texts,
    rules,
    texts,
)

from tickets.enums import (
    CampaignState,
    Platform,
    Product,
    Role,
    SubscriptionState,
    TicketKind,
    TicketStatus,
)
from tickets.facts import CallerFacts
from tickets.policy import decide

EARLY = TicketKind.CANCEL_EARLY
M = TicketKind.MIGRATION
R = TicketKind.REVERSAL
IMS = TicketKind.IMS_CANCELLATION
BILLING = make_caller(Role.BILLING_ADMIN)
ADMIN = make_caller(Role.ADMIN)


def d365(**kw):
    return make_sub(Product.D365, **kw)


# V-1 / V-2 -----------------------------------------------------------------------------------


def test_v1_d365_cancellation_records_the_day_the_customer_wants_it_terminated():
    open_ = decide(EARLY, d365(), BILLING, NOW)
    assert open_.allowed
    assert open_.required_fields == ("requested_date",)
    assert open_.consequences.effective_date is None
    dated = decide(EARLY, d365(), BILLING, NOW, requested_date=d("2026-07-31"))
    c = dated.consequences
    assert c.effective_date == d("2026-07-31")
    assert c.reversal_deadline == d("2026-08-30")
    assert not c.early_termination_fee_may_apply and c.refund is None
    assert c.data_deletion_date is None  # the article states none
    assert "C-4: early termination fees and refunds are stated for Office 365 and Intune only" in note_texts(dated)


def test_v2_d365_billing_actions_need_the_billing_administrator():
    for kind, sub in ((EARLY, d365()), (R, cancelled(d365(), days(-3)))):
        dec = decide(kind, sub, ADMIN, NOW)
        assert not dec.allowed
        assert str(dec.reasons[0]).startswith(
            "V-2: Dynamics 365 billing actions need the billing administrator;")
        assert "must work with the billing administrator" in str(dec.reasons[0])
        assert decide(kind, sub, BILLING, NOW).allowed


def test_v2_o365_and_intune_need_an_admin_role():
    nobody = make_caller(Role.IMS_BILLING_ADMIN)
    for product in (Product.O365, Product.INTUNE):
        dec = decide(EARLY, make_sub(product), nobody, NOW)
        assert rules(dec) == ["V-2"]
        assert "the caller must be listed as an admin" in texts(dec)
        assert decide(EARLY, make_sub(product), ADMIN, NOW).allowed
        assert decide(EARLY, make_sub(product), BILLING, NOW).allowed
    assert decide(M, d365(), ADMIN, NOW).allowed
    assert rules(decide(M, d365(), nobody, NOW)) == ["V-2"]


def test_c7_d365_checklist_keep_data_and_ims_campaign_decisions():
    sub = d365(campaigns=(make_campaign("Spring Sale"),
                          make_campaign("Autumn", CampaignState.PAUSED, admin="eve@contoso.cn"),
                          make_campaign("Old", CampaignState.CANCELLED)))
    dec = decide(EARLY, sub, BILLING, NOW, requested_date=d("2026-07-31"))
    keys = {i.key: i for i in dec.checklist}
    assert list(keys) == ["keep_data_decision", "ims_campaigns_decision"]
    assert "export it first" in keys["keep_data_decision"].text
    ims = keys["ims_campaigns_decision"].text
    assert "Spring Sale and Autumn" in ims and "Old" not in ims
    assert "delete or pause all their activities" in ims
    assert "work with the campaign billing admin (eve@contoso.cn)" in ims
    assert [i.key for i in decide(EARLY, d365(), BILLING, NOW).checklist] == ["keep_data_decision"]


# M -------------------------------------------------------------------------------------------


def test_m1_migration_is_for_d365_and_migrates_first():
    dec = decide(M, d365(), ADMIN, NOW)
    assert dec.allowed
    assert [i.key for i in dec.checklist] == ["migrate_first", "it_contact_confirmed"]
    assert dec.consequences.effective_date is None
    assert texts(decide(M, make_sub(Product.O365), ADMIN, NOW)) == (
        "M-1: migration to on-premises is offered for Dynamics 365 subscriptions")


def test_m2_routing_by_platform():
    online = decide(M, d365(platform=Platform.ONLINE_SERVICES), ADMIN, NOW)
    commerce = decide(M, d365(platform=Platform.COMMERCE_TRANSACTION), ADMIN, NOW)
    unknown = decide(M, d365(platform=None), ADMIN, NOW)
    assert online.consequences.routing_queue == "technical support"
    assert commerce.consequences.routing_queue == "billing support"
    assert not unknown.allowed and rules(unknown) == ["M-2"]
    assert "determine the platform first" in texts(unknown)
    assert decide(EARLY, d365(), BILLING, NOW).consequences.routing_queue == "cancellations desk"


def test_m3_transfer_time_and_it_contact_are_required():
    dec = decide(M, d365(), ADMIN, NOW)
    assert dec.required_fields == ("transfer_at", "it_contact")
    assert "M-3: the data is transferred to a secure site at the requested time" in note_texts(dec)


def test_m4_cancellation_waits_for_the_migration():
    mig = make_ticket(M, TicketStatus.IN_PROGRESS, ref="TK-000200")
    dec = decide(EARLY, d365(tickets=(mig,)), BILLING, NOW)
    assert not dec.allowed
    assert str(dec.reasons[0]) == ("M-4: the cancellation can only be filed once migration "
                                   "TK-000200 is done (in progress)")
    assert "C-9" in rules(dec)
    done = replace(mig, status=TicketStatus.RESOLVED)
    assert decide(EARLY, d365(tickets=(done,)), BILLING, NOW).allowed


# R -------------------------------------------------------------------------------------------


def test_r1_reversal_within_30_days_day_29_vs_day_31():
    cancelled_at = days(-29)
    sub = cancelled(d365(), cancelled_at)
    day29 = decide(R, sub, BILLING, NOW)
    assert day29.allowed and day29.needs_review and day29.needs_callback
    assert day29.consequences.reversal_deadline == d("2026-06-16")
    assert [i.key for i in day29.checklist] == ["same_identity"]
    assert "a fresh verification" in note_texts(day29)
    # Move the clock two days on: day 31.
    day31 = decide(R, sub, BILLING, days(31, cancelled_at))
    assert not day31.allowed
    assert texts(day31) == ("R-1: the cancellation took effect on 2026-05-17; it could be reversed "
                            "until 2026-06-16")
    day30 = decide(R, sub, BILLING, days(30, cancelled_at))
    assert day30.allowed


def test_r1_nothing_to_reverse_on_an_active_subscription():
    assert texts(decide(R, d365(), BILLING, NOW)) == (
        "R-1: nothing to reverse: Dynamics 365 Sales is active, not cancelled")
    assert texts(decide(R, make_sub(Product.INTUNE), BILLING, NOW)) == (
        "R-1: 30-day reversal is offered for Dynamics 365 subscriptions")


def test_r2_cancelled_campaigns_are_not_reinstated():
    sub = cancelled(d365(campaigns=(make_campaign("Spring Sale", CampaignState.CANCELLED),)), days(-2))
    dec = decide(R, sub, BILLING, NOW)
    assert "R-2: cancelled Internet Marketing campaigns are not reinstated" in note_texts(dec)
    assert dec.checklist[-1].key == "campaigns_not_reinstated"
    assert "Spring Sale" in dec.checklist[-1].text


def test_r3_nothing_to_reverse_after_data_deletion():
    sub = cancelled(d365(), days(-5), data_deleted_at=days(-1))
    assert rules(decide(R, sub, BILLING, NOW)) == ["R-3"]
    gone = d365(state=SubscriptionState.DELETED)
    assert texts(decide(R, gone, BILLING, NOW)) == (
        "R-3: Dynamics 365 Sales is deleted and its data is gone: nothing to reverse")


# I -------------------------------------------------------------------------------------------


def test_i1_campaign_billing_admin_may_cancel_ims_without_org_role():
    campaign_admin = CallerFacts(user_id="eve@contoso.cn")  # no organization role
    sub = d365(campaigns=(make_campaign("Spring Sale", admin="eve@contoso.cn"),
                          make_campaign("Autumn", admin="ada@contoso.cn")))
    dec = decide(IMS, sub, campaign_admin, NOW)
    assert dec.allowed
    assert dec.reasons[0].rule == "I-1"
    assert "Spring Sale" in note_texts(dec) and "Autumn" not in note_texts(dec)
    stranger = replace(campaign_admin, user_id="mallory@contoso.cn")
    refused = decide(IMS, sub, stranger, NOW)
    assert rules(refused) == ["I-1"] and "is neither" in texts(refused)
    assert decide(IMS, sub, BILLING, NOW).allowed


def test_i1_needs_a_campaign_that_is_not_cancelled():
    sub = d365(campaigns=(make_campaign("Old", CampaignState.CANCELLED),))
    assert texts(decide(IMS, sub, BILLING, NOW)) == (
        "I-1: Dynamics 365 Sales has no Internet Marketing campaign to cancel: Old already cancelled")


def test_i2_consequences_stop_ads_and_cannot_be_reinstated():
    sub = d365(campaigns=(make_campaign("Spring Sale"),))
    dec = decide(IMS, sub, BILLING, NOW)
    notes = note_texts(dec)
    assert "I-2: cancelling Spring Sale stops their search-engine ads and their billing" in notes
    assert "R-2: a cancelled campaign cannot be reinstated" in notes
    assert dec.consequences.self_service.startswith("I-2: the customer can do it themselves")
    assert [i.key for i in dec.checklist] == ["stop_campaign_activities", "no_reinstatement"]


def test_reasons_name_roles_in_the_desks_words_never_the_stored_value():
    ims_admin = make_caller(Role.IMS_BILLING_ADMIN)
    stranger = replace(ims_admin, roles=frozenset())
    said = "\n".join(texts(decide(kind, d365(), caller, NOW))
                     for kind in TicketKind for caller in (ims_admin, stranger))
    assert "(Internet Marketing billing admin)" in said and "no admin role" in said
    assert "_admin" not in said and "no role" not in said
