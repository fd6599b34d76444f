"""What a verified caller's account looks like to the agent: the organization, the caller,
each subscription and renewal resource with every ticket kind allowed or refused (policy).

Only reachable with a passed, live verification (V-4, V-7): `account_view` checks it in the
database, so no code path hands stored details to the console before a pass.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from tickets import policy
from tickets.agents import AgentInfo
from tickets.enums import (
    ACTIVE_STATUSES,
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
from tickets.models import ImsCampaign, Organization, Person, RenewalResource, Subscription, Ticket
from tickets.store import Store
from tickets.verification import VerifiedCall, load_verified_call


def ticket_ref(ticket_id: int) -> str:
    return f"TK-{ticket_id:06d}"


def parse_ticket_ref(ref: str) -> int | None:
    text = ref.strip().upper().removeprefix("TK-")
    return int(text) if text.isdigit() else None


@dataclass(frozen=True)
class OrganizationView:
    id: int
    ref: str
    name: str
    url: str | None
    country: str
    address_lines: tuple[str, ...]


@dataclass(frozen=True)
class CallerView:
    person_id: int
    name: str
    user_id: str
    roles: tuple[str, ...]
    is_primary_contact: bool
    phone_on_file: str  # V-8: the number to call back, shown only after a pass


@dataclass(frozen=True)
class SubscriptionView:
    facts: SubscriptionFacts
    decisions: tuple[policy.Decision, ...]
    resources: tuple[tuple[ResourceFacts, policy.Decision], ...]


@dataclass(frozen=True)
class AccountView:
    call: VerifiedCall
    organization: OrganizationView
    caller: CallerView
    caller_facts: CallerFacts
    subscriptions: tuple[SubscriptionView, ...]
    decided_at: datetime

    def subscription(self, ref: str) -> SubscriptionView:
        for view in self.subscriptions:
            if view.facts.ref == ref:
                return view
        raise KeyError(ref)


# What a TicketSummary needs: rules read these, never the ticket's JSON documents.
_SUMMARY_COLUMNS = (Ticket.id, Ticket.kind, Ticket.status, Ticket.created_at, Ticket.resolved_at)


def _summary(t) -> TicketSummary:
    return TicketSummary(ticket_ref(t.id), TicketKind(t.kind), TicketStatus(t.status), t.created_at, t.resolved_at)


def subscription_facts(session: Session, subs: list[Subscription]) -> dict[int, SubscriptionFacts]:
    """Facts for these subscriptions, with their campaigns and their active tickets."""
    ids = [s.id for s in subs]
    campaigns: dict[int, list[CampaignFacts]] = defaultdict(list)
    d365 = [s.id for s in subs if s.product == Product.D365.value]  # only D365 has IMS campaigns
    if d365:
        for c in session.exec(
            select(ImsCampaign).where(col(ImsCampaign.subscription_id).in_(d365)).order_by(ImsCampaign.ref)
        ):
            campaigns[c.subscription_id].append(
                CampaignFacts(c.ref, c.name, c.billing_admin_user_id, CampaignState(c.state))
            )
    tickets: dict[int, list[TicketSummary]] = defaultdict(list)
    # Only tickets still under way matter to the rules (C-9, M-4); history stays out of the way.
    active = [s.value for s in ACTIVE_STATUSES]
    for t in session.exec(
        select(*_SUMMARY_COLUMNS, Ticket.subscription_id)
        .where(col(Ticket.subscription_id).in_(ids), col(Ticket.status).in_(active))
        .order_by(col(Ticket.created_at).desc())
    ):
        tickets[t.subscription_id].append(_summary(t))
    return {
        s.id: SubscriptionFacts(
            id=s.id,
            ref=s.ref,
            name=s.name,
            product=Product(s.product),
            channel=Channel(s.channel),
            platform=Platform(s.platform) if s.platform else None,
            state=SubscriptionState(s.state),
            purchased_at=s.purchased_at,
            term_start=s.term_start,
            term_end=s.term_end,
            auto_renew=s.auto_renew,
            licenses_assigned=s.licenses_assigned,
            custom_domains=tuple(s.custom_domains),
            campaigns=tuple(campaigns[s.id]),
            cancelled_at=s.cancelled_at,
            expedited_at=s.expedited_at,
            data_deleted_at=s.data_deleted_at,
            tickets=tuple(tickets[s.id]),
        )
        for s in subs
    }


def resource_facts(session: Session, subs: dict[int, Subscription]) -> dict[int, list[ResourceFacts]]:
    resources = session.exec(
        select(RenewalResource).where(col(RenewalResource.subscription_id).in_(list(subs))).order_by(RenewalResource.ref)
    ).all()
    active = [s.value for s in ACTIVE_STATUSES]
    open_by_resource: dict[int, list[TicketSummary]] = defaultdict(list)
    if resources:
        for t in session.exec(
            select(*_SUMMARY_COLUMNS, Ticket.resource_id).where(
                col(Ticket.resource_id).in_([r.id for r in resources]), col(Ticket.status).in_(active)
            )
        ):
            open_by_resource[t.resource_id].append(_summary(t))
    result: dict[int, list[ResourceFacts]] = defaultdict(list)
    for r in resources:
        result[r.subscription_id].append(
            ResourceFacts(
                id=r.id,
                ref=r.ref,
                subscription_ref=subs[r.subscription_id].ref,
                description=r.description,
                effective_at=r.effective_at,
                state=ResourceState(r.state),
                transaction_in_progress=r.transaction_in_progress,
                special_unsubscription_pending=r.special_unsubscription_pending,
                in_promotion=r.in_promotion,
                invoice_issued=r.invoice_issued,
                cash_coupons_used=r.cash_coupons_used,
                discount_coupons_used=r.discount_coupons_used,
                tickets=tuple(open_by_resource[r.id]),
            )
        )
    return result


def caller_facts(person: Person, roles: frozenset[str]) -> CallerFacts:
    return CallerFacts(
        user_id=person.user_id,
        roles=frozenset(Role(r) for r in roles if r in {x.value for x in Role}),
        is_primary_contact=person.is_primary_contact,
    )


def load_account(session: Session, call: VerifiedCall, now: datetime) -> AccountView:
    org = session.get(Organization, call.organization_id)
    person = session.get(Person, call.person_id)
    subs = session.exec(
        select(Subscription).where(Subscription.organization_id == org.id).order_by(Subscription.ref)
    ).all()
    facts = subscription_facts(session, list(subs))
    resources = resource_facts(session, {s.id: s for s in subs})
    caller = caller_facts(person, call.roles)
    views = []
    for s in subs:
        f = facts[s.id]
        views.append(
            SubscriptionView(
                facts=f,
                decisions=policy.decide_all(f, caller, now),
                resources=tuple((r, policy.decide_resource(r, caller, now)) for r in resources[s.id]),
            )
        )
    address = tuple(org.street_lines) + tuple(
        part for part in (f"{org.postal_code} {org.city}".strip(), org.region, org.country) if part
    )
    return AccountView(
        call=call,
        organization=OrganizationView(org.id, org.ref, org.name, org.url, org.country, address),
        caller=CallerView(
            person.id,
            f"{person.first_name} {person.last_name}",
            person.user_id,
            tuple(sorted(call.roles)),
            person.is_primary_contact,
            person.phone_e164,
        ),
        caller_facts=caller,
        subscriptions=tuple(views),
        decided_at=now,
    )


def account_view(store: Store, *, agent: AgentInfo, verification_id: int) -> AccountView:
    now = store.clock.now()
    with store.read() as session:
        call = load_verified_call(session, verification_id, agent, now)
        return load_account(session, call, now)
