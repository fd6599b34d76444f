"""Search from anywhere in the console: one box that takes a ticket number, an organization's
ref or name, or a caller's user ID, and answers with organizations (ref and name) and tickets.

What the text is taken for:
- `TK-000123`, `tk123` or `123`: that ticket;
- `ORG-0001` (a ref, any case): that organization and its newest tickets;
- anything with an `@`: a caller's user ID (V-3 normalised, exact): the tickets filed for the
  caller it verified as. Nothing else about the caller is shown, and a user ID with no tickets
  answers like an unknown one, so the box never confirms who is in the directory (V-4);
- anything else: organizations whose (normalised) name contains it; with exactly one, its
  tickets too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlmodel import col, select

from identity.errors import IdentityError
from identity.normalize import normalize_org_name
from identity.userid import normalize_user_id
from tickets.errors import InvalidInput
from tickets.store.database import Store
from tickets.store.models import Organization, Person, Ticket, VerificationAttempt
from tickets.store.queries import PAGE_SIZE, TicketRow, _page_query, _rows
from tickets.text import check_text

MAX_ORGANIZATIONS = 20
_TICKET = re.compile(r"^(?:TK-?)?0*(\d{1,12})$", re.IGNORECASE)
HOW_TO = "type a ticket number (TK-000123), an organization's name or ref, or a caller's user ID"


@dataclass(frozen=True)
class OrganizationHit:
    id: int
    ref: str
    name: str


@dataclass(frozen=True)
class SearchResult:
    text: str
    taken_as: str  # "ticket number", "organization ref", "organization name", "caller user ID"
    organizations: tuple[OrganizationHit, ...]
    tickets: tuple[TicketRow, ...]
    more_tickets: bool = False

    @property
    def empty(self) -> bool:
        return not self.organizations and not self.tickets


def _newest(query):
    return query.order_by(col(Ticket.created_at).desc(), col(Ticket.id).desc())


def search(store: Store, text: str, *, limit: int = PAGE_SIZE) -> SearchResult:
    check_text({"search": text}, free_text=False, max_length=320)
    text = text.strip()
    if not text:
        raise InvalidInput({"search": HOW_TO})
    ticket = _TICKET.match(text)
    with store.read() as session:
        if ticket:
            query = _page_query(filed_by_id=None, organization_id=None, statuses=None, kinds=None)
            page = _rows(session, query.where(Ticket.id == int(ticket.group(1))), 1)
            return SearchResult(text, "ticket number", (), page.rows)
        if "@" in text:
            try:
                user_id = normalize_user_id(text, "search")
            except IdentityError:
                raise InvalidInput({"search": f"not a valid user ID (V-3); {HOW_TO}"}, rule="V-3") from None
            query = (
                _page_query(filed_by_id=None, organization_id=None, statuses=None, kinds=None)
                .join(VerificationAttempt, VerificationAttempt.id == Ticket.verification_id)
                .join(Person, Person.id == VerificationAttempt.person_id)
                .where(Person.user_id == user_id)
            )
            page = _rows(session, _newest(query), limit)
            return SearchResult(text, "caller user ID", (), page.rows, page.next_cursor is not None)
        by_ref = session.exec(select(Organization).where(Organization.ref == text.upper())).all()
        taken_as = "organization ref"
        if not by_ref:
            taken_as = "organization name"
            try:
                key = normalize_org_name(text, "search")
            except IdentityError:
                raise InvalidInput({"search": HOW_TO}) from None
            pattern = "%" + key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            by_ref = session.exec(
                select(Organization).where(col(Organization.name_key).like(pattern, escape="\\"))
                .order_by(Organization.name, Organization.ref).limit(MAX_ORGANIZATIONS)
            ).all()
        organizations = tuple(OrganizationHit(o.id, o.ref, o.name) for o in by_ref)
        tickets: tuple[TicketRow, ...] = ()
        more = False
        if len(organizations) == 1:
            query = _page_query(filed_by_id=None, organization_id=organizations[0].id, statuses=None, kinds=None)
            page = _rows(session, _newest(query), limit)
            tickets, more = page.rows, page.next_cursor is not None
        return SearchResult(text, taken_as, organizations, tickets, more)
