"""Who else has a ticket open in the review queue: a supervisor opening a ticket another
supervisor is already looking at is told who and since when, so that two of them do not
check the same evidence and call the same customer back at once (the decision itself is safe
either way: the core's conditional update lets one win, X-2).

Each supervisor has at most one row in `ticket_viewer` (migration 0012), written when they open
a ticket and touched every TOUCH_EVERY while it stays open; it goes when they leave the queue.
A row not touched for FRESH_FOR (the console was killed, the machine lost power) no longer
counts. The rows live in the desk's database, so consoles in other processes and on other
machines see each other, on SQLite and PostgreSQL alike. Looking is not a change to a ticket:
nothing here is audited (A-1 records changes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from tickets.agents import AgentInfo
from tickets.sessions import check_actor
from tickets.store.calls import call
from tickets.store.database import Store
from tickets.store.models import Agent, TicketViewer
from tickets.store.rawsql import Sql

_VIEW = Sql("SELECT deskapp_api_view_ticket(:token, :agent, :ticket, :at)")
_LEAVE = Sql("SELECT deskapp_api_leave_tickets(:token, :agent, :at)")
TOUCH_EVERY = timedelta(seconds=30)
FRESH_FOR = timedelta(seconds=90)  # three touches missed: the console is gone


@dataclass(frozen=True)
class Viewer:
    agent_id: int
    name: str  # display name
    since: datetime


def open_ticket(store: Store, agent: AgentInfo, ticket_id: int) -> tuple[Viewer, ...]:
    """`agent` has `ticket_id` open from now (or still, keeping the time they opened it);
    returns the other supervisors who have it open, longest first."""

    if store.postgres:  # through the database's function (migration 0014): the session's agent
        now = store.clock.now()
        call(store, _VIEW, {"token": agent.session, "agent": agent.id, "ticket": ticket_id, "at": now})
        with store.read() as session:
            return _others(session, ticket_id, agent.id, now)

    def work(session: Session) -> tuple[Viewer, ...]:
        now = store.clock.now()
        check_actor(session, agent, now)
        insert = postgresql_insert if store.engine.dialect.name == "postgresql" else sqlite_insert
        table = TicketViewer.metadata.tables["ticket_viewer"]
        statement = insert(table).values(agent_id=agent.id, ticket_id=ticket_id, since=now, seen_at=now)
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.agent_id],
            set_={
                "ticket_id": statement.excluded.ticket_id,
                "seen_at": statement.excluded.seen_at,
                # Still the same ticket: since when it has been open stays.
                "since": case((table.c.ticket_id == statement.excluded.ticket_id, table.c.since),
                              else_=statement.excluded.since),
            },
        )
        session.execute(statement)
        return _others(session, ticket_id, agent.id, now)

    return store.transaction(work)


def viewers_of(store: Store, ticket_id: int, *, other_than: int) -> tuple[Viewer, ...]:
    """The supervisors other than `other_than` who have `ticket_id` open now."""
    with store.read() as session:
        return _others(session, ticket_id, other_than, store.clock.now())


def leave(store: Store, agent: AgentInfo) -> None:
    """`agent` has left the review queue: no ticket open."""
    if store.postgres:
        call(store, _LEAVE, {"token": agent.session, "agent": agent.id, "at": store.clock.now()})
        return

    def work(session: Session) -> None:
        session.execute(delete(TicketViewer).where(col(TicketViewer.agent_id) == agent.id))

    store.transaction(work)


def _others(session: Session, ticket_id: int, agent_id: int, now: datetime) -> tuple[Viewer, ...]:
    rows = session.exec(
        select(TicketViewer.agent_id, Agent.display_name, TicketViewer.since)
        .join(Agent, col(Agent.id) == col(TicketViewer.agent_id))
        .where(TicketViewer.ticket_id == ticket_id, TicketViewer.agent_id != agent_id,
               col(TicketViewer.seen_at) >= now - FRESH_FOR)
        .order_by(col(TicketViewer.since), col(TicketViewer.agent_id))
    ).all()
    return tuple(Viewer(agent_id=row[0], name=row[1], since=row[2]) for row in rows)
