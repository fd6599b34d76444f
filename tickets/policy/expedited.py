"""Expedited deprovisioning (X-1..X-3) [Intune]."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from tickets.dates import utc_day
from tickets.enums import Channel, SubscriptionState, TicketKind
from tickets.kinds import kind_spec
from tickets.policy.context import Ctx, Grant, make_consequences, make_decision
from tickets.policy.results import ChecklistItem, Decision, Reason
from tickets.policy.rules import DATA_RETENTION_DAYS
from tickets.policy.shared import (
    c3_refusal,
    c4_refund,
    c7_checklist,
    c9_refusals,
    state_refusals,
    v2_grant,
    v2_refusals,
    v8_note,
)


def deletion_date(approved_at: datetime) -> date:
    """X-1, X-2: all data is deleted within 3 days, counted from the supervisor's approval
    (the registry's `deletion_days_after_approval`)."""
    deletion = kind_spec(TicketKind.EXPEDITED_DEPROVISIONING).deletion_date(approved_at)
    assert deletion is not None  # the registry gives the expedited kind its days
    return deletion


def decide(c: Ctx) -> Decision:
    """X-1 [Intune]: cancel and delete all data within 3 days of approval (X-2); X-3."""
    sub = c.sub
    refusals = v2_refusals(c) + state_refusals(c) + c3_refusal(c)
    if sub.expedited_at is not None:
        refusals.append(Reason("X-3", f"{sub.name} was already deprovisioned on "
                                      f"{utc_day(sub.expedited_at)}: nothing can be reversed"))
    elif sub.data_deleted_at is not None:
        refusals.append(Reason("X-3", f"the data of {sub.name} was deleted on "
                                      f"{utc_day(sub.data_deleted_at)}: nothing left to deprovision"))
    elif sub.state is SubscriptionState.CANCELLED:
        if c.cancelled_on is None:
            refusals.append(Reason("C-8", "the cancellation date is not recorded: cannot tell "
                                          "whether the data still exists"))
        else:
            gone = c.cancelled_on + timedelta(days=DATA_RETENTION_DAYS)
            if c.today >= gone:
                refusals.append(Reason("X-3", f"the data was permanently deleted on {gone}, 90 days "
                                              f"after the cancellation on {c.cancelled_on} (C-8)"))
    refusals += c9_refusals(c)

    def grant() -> Grant:
        active = sub.state is SubscriptionState.ACTIVE
        approved = utc_day(c.approved_at) if c.approved_at is not None else None
        effective = approved if active else c.cancelled_on
        deletion = deletion_date(c.approved_at) if c.approved_at is not None else None
        when = f"by {deletion}" if deletion else "within 3 days after approval"
        deletion_note = Reason("X-2", f"all data is deleted within 3 days after approval ({when})"
                               if deletion else "all data is deleted within 3 days after approval")
        notes = [
            Reason("X-1", f"{sub.name} is cancelled and all its data deleted {when}, instead of "
                          "after 90 days"),
            Reason("X-2", "a supervisor other than the filing agent approves it; the 3 days "
                          "count from approval"),
            Reason("X-3", "nothing can be reversed once the data is deleted"),
        ]
        fee = False
        refund = None
        if active:
            fee = (approved or c.today) < c.term_end and sub.channel is not Channel.TRIAL
            if fee:
                notes.append(Reason("C-4", f"early termination fees may apply: the term runs until "
                                           f"{c.term_end}"))
            refund = c4_refund(c)
            if refund:
                notes.append(refund)
        self_service = Reason("X-1", "only through support")
        notes += [self_service, v8_note(c.kind)]
        checklist = [ChecklistItem(
            "acknowledge_data_loss", "X-2",
            f"the caller explicitly acknowledges that all data of {sub.name} is deleted within 3 "
            "days of approval and that nothing can be reversed (X-3)")]
        if active:
            checklist += c7_checklist(c, effective)
        else:
            checklist.append(ChecklistItem("save_data", "C-7", f"save any data of {sub.name} "
                                           "elsewhere now: it is deleted within 3 days of approval"))
        return Grant(
            reasons=[v2_grant(c), Reason("X-1", "expedited deprovisioning of an Intune subscription, "
                                                "through support")],
            checklist=checklist,
            consequences=make_consequences(notes, effective_date=effective, fee=fee, refund=refund,
                                       self_service=self_service, data_deletion_date=deletion,
                                       data_deletion_note=deletion_note),
        )

    return make_decision(c, refusals, grant)
