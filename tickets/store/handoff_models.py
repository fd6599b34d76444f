"""The hand-off's tables (migration 0015): where tickets go, and what is still to send.

`handoff_destination` is kept by `deskapp relay` from the desk's config (a name, its kind, its
URL for webhooks, whether it is enabled). `handoff_outbox` holds one row per enabled destination
for every ticket event other systems take (filed, approved, rejected, resolved, withdrawn),
written by a trigger on `audit_event` in the very transaction that appends the event, on both
engines and whatever path wrote it (tickets.handoff.outbox).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from tickets.store.types import UTCDateTime


class HandoffDestination(SQLModel, table=True):
    __tablename__ = "handoff_destination"

    name: str = Field(primary_key=True, max_length=60)
    kind: str = Field(max_length=10)  # "webhook" or "email"
    url: str | None = Field(default=None, max_length=500)  # a webhook's; never a secret
    enabled: bool
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))

    __table_args__ = (CheckConstraint("kind IN ('webhook', 'email')", name="ck_handoff_destination_kind"),)


class HandoffOutbox(SQLModel, table=True):
    __tablename__ = "handoff_outbox"

    id: int = Field(default=None, primary_key=True)
    destination: str = Field(foreign_key="handoff_destination.name", max_length=60)
    event_seq: int  # the audit event it tells of (its seq)
    event_key: str = Field(max_length=64)  # that event's hash: the idempotency key
    ticket_id: int
    occasion: str = Field(max_length=20)  # filed, approved, rejected, resolved, withdrawn
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    state: str = Field(max_length=10)  # pending, delivered, parked
    attempts: int
    next_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    lease_owner: str | None = Field(default=None, max_length=80)
    lease_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    last_status: int | None = None
    last_error: str | None = Field(default=None, max_length=200)
    done_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))

    __table_args__ = (
        UniqueConstraint("destination", "event_seq", name="uq_handoff_outbox_event"),
        Index("ix_handoff_outbox_due", "state", "next_at"),
        CheckConstraint("state IN ('pending', 'delivered', 'parked')", name="ck_handoff_outbox_state"),
    )
