"""30-day reversal (R-1..R-3) [D365]."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from tickets.enums import CampaignState, SubscriptionState, TicketKind
from tickets.i18n import _, catalog
from tickets.policy.context import Ctx, Grant, and_list, make_consequences, make_decision
from tickets.policy.deadlines import reversal_deadline, reversal_open
from tickets.policy.results import ChecklistItem, Decision, Reason
from tickets.policy.shared import GRANTS_KEPT, same_kind_refusals, state_refusals, v2_grant, v2_refusals, v8_note_of


def decide(c: Ctx) -> Decision:
    """R-1..R-3 [D365]: within 30 days of the cancellation, nothing after deletion."""
    sub = c.sub
    refusals = v2_refusals(c) + state_refusals(c)
    if sub.state is SubscriptionState.CANCELLED:
        deleted = sub.data_deleted_at or sub.expedited_at
        if deleted is not None:
            gone = c.day(deleted)
            refusals.append(Reason("R-3", _("the data of {name} was deleted ({gone}): nothing to reverse (X-3)").format(
                                              name=sub.name, gone=gone)))
        elif c.cancelled_on is None:
            refusals.append(Reason("R-1", _("the cancellation date is not recorded: cannot tell whether the 30 "
                                            "days have passed")))
        elif not reversal_open(c.now, c.cancelled_on, c.cancel_zone):
            refusals.append(Reason("R-1", _("the cancellation took effect on {cancelled_on}; it could be "
                                            "reversed until {reversal_deadline}").format(
                                              cancelled_on=c.cancelled_on,
                                              reversal_deadline=reversal_deadline(c.cancelled_on, c.cancel_zone))))
    refusals += same_kind_refusals(c)

    def grant() -> Grant:
        assert c.cancelled_on is not None
        return _grant(c.kind, c.cancelled_on, reversal_deadline(c.cancelled_on, c.cancel_zone),
                      tuple([x.name for x in sub.campaigns if x.state is CampaignState.CANCELLED]), v2_grant(c),
                      catalog())

    return make_decision(c, refusals, grant)


@lru_cache(maxsize=GRANTS_KEPT, typed=True)  # by the facts it names: the same for each such subscription
def _grant(kind: TicketKind, cancelled_on: date, deadline: date, gone: tuple[str, ...], v2: Reason,
           catalog_: object) -> Grant:
    notes = [
        Reason("R-1", _("the cancellation of {cancelled_on} can be reversed until {deadline}, with the "
                        "same identity information used to cancel (a fresh verification)").format(
                          cancelled_on=cancelled_on, deadline=deadline)),
        Reason("R-2", _("cancelled Internet Marketing campaigns are not reinstated; the customer must sign "
                        "up again")),
        v8_note_of(kind, catalog_),
    ]
    checklist = [ChecklistItem("same_identity", "R-1",
                               _("the caller gave the same identity information used to cancel, verified "
                                 "afresh on this call"))]
    if gone:
        checklist.append(ChecklistItem("campaigns_not_reinstated", "R-2",
                                       _("the cancelled campaigns {items} are not reinstated; the customer "
                                         "must sign up again").format(items=and_list(gone))))
    return Grant(
        reasons=(v2, Reason("R-1", _("cancelled on {cancelled_on}, within 30 days (until {deadline})").format(
                                       cancelled_on=cancelled_on, deadline=deadline))),
        checklist=tuple(checklist),
        consequences=make_consequences(notes, reversal_deadline=deadline),
    )
