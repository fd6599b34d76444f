"""The ticket kinds, each described once: a new kind is its entry here, its policy module
(tickets/policy/<policy_module>.py with ``decide(c)``) and its tests.

An entry says how the kind is named (label, phrase inside a sentence, the value the export
writes), where an article offers it and by which rule (elsewhere it is refused with that rule),
the form fields the agent fills in (which of them are required is the policy's Decision
.required_fields), whether a refund may be requested, whether it holds the subscription's one
cancellation slot (C-9), what resolving it does to the directory (tickets.lifecycle), when it
needs a supervisor's review and a callback (X-2, V-8), whether approving it starts the deletion
of the subscription's data and after how many days (X-1, X-2), whether it is a billing action
(V-2: on Dynamics 365 only the billing administrator may ask), and the console's key for it
with its words. A kind that holds the C-9 slot also needs a migration: the partial unique index
lists them. tests/unit/test_kinds_registry.py checks every kind is complete.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from enum import StrEnum
from functools import lru_cache

from tickets.desk_time import last_day
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
    "Review",
    "ConsoleKey",
    "kind_spec",
    "review_flags",
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


class Review(StrEnum):
    """When a ticket of the kind needs a supervisor's review (X-2) or a callback (V-8)."""

    NEVER = "never"
    ALWAYS = "always"  # money or irreversible whatever is asked
    WITH_REFUND = "with_refund"  # only when the caller asks for a refund (C-4)

    def applies(self, refund_requested: bool) -> bool:
        return self is Review.ALWAYS or (self is Review.WITH_REFUND and refund_requested)


@dataclass(frozen=True)
class ConsoleKey:
    """The account screen's key that files the kind, its footer words and the desk's words
    in the command palette. No kind's key means anything else on the account screen."""

    key: str
    words: str
    desk_words: str


@dataclass(frozen=True)
class KindSpec:
    kind: TicketKind
    label: str  # "Early cancellation": headings, lists, filters
    phrase: str  # "early cancellation": inside a sentence
    products: frozenset[Product]  # where an article offers it
    offered_by: str  # the rule that offers it (and refuses it elsewhere)
    policy_module: str  # tickets.policy.<policy_module>
    resolution: Resolution
    form_fields: tuple[str, ...] = ()  # keys of FORM_FIELDS, in form order
    refund_request: bool = False  # C-4: the caller may ask for a refund
    holds_cancellation_slot: bool = False  # C-9: at most one open per subscription
    per_resource: bool = False  # U-2: decided per renewal resource, not per subscription
    review: Review = Review.NEVER  # a supervisor decides before the work starts
    callback: Review = Review.NEVER  # V-8: a callback to the number on file first
    deletion_days_after_approval: int | None = None  # approval starts the data's deletion
    billing_action: bool = False  # V-2 [D365]: only the billing administrator may ask
    console_key: ConsoleKey | None = None

    def deletion_date(self, approved_at: datetime, zone: tzinfo = UTC) -> date | None:
        """X-1, X-2: the day the subscription's data is deleted when approved at `approved_at`
        (counted from the local day of approval at the desk, `zone`), or None when approving
        starts no deletion."""
        if self.deletion_days_after_approval is None:
            return None
        return last_day(approved_at, self.deletion_days_after_approval, zone)

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
                 holds_cancellation_slot=True,
                 console_key=ConsoleKey("e", N_("End of term"), N_("File an end-of-term cancellation"))),
        # D365: the article's cancellation "on the day you want it terminated" (V-1, C-7).
        KindSpec(TicketKind.CANCEL_EARLY, N_("Early cancellation"), N_("early cancellation"),
                 frozenset({O365, INTUNE, D365}), "C-4", "cancel_early", Resolution.CANCEL,
                 form_fields=("requested_date",), refund_request=True, holds_cancellation_slot=True,
                 review=Review.WITH_REFUND, callback=Review.WITH_REFUND, billing_action=True,
                 console_key=ConsoleKey("c", N_("Early"), N_("File an early cancellation"))),
        KindSpec(TicketKind.EXPEDITED_DEPROVISIONING, N_("Expedited deprovisioning"), N_("expedited deprovisioning"),
                 frozenset({INTUNE}), "X-1", "expedited", Resolution.DEPROVISION, holds_cancellation_slot=True,
                 review=Review.ALWAYS, callback=Review.ALWAYS, deletion_days_after_approval=3,
                 console_key=ConsoleKey("p", N_("Expedite"), N_("File an expedited deprovisioning"))),
        KindSpec(TicketKind.MIGRATION, N_("Migration to on-premises"), N_("migration to on-premises"),
                 frozenset({D365}), "M-1", "migration", Resolution.NOTHING,
                 form_fields=("transfer_at", "it_contact"), holds_cancellation_slot=True,
                 console_key=ConsoleKey("m", N_("Migrate"), N_("File a migration to on-premises"))),
        KindSpec(TicketKind.REVERSAL, N_("30-day reversal"), N_("30-day reversal"),
                 frozenset({D365}), "R-1", "reversal", Resolution.REINSTATE,
                 review=Review.ALWAYS, callback=Review.ALWAYS, billing_action=True,
                 console_key=ConsoleKey("v", N_("Reverse"), N_("File a 30-day reversal"))),
        KindSpec(TicketKind.IMS_CANCELLATION, N_("Internet Marketing cancellation"), N_("Internet Marketing "
                                                 "cancellation"),
                 frozenset({D365}), "I-1", "ims", Resolution.CANCEL_CAMPAIGNS,
                 console_key=ConsoleKey("i", N_("IMS"), N_("File an Internet Marketing cancellation"))),
        KindSpec(TicketKind.UNSUBSCRIBE_RESOURCE, N_("Unsubscribe renewal resource"),
                 N_("unsubscription of a renewal resource"), frozenset({CLOUD}), "U-1", "resources",
                 Resolution.UNSUBSCRIBE_RESOURCE, per_resource=True,
                 console_key=ConsoleKey("u", N_("Unsubscribe"), N_("File an unsubscription of renewal resources"))),
    )
}

# C-9: the kinds of which a subscription may have at most one open ticket.
CANCELLATION_KINDS = frozenset(k for k, spec in KINDS.items() if spec.holds_cancellation_slot)


def kind_spec(kind: TicketKind | str) -> KindSpec:
    # A member (or its value: a StrEnum hashes as its value) found at once; anything else is
    # refused by TicketKind() as before.
    spec = KINDS.get(kind)  # type: ignore[arg-type]
    return spec if spec is not None else KINDS[TicketKind(kind)]


def review_flags(kind: TicketKind | str, refund_requested: bool) -> tuple[bool, bool]:
    """(needs_review, needs_callback), X-2 and V-8, as the kind's entry says: the policy decides
    with it and `audit verify` re-derives them from a filing's event, never from the row."""
    return _review_flags(kind, refund_requested)


@lru_cache(maxsize=64, typed=True)  # of the registry alone: a few answers, asked at every decision and replay
def _review_flags(kind: TicketKind | str, refund_requested: bool) -> tuple[bool, bool]:
    spec = kind_spec(kind)
    return spec.review.applies(refund_requested), spec.callback.applies(refund_requested)
