"""Early cancellation (C-4..C-8) [O365, Intune]; [D365] on the requested day (V-1)."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from tickets.enums import Channel, SubscriptionState, TicketKind
from tickets.i18n import _, catalog
from tickets.policy.context import (
    Ctx,
    Grant,
    active,
    and_list,
    live_campaigns,
    make_consequences,
    make_decision,
)
from tickets.policy.deadlines import reversal_deadline
from tickets.policy.results import ChecklistItem, Decision, Reason
from tickets.policy.rules import D365, O365
from tickets.policy.shared import (
    SENTENCES_KEPT,
    c3_refusal,
    c4_refund,
    c6_self_service,
    c7_checklist,
    c8_notes,
    c9_refusals,
    home_rule,
    refund_request_refusals,
    requested_date_refusals,
    state_refusals,
    v2_grant,
    v2_refusals,
    v8_note,
    v8_note_of,
)


def decide(c: Ctx) -> Decision:
    """C-4 [O365, Intune] before the end of term; [D365] on the day the customer wants it
    terminated (V-1), after the C-7 decisions, not while a migration is open (M-4)."""
    sub = c.sub
    d365 = sub.product is D365
    date_rule = "V-1"
    refusals = v2_refusals(c) + state_refusals(c)
    if sub.state is SubscriptionState.ACTIVE:
        refusals += c3_refusal(c)
        if c.today > c.term_end:
            refusals.append(Reason(home_rule(c.kind, sub.product),
                                   _("the term ended on {term_end}: nothing to cancel early").format(
                                       term_end=c.term_end)))
        else:
            refusals += requested_date_refusals(c, date_rule)
        refusals += refund_request_refusals(c)
    if d365:
        refusals += m4_refusals(c)
    refusals += c9_refusals(c)

    def grant() -> Grant:
        return _grant_cancel_d365(c) if d365 else _grant_cancel_o365_intune(c)

    return make_decision(c, refusals, grant)


def m4_refusals(c: Ctx) -> list[Reason]:
    """M-4 [D365]: the cancellation that follows a migration is filed once the migration is done."""
    return [Reason("M-4", _("the cancellation can only be filed once migration {ref} is done ({label})").format(
                              ref=t.ref, label=t.status.label))
            for t in active(c.sub.tickets, {TicketKind.MIGRATION})]


def _grant_cancel_o365_intune(c: Ctx) -> Grant:
    sub = c.sub
    effective = c.requested_date or c.today
    trial = sub.channel is Channel.TRIAL
    fee = not trial and effective < c.term_end
    reasons = [v2_grant(c)]
    if trial:  # only O365 gets here: Intune trials are refused (C-3)
        reasons.append(Reason("C-6", _("Office 365 trial subscriptions can be cancelled")))
    reasons.append(_cancellable_before(sub.name, c.term_end, catalog()))
    notes: list[Reason] = [_takes_effect(effective, catalog())]
    if fee:
        notes.append(_fee_until(c.term_end, catalog()))
    refund = c4_refund(c)
    if refund:
        notes.append(refund)
    if sub.product is O365:
        self_service = c6_self_service(sub, c.now, c.zone)
    else:
        self_service = _intune_self_service(sub.channel is Channel.PRODUCT_KEY, catalog())
    notes.append(self_service)
    deletion, c8 = c8_notes(c, effective)
    notes += c8
    if c.refund_requested:
        notes.append(Reason("C-4", _("a refund is requested: it goes through support and review")))
        notes.append(v8_note(c.kind))
    return Grant(
        reasons=reasons,
        checklist=c7_checklist(c, effective),
        consequences=make_consequences(notes, effective_date=effective, fee=fee, refund=refund,
                                   self_service=self_service, data_deletion_date=deletion),
        requested_date_range=(c.today, c.term_end),
    )


@lru_cache(maxsize=SENTENCES_KEPT, typed=True)  # by the day (C-4): the same for a day's filings
def _takes_effect(effective: date, _catalog: object) -> Reason:
    return Reason("C-4", _("the cancellation takes effect on {effective}").format(effective=effective))


@lru_cache(maxsize=SENTENCES_KEPT, typed=True)  # by the plan's name and term (C-4)
def _cancellable_before(name: str, term_end: date, _catalog: object) -> Reason:
    return Reason("C-4", _("{name} can be cancelled before its term ends on {term_end}").format(
                             name=name, term_end=term_end))


@lru_cache(maxsize=SENTENCES_KEPT, typed=True)  # by the term (C-4)
def _fee_until(term_end: date, _catalog: object) -> Reason:
    return Reason("C-4", _("early termination fees may apply: the term runs until {term_end}").format(
                             term_end=term_end))


@lru_cache(maxsize=8)
def _intune_self_service(product_key: bool, _catalog: object) -> Reason:
    if product_key:
        return Reason("C-5", _("only through support: product-key subscriptions are cancelled by "
                               "calling support"))
    return Reason("C-4", _("only through support: the customer cannot cancel an Intune "
                           "subscription before the end of term themselves"))


def _grant_cancel_d365(c: Ctx) -> Grant:
    sub = c.sub
    effective = c.requested_date
    deadline = reversal_deadline(effective, c.zone) if effective else None
    live = live_campaigns(sub)
    owners = sorted({c_.billing_admin_user_id for c_ in live if c_.billing_admin_user_id != c.caller.user_id})
    reasons, notes, self_service, refund, deletion_note, checklist = _d365_sentences(
        sub.name, effective, deadline, tuple([c_.name for c_ in live]), tuple(owners), c.refund_requested,
        c.kind, v2_grant(c), catalog())
    return Grant(
        reasons=reasons,
        checklist=checklist,
        consequences=make_consequences(list(notes), effective_date=effective, refund=refund,
                                       self_service=self_service, data_deletion_note=deletion_note,
                                       reversal_deadline=deadline),
        required_fields=("requested_date",),
        requested_date_range=(c.today, c.term_end),
    )


@lru_cache(maxsize=SENTENCES_KEPT, typed=True)  # by the facts they name (V-1, C-4, C-7, R-1, I-2, V-8)
def _d365_sentences(name: str, effective: date | None, deadline: date | None, live: tuple[str, ...],
                    owners: tuple[str, ...], refund_requested: bool, kind: TicketKind, v2: Reason,
                    catalog_: object) -> tuple[tuple[Reason, ...], tuple[Reason, ...], Reason, Reason | None,
                                               Reason, tuple[ChecklistItem, ...]]:
    reasons = (v2, Reason("V-1", _("{name} is cancelled on the day the customer wants it terminated, "
                                   "recorded on the ticket").format(name=name)))
    notes: list[Reason] = []
    if effective:
        notes.append(Reason("V-1", _("the cancellation takes effect on {effective}").format(effective=effective)))
    else:
        notes.append(Reason("V-1", _("the day the customer wants it terminated is still to be recorded")))
    # ARTICLE: the Dynamics 365 article says nothing of fees, refunds or a deletion date.
    notes.append(Reason("C-4", _("early termination fees and refunds are stated for Office 365 and Intune "
                                 "only; the Dynamics 365 article states neither (it refers to section 4 of the "
                                 "Online Service Agreement)")))
    deletion_note = Reason("C-7", _("the Dynamics 365 article states no data-deletion date: if the customer "
                                    "keeps the data, export it before the cancellation"))
    notes.append(deletion_note)
    if deadline:
        notes.append(Reason("R-1", _("the cancellation can be reversed until {deadline} with the same identity "
                                     "information").format(deadline=deadline)))
    else:
        notes.append(Reason("R-1", _("the cancellation can be reversed within 30 days of taking effect")))
    if live:
        notes.append(Reason("I-2", _("Internet Marketing campaigns whose activities are not deleted keep "
                                     "running after the cancellation, and so do their search-engine ads; the "
                                     "customer then cancels or manages them in Microsoft Ad Center")))
    self_service = Reason("V-1", _("not self-service: the Dynamics 365 article has the customer contact "
                                   "billing support"))
    notes.append(self_service)
    refund = None
    if refund_requested:
        refund = Reason("V-8", _("a refund is requested; the Dynamics 365 article promises none: it goes to "
                                 "review and needs a callback"))
        notes.append(refund)
        notes.append(v8_note_of(kind, catalog_))
    checklist = [ChecklistItem(
        "keep_data_decision", "C-7",
        _("decide whether to keep the data: if so, export it first (Export Data to Excel) before {day}").format(
            day=effective) if effective else
        _("decide whether to keep the data: if so, export it first (Export Data to Excel)"))]
    if live:
        text = _("for the Internet Marketing campaigns {names}: keep their activities to keep the "
                 "search-engine ads running, or delete or pause all their activities to stop the "
                 "ads and their billing").format(names=and_list(live))
        if owners:
            text += _("; the caller must work with the campaign billing admin ({owners}) who signed up "
                      "for it").format(owners=", ".join(owners))
        checklist.append(ChecklistItem("ims_campaigns_decision", "C-7", text))
    return reasons, tuple(notes), self_service, refund, deletion_note, tuple(checklist)
