"""Migration to on-premises (M-1..M-4) [D365]."""

from __future__ import annotations

from tickets.policy.context import Ctx, Grant, make_consequences, make_decision
from tickets.policy.results import ChecklistItem, Decision, Reason
from tickets.policy.rules import MIGRATION_ROUTES
from tickets.policy.shared import c9_refusals, state_refusals, v2_grant, v2_refusals


def decide(c: Ctx) -> Decision:
    """M-1..M-4 [D365]: migrate first, route by platform, transfer at a future time."""
    sub = c.sub
    refusals = v2_refusals(c) + state_refusals(c)
    if sub.platform is None:
        refusals.append(Reason("M-2", "determine the platform first (Online Services or Commerce "
                                      "Transaction): the Dynamics 365 tab of the Billing and "
                                      "subscription support page helps"))
    refusals += c9_refusals(c)

    def grant() -> Grant:
        assert sub.platform is not None
        queue = MIGRATION_ROUTES[sub.platform]
        route = Reason("M-2", f"on the {sub.platform.name.replace('_', ' ').title()} platform: "
                              f"routed to {queue}")
        notes = [
            Reason("M-1", "the data is migrated first; the online subscription is cancelled after"),
            route,
            Reason("M-3", "the data is transferred to a secure site at the requested time and the "
                          "customer's IT department is told it is ready to download"),
            Reason("M-4", "the cancellation can only be filed once the migration is done"),
        ]
        return Grant(
            reasons=[v2_grant(c), Reason("M-1", "migration of a Dynamics 365 (online) subscription "
                                                "to on-premises")],
            checklist=[
                ChecklistItem("migrate_first", "M-1",
                              f"the data of {sub.name} is migrated first; the online subscription "
                              "is cancelled only after the migration is done (M-4)"),
                ChecklistItem("it_contact_confirmed", "M-3",
                              "the IT contact who is told the data is ready to download, and the "
                              "transfer time, are confirmed with the caller"),
            ],
            consequences=make_consequences(notes, self_service=route, routing_queue=queue),
            required_fields=("transfer_at", "it_contact"),
        )

    return make_decision(c, refusals, grant)
