"""Unsubscribing inactive renewal resources (U-1..U-4) [Cloud], single or batch."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo
from functools import partial

from identity import SUBSCRIPTION_ADMIN_ROLES
from tickets.dates import as_utc
from tickets.desk_time import local_day
from tickets.enums import ResourceState, TicketKind
from tickets.facts import CallerFacts, ResourceFacts
from tickets.i18n import _
from tickets.policy.context import active, make_consequences, money, roles_text, ticket_phrase
from tickets.policy.results import BatchDecision, ChecklistItem, Decision, Reason
from tickets.policy.rules import CLOUD, U4_PATH


def decide_resource(res: ResourceFacts, caller: CallerFacts, now: datetime, zone: tzinfo = UTC) -> Decision:
    """U-1..U-4 [Cloud]: unsubscribe one inactive renewal resource."""
    now = as_utc(now)
    kind = TicketKind.UNSUBSCRIBE_RESOURCE
    refusals: list[Reason] = []
    if not caller.roles & SUBSCRIPTION_ADMIN_ROLES:
        refusals.append(Reason("V-2", _("the caller must be listed as an admin of {subscription_ref}; "
                                        "{user_id} has {roles}").format(
                                          subscription_ref=res.subscription_ref, user_id=caller.user_id, roles=roles_text(caller))))
    if res.state is not ResourceState.INACTIVE:
        refusals.append(Reason("U-1", _("{ref} is already unsubscribed").format(ref=res.ref)))
    elif as_utc(res.effective_at) <= now:
        refusals.append(Reason("U-1", _("{ref} took effect on {day}: it is no longer an inactive resource "
                                        "bought for a future time").format(
                                          ref=res.ref, day=local_day(res.effective_at, zone))))
    # U-1: each blocking condition the article lists, every one that holds.
    if res.transaction_in_progress:
        refusals.append(Reason("U-1", _("another transaction for {ref} is in progress").format(ref=res.ref)))
    if res.special_unsubscription_pending:
        refusals.append(Reason("U-1", _("a special unsubscription from {ref} is being applied for").format(
                                          ref=res.ref)))
    if res.in_promotion:
        refusals.append(Reason("U-1", _("the renewal order of {ref} has been in a promotion activity").format(
                                          ref=res.ref)))
    if res.invoice_issued:
        refusals.append(Reason("U-1", _("an invoice has been issued for the renewal order of {ref}").format(
                                          ref=res.ref)))
    refusals += [Reason("U-2", _("{ticket} is already filed for {ref}").format(ticket=ticket_phrase(t), ref=res.ref))
                 for t in active(res.tickets, {kind})]
    decision = partial(Decision, kind=kind, needs_review=False, needs_callback=False, product=CLOUD,
                       subject_ref=res.ref, subject_name=res.description)
    if refusals:
        return decision(allowed=False, reasons=tuple(refusals), checklist=(), consequences=None,
                        required_fields=())
    coupons = Reason("U-3", _("no handling fee; {amount} of cash coupons returned; {amount_2} of discount "
                              "coupons not returned").format(
                                amount=money(res.cash_coupons_used), amount_2=money(res.discount_coupons_used)))
    self_service = Reason("U-4", _("the customer can do it themselves: {path}").format(path=_(U4_PATH)))
    notes = [
        Reason("U-1", _("{description} ({ref}) was bought for {day} and none of the blocking conditions holds").format(
                          description=res.description, ref=res.ref, day=local_day(res.effective_at, zone))),
        coupons,
        self_service,
    ]
    return decision(
        allowed=True,
        reasons=(Reason("U-1", _("{ref} is an inactive renewal resource and none of the U-1 conditions blocks "
                                 "it").format(ref=res.ref)),),
        checklist=(ChecklistItem("confirm_unsubscription", "U-2",
                                 _("the caller confirms unsubscribing from {description} ({ref}, effective "
                                   "{day}) for the reason given").format(
                                     description=res.description, ref=res.ref, day=local_day(res.effective_at, zone))),),
        consequences=make_consequences(notes, effective_date=local_day(now, zone), self_service=self_service,
                                   coupon_handling=coupons),
        required_fields=("reason",),
    )


def decide_batch(resources: Sequence[ResourceFacts], caller: CallerFacts,
                 now: datetime, zone: tzinfo = UTC) -> BatchDecision:
    """U-2: each resource's outcome; only the ineligible ones are refused."""
    decided = [(r, decide_resource(r, caller, now, zone)) for r in resources]
    return BatchDecision(
        allowed=tuple((r, d) for r, d in decided if d.allowed),
        refused=tuple((r, d) for r, d in decided if not d.allowed),
    )

