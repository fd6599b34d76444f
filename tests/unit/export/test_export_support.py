"""Builders for the export tests (imported by plain name: this directory has no __init__.py).

Tickets are inserted directly, each with its passed verification (the caller) and its
`ticket.filed` audit event, so that the chain stays whole; filing through the rules is tested
elsewhere.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import select

import testkit
from tickets.agents import create_agent, hash_pin
from tickets.audit.chain import append_event
from tickets.audit.record import agent_record
from tickets.enums import AgentRole, TicketKind, TicketStatus
from tickets.store.database import Store
from tickets.store.models import Agent, Organization, Person, Subscription, Ticket, VerificationAttempt

T0 = testkit.T0
PIN = "2468"


@dataclass(frozen=True)
class Desk:
    """What the tickets hang on: an organization, its subscriptions, a caller, two agents."""

    organization_id: int
    subscription_ids: tuple[int, ...]
    person_id: int
    agent_id: int
    supervisor_id: int


def add_agent(store: Store, name: str, role: AgentRole, pin: str = PIN) -> int:
    """As the desk adds one (tickets.agents.create_agent): its event for verify (A-1), and on
    PostgreSQL a PIN hash the database checks (pgcrypto's crypt), so it can sign in there."""
    return create_agent(store, name=name, display_name=name.title(), role=role.value, pin=pin).id


def insert_agent_row(store: Store, name: str, role: AgentRole, pin: str = PIN) -> int:
    """An agent row with a name the desk's rules refuse (an export must still neutralise it),
    written past create_agent with its event; it cannot sign in on PostgreSQL (scrypt hash)."""
    with store.write() as session:
        agent = Agent(name=name, display_name=name.title(), role=role.value, pin_hash=hash_pin(pin), created_at=T0)
        session.add(agent)
        session.flush()
        # As tickets.agents.create_agent records it: verify rebuilds every agent from its events.
        append_event(session, at=T0, actor="system", action="agent.created", subject=f"agent:{agent.id}",
                     details={"name": name, "role": role.value, **agent_record(agent.pin_hash, agent.display_name)})
        assert agent.id is not None
        return agent.id


def small_desk(store: Store) -> Desk:
    """One organization (GB) with three subscriptions, one caller, an agent and a supervisor."""
    with store.write() as session:
        org = Organization(
            ref="ORG-0001", name="Contoso Ltd.", country="GB", street_lines=["1 High Street", "Floor 3"],
            city="London", postal_code="SW1A 1AA", name_key="contoso ltd", updated_at=T0,
        )
        session.add(org)
        session.flush()
        person = Person(
            organization_id=org.id, user_id="ann.smith@contoso.co.uk", first_name="Ann", last_name="Smith",
            phone_e164="+442079460958", is_primary_contact=True, roles=["admin", "billing_admin"],
        )
        session.add(person)
        subs = []
        for n, product in enumerate(("o365", "intune", "d365"), start=1):
            sub = Subscription(
                ref=f"SUB-000{n}", organization_id=org.id, name=f"Plan {n}", product=product, channel="online",
                platform="online_services" if product == "d365" else None, state="active",
                purchased_at=T0 - timedelta(days=400), term_start=T0 - timedelta(days=30),
                term_end=T0 + timedelta(days=335),
            )
            session.add(sub)
            subs.append(sub)
        session.flush()
        ids = (org.id, tuple(s.id for s in subs), person.id)
    agent = add_agent(store, "alex", AgentRole.AGENT)
    supervisor = add_agent(store, "sam", AgentRole.SUPERVISOR)
    return Desk(ids[0], ids[1], ids[2], agent, supervisor)


def add_ticket(
    store: Store,
    *,
    organization_id: int,
    subscription_id: int,
    agent_id: int,
    person_id: int | None = None,
    kind: TicketKind = TicketKind.CANCEL_END_OF_TERM,
    status: TicketStatus = TicketStatus.RESOLVED,
    created_at: datetime = T0,
    reason: str | None = "customer is moving to another provider",
    fields: dict[str, Any] | None = None,
    rules: list[str] | None = None,
    checklist: list[str] | None = None,
    decided_by_id: int | None = None,
    decision_reason: str | None = None,
    needs_callback: bool = False,
) -> int:
    """A ticket as filing would leave it (status given; resolved by default so that the C-9
    index never stands in the way of many tickets on one subscription)."""
    with store.write() as session:
        verification_id = None
        if person_id is not None:
            attempt = VerificationAttempt(
                organization_id=organization_id, agent_id=agent_id, at=created_at, passed=True,
                failed_factors=[], person_id=person_id, roles=["admin"], expires_at=created_at + timedelta(hours=1),
            )
            session.add(attempt)
            session.flush()
            verification_id = attempt.id
        decided = decided_by_id is not None
        ticket = Ticket(
            kind=kind.value, status=status.value, organization_id=organization_id, subscription_id=subscription_id,
            verification_id=verification_id, filed_by_id=agent_id, created_at=created_at,
            updated_at=created_at + timedelta(minutes=5), idempotency_key=uuid.uuid4().hex, content_hash="0" * 64,
            reason=reason, fields=fields or {}, checklist=checklist or [], rules=rules or ["C-1", "C-8"],
            needs_review=decided, needs_callback=needs_callback,
            callback_at=created_at + timedelta(minutes=30) if needs_callback else None,
            callback_by_id=agent_id if needs_callback else None,
            decided_by_id=decided_by_id, decided_at=created_at + timedelta(hours=1) if decided else None,
            decision_reason=decision_reason, effective_date="2027-10-23", data_deletion_date="2028-01-21",
        )
        session.add(ticket)
        session.flush()
        # The history the row's state implies (A-1: verify_chain checks rows against it).
        subject = f"ticket:{ticket.id}"
        filed_status = TicketStatus.PENDING_REVIEW.value if decided else ticket.status
        append_event(
            session, at=created_at, actor="test", action="ticket.filed", subject=subject,
            details={"kind": ticket.kind, "status": filed_status},
        )
        if needs_callback:
            append_event(
                session, at=ticket.callback_at, actor="test", action="ticket.callback_recorded", subject=subject
            )
        if decided:
            decision = "rejected" if status is TicketStatus.REJECTED else "approved"
            supervisor = session.get(Agent, decided_by_id).name
            append_event(session, at=ticket.decided_at, actor=supervisor, action=f"ticket.{decision}", subject=subject)
            if status.value != decision:
                append_event(
                    session, at=ticket.decided_at, actor=supervisor, action=f"ticket.{status.value}", subject=subject
                )
        return ticket.id


def desk_ticket(store: Store, desk: Desk, n: int = 0, **overrides: Any) -> int:
    """A ticket on the small desk, by its caller, on subscription n."""
    values: dict[str, Any] = {
        "organization_id": desk.organization_id,
        "subscription_id": desk.subscription_ids[n],
        "agent_id": desk.agent_id,
        "person_id": desk.person_id,
    }
    values.update(overrides)
    return add_ticket(store, **values)


def people(store: Store) -> list[Person]:
    with store.read() as session:
        return list(session.exec(select(Person).order_by(Person.id)))
