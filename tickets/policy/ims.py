"""Internet Marketing cancellation (I-1, I-2) [D365]."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from tickets.enums import Role
from tickets.i18n import _, catalog
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
from tickets.policy.shared import GRANTS_KEPT, same_kind_refusals, state_refusals


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
        refusals.append(Reason("I-1", _("{name} has no Internet Marketing campaign to cancel: {had} already "
                                        "cancelled").format(name=sub.name, had=had) if had else
                               _("{name} has no Internet Marketing campaign to cancel").format(name=sub.name)))
    elif not scope:
        refusals.append(Reason("I-1", _("the Internet Marketing service is cancelled by the billing admin of "
                                        "the organization or of a campaign; {user_id} ({roles}) is neither").format(
                                          user_id=c.caller.user_id, roles=roles_text(c.caller))))
    refusals += same_kind_refusals(c)

    def grant() -> Grant:
        roles = c.caller.roles
        return _grant(tuple([x.name for x in scope]), Role.BILLING_ADMIN in roles, Role.IMS_BILLING_ADMIN in roles,
                      sub.name, c.today, catalog())

    return make_decision(c, refusals, grant)


@lru_cache(maxsize=GRANTS_KEPT, typed=True)  # by the facts it names: the same for each such subscription
def _grant(campaigns: tuple[str, ...], billing_admin: bool, ims_billing_admin: bool, name: str, today: date,
           _catalog: object) -> Grant:
    names = and_list(campaigns)
    if billing_admin:
        who = Reason("V-2", _("the caller is the billing administrator of {name}").format(name=name))
    elif ims_billing_admin:
        who = Reason("I-1", _("the caller is the Internet Marketing billing admin"))
    else:
        who = Reason("I-1", _("the caller is the billing admin of the campaign {names}, so can cancel it "
                              "without being the organization's billing admin").format(names=names))
    self_service = Reason("I-2", _("the customer can do it themselves: {path}").format(path=_(I2_AD_CENTER)))
    notes = [
        Reason("I-2", _("cancelling {names} stops their search-engine ads and their billing from Microsoft "
                        "Ad Center").format(names=names)),
        Reason("R-2", _("a cancelled campaign cannot be reinstated; the customer must sign up again")),
        self_service,
        Reason("I-2", _("the {name} subscription itself stays as it is").format(name=name)),
    ]
    return Grant(
        reasons=(who,),
        checklist=(
            ChecklistItem("stop_campaign_activities", "I-2",
                          _("all current activities of {names} are deleted or paused, which stops the "
                            "search-engine ads and their billing").format(names=names)),
            ChecklistItem("no_reinstatement", "R-2",
                          _("once cancelled the campaigns cannot be reinstated; the customer would have to "
                            "sign up again")),
        ),
        consequences=make_consequences(notes, effective_date=today, self_service=self_service),
    )
