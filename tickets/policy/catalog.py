"""Where each rule of the spec lives: every rule ID and the one function that implements it.

A reader holding a rule ID (docs/rules.md explains each) finds its code here; a maintainer changing
a rule changes that function (and whatever it calls). Entries are ``module:function`` strings,
resolved only on demand, so this module imports nothing: the policy stays pure and the catalog
can name functions of the store (tickets.lifecycle, tickets.audit.chain ...) and of identity.
tests/unit/policy/test_rule_catalog.py checks that every ID of the spec is here and that each
entry is on the live path: a scenario calls the desk's public API (decide, verification,
filing, lifecycle, export), the entry's function runs during it, and the rule's ID is in the
reason the API gives (or, where the API words no reason, its effect is seen).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["DATABASE_CATALOG", "RULE_CATALOG", "implementation"]

RULE_CATALOG: Mapping[str, str] = {
    # Verification (V)
    "V-1": "identity.verification:verify_keys",
    "V-2": "tickets.policy.shared:v2_refusals",
    "V-3": "identity.normalize:normalize_text",
    "V-4": "identity.keys:claim_keys",
    "V-5": "identity.lockout:lockout_state",
    "V-6": "identity.credentials:find_credential",
    "V-7": "tickets.verification:verified_call",
    "V-8": "tickets.policy.context:review_flags",
    # Cancellation (C)
    "C-1": "tickets.policy.end_of_term:decide",
    "C-2": "tickets.policy.end_of_term:decide",
    "C-3": "tickets.policy.shared:c3_refusal",
    "C-4": "tickets.policy.shared:c4_refund",
    "C-5": "tickets.policy.shared:refund_request_refusals",
    "C-6": "tickets.policy.shared:c6_self_service",
    "C-7": "tickets.policy.shared:c7_checklist",
    "C-8": "tickets.policy.shared:c8_notes",
    "C-9": "tickets.policy.shared:c9_refusals",
    # Expedited deprovisioning (X)
    "X-1": "tickets.policy.expedited:decide",
    "X-2": "tickets.lifecycle:transition_problems",
    "X-3": "tickets.policy.shared:state_refusals",
    # Migration (M)
    "M-1": "tickets.policy.migration:decide",
    "M-2": "tickets.policy.migration:decide",
    "M-3": "tickets.policy.filing_checks:migration_field_problems",
    "M-4": "tickets.policy.cancel_early:m4_refusals",
    # Reversal (R)
    "R-1": "tickets.policy.reversal:decide",
    "R-2": "tickets.policy.reversal:decide",
    "R-3": "tickets.policy.reversal:decide",
    # Internet Marketing service (I)
    "I-1": "tickets.policy.ims:decide",
    "I-2": "tickets.policy.ims:decide",
    # Inactive resources (U)
    "U-1": "tickets.policy.resources:decide_resource",
    "U-2": "tickets.policy.resources:decide_batch",
    "U-3": "tickets.policy.resources:decide_resource",
    "U-4": "tickets.policy.resources:decide_resource",
    # Tickets, review, audit, export (T, A, E)
    "T-1": "tickets.policy.context:make_consequences",
    "T-2": "tickets.lifecycle:transition",
    "T-3": "tickets.filing:file_ticket",
    "A-1": "tickets.audit.chain:append_event",
    "E-1": "tickets.export.run:write_export",
    "E-2": "tickets.export.records:neutralise_cell",
    "E-3": "tickets.export.records:iter_records",
}


# On PostgreSQL the application role writes only through the owner's functions (migration
# 0011, tickets.store.pgsql): these rules are applied there by the database's own function, in
# place of the Python one above (which SQLite's desk runs).
DATABASE_CATALOG: Mapping[str, str] = {
    "A-1": "deskapp_append",  # the chain link of every event
    "V-5": "deskapp_api_record_verification",  # failed verifications counted, the organization locked
    "X-2": "deskapp_api_transition",  # another supervisor than the filer decides
}


def implementation(rule_id: str) -> Callable[..., Any]:
    """The function implementing ``rule_id`` (KeyError for an ID that is not in the spec)."""
    module, _, name = RULE_CATALOG[rule_id].partition(":")
    found: Callable[..., Any] = getattr(importlib.import_module(module), name)
    return found
