"""What an e-mail about a ticket is made of, read from the store in one read transaction: the
ticket, its subscription and organization, the caller verified for it (whose sign-in address
the mail goes to), the migration's IT contact (M-3), and the ticket's audit events (whose
sequence numbers make a re-sent mail recognisable). Language-free: tickets.handoff.mail_text
writes the words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

from sqlalchemy import text

from tickets.enums import Product, TicketKind, TicketStatus
from tickets.i18n import _
from tickets.lifecycle import ticket_zone
from tickets.policy.deadlines import self_service_open
from tickets.policy.rules import SELF_SERVICE_MAX_LICENSES
from tickets.store.database import Store
from tickets.store.models import (
    Organization,
    Person,
    RenewalResource,
    Subscription,
    Ticket,
    VerificationAttempt,
    parse_ticket_ref,
    ticket_ref,
)
from tickets.store.rawsql import read_json, read_time
from tickets.text import person_name

__all__ = ["DECISIONS", "Event", "MailFacts", "read_facts"]

# The statuses a "decided" mail tells of, by the audit action that records each.
DECISIONS: dict[str, TicketStatus] = {
    f"ticket.{s.value}": s
    for s in (TicketStatus.APPROVED, TicketStatus.REJECTED, TicketStatus.RESOLVED, TicketStatus.WITHDRAWN)
}
_EVENTS = text("SELECT seq, at, action FROM audit_event WHERE seq > 0 AND subject = :subject ORDER BY seq")


@dataclass(frozen=True)
class Event:
    seq: int
    at: datetime
    action: str


@dataclass(frozen=True)
class MailFacts:
    """One ticket as its e-mails tell it. Dates are the ticket's ISO local days, counted in `zone`
    (the zone its filing recorded, tickets.lifecycle.ticket_zone)."""

    ticket_id: int
    kind: TicketKind
    status: TicketStatus
    product: Product
    subscription_name: str
    subscription_ref: str
    organization_name: str
    resource_ref: str | None
    caller_name: str | None
    caller_address: str | None  # the verified caller's sign-in user ID
    it_contact: str | None  # M-3: the address the migration's IT department is told at
    transfer_at: datetime | None  # M-3: when the data is transferred (aware UTC)
    effective_date: str | None
    data_deletion_date: str | None
    reversal_deadline: str | None
    zone: tzinfo
    fee_may_apply: bool
    refund_requested: bool
    needs_review: bool
    needs_callback: bool
    # The rule whose self-service path applies (C-1, C-6, U-4, I-2), or None: only through support.
    self_service_rule: str | None
    events: tuple[Event, ...]

    @property
    def ref(self) -> str:
        return ticket_ref(self.ticket_id)

    def event(self, action: str) -> Event | None:
        """The last event of this action."""
        found = [e for e in self.events if e.action == action]
        return found[-1] if found else None


def read_facts(store: Store, ticket_number: str) -> MailFacts:
    """The facts of ticket `ticket_number` ("TK-000012" or "12"); ValueError when there is none."""
    ticket_id = parse_ticket_ref(ticket_number)
    if ticket_id is None:
        raise ValueError("ticket: " + _("{value} is not a ticket number such as TK-000012").format(
            value=repr(ticket_number)))
    with store.read() as session:
        ticket = session.get(Ticket, ticket_id)
        if ticket is None:
            raise ValueError("ticket: " + _("ticket {ref} does not exist").format(ref=ticket_ref(ticket_id)))

        sub = session.get(Subscription, ticket.subscription_id)
        org = session.get(Organization, ticket.organization_id)
        assert sub is not None and org is not None  # foreign keys
        person: Person | None = None
        if ticket.verification_id is not None:
            attempt = session.get(VerificationAttempt, ticket.verification_id)
            if attempt is not None and attempt.person_id is not None:
                person = session.get(Person, attempt.person_id)
        resource = session.get(RenewalResource, ticket.resource_id) if ticket.resource_id is not None else None
        events = tuple(Event(int(seq), read_time(at), str(action)) for seq, at, action in
                       session.connection().execute(_EVENTS, {"subject": f"ticket:{ticket_id}"}))
    fields: dict[str, Any] = dict(read_json(ticket.fields) or {})
    consequences: dict[str, Any] = dict(read_json(ticket.consequences) or {})
    zone = ticket_zone(ticket, store.zone)
    kind = TicketKind(ticket.kind)
    transfer = fields.get("transfer_at")
    it_contact = fields.get("it_contact")
    return MailFacts(
        ticket_id=ticket_id,
        kind=kind,
        status=TicketStatus(ticket.status),
        product=Product(sub.product),
        subscription_name=sub.name,
        subscription_ref=sub.ref,
        organization_name=org.name,
        resource_ref=resource.ref if resource is not None else fields.get("resource_ref"),
        caller_name=person_name(person.first_name, person.last_name) if person is not None else None,
        caller_address=(person.user_id or None) if person is not None else None,
        it_contact=str(it_contact).strip() or None if it_contact else None,
        transfer_at=_instant(transfer),
        effective_date=ticket.effective_date,
        data_deletion_date=ticket.data_deletion_date,
        reversal_deadline=ticket.reversal_deadline,
        zone=zone,
        fee_may_apply=bool(consequences.get("early_termination_fee_may_apply")),
        refund_requested=bool(fields.get("refund_requested")),
        needs_review=bool(ticket.needs_review),
        needs_callback=bool(ticket.needs_callback),
        self_service_rule=_self_service_rule(consequences.get("self_service"), sub, ticket, zone),
        events=events,
    )


def _instant(value: object) -> datetime | None:
    """M-3's transfer time as filing stored it (ISO with Z or an offset) as aware UTC."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _self_service_rule(stored: object, sub: Subscription, ticket: Ticket, zone: tzinfo) -> str | None:
    """Which self-service path the filing told the caller of. The stored sentence is in the
    language of the console that filed it, so only its rule ID is taken from it; C-6 says
    "only through support" too, so whether its path was open is counted again as the policy
    counted it at filing (fewer than 25 licenses, or within 30 days of purchase)."""
    if not isinstance(stored, str) or ":" not in stored:
        return None
    rule = stored.split(":", 1)[0].strip()
    if rule in ("C-1", "U-4", "I-2"):
        return rule
    if rule == "C-6":
        few = sub.licenses_assigned <= SELF_SERVICE_MAX_LICENSES
        recent = self_service_open(read_time(ticket.created_at), read_time(sub.purchased_at), zone)
        return rule if few or recent else None
    return None
