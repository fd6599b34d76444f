"""The ticket kinds, each described once: a new kind is its entry here, its policy module
(tickets/policy/<policy_module>.py with ``decide(c)``) and its tests.

An entry says how the kind is named (label, phrase inside a sentence, the value the export
writes), where an article offers it and by which rule (elsewhere it is refused with that rule),
the form fields the agent fills in (which of them are required is the policy's Decision
.required_fields), whether a refund may be requested, whether it holds the subscription's one
cancellation slot (C-9), and what resolving it does to the directory (tickets.lifecycle).
A kind that holds the C-9 slot also needs a migration: the partial unique index lists them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from tickets.enums import Product, TicketKind
from tickets.i18n import N_

__all__ = [
    "CANCELLATION_KINDS",
    "FORM_FIELDS",
    "KINDS",
    "FieldType",
    "FormField",
    "KindSpec",
    "Resolution",
    "kind_spec",
]


class FieldType(StrEnum):
    DATE = "date"  # YYYY-MM-DD (tickets.dates.read_date)
    DATETIME = "datetime"  # typed in the desk's zone unless it says otherwise; stored UTC (tickets.filing.typed_times)
    EMAIL = "email"


@dataclass(frozen=True)
class FormField:
    name: str  # the key in Decision.required_fields and in the filed ticket
    label: str
    type: FieldType
    rule: str


# The kinds' own form fields (every form also has the caller's reason and a note).
FORM_FIELDS: Mapping[str, FormField] = {
    f.name: f
    for f in (
        FormField("requested_date", N_("Requested date"), FieldType.DATE, "V-1"),
        FormField("transfer_at", N_("Transfer time"), FieldType.DATETIME, "M-3"),
        FormField("it_contact", N_("IT contact e-mail"), FieldType.EMAIL, "M-3"),
    )
}


class Resolution(StrEnum):
    """What the finished work does to the directory when the ticket is resolved."""

    AUTO_RENEW_OFF = "auto_renew_off"  # C-1: it expires at term end
    CANCEL = "cancel"  # C-4, V-1: cancelled on the effective date
    DEPROVISION = "deprovision"  # cancelled and its data deleted now
    NOTHING = "nothing"  # M-1: the migration changes no subscription state
    REINSTATE = "reinstate"  # active again
    CANCEL_CAMPAIGNS = "cancel_campaigns"  # I-2, R-2
    UNSUBSCRIBE_RESOURCE = "unsubscribe_resource"  # U-1


@dataclass(frozen=True)
class KindSpec:
    kind: TicketKind
    label: str  # N_("Early cancellation"): headings, lists, filters
    phrase: str  # N_("early cancellation"): inside a sentence
    products: frozenset[Product]  # where an article offers it
    offered_by: str  # the rule that offers it (and refuses it elsewhere)
    policy_module: str  # tickets.policy.<policy_module>
    resolution: Resolution
    form_fields: tuple[str, ...] = ()  # keys of FORM_FIELDS, in form order
    refund_request: bool = False  # C-4: the caller may ask for a refund
    holds_cancellation_slot: bool = False  # C-9: at most one open per subscription
    per_resource: bool = False  # U-2: decided per renewal resource, not per subscription

    @property
    def export_name(self) -> str:
        """The value of the export's `kind` field (export format version 1)."""
        return self.kind.value


O365, INTUNE, D365, CLOUD = Product.O365, Product.INTUNE, Product.D365, Product.CLOUD

KINDS: Mapping[TicketKind, KindSpec] = {
    spec.kind: spec
    for spec in (
        KindSpec(TicketKind.CANCEL_END_OF_TERM, N_("End-of-term cancellation"), N_("end-of-term cancellation"),
                 frozenset({INTUNE}), "C-1", "end_of_term", Resolution.AUTO_RENEW_OFF,
                 holds_cancellation_slot=True),
        # D365: the article's cancellation "on the day you want it terminated" (V-1, C-7).
        KindSpec(TicketKind.CANCEL_EARLY, N_("Early cancellation"), N_("early cancellation"),
                 frozenset({O365, INTUNE, D365}), "C-4", "cancel_early", Resolution.CANCEL,
                 form_fields=("requested_date",), refund_request=True, holds_cancellation_slot=True),
        KindSpec(TicketKind.EXPEDITED_DEPROVISIONING, N_("Expedited deprovisioning"), N_("expedited deprovisioning"),
                 frozenset({INTUNE}), "X-1", "expedited", Resolution.DEPROVISION, holds_cancellation_slot=True),
        KindSpec(TicketKind.MIGRATION, N_("Migration to on-premises"), N_("migration to on-premises"),
                 frozenset({D365}), "M-1", "migration", Resolution.NOTHING,
                 form_fields=("transfer_at", "it_contact"), holds_cancellation_slot=True),
        KindSpec(TicketKind.REVERSAL, N_("30-day reversal"), N_("30-day reversal"),
                 frozenset({D365}), "R-1", "reversal", Resolution.REINSTATE),
        KindSpec(TicketKind.IMS_CANCELLATION, N_("Internet Marketing cancellation"), N_("Internet Marketing cancellation"),
                 frozenset({D365}), "I-1", "ims", Resolution.CANCEL_CAMPAIGNS),
        KindSpec(TicketKind.UNSUBSCRIBE_RESOURCE, N_("Unsubscribe renewal resource"),
                 N_("unsubscription of a renewal resource"), frozenset({CLOUD}), "U-1", "resources",
                 Resolution.UNSUBSCRIBE_RESOURCE, per_resource=True),
    )
}

# C-9: the kinds of which a subscription may have at most one open ticket.
CANCELLATION_KINDS = frozenset(k for k, spec in KINDS.items() if spec.holds_cancellation_slot)


def kind_spec(kind: TicketKind | str) -> KindSpec:
    return KINDS[TicketKind(kind)]
