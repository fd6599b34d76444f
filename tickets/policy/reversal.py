"""30-day reversal (R-1..R-3) [D365]."""

from __future__ import annotations

from datetime import timedelta

from tickets.dates import utc_day
from tickets.enums import CampaignState, SubscriptionState
from tickets.policy.context import Ctx, Grant, and_list, make_consequences, make_decision
from tickets.policy.results import ChecklistItem, Decision, Reason
from tickets.policy.rules import REVERSAL_DAYS
from tickets.policy.shared import same_kind_refusals, state_refusals, v2_grant, v2_refusals, v8_note


def decide(c: Ctx) -> Decision:
    """R-1..R-3 [D365]: within 30 days of the cancellation, nothing after deletion."""
    sub = c.sub
    refusals = v2_refusals(c) + state_refusals(c)
    if sub.state is SubscriptionState.CANCELLED:
        deleted = sub.data_deleted_at or sub.expedited_at
        if deleted is not None:
            gone = utc_day(deleted)
            refusals.append(Reason("R-3", f"the data of {sub.name} was deleted ({gone}): nothing "
                                          "to reverse (X-3)"))
        elif c.cancelled_on is None:
            refusals.append(Reason("R-1", "the cancellation date is not recorded: cannot tell "
                                          "whether the 30 days have passed"))
        elif c.today > c.cancelled_on + timedelta(days=REVERSAL_DAYS):
            refusals.append(Reason("R-1", f"the cancellation took effect on {c.cancelled_on}; it "
                                          "could be reversed until "
                                          f"{c.cancelled_on + timedelta(days=REVERSAL_DAYS)}"))
    refusals += same_kind_refusals(c)

    def grant() -> Grant:
        assert c.cancelled_on is not None
        deadline = c.cancelled_on + timedelta(days=REVERSAL_DAYS)
        notes = [
            Reason("R-1", f"the cancellation of {c.cancelled_on} can be reversed until {deadline}, "
                          "with the same identity information used to cancel (a fresh verification)"),
            Reason("R-2", "cancelled Internet Marketing campaigns are not reinstated; the customer "
                          "must sign up again"),
            v8_note(c.kind),
        ]
        checklist = [ChecklistItem("same_identity", "R-1",
                                   "the caller gave the same identity information used to cancel, "
                                   "verified afresh on this call")]
        gone = [x.name for x in sub.campaigns if x.state is CampaignState.CANCELLED]
        if gone:
            checklist.append(ChecklistItem("campaigns_not_reinstated", "R-2",
                                           f"the cancelled campaigns {and_list(gone)} are not "
                                           "reinstated; the customer must sign up again"))
        return Grant(
            reasons=[v2_grant(c), Reason("R-1", f"cancelled on {c.cancelled_on}, within 30 days "
                                                f"(until {deadline})")],
            checklist=checklist,
            consequences=make_consequences(notes, reversal_deadline=deadline),
        )

    return make_decision(c, refusals, grant)
