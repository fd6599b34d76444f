"""Database tables: the directory (organizations, people, subscriptions, campaigns, renewal
resources), the desk (agents, calls, verification attempts, unlocks) and tickets with their
append-only audit chain.

Table models skip pydantic validation (SQLModel), so values come in through validated
non-table models (tickets.directory for imports, tickets.filing for tickets).
Every datetime column is an aware UTC datetime (tickets.store.types.UTCDateTime).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, Index, Text, event, inspect, text
from sqlmodel import Field, SQLModel

from tickets.enums import ACTIVE_STATUSES
from tickets.kinds import CANCELLATION_KINDS
from tickets.store.types import UTCDateTime


def _dt(*, nullable: bool = False, index: bool = False) -> Any:
    return Field(
        default=None if nullable else ...,
        sa_column=Column(UTCDateTime(), nullable=nullable, index=index),
    )


def _json(default_factory=list) -> Any:
    return Field(default_factory=default_factory, sa_column=Column(JSON, nullable=False))


# Every table's `id` is typed `int`: it is None only on a row built here and not yet flushed
# (the INSERT assigns it), and every row the code reads or passes on has been flushed.

# --- the directory ---------------------------------------------------------------------------


class Organization(SQLModel, table=True):
    __tablename__ = "organization"

    id: int = Field(default=None, primary_key=True)
    ref: str = Field(unique=True, max_length=40)  # the directory's own key, e.g. "ORG-0001"
    name: str = Field(max_length=200)  # as it shows on the subscription
    url: str | None = Field(default=None, max_length=300)  # D365 organization URL
    country: str = Field(max_length=2)  # ISO 3166-1 alpha-2; default phone region
    street_lines: list[str] = _json()
    city: str = Field(max_length=120)
    region: str = Field(default="", max_length=120)
    postal_code: str = Field(default="", max_length=20)
    # Normalised name (identity.normalize_org_name), so a caller's name finds it exactly.
    name_key: str = Field(index=True, max_length=200)
    updated_at: datetime = _dt()
    # Verification's comparison keys of the facts above (identity.organization_fact_keys; issue
    # 12), kept with them by _keep_keys below; NULL: not worked out, verification does it.
    key_name: str | None = None
    key_url: str | None = None
    key_address: str | None = None


class Person(SQLModel, table=True):
    __tablename__ = "person"

    id: int = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id", index=True)
    user_id: str = Field(unique=True, max_length=320)  # normalised sign-in address
    first_name: str = Field(max_length=120)
    last_name: str = Field(max_length=120)
    phone_e164: str = Field(index=True, max_length=20)
    is_primary_contact: bool = False
    roles: list[str] = _json()  # tickets.enums.Role values, on every subscription of the org
    # Comparison keys (identity.person_fact_keys), as on Organization.
    key_user_id: str | None = None
    key_phone: str | None = None  # NULL too when the number has no country code
    key_first_name: str | None = None
    key_last_name: str | None = None


class Subscription(SQLModel, table=True):
    __tablename__ = "subscription"

    id: int = Field(default=None, primary_key=True)
    ref: str = Field(unique=True, max_length=40)
    organization_id: int = Field(foreign_key="organization.id", index=True)
    name: str = Field(max_length=200)
    product: str = Field(max_length=20)  # tickets.enums.Product
    channel: str = Field(max_length=20)  # tickets.enums.Channel
    platform: str | None = Field(default=None, max_length=30)  # tickets.enums.Platform (D365)
    state: str = Field(max_length=20)  # tickets.enums.SubscriptionState
    purchased_at: datetime = _dt()
    term_start: datetime = _dt()
    term_end: datetime = _dt()
    auto_renew: bool = True
    licenses_assigned: int = 0
    custom_domains: list[str] = _json()
    cancelled_at: datetime | None = _dt(nullable=True)
    # The desk's IANA time zone the cancellation was counted in (R-1, C-8); None: the desk's.
    cancelled_zone: str | None = Field(default=None, max_length=64)
    expedited_at: datetime | None = _dt(nullable=True)
    data_deleted_at: datetime | None = _dt(nullable=True)

    __table_args__ = (
        CheckConstraint("term_end > term_start", name="ck_subscription_term"),
        CheckConstraint("licenses_assigned >= 0", name="ck_subscription_licenses"),
    )


class ImsCampaign(SQLModel, table=True):
    __tablename__ = "ims_campaign"

    id: int = Field(default=None, primary_key=True)
    ref: str = Field(unique=True, max_length=40)
    subscription_id: int = Field(foreign_key="subscription.id", index=True)
    name: str = Field(max_length=200)
    billing_admin_user_id: str = Field(max_length=320)  # I-1
    state: str = Field(max_length=20)  # tickets.enums.CampaignState


class RenewalResource(SQLModel, table=True):
    __tablename__ = "renewal_resource"

    id: int = Field(default=None, primary_key=True)
    ref: str = Field(unique=True, max_length=40)
    subscription_id: int = Field(foreign_key="subscription.id", index=True)
    description: str = Field(max_length=200)
    effective_at: datetime = _dt()
    state: str = Field(max_length=20)  # tickets.enums.ResourceState
    # U-1: the four conditions that block an unsubscription.
    transaction_in_progress: bool = False
    special_unsubscription_pending: bool = False
    in_promotion: bool = False
    invoice_issued: bool = False
    cash_coupons_used: int = 0  # minor units
    discount_coupons_used: int = 0  # minor units


# --- the desk --------------------------------------------------------------------------------


class Agent(SQLModel, table=True):
    __tablename__ = "agent"

    id: int = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=60)  # sign-in name
    display_name: str = Field(max_length=120)
    role: str = Field(max_length=20)  # tickets.enums.AgentRole
    pin_hash: str = Field(max_length=200)  # scrypt, salted (tickets.agents); never the PIN
    active: bool = True
    created_at: datetime = _dt()


class AgentSignIn(SQLModel, table=True):
    """One sign-in attempt ("failed", "succeeded") or a supervisor's "unlocked" (tickets.signin).

    An attempt is written as "failed" before the PIN is checked and turned into "succeeded"
    after, so concurrent guesses each take a slot and no more than the limit are ever tried.
    """

    __tablename__ = "agent_sign_in"

    id: int = Field(default=None, primary_key=True)
    agent_id: int = Field(foreign_key="agent.id")
    at: datetime = _dt()
    outcome: str = Field(max_length=20)
    by_id: int | None = Field(default=None, foreign_key="agent.id")  # the supervisor who unlocked

    __table_args__ = (Index("ix_agent_sign_in_agent_at", "agent_id", "at"),)


class AgentSession(SQLModel, table=True):
    """A signed-in agent's session (migration 0011): the token is kept only as its SHA-256;
    it expires, and signing out, a PIN reset or disabling the agent ends it."""

    __tablename__ = "agent_session"
    __table_args__ = (Index("ix_agent_session_agent", "agent_id"),)

    id: int | None = Field(default=None, primary_key=True)
    agent_id: int = Field(foreign_key="agent.id")
    token_hash: str = Field(max_length=64, unique=True)
    started_at: datetime = _dt()
    expires_at: datetime = _dt()
    ended_at: datetime | None = _dt(nullable=True)
    ended_reason: str | None = Field(default=None, max_length=20)


class DeskSetting(SQLModel, table=True):
    """A setting every console of the desk must agree on (migration 0011), written by the owner."""

    __tablename__ = "desk_setting"

    name: str = Field(primary_key=True, max_length=40)
    value: str = Field(max_length=200)


class Call(SQLModel, table=True):
    """One phone call: who took it, which organization it became about, how it ended."""

    __tablename__ = "call"

    id: int = Field(default=None, primary_key=True)
    agent_id: int = Field(foreign_key="agent.id", index=True)
    organization_id: int | None = Field(default=None, foreign_key="organization.id")
    started_at: datetime = _dt(index=True)
    ended_at: datetime | None = _dt(nullable=True)
    wrap_up_note: str | None = Field(default=None, max_length=2000)


class VerificationAttempt(SQLModel, table=True):
    """V-5: every attempt, with which factors failed and never what was typed."""

    __tablename__ = "verification_attempt"

    id: int = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id")
    agent_id: int = Field(foreign_key="agent.id")
    call_id: int | None = Field(default=None, foreign_key="call.id")
    at: datetime = _dt()
    passed: bool
    failed_factors: list[str] = _json()
    # Set on a pass: who the caller is and what they may do (V-2, V-7).
    person_id: int | None = Field(default=None, foreign_key="person.id")
    roles: list[str] = _json()
    expires_at: datetime | None = _dt(nullable=True)

    __table_args__ = (
        Index("ix_verification_org_at", "organization_id", "at"),
        Index("ix_verification_attempt_at", "at"),  # migration 0002: the dashboard's counts
    )


class VerificationUnlock(SQLModel, table=True):
    """V-5: a supervisor lifted an organization's lockout."""

    __tablename__ = "verification_unlock"

    id: int = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id", index=True)
    supervisor_id: int = Field(foreign_key="agent.id")
    at: datetime = _dt()
    reason: str = Field(max_length=500)


# --- tickets and audit -----------------------------------------------------------------------

_cancellation_kinds = ", ".join(f"'{k.value}'" for k in sorted(CANCELLATION_KINDS))
_active_statuses = ", ".join(f"'{s.value}'" for s in sorted(ACTIVE_STATUSES))
# C-9 as a partial unique index, which holds on both engines whatever the races.
OPEN_CANCELLATION_WHERE = text(
    f"kind IN ({_cancellation_kinds}) AND status IN ({_active_statuses})"
)
OPEN_UNSUBSCRIPTION_WHERE = text(
    f"kind = 'unsubscribe_resource' AND status IN ({_active_statuses})"
)


# Each value of a ticket is stored once: these live in their own columns, never also in the
# `fields` or `consequences` documents (migration 0004 moved the old copies out).
TICKET_FIELD_COLUMNS = ("requested_date", "reason")
TICKET_DATE_COLUMNS = ("effective_date", "data_deletion_date", "reversal_deadline")


class Ticket(SQLModel, table=True):
    __tablename__ = "ticket"

    id: int = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40)  # tickets.enums.TicketKind
    status: str = Field(max_length=20)  # tickets.enums.TicketStatus
    organization_id: int = Field(foreign_key="organization.id")
    subscription_id: int = Field(foreign_key="subscription.id")
    resource_id: int | None = Field(default=None, foreign_key="renewal_resource.id")
    call_id: int | None = Field(default=None, foreign_key="call.id")
    verification_id: int | None = Field(default=None, foreign_key="verification_attempt.id")
    filed_by_id: int = Field(foreign_key="agent.id")
    created_at: datetime = _dt()
    updated_at: datetime = _dt()
    # T-3: a retried filing carries the same key; content_hash tells a retry from a clash.
    idempotency_key: str = Field(unique=True, max_length=80)
    content_hash: str = Field(max_length=64)
    requested_date: str | None = Field(default=None, max_length=10)  # ISO date (V-1 [D365])
    reason: str | None = Field(default=None, max_length=2000)
    fields: dict[str, Any] = _json(dict)  # kind-specific: transfer_at, it_contact, refund ... (not the columns)
    checklist: list[str] = _json()  # keys of the items confirmed with the caller
    consequences: dict[str, Any] = _json(dict)  # T-1, as computed at filing, but for the date columns
    rules: list[str] = _json()  # rule IDs behind the decision
    needs_review: bool = False
    needs_callback: bool = False
    callback_at: datetime | None = _dt(nullable=True)  # V-8
    callback_by_id: int | None = Field(default=None, foreign_key="agent.id")
    callback_note: str | None = Field(default=None, max_length=500)
    decided_by_id: int | None = Field(default=None, foreign_key="agent.id")
    decided_at: datetime | None = _dt(nullable=True)
    decision_reason: str | None = Field(default=None, max_length=2000)
    effective_date: str | None = Field(default=None, max_length=10)
    data_deletion_date: str | None = Field(default=None, max_length=10)
    reversal_deadline: str | None = Field(default=None, max_length=10)
    resolved_at: datetime | None = _dt(nullable=True)

    __table_args__ = (
        # four eyes, enforced by the database as well as the console.
        CheckConstraint(
            "decided_by_id IS NULL OR decided_by_id <> filed_by_id", name="ck_ticket_four_eyes"
        ),
        Index(
            "uq_ticket_open_cancellation",
            "subscription_id",
            unique=True,
            sqlite_where=OPEN_CANCELLATION_WHERE,
            postgresql_where=OPEN_CANCELLATION_WHERE,
        ),
        Index(
            "uq_ticket_open_unsubscription",
            "resource_id",
            unique=True,
            sqlite_where=OPEN_UNSUBSCRIPTION_WHERE,
            postgresql_where=OPEN_UNSUBSCRIPTION_WHERE,
        ),
        # Paged lists (review queue, an agent's and an organization's tickets) on 10^6 rows.
        Index("ix_ticket_status_created", "status", "created_at", "id"),
        Index("ix_ticket_filed_by_created", "filed_by_id", "created_at", "id"),
        Index("ix_ticket_org_created", "organization_id", "created_at", "id"),
        Index("ix_ticket_created", "created_at", "id"),
        Index("ix_ticket_subscription", "subscription_id"),
    )



class TicketNote(SQLModel, table=True):
    """An internal note on a filed ticket (migration 0010): added, never edited or deleted.
    Its `ticket.noted` event holds the note's length and sha256, never the text."""

    __tablename__ = "ticket_note"

    id: int = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id")
    agent_id: int = Field(foreign_key="agent.id")
    created_at: datetime = _dt()
    text: str = Field(max_length=1000)

    __table_args__ = (Index("ix_ticket_note_ticket", "ticket_id", "id"),)


class TicketViewer(SQLModel, table=True):
    """Which ticket each supervisor has open in the review queue (migration 0012), so that a
    second one opening it is told who is already looking and since when (tickets.viewers). One
    row per supervisor: opening another ticket moves it; leaving the queue deletes it; a row
    not seen for a while (the console died) no longer counts."""

    __tablename__ = "ticket_viewer"

    agent_id: int = Field(foreign_key="agent.id", primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id")
    since: datetime = _dt()
    seen_at: datetime = _dt()

    __table_args__ = (Index("ix_ticket_viewer_ticket", "ticket_id"),)


# E-1 (migration 0008): tickets.masking.scrub_stored of reason / decision_reason, made
# when they are written (NULL: not made, or the text changed since; the export then masks the
# text itself). Table columns only, not mapped: written and read by SQL (filing, decisions,
# tickets.export.sql), so that loading a ticket never depends on them.
for _name in ("reason_scrubbed", "decision_reason_scrubbed"):
    Ticket.metadata.tables["ticket"].append_column(Column(_name, Text, nullable=True))

# A ticket's number as agents and callers say it (TK-000123): beside its table, so that the
# store's reads and every layer above name tickets alike.
def ticket_ref(ticket_id: int) -> str:
    return f"TK-{ticket_id:06d}"


def parse_ticket_ref(ref: str) -> int | None:
    text = ref.strip().upper().removeprefix("TK-")
    return int(text) if text.isdigit() else None


class AuditEvent(SQLModel, table=True):
    """A-1: append-only and hash-chained. Database triggers refuse UPDATE and DELETE."""

    __tablename__ = "audit_event"

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    at: datetime = _dt()
    actor: str = Field(max_length=60)  # agent name, or "system"
    action: str = Field(max_length=60)  # e.g. "ticket.filed", "verification.failed"
    subject: str = Field(max_length=80, index=True)  # e.g. "ticket:12", "organization:3"
    details: dict[str, Any] = _json(dict)  # what and why; never typed personal data
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64, unique=True)

    __table_args__ = (Index("ix_audit_event_action_at", "action", "at"),)  # migration 0002


class AuditHead(SQLModel, table=True):
    """The chain's last link: one row, locked by every append so that appends serialise and
    a cut tail is detectable (the head names an event that is gone)."""

    __tablename__ = "audit_head"

    id: int = Field(default=1, primary_key=True)
    seq: int = 0
    hash: str = Field(max_length=64)

    __table_args__ = (CheckConstraint("id = 1", name="ck_audit_head_single"),)


__all__ = [
    "Agent",
    "AgentSignIn",
    "AuditEvent",
    "AuditHead",
    "Call",
    "ImsCampaign",
    "Organization",
    "Person",
    "RenewalResource",
    "Subscription",
    "Ticket",
    "TicketNote",
    "TicketViewer",
    "VerificationAttempt",
    "VerificationUnlock",
]


# --- the directory's comparison keys follow its facts on every ORM write ----------


def _keep_keys(model: type[SQLModel], facts: tuple[str, ...], keys: tuple[str, ...], work: Any) -> None:
    """Before a row of `model` is inserted or updated, work its `keys` out from its `facts`
    unless the writer gave them (the import does, from values it has already checked)."""

    def refresh(_mapper: Any, _connection: Any, row: Any) -> None:
        state = inspect(row)
        given = any(state.attrs[k].history.has_changes() for k in keys)
        changed = state.key is None or any(state.attrs[f].history.has_changes() for f in facts)
        if (changed and not given) or any(getattr(row, k) is None for k in keys[:1]):
            for name, value in zip(keys, work(*(getattr(row, f) for f in facts)), strict=True):
                setattr(row, name, value)

    event.listen(model, "before_insert", refresh)
    event.listen(model, "before_update", refresh)


def _organization_fact_keys(*facts: Any) -> tuple[str, str, str]:
    # identity (phonenumbers, email-validator) loads at the first write, not with the models:
    # the console's start-up reads the models long before it verifies anyone.
    from identity import organization_fact_keys

    return organization_fact_keys(*facts)


def _person_fact_keys(*facts: Any) -> tuple[str, str | None, str, str]:
    from identity import person_fact_keys

    return person_fact_keys(*facts)


_keep_keys(Organization, ("name", "url", "street_lines", "city", "region", "postal_code", "country"),
           ("key_name", "key_url", "key_address"), _organization_fact_keys)
_keep_keys(Person, ("user_id", "phone_e164", "first_name", "last_name"),
           ("key_user_id", "key_phone", "key_first_name", "key_last_name"), _person_fact_keys)


# The hand-off's tables live beside (kept apart for length); imported here so that the models'
# metadata holds every table.
from tickets.store.handoff_models import HandoffDestination, HandoffOutbox  # noqa: E402,F401
