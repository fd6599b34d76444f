"""Unsubscribing inactive renewal resources (U-1..U-4) [Cloud], single or batch."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import partial

from identity import SUBSCRIPTION_ADMIN_ROLES
from tickets.dates import as_utc, utc_day
from tickets.enums import ResourceState, TicketKind
from tickets.facts import CallerFacts, ResourceFacts
from tickets.policy.context import active, make_consequences, money, roles_text, ticket_phrase
from tickets.policy.results import BatchDecision, ChecklistItem, Decision, Reason
from tickets.policy.rules import CLOUD, U4_PATH


def decide_resource(res: ResourceFacts, caller: CallerFacts, now: datetime) -> Decision:
    """U-1..U-4 [Cloud]: unsubscribe one inactive renewal resource."""
    now = as_utc(now)
    kind = TicketKind.UNSUBSCRIBE_RESOURCE
    refusals: list[Reason] = []
    if not caller.roles & SUBSCRIPTION_ADMIN_ROLES:
        refusals.append(Reason("V-2", f"the caller must be listed as an admin of "
                                      f"{res.subscription_ref}; {caller.user_id} has {roles_text(caller)}"))
    if res.state is not ResourceState.INACTIVE:
        refusals.append(Reason("U-1", f"{res.ref} is already unsubscribed"))
    elif as_utc(res.effective_at) <= now:
        refusals.append(Reason("U-1", f"{res.ref} took effect on {utc_day(res.effective_at)}: it is no "
                                      "longer an inactive resource bought for a future time"))
    # U-1: each blocking condition the article lists, every one that holds.
    if res.transaction_in_progress:
        refusals.append(Reason("U-1", f"another transaction for {res.ref} is in progress"))
    if res.special_unsubscription_pending:
        refusals.append(Reason("U-1", f"a special unsubscription from {res.ref} is being applied for"))
    if res.in_promotion:
        refusals.append(Reason("U-1", f"the renewal order of {res.ref} has been in a promotion activity"))
    if res.invoice_issued:
        refusals.append(Reason("U-1", f"an invoice has been issued for the renewal order of {res.ref}"))
    refusals += [Reason("U-2", f"{ticket_phrase(t)} is already filed for {res.ref}")
                 for t in active(res.tickets, {kind})]
    decision = partial(Decision, kind=kind, needs_review=False, needs_callback=False, product=CLOUD,
                       subject_ref=res.ref, subject_name=res.description)
    if refusals:
        return decision(allowed=False, reasons=tuple(refusals), checklist=(), consequences=None,
                        required_fields=())
    coupons = Reason("U-3", f"no handling fee; {money(res.cash_coupons_used)} of cash coupons "
                            f"returned; {money(res.discount_coupons_used)} of discount coupons "
                            "not returned")
    self_service = Reason("U-4", "the customer can do it themselves: " + U4_PATH)
    notes = [
        Reason("U-1", f"{res.description} ({res.ref}) was bought for {utc_day(res.effective_at)} and "
                      "none of the blocking conditions holds"),
        coupons,
        self_service,
    ]
    return decision(
        allowed=True,
        reasons=(Reason("U-1", f"{res.ref} is an inactive renewal resource and none of the U-1 "
                               "conditions blocks it"),),
        checklist=(ChecklistItem("confirm_unsubscription", "U-2",
                                 f"the caller confirms unsubscribing from {res.description} "
                                 f"({res.ref}, effective {utc_day(res.effective_at)}) for the reason "
                                 "given"),),
        consequences=make_consequences(notes, effective_date=now.date(), self_service=self_service,
                                   coupon_handling=coupons),
        required_fields=("reason",),
    )


def decide_batch(resources: Sequence[ResourceFacts], caller: CallerFacts,
                 now: datetime) -> BatchDecision:
    """U-2: each resource's outcome; only the ineligible ones are refused."""
    decided = [(r, decide_resource(r, caller, now)) for r in resources]
    return BatchDecision(
        allowed=tuple((r, d) for r, d in decided if d.allowed),
        refused=tuple((r, d) for r, d in decided if not d.allowed),
    )

