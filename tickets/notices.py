"""Notices for the agent who filed a ticket: a supervisor approved or rejected it, or it waits
for a callback to the number on file (V-8) before it can be decided.

Read from the audit chain (A-1) by sequence number, so a periodic check costs one range scan of
the events since the last one seen (the primary key), whatever the size of the chain.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select as sa_select
from sqlmodel import col, select

from tickets.agents import AgentInfo
from tickets.enums import TicketStatus
from tickets.store.database import Store
from tickets.store.models import AuditEvent, AuditHead, Ticket, ticket_ref

DECISIONS = {"ticket.approved": "approved", "ticket.rejected": "rejected"}
MAX_EVENTS = 500  # per check; the rest are read by the next one


@dataclass(frozen=True)
class Notice:
    seq: int
    ticket_id: int
    ticket_ref: str
    what: str  # "approved", "rejected"
    by: str
    at: datetime
    reason: str | None

    def __str__(self) -> str:
        text = f"{self.ticket_ref} was {self.what} by {self.by}"
        return text + (f": {self.reason}" if self.reason else ".")


def latest_seq(store: Store) -> int:
    """Where a new session of the console starts reading (nothing older is news)."""
    with store.read() as session:
        head = session.get(AuditHead, 1)
    return head.seq if head is not None else 0


def notices_for(store: Store, agent: AgentInfo, after_seq: int) -> tuple[list[Notice], int]:
    """Decisions on the agent's tickets recorded after `after_seq`, and the seq to read after next."""
    with store.read() as session:
        events = session.execute(
            # SQLAlchemy's select: sqlmodel's is typed for at most four columns.
            sa_select(col(AuditEvent.seq), col(AuditEvent.action), col(AuditEvent.actor), col(AuditEvent.subject),
                      col(AuditEvent.at), col(AuditEvent.details))
            .where(col(AuditEvent.seq) > after_seq).order_by(col(AuditEvent.seq)).limit(MAX_EVENTS)
        ).all()
        if not events:
            return [], after_seq
        decided = {int(e.subject.split(":", 1)[1]): e for e in events if e.action in DECISIONS}
        mine = set(
            session.exec(
                select(Ticket.id).where(col(Ticket.id).in_(list(decided)), Ticket.filed_by_id == agent.id)
            ).all()
        ) if decided else set()
    notices = [
        Notice(e.seq, tid, ticket_ref(tid), DECISIONS[e.action], e.actor, e.at, (e.details or {}).get("reason"))
        for tid, e in sorted(decided.items(), key=lambda item: item[1].seq)
        if tid in mine and e.actor != agent.name
    ]
    return notices, events[-1].seq


def awaiting_callback(store: Store, agent: AgentInfo) -> list[str]:
    """Refs of the agent's tickets that wait for review and still need the callback (V-8)."""
    with store.read() as session:
        ids = session.exec(
            select(Ticket.id).where(
                Ticket.filed_by_id == agent.id, Ticket.status == TicketStatus.PENDING_REVIEW.value,
                col(Ticket.needs_callback).is_(True), col(Ticket.callback_at).is_(None),
            ).order_by(col(Ticket.id))
        ).all()
    return [ticket_ref(i) for i in ids]
