"""Internal notes on a filed ticket: what agents and supervisors tell each other about it
(the caller never sees them). A note is added, never edited or deleted.

The note's text is free text (V-3 storable, V-6 no passwords, PINs or codes) of at most
NOTE_MAX_LENGTH characters. Its audit event `ticket.noted` is written in the same transaction
and records the note's id, length and sha256 digest, never the text (A-1: the chain proves a
note was not changed afterwards without copying what it says).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from tickets.agents import AgentInfo
from tickets.audit.chain import append_event
from tickets.errors import InvalidInput, NotAllowed, NotFound
from tickets.i18n import _
from tickets.sessions import check_actor
from tickets.store.calls import call
from tickets.store.database import Store
from tickets.store.models import Agent, Ticket, TicketNote, ticket_ref
from tickets.store.rawsql import Sql, read_time
from tickets.text import check_text

NOTE_MAX_LENGTH = 1000
_ADD_NOTE = Sql("SELECT note_id, created_at FROM deskapp_api_add_note(:token, :agent, :ticket, :text, :at)")
NOTED = "ticket.noted"


@dataclass(frozen=True)
class Note:
    id: int
    ticket_id: int
    author: str  # the agent's display name
    author_name: str  # their sign-in name
    created_at: datetime
    text: str


def note_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def clean_note(text: str) -> str:
    """The note as it would be stored, or InvalidInput naming what is wrong with it."""
    if not isinstance(text, str):
        raise InvalidInput({"note": "must be text"})
    text = text.strip()
    if not text:
        raise InvalidInput({"note": "a note needs some text"})
    check_text({"note": text}, max_length=NOTE_MAX_LENGTH)
    return text


def add_note(store: Store, *, agent: AgentInfo, ticket_id: int, text: str) -> Note:
    """Add an internal note to a filed ticket, audited in the same transaction."""
    text = clean_note(text)
    if store.postgres:  # the database's function (migration 0011): the session's agent writes it
        ((note_id, at),) = call(store, _ADD_NOTE, {"token": agent.session, "agent": agent.id, "ticket": ticket_id,
                                                   "text": text, "at": store.clock.now()})
        return Note(note_id, ticket_id, agent.display_name, agent.name, read_time(at), text)

    def work(session: Session) -> Note:
        check_actor(session, agent, store.clock.now())
        author = session.get(Agent, agent.id)
        if author is None or not author.active:
            raise NotAllowed(_("only an active agent or supervisor can add a note"))
        if session.get(Ticket, ticket_id) is None:
            raise NotFound(_("ticket {ref} does not exist").format(ref=ticket_ref(ticket_id)))
        now = store.clock.now()
        note = TicketNote(ticket_id=ticket_id, agent_id=agent.id, created_at=now, text=text)
        session.add(note)
        session.flush()  # the note's row first, the append last (the head stays locked to the commit)
        assert note.id is not None
        append_event(
            session, at=now, actor=author.name, action=NOTED, subject=f"ticket:{ticket_id}",
            details={"note_id": note.id, "length": len(text), "sha256": note_digest(text)},
        )
        return Note(note.id, ticket_id, author.display_name, author.name, now, text)

    return store.transaction(work)


def list_notes(store: Store, ticket_id: int) -> list[Note]:
    """A ticket's notes, oldest first, with their authors' names."""
    with store.read() as session:
        rows = session.exec(
            select(TicketNote, Agent.display_name, Agent.name)
            .join(Agent, col(Agent.id) == TicketNote.agent_id)
            .where(TicketNote.ticket_id == ticket_id)
            .order_by(col(TicketNote.id))
        ).all()
    return [
        Note(note.id or 0, note.ticket_id, display, name, note.created_at, note.text)
        for note, display, name in rows
    ]
