"""Plain, frozen facts the policy decides from.

The store builds these from database rows; the policy (tickets.policy) reads only these, so
every rule can be tested without a database and checked against its article line by line.
All datetimes are aware UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from tickets.enums import (
    CampaignState,
    Channel,
    Platform,
    Product,
    ResourceState,
    Role,
    SubscriptionState,
    TicketKind,
    TicketStatus,
)


@dataclass(frozen=True)
class CampaignFacts:
    """An Internet Marketing service (IMS) campaign of a Dynamics 365 subscription."""

    ref: str
    name: str
    billing_admin_user_id: str  # normalised user ID of the campaign's billing admin (I-1)
    state: CampaignState


@dataclass(frozen=True)
class TicketSummary:
    """A ticket already filed for the subscription, as the policy needs to see it."""

    ref: str
    kind: TicketKind
    status: TicketStatus
    created_at: datetime
    resolved_at: datetime | None = None


@dataclass(frozen=True)
class SubscriptionFacts:
    id: int
    ref: str
    name: str  # plan name as it shows, e.g. "Office 365 E3"
    product: Product
    channel: Channel
    platform: Platform | None  # D365 only (M-2)
    state: SubscriptionState
    purchased_at: datetime
    term_start: datetime
    term_end: datetime
    auto_renew: bool
    licenses_assigned: int
    custom_domains: tuple[str, ...] = ()
    campaigns: tuple[CampaignFacts, ...] = ()
    # Set when the subscription is cancelled (state CANCELLED): when the cancellation took effect.
    cancelled_at: datetime | None = None
    # The desk's time zone (IANA name) the cancellation's days were counted and told in, as its
    # ticket's filing recorded it; None when unknown (imported): the desk's zone is used then.
    cancelled_zone: str | None = None
    # Set when the subscription was deprovisioned with X (data deleted or being deleted, X-3).
    expedited_at: datetime | None = None
    data_deleted_at: datetime | None = None
    # Tickets already filed against this subscription (any status), newest first.
    tickets: tuple[TicketSummary, ...] = ()


@dataclass(frozen=True)
class ResourceFacts:
    """A cloud renewal resource bought for a future effective time (seed 003)."""

    id: int
    ref: str
    subscription_ref: str
    description: str
    effective_at: datetime
    state: ResourceState
    transaction_in_progress: bool
    special_unsubscription_pending: bool
    in_promotion: bool
    invoice_issued: bool
    cash_coupons_used: int = 0  # in minor units (cents); returned on unsubscription (U-3)
    discount_coupons_used: int = 0  # in minor units; not returned (U-3)
    tickets: tuple[TicketSummary, ...] = ()


@dataclass(frozen=True)
class CallerFacts:
    """Who is on the phone, as a passed verification established (V-2, V-7)."""

    user_id: str  # normalised
    roles: frozenset[Role] = field(default_factory=frozenset)
    is_primary_contact: bool = False
