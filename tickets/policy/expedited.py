"""Expedited deprovisioning (X-1..X-3) [Intune]."""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from functools import lru_cache

from tickets.desk_time import local_day
from tickets.enums import Channel, Product, SubscriptionState, TicketKind
from tickets.i18n import _, catalog
from tickets.kinds import kind_spec
from tickets.policy.context import Ctx, Grant, make_consequences, make_decision
from tickets.policy.deadlines import data_deletion_day, data_still_kept
from tickets.policy.results import ChecklistItem, Decision, Reason
from tickets.policy.shared import (
    GRANTS_KEPT,
    c3_refusal,
    c4_refund_of,
    c7_checklist_of,
    c9_refusals,
    state_refusals,
    v2_grant,
    v2_refusals,
    v8_note_of,
)


def deletion_date(approved_at: datetime, zone: tzinfo = UTC) -> date:
    """X-1, X-2: all data is deleted within 3 days, counted from the supervisor's approval
    (the registry's `deletion_days_after_approval`), in the desk's days (`zone`)."""
    deletion = kind_spec(TicketKind.EXPEDITED_DEPROVISIONING).deletion_date(approved_at, zone)
    assert deletion is not None  # the registry gives the expedited kind its days
    return deletion


def decide(c: Ctx) -> Decision:
    """X-1 [Intune]: cancel and delete all data within 3 days of approval (X-2); X-3."""
    sub = c.sub
    refusals = v2_refusals(c) + state_refusals(c) + c3_refusal(c)
    if sub.expedited_at is not None:
        refusals.append(Reason("X-3", _("{name} was already deprovisioned on {day}: nothing can be reversed").format(
                                          name=sub.name, day=c.day(sub.expedited_at))))
    elif sub.data_deleted_at is not None:
        refusals.append(Reason("X-3", _("the data of {name} was deleted on {day}: nothing left to deprovision").format(
                                          name=sub.name, day=c.day(sub.data_deleted_at))))
    elif sub.state is SubscriptionState.CANCELLED:
        if c.cancelled_on is None:
            refusals.append(Reason("C-8", _("the cancellation date is not recorded: cannot tell whether the "
                                            "data still exists")))
        else:
            gone = data_deletion_day(c.cancelled_on)
            if not data_still_kept(c.now, c.cancelled_on, c.zone):
                refusals.append(Reason("X-3", _("the data was permanently deleted on {gone}, 90 days after the "
                                                "cancellation on {cancelled_on} (C-8)").format(
                                                  gone=gone, cancelled_on=c.cancelled_on)))
    refusals += c9_refusals(c)

    def grant() -> Grant:
        active = sub.state is SubscriptionState.ACTIVE
        approved = local_day(c.approved_at, c.zone) if c.approved_at is not None else None
        deletion = deletion_date(c.approved_at, c.zone) if c.approved_at is not None else None
        # C-4: fees while the term runs (its end named only then), and what the caller may expect.
        fee = active and (approved or c.today) < c.term_end and sub.channel is not Channel.TRIAL
        return _grant(c.kind, sub.product, sub.channel, sub.name, tuple(sub.custom_domains), active,
                      approved if active else c.cancelled_on, deletion, c.term_end if fee else None, v2_grant(c),
                      catalog())

    return make_decision(c, refusals, grant)


@lru_cache(maxsize=GRANTS_KEPT, typed=True)  # by the facts it names: the same for each such subscription
def _grant(kind: TicketKind, product: Product, channel: Channel, name: str, custom_domains: tuple[str, ...],
           active: bool, effective: date | None, deletion: date | None, fee_until: date | None, v2: Reason,
           catalog_: object) -> Grant:
    when = _("by {day}").format(day=deletion) if deletion else _("within 3 days after approval")
    deletion_note = Reason("X-2", _("all data is deleted within 3 days after approval ({when})").format(when=when)
                           if deletion else _("all data is deleted within 3 days after approval"))
    notes = [
        Reason("X-1", _("{name} is cancelled and all its data deleted {when}, instead of after 90 days").format(
                          name=name, when=when)),
        Reason("X-2", _("a supervisor other than the filing agent approves it; the 3 days count from "
                        "approval")),
        Reason("X-3", _("nothing can be reversed once the data is deleted")),
    ]
    if fee_until is not None:
        notes.append(Reason("C-4", _("early termination fees may apply: the term runs until {term_end}").format(
                                       term_end=fee_until)))
    refund = c4_refund_of(product, channel, catalog_) if active else None  # C-4, C-5
    if refund:
        notes.append(refund)
    self_service = Reason("X-1", _("only through support"))
    notes += [self_service, v8_note_of(kind, catalog_)]
    checklist = [ChecklistItem(
        "acknowledge_data_loss", "X-2",
        _("the caller explicitly acknowledges that all data of {name} is deleted within 3 days of approval "
          "and that nothing can be reversed (X-3)").format(name=name))]
    if active:
        checklist += c7_checklist_of(product, custom_domains, effective, catalog_)
    else:
        checklist.append(ChecklistItem("save_data", "C-7", _("save any data of {name} elsewhere now: it is "
                                                             "deleted within 3 days of approval").format(
                                                               name=name)))
    return Grant(
        reasons=(v2, Reason("X-1", _("expedited deprovisioning of an Intune subscription, through support"))),
        checklist=tuple(checklist),
        consequences=make_consequences(notes, effective_date=effective, fee=fee_until is not None, refund=refund,
                                       self_service=self_service, data_deletion_date=deletion,
                                       data_deletion_note=deletion_note),
    )
