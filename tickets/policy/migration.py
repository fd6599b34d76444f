"""Migration to on-premises (M-1..M-4) [D365]."""

from __future__ import annotations

from functools import lru_cache

from tickets.enums import Platform
from tickets.i18n import _, catalog
from tickets.policy.context import Ctx, Grant, make_consequences, make_decision
from tickets.policy.results import ChecklistItem, Decision, Reason
from tickets.policy.rules import MIGRATION_ROUTES
from tickets.policy.shared import GRANTS_KEPT, c9_refusals, state_refusals, v2_grant, v2_refusals


def decide(c: Ctx) -> Decision:
    """M-1..M-4 [D365]: migrate first, route by platform, transfer at a future time."""
    sub = c.sub
    refusals = v2_refusals(c) + state_refusals(c)
    if sub.platform is None:
        refusals.append(Reason("M-2", _("determine the platform first (Online Services or Commerce "
                                        "Transaction): the Dynamics 365 tab of the Billing and subscription "
                                        "support page helps")))
    refusals += c9_refusals(c)

    def grant() -> Grant:
        assert sub.platform is not None
        return _grant(sub.platform, sub.name, v2_grant(c), catalog())

    return make_decision(c, refusals, grant)


@lru_cache(maxsize=GRANTS_KEPT, typed=True)  # by the facts it names: the same for each such subscription
def _grant(platform: Platform, name: str, v2: Reason, _catalog: object) -> Grant:
    queue = MIGRATION_ROUTES[platform]
    route = Reason("M-2", _("on the {title} platform: routed to {queue}").format(
                              title=platform.name.replace('_', ' ').title(), queue=_(queue)))
    notes = [
        Reason("M-1", _("the data is migrated first; the online subscription is cancelled after")),
        route,
        Reason("M-3", _("the data is transferred to a secure site at the requested time and the customer's "
                        "IT department is told it is ready to download")),
        Reason("M-4", _("the cancellation can only be filed once the migration is done")),
    ]
    return Grant(
        reasons=(v2, Reason("M-1", _("migration of a Dynamics 365 (online) subscription to on-premises"))),
        checklist=(
            ChecklistItem("migrate_first", "M-1",
                          _("the data of {name} is migrated first; the online subscription is cancelled "
                            "only after the migration is done (M-4)").format(name=name)),
            ChecklistItem("it_contact_confirmed", "M-3",
                          _("the IT contact who is told the data is ready to download, and the transfer "
                            "time, are confirmed with the caller")),
        ),
        consequences=make_consequences(notes, self_service=route, routing_queue=queue),
        required_fields=("transfer_at", "it_contact"),
    )
