"""End-of-term cancellation (C-1, C-2) [Intune]."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from tickets.enums import Channel, SubscriptionState
from tickets.i18n import _, catalog
from tickets.policy.context import Ctx, Grant, make_consequences, make_decision
from tickets.policy.results import ChecklistItem, Decision, Reason
from tickets.policy.rules import C1_PATH, CHANNEL_WORDS
from tickets.policy.shared import GRANTS_KEPT, c3_refusal, c9_refusals, state_refusals, v2_grant, v2_refusals


def decide(c: Ctx) -> Decision:
    """C-1 [Intune]: turn auto-renew off; it expires at term end and billing stops."""
    sub = c.sub
    refusals = v2_refusals(c) + state_refusals(c)
    if sub.state is SubscriptionState.ACTIVE:
        if c3 := c3_refusal(c):
            refusals += c3
        elif sub.channel in (Channel.OPEN, Channel.FPP):
            refusals.append(Reason("C-2", _("{CHANNEL_WORDS} subscriptions already expire at term end: no "
                                            "end-of-term cancellation is needed; it expires on {term_end}").format(
                                              CHANNEL_WORDS=_(CHANNEL_WORDS[sub.channel]), term_end=c.term_end)))
        elif not sub.auto_renew:
            refusals.append(Reason("C-1", _("nothing to do: auto-renew is already off; it expires on "
                                            "{term_end}").format(
                                              term_end=c.term_end)))
    refusals += c9_refusals(c)

    def grant() -> Grant:
        return _grant(sub.name, c.term_end, v2_grant(c), catalog())

    return make_decision(c, refusals, grant)


@lru_cache(maxsize=GRANTS_KEPT, typed=True)  # by the plan's name and term: the same for each such subscription
def _grant(name: str, effective: date, v2: Reason, _catalog: object) -> Grant:
    self_service = Reason("C-1", _("the customer can do it themselves: {path}").format(
                                 path=_(C1_PATH).format(name=name)))
    # ARTICLE: the Intune article states the 90-day deletion (C-8) and the checklist (C-7)
    # for cancelling *before* the end of term; for expiry at term end it says only that the
    # subscription expires and is no longer billed. So no deletion date is claimed here.
    deletion_note = Reason("C-1", _("the Intune article states no data-deletion date for a subscription "
                                    "that expires at term end"))
    notes = [
        Reason("C-1", _("auto-renew is turned off: {name} expires on {effective} and is no longer billed").format(
                          name=name, effective=effective)),
        self_service,
        deletion_note,
    ]
    return Grant(
        reasons=(v2, Reason("C-1", _("an Intune subscription with auto-renew on is cancelled at "
                                     "the end of its term"))),
        checklist=(ChecklistItem("turn_off_auto_renew", "C-1",
                                 _("auto-renew of {name} is turned off: it expires on {effective} and "
                                   "billing stops then").format(name=name, effective=effective)),),
        consequences=make_consequences(notes, effective_date=effective, self_service=self_service,
                                       data_deletion_note=deletion_note),
    )
