"""Internet Marketing cancellation (I-1, I-2) [D365]."""

from __future__ import annotations

from tickets.enums import Role
from tickets.policy.context import (
    Ctx,
    Grant,
    and_list,
    live_campaigns,
    make_consequences,
    make_decision,
    roles_text,
)
from tickets.policy.results import ChecklistItem, Decision, Reason
from tickets.policy.rules import I2_AD_CENTER
from tickets.policy.shared import same_kind_refusals, state_refusals


def decide(c: Ctx) -> Decision:
    """I-1, I-2 [D365]: the org's or a campaign's billing admin cancels the campaigns."""
    sub = c.sub
    refusals = state_refusals(c)
    live = live_campaigns(sub)
    org_wide = bool(c.caller.roles & {Role.BILLING_ADMIN, Role.IMS_BILLING_ADMIN})
    mine = [x for x in live if x.billing_admin_user_id == c.caller.user_id]
    scope = live if org_wide else mine
    if not live:
        had = and_list([x.name for x in sub.campaigns])
        refusals.append(Reason("I-1", f"{sub.name} has no Internet Marketing campaign to cancel"
                                      + (f": {had} already cancelled" if had else "")))
    elif not scope:
        refusals.append(Reason("I-1", "the Internet Marketing service is cancelled by the billing "
                                      "admin of the organization or of a campaign; "
                                      f"{c.caller.user_id} ({roles_text(c.caller)}) is neither"))
    refusals += same_kind_refusals(c)

    def grant() -> Grant:
        names = and_list([x.name for x in scope])
        if Role.BILLING_ADMIN in c.caller.roles:
            who = Reason("V-2", f"the caller is the billing administrator of {sub.name}")
        elif Role.IMS_BILLING_ADMIN in c.caller.roles:
            who = Reason("I-1", "the caller is the Internet Marketing billing admin")
        else:
            who = Reason("I-1", f"the caller is the billing admin of the campaign {names}, so can "
                                "cancel it without being the organization's billing admin")
        self_service = Reason("I-2", "the customer can do it themselves: " + I2_AD_CENTER)
        notes = [
            Reason("I-2", f"cancelling {names} stops their search-engine ads and their billing "
                          "from Microsoft Ad Center"),
            Reason("R-2", "a cancelled campaign cannot be reinstated; the customer must sign up again"),
            self_service,
            Reason("I-2", f"the {sub.name} subscription itself stays as it is"),
        ]
        return Grant(
            reasons=[who],
            checklist=[
                ChecklistItem("stop_campaign_activities", "I-2",
                              f"all current activities of {names} are deleted or paused, which "
                              "stops the search-engine ads and their billing"),
                ChecklistItem("no_reinstatement", "R-2",
                              "once cancelled the campaigns cannot be reinstated; the customer "
                              "would have to sign up again"),
            ],
            consequences=make_consequences(notes, effective_date=c.today, self_service=self_service),
        )

    return make_decision(c, refusals, grant)
