"""Small builders of tickets.facts for the policy tests (imported by plain name: pytest puts
this directory on sys.path since it has no __init__.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

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
from tickets.facts import CallerFacts, CampaignFacts, ResourceFacts, SubscriptionFacts, TicketSummary

# The clock of every test; tests move it with days(...) rather than sleeping.
NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
TODAY = NOW.date()
TERM_END = datetime(2027, 1, 4, 0, 0, tzinfo=UTC)

NAMES = {
    Product.O365: "Office 365 E3",
    Product.INTUNE: "Intune",
    Product.D365: "Dynamics 365 Sales",
    Product.CLOUD: "Cloud Compute",
}


def days(n: float, base: datetime = NOW) -> datetime:
    return base + timedelta(days=n)


def make_sub(product: Product = Product.O365, **overrides) -> SubscriptionFacts:
    base = SubscriptionFacts(
        id=1,
        ref="SUB-0001",
        name=NAMES[product],
        product=product,
        channel=Channel.ONLINE,
        platform=Platform.ONLINE_SERVICES if product is Product.D365 else None,
        state=SubscriptionState.ACTIVE,
        purchased_at=datetime(2025, 1, 4, 9, 0, tzinfo=UTC),
        term_start=datetime(2026, 1, 4, 0, 0, tzinfo=UTC),
        term_end=TERM_END,
        auto_renew=True,
        licenses_assigned=40,
    )
    return replace(base, **overrides)


def cancelled(sub: SubscriptionFacts, at: datetime, **overrides) -> SubscriptionFacts:
    return replace(sub, state=SubscriptionState.CANCELLED, cancelled_at=at, **overrides)


def make_caller(*roles: Role, user_id: str = "ada@contoso.cn") -> CallerFacts:
    if not roles:
        roles = (Role.ADMIN, Role.BILLING_ADMIN)
    return CallerFacts(user_id=user_id, roles=frozenset(roles), is_primary_contact=True)


def make_ticket(kind: TicketKind, status: TicketStatus = TicketStatus.OPEN,
                ref: str = "TK-000123") -> TicketSummary:
    return TicketSummary(ref=ref, kind=kind, status=status, created_at=days(-1))


def make_campaign(name: str = "Spring Sale", state: CampaignState = CampaignState.RUNNING,
                  admin: str = "ada@contoso.cn", ref: str | None = None) -> CampaignFacts:
    return CampaignFacts(ref=ref or f"CMP-{name[:4].upper()}", name=name,
                         billing_admin_user_id=admin, state=state)


def make_res(i: int = 1, **overrides) -> ResourceFacts:
    base = ResourceFacts(
        id=i,
        ref=f"RES-{i:04d}",
        subscription_ref="SUB-CLOUD",
        description=f"Renewal of ECS instance {i}",
        effective_at=days(30),
        state=ResourceState.INACTIVE,
        transaction_in_progress=False,
        special_unsubscription_pending=False,
        in_promotion=False,
        invoice_issued=False,
    )
    return replace(base, **overrides)


def rules(decision) -> list[str]:
    return [r.rule for r in decision.reasons]


def texts(decision) -> str:
    return "\n".join(str(r) for r in decision.reasons)


def note_texts(decision) -> str:
    return "\n".join(str(r) for r in decision.consequences.notes)


def d(s: str) -> date:
    return date.fromisoformat(s)
