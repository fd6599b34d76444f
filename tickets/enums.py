"""The vocabulary of the directory and of tickets, as string enums stored by value."""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

from tickets.i18n import N_, _


class Product(StrEnum):
    """The four products of the source articles (spec: "Rules are scoped by product")."""

    O365 = "o365"  # Office 365 operated by 21Vianet (seed 000)
    INTUNE = "intune"  # Microsoft Intune (seed 001)
    D365 = "d365"  # Dynamics 365 online (seed 002)
    CLOUD = "cloud"  # cloud-service renewal resources (seed 003)

    @property
    def label(self) -> str:
        return _(PRODUCT_LABELS[self])


PRODUCT_LABELS = {
    Product.O365: "Office 365",
    Product.INTUNE: "Intune",
    Product.D365: "Dynamics 365",
    Product.CLOUD: N_("Cloud service"),
}


class Channel(StrEnum):
    ONLINE = "online"
    PRODUCT_KEY = "product_key"
    OPEN = "open"
    FPP = "fpp"
    TRIAL = "trial"


class Platform(StrEnum):
    """M-2: where a Dynamics 365 migration is routed."""

    ONLINE_SERVICES = "online_services"
    COMMERCE_TRANSACTION = "commerce_transaction"


class SubscriptionState(StrEnum):
    ACTIVE = "active"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    DELETED = "deleted"


class CampaignState(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    CANCELLED = "cancelled"


class ResourceState(StrEnum):
    INACTIVE = "inactive"  # bought for a future effective time, not yet started
    UNSUBSCRIBED = "unsubscribed"


class Role(StrEnum):
    """V-2 and I-1: what a person of an organization is listed as."""

    ADMIN = "admin"
    BILLING_ADMIN = "billing_admin"
    IMS_BILLING_ADMIN = "ims_billing_admin"

    @property
    def label(self) -> str:
        """As the desk says it: "Internet Marketing billing admin", not "ims_billing_admin"."""
        return _(ROLE_LABELS[self])


ROLE_LABELS = {
    Role.ADMIN: N_("admin"),
    Role.BILLING_ADMIN: N_("billing admin"),
    Role.IMS_BILLING_ADMIN: N_("Internet Marketing billing admin"),
}


class AgentRole(StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"

    @property
    def label(self) -> str:
        return _(AGENT_ROLE_LABELS[self])


AGENT_ROLE_LABELS = {AgentRole.AGENT: N_("agent"), AgentRole.SUPERVISOR: N_("supervisor")}


class TicketKind(StrEnum):
    CANCEL_END_OF_TERM = "cancel_end_of_term"
    CANCEL_EARLY = "cancel_early"
    EXPEDITED_DEPROVISIONING = "expedited_deprovisioning"
    MIGRATION = "migration_on_premises"
    REVERSAL = "reversal"
    IMS_CANCELLATION = "ims_cancellation"
    UNSUBSCRIBE_RESOURCE = "unsubscribe_resource"

    @property
    def label(self) -> str:
        from tickets.kinds import KINDS  # the registry of kinds imports this module

        return _(KINDS[self].label)


class TicketStatus(StrEnum):
    """T-2: the ticket lifecycle."""

    OPEN = "open"
    PENDING_REVIEW = "pending_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return _(STATUS_LABELS[self])


STATUS_LABELS = {
    TicketStatus.OPEN: N_("open"),
    TicketStatus.PENDING_REVIEW: N_("pending review"),
    TicketStatus.APPROVED: N_("approved"),
    TicketStatus.REJECTED: N_("rejected"),
    TicketStatus.IN_PROGRESS: N_("in progress"),
    TicketStatus.RESOLVED: N_("resolved"),
    TicketStatus.WITHDRAWN: N_("withdrawn"),
}

# A ticket in one of these statuses still holds its subscription's cancellation slot (C-9).
ACTIVE_STATUSES = frozenset(
    {TicketStatus.OPEN, TicketStatus.PENDING_REVIEW, TicketStatus.APPROVED, TicketStatus.IN_PROGRESS}
)


_E = TypeVar("_E", bound=StrEnum)


def member(kind: type[_E], value: str) -> _E:
    """`kind(value)` for a stored value, found in the enum's own table of values first: calling
    the enum runs two Python frames a value, and a filing reads a dozen. Anything else
    (an unknown value) goes to `kind(value)` and is refused as before."""
    found = kind._value2member_map_.get(value)
    return found if found is not None else kind(value)  # type: ignore[return-value]
