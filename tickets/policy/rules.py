"""The rules as data: each rule's ID, scope, source and summary, where each ticket kind is
offered, and the numbers and paths the articles give (each rule explained in docs/rules.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tickets.enums import Channel, Platform, Product, TicketKind
from tickets.i18n import N_
from tickets.kinds import KINDS

O365, INTUNE, D365, CLOUD = Product.O365, Product.INTUNE, Product.D365, Product.CLOUD


@dataclass(frozen=True)
class Rule:
    id: str
    scope: str  # "O365", "Intune", "D365", "Cloud", "all", "desk" (as the spec marks it)
    source: str  # seed file(s) the rule comes from, or "desk"
    summary: str


_SEED = {
    O365: "000 (Office 365 operated by 21Vianet)",
    INTUNE: "001 (Intune)",
    D365: "002 (Dynamics 365 online)",
    CLOUD: "003 (Cloud inactive resources)",
}

RULES: Mapping[str, Rule] = {
    r.id: r
    for r in (
        Rule("V-1", "all", "001, 002",
             "verify the caller; [D365] record the day the customer wants it terminated"),
        Rule("V-2", "all", "001, 002",
             "caller listed as admin; [D365] billing actions need the billing administrator"),
        Rule("V-6", "desk", "desk", "passwords are never asked for, typed or stored"),
        Rule("V-8", "desk", "desk",
             "X, R and early cancellation with refund need a callback to the number on file"),
        Rule("C-1", "Intune", _SEED[INTUNE],
             "end of term: turn auto-renew off; expires at term end, billing stops"),
        Rule("C-2", "Intune", _SEED[INTUNE],
             "Open and FPP expire at term end: no end-of-term cancellation needed"),
        Rule("C-3", "Intune", _SEED[INTUNE],
             "trials cannot be cancelled; they expire and their data is deleted"),
        Rule("C-4", "O365, Intune", "000, 001",
             "before end of term: early termination fees may apply (O365: or a refund owed)"),
        Rule("C-5", "Intune", _SEED[INTUNE],
             "product-key subscriptions: cancelled through support, not refunded by us"),
        Rule("C-6", "O365", _SEED[O365],
             "self-service with fewer than 25 licenses or within 30 days of purchase"),
        Rule("C-7", "O365, Intune, D365", "000, 001, 002",
             "before cancelling: domains, DNS, data; [D365] keep data, IMS campaigns"),
        Rule("C-8", "O365, Intune", "000, 001",
             "data deleted 90 days after cancellation; [O365] Cancelled state"),
        Rule("C-9", "desk", "desk",
             "at most one open cancellation-type ticket (C, X, M) per subscription"),
        Rule("X-1", "Intune", _SEED[INTUNE],
             "expedited deprovisioning: data deleted within 3 days, through support"),
        Rule("X-2", "desk", "desk",
             "explicit acknowledgement and four-eyes approval; 3 days count from approval"),
        Rule("X-3", "all", "desk", "nothing can be reversed once data is deleted"),
        Rule("M-1", "D365", _SEED[D365], "migrate the data first, then cancel"),
        Rule("M-2", "D365", _SEED[D365],
             "Online Services -> technical support; Commerce Transaction -> billing support"),
        Rule("M-3", "D365", _SEED[D365],
             "data transferred at the requested time; the IT department is told"),
        Rule("M-4", "D365", _SEED[D365],
             "the cancellation after a migration is filed once the migration is done"),
        Rule("R-1", "D365", _SEED[D365],
             "a cancellation can be reversed within 30 days, same identity information"),
        Rule("R-2", "D365", _SEED[D365],
             "a cancelled IMS campaign cannot be reinstated; sign up again"),
        Rule("R-3", "all", "desk",
             "nothing to reverse after expedited deprovisioning or data deletion"),
        Rule("I-1", "D365", _SEED[D365],
             "a campaign's billing admin can cancel IMS without being the org's"),
        Rule("I-2", "D365", _SEED[D365],
             "deleting/pausing all activities stops the ads and their billing"),
        Rule("U-1", "Cloud", _SEED[CLOUD],
             "inactive resource unsubscribable only when none of the blocks hold"),
        Rule("U-2", "Cloud", _SEED[CLOUD], "single or batch; a reason and a confirmation"),
        Rule("U-3", "Cloud", _SEED[CLOUD],
             "no handling fee; cash coupons returned; discount coupons not"),
        Rule("U-4", "Cloud", _SEED[CLOUD], "self-service path in the console"),
        Rule("T-1", "desk", "desk", "every ticket shows its computed dates"),
    )
}

# Where each ticket kind is offered and the rule that says so (elsewhere: refused with it), and
# how the kinds read inside a sentence: from the registry of kinds (tickets.kinds).
KIND_PRODUCTS: Mapping[TicketKind, tuple[frozenset[Product], str]] = {
    kind: (spec.products, spec.offered_by) for kind, spec in KINDS.items()
}
KIND_PHRASES: Mapping[TicketKind, str] = {kind: spec.phrase for kind, spec in KINDS.items()}

CHANNEL_WORDS: Mapping[Channel, str] = {
    Channel.ONLINE: N_("online"),
    Channel.PRODUCT_KEY: N_("product-key"),
    Channel.OPEN: "Open",
    Channel.FPP: "FPP",
    Channel.TRIAL: N_("trial"),
}

DATA_RETENTION_DAYS = 90  # C-8
REVERSAL_DAYS = 30
SELF_SERVICE_MAX_LICENSES = 24  # C-6: "fewer than 25 licenses assigned"
SELF_SERVICE_WINDOW_DAYS = 30  # C-6: "within the first 30 days after purchase"

ROUTE_CANCELLATIONS = N_("cancellations desk")
ROUTE_TECHNICAL = N_("technical support")  # M-2
ROUTE_BILLING = N_("billing support")  # M-2
MIGRATION_ROUTES: Mapping[Platform, str] = {
    Platform.ONLINE_SERVICES: ROUTE_TECHNICAL,
    Platform.COMMERCE_TRANSACTION: ROUTE_BILLING,
}

C1_PATH = N_("Subscriptions > Manage > {name} > Turn auto-renew off")
C6_PATH = N_(
    "admin center > Billing > Subscriptions > {name} > Cancel subscription, "
    "then review the dates and give feedback"
)
U4_PATH = N_(
    "Unsubscriptions and Returns/Exchanges > Cloud Service Unsubscriptions > "
    "Unsubscribe from Inactive Resources > Unsubscription Allowed"
)
I2_AD_CENTER = N_(
    "delete or pause all current campaign activities, then sign in to Microsoft Ad Center "
    "with its own credentials to cancel the account"
)
