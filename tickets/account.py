"""What a verified caller's account looks like to the agent: the organization, the caller,
each subscription and renewal resource with every ticket kind allowed or refused (policy).

Only reachable with a passed, live verification (V-4, V-7): `account_view` checks it in the
database, so no code path hands stored details to the console before a pass.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from typing import Any, NamedTuple

from sqlmodel import Session

from tickets import policy
from tickets.agents import AgentInfo
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
    member,
)
from tickets.facts import CallerFacts, CampaignFacts, ResourceFacts, SubscriptionFacts, TicketSummary
from tickets.store import filing_sql as sql
from tickets.store.database import Store
from tickets.store.filing_sql import SubscriptionRow
from tickets.store.models import Person, Subscription, ticket_ref
from tickets.store.rawsql import Raw, read_json, read_time
from tickets.text import address_lines, person_name
from tickets.verification import VerifiedCall, verified_call

_D365 = Product.D365.value  # only D365 subscriptions have IMS campaigns


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


class SubscriptionView:
    """A subscription with every ticket kind allowed or refused for this caller now, and its
    renewal resources with theirs. The decisions are made when first read, once, at the
    account's `now`: the console shows one subscription at a time, and a filing reads one
    kind's (an account with six subscriptions made some 55 decisions a call, most unread). So
    are the facts, from the rows read with the account (an action on one subscription of nine
    built the other eight's for nothing)."""

    __slots__ = ("ref", "_rows", "_facts", "_caller", "_now", "_zone", "_resources", "_decisions",
                 "_resource_decisions")

    def __init__(self, ref: str, rows: _SubscriptionRows, caller: CallerFacts, now: datetime, zone: tzinfo) -> None:
        self.ref, self._rows, self._caller, self._now, self._zone = ref, rows, caller, now, zone
        self._facts: SubscriptionFacts | None = None
        self._resources: list[ResourceFacts] | None = None
        self._decisions: tuple[policy.Decision, ...] | None = None
        self._resource_decisions: tuple[tuple[ResourceFacts, policy.Decision], ...] | None = None

    @property
    def facts(self) -> SubscriptionFacts:
        if self._facts is None:
            row, campaigns, tickets, _, _ = self._rows
            self._facts = _facts(SubscriptionRow.read(row), campaigns, tickets)
        return self._facts

    @property
    def decisions(self) -> tuple[policy.Decision, ...]:
        if self._decisions is None:
            self._decisions = tuple(policy.decide_all(self.facts, self._caller, self._now, self._zone))
        return self._decisions

    @property
    def resources(self) -> tuple[tuple[ResourceFacts, policy.Decision], ...]:
        if self._resource_decisions is None:
            row, _, _, resources, resource_tickets = self._rows
            made = _resource_facts({row.id: row}, resources, resource_tickets)[row.id]
            self._resource_decisions = tuple((r, policy.decide_resource(r, self._caller, self._now, self._zone))
                                             for r in made)
        return self._resource_decisions


class _SubscriptionRows(NamedTuple):
    """What a subscription's view is made from, as read with the account: its row, its
    campaigns' and active tickets' rows, its renewal resources' rows and the account's
    resource tickets' rows."""

    row: Any
    campaigns: Sequence[Any]
    tickets: Sequence[Any]
    resources: Sequence[Any]
    resource_tickets: Sequence[Any]


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
            if view.ref == ref:
                return view
        raise KeyError(ref)


def _summary(t: Any) -> TicketSummary:
    """A TicketSummary from a row with a ticket's id, kind, status, created_at and resolved_at:
    the rules read these, never the ticket's JSON documents."""
    return TicketSummary(ticket_ref(t.id), member(TicketKind, t.kind), member(TicketStatus, t.status),
                         read_time(t.created_at), read_time(t.resolved_at))


def subscription_facts(session: Session | Raw, subs: Sequence[Subscription | SubscriptionRow],
                       active_tickets: Sequence[Any] | None = None,
                       campaign_rows: Sequence[Any] | None = None) -> dict[int, SubscriptionFacts]:
    """Facts for these subscriptions, with their campaigns and their active tickets (C-9, M-4):
    ACTIVE_TICKETS' and CAMPAIGNS' rows, read here unless the caller has them (`active_tickets`,
    `campaign_rows`: those of the D365 subscriptions among `subs`)."""
    if campaign_rows is None:
        d365 = [s.id for s in subs if s.product == _D365]  # only D365 has IMS campaigns
        campaign_rows = Raw(session).rows(*sql.CAMPAIGNS.bind({"subs": d365})) if d365 else []
    if active_tickets is None:
        active_tickets = Raw(session).rows(*sql.ACTIVE_TICKETS.bind({"subs": [s.id for s in subs]}))
    campaigns = _by(campaign_rows, "subscription_id")
    tickets = _by(active_tickets, "subscription_id")
    return {s.id: _facts(s, campaigns.get(s.id, ()), tickets.get(s.id, ())) for s in subs}


def _by(rows: Sequence[Any], column: str) -> dict[Any, list[Any]]:
    """Rows by one column's value, each list in the rows' order."""
    grouped: dict[Any, list[Any]] = defaultdict(list)
    for row in rows:
        grouped[getattr(row, column)].append(row)
    return grouped


def _facts(s: Subscription | SubscriptionRow, campaign_rows: Sequence[Any],
           ticket_rows: Sequence[Any]) -> SubscriptionFacts:
    """One subscription's facts from its row, its campaigns' rows and its active tickets' rows."""
    return SubscriptionFacts(
        id=s.id,
        ref=s.ref,
        name=s.name,
        product=member(Product, s.product),
        channel=member(Channel, s.channel),
        platform=member(Platform, s.platform) if s.platform else None,
        state=member(SubscriptionState, s.state),
        purchased_at=s.purchased_at,
        term_start=s.term_start,
        term_end=s.term_end,
        auto_renew=s.auto_renew,
        licenses_assigned=s.licenses_assigned,
        custom_domains=tuple(s.custom_domains),
        campaigns=tuple([CampaignFacts(c.ref, c.name, c.billing_admin_user_id, CampaignState(c.state))
                         for c in campaign_rows]),
        cancelled_at=s.cancelled_at,
        cancelled_zone=s.cancelled_zone,
        expedited_at=s.expedited_at,
        data_deleted_at=s.data_deleted_at,
        tickets=tuple([_summary(t) for t in ticket_rows]),
    )


def resource_facts(
    session: Session | Raw, subs: Mapping[int, Subscription | SubscriptionRow],
    read: tuple[Sequence[Any], Sequence[Any]] | None = None,
) -> dict[int, list[ResourceFacts]]:
    """The renewal resources of these subscriptions with their active tickets: RESOURCES' and
    RESOURCE_TICKETS' rows, read here unless the caller has them (`read`)."""
    resources: Sequence[Any]
    tickets: Sequence[Any]
    if read is None:
        raw = Raw(session)
        resources = raw.rows(*sql.RESOURCES.bind({"subs": list(subs)}))
        tickets = raw.rows(*sql.RESOURCE_TICKETS.bind({"resources": [r.id for r in resources]})) if resources else []
    else:
        resources, tickets = read
    return _resource_facts(subs, resources, tickets)


def _resource_facts(subs: Mapping[int, Any], resources: Sequence[Any],
                    tickets: Sequence[Any]) -> dict[int, list[ResourceFacts]]:
    """RESOURCES' rows of these subscriptions (anything with a `ref` by id) as facts, with their
    active tickets among RESOURCE_TICKETS' rows."""
    open_by_resource: dict[int, list[TicketSummary]] = defaultdict(list)
    for t in tickets:
        open_by_resource[t.resource_id].append(_summary(t))
    result: dict[int, list[ResourceFacts]] = defaultdict(list)
    for (id_, ref, sub_id, description, effective_at, state, in_transaction, special_pending, in_promotion,
         invoiced, cash, discount) in resources:
        result[sub_id].append(
            ResourceFacts(
                id=id_,
                ref=ref,
                subscription_ref=subs[sub_id].ref,
                description=description,
                effective_at=read_time(effective_at),
                state=ResourceState(state),
                transaction_in_progress=bool(in_transaction),
                special_unsubscription_pending=bool(special_pending),
                in_promotion=bool(in_promotion),
                invoice_issued=bool(invoiced),
                cash_coupons_used=cash,
                discount_coupons_used=discount,
                tickets=tuple(open_by_resource[id_]),
            )
        )
    return result


_ROLES = frozenset(x.value for x in Role)


def caller_facts(person: Person | PersonFacts, roles: frozenset[str]) -> CallerFacts:
    return CallerFacts(
        user_id=person.user_id,
        roles=_known_roles(roles if isinstance(roles, frozenset) else frozenset(roles)),
        is_primary_contact=bool(person.is_primary_contact),
    )


@lru_cache(maxsize=64)  # a verification's roles are one of a few sets
def _known_roles(roles: frozenset[str]) -> frozenset[Role]:
    """The roles the rules know (V-2), as Roles; others left out."""
    return frozenset(member(Role, r) for r in roles if r in _ROLES)


class PersonFacts(NamedTuple):
    """What the rules read of the caller's person row."""

    user_id: str
    is_primary_contact: bool


def load_account(session: Session | Raw, *, verification_id: int, agent: AgentInfo, now: datetime,
                 zone: tzinfo = UTC) -> AccountView:
    """The account behind a passed, live verification (checked here, V-7), read with prebuilt
    SQL (no ORM objects; the verification, organization and caller in one round trip)."""
    raw = Raw(session)
    # One round trip on PostgreSQL; the account's rows are read only for the agent's passed
    # attempt and used only once verified_call has accepted the head (V-7).
    heads, sub_rows, campaigns, active, resource_rows, resource_tickets = raw.reads(
        sql.ACCOUNT_READS, {"id": verification_id, "agent": agent.id, "d365": _D365})
    head = heads[0] if heads else None
    call = verified_call(head, agent, now)
    assert head is not None  # verified_call refused a missing verification
    caller = caller_facts(PersonFacts(head.user_id, bool(head.is_primary_contact)), call.roles)
    # Each subscription's rows kept for its view, which makes its facts when they are read.
    campaigns_of, tickets_of = _by(campaigns, "subscription_id"), _by(active, "subscription_id")
    resources_of = _by(resource_rows, "subscription_id")
    views = [SubscriptionView(row.ref, _SubscriptionRows(row, campaigns_of.get(row.id, ()), tickets_of.get(row.id, ()),
                                                         resources_of.get(row.id, ()), resource_tickets),
                              caller, now, zone) for row in sub_rows]
    address = address_lines(tuple(read_json(head.street_lines)), head.postal_code, head.city, head.region,
                            head.country)
    return AccountView(
        call=call,
        organization=OrganizationView(call.organization_id, head.ref, head.name, head.url, head.country, address),
        caller=CallerView(
            call.person_id,
            person_name(head.first_name, head.last_name),
            head.user_id,
            tuple(sorted(call.roles)),
            bool(head.is_primary_contact),
            head.phone_e164,
        ),
        caller_facts=caller,
        subscriptions=tuple(views),
        decided_at=now,
    )


def account_view(store: Store, *, agent: AgentInfo, verification_id: int) -> AccountView:
    now = store.clock.now()
    # No Session, no BEGIN/ROLLBACK on PostgreSQL; one snapshot on SQLite.
    with store.raw_read() as raw:
        return load_account(raw, verification_id=verification_id, agent=agent, now=now, zone=store.zone)
