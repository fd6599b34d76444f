"""A-1: the append-only, hash-chained audit trail.

Each event's hash covers a canonical encoding of its own fields and the previous event's
hash, so that editing, deleting, reordering or cutting off events breaks the chain where it
happened. The store offers no way to update or delete an event, and database triggers
(migration 0001) refuse it from outside too. `audit_head` holds the last link: every append
locks it, which serialises appends across processes on PostgreSQL (on SQLite the write
transaction's BEGIN IMMEDIATE already does) and lets the verifier see a cut tail.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlmodel import Session, col, select

from tickets.audit_history import TicketHistories
from tickets.errors import InvalidInput
from tickets.models import AuditEvent, AuditHead

GENESIS_HASH = "0" * 64


def canonical_bytes(
    *, seq: int, at: datetime, actor: str, action: str, subject: str, details: dict[str, Any], prev_hash: str
) -> bytes:
    """The exact bytes an event's hash is taken over: sorted keys, no spaces, UTF-8."""
    record = {
        "seq": seq,
        "at": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "actor": actor,
        "action": action,
        "subject": subject,
        "details": details,
        "prev_hash": prev_hash,
    }
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_hash(event: AuditEvent) -> str:
    return hashlib.sha256(
        canonical_bytes(
            seq=event.seq,
            at=event.at,
            actor=event.actor,
            action=event.action,
            subject=event.subject,
            details=event.details,
            prev_hash=event.prev_hash,
        )
    ).hexdigest()


_head = AuditHead.__table__
_LOCK_HEAD = select(_head.c.seq, _head.c.hash).where(_head.c.id == 1).with_for_update()
_INSERT_EVENT = insert(AuditEvent.__table__)
_MOVE_HEAD = update(_head).where(_head.c.id == 1).values(seq=bindparam("new_seq"), hash=bindparam("new_hash"))


def append_event(
    session: Session,
    *,
    at: datetime,
    actor: str,
    action: str,
    subject: str,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event in the caller's transaction (so it commits with what it records); A-1:
    the only way an event is written, hash-chained to the one before."""
    details = json.loads(json.dumps(details or {}, sort_keys=True))  # plain JSON values only
    at = at.astimezone(UTC)
    # Core statements on the session's connection, built once (compiled-statement cache hits):
    # no ORM objects, identity map or unit-of-work flush for the two rows an append touches.
    connection = session.connection()
    seq, prev = connection.execute(_LOCK_HEAD).one()
    digest = hashlib.sha256(canonical_bytes(
        seq=seq + 1, at=at, actor=actor, action=action, subject=subject, details=details, prev_hash=prev,
    )).hexdigest()
    row = dict(seq=seq + 1, at=at, actor=actor, action=action, subject=subject, details=details,
               prev_hash=prev, hash=digest)
    connection.execute(_INSERT_EVENT, row)
    connection.execute(_MOVE_HEAD, {"new_seq": seq + 1, "new_hash": digest})
    return AuditEvent(**row)  # not added to the session: the row is already written


@dataclass(frozen=True)
class Anchor:
    """The chain head as kept outside the database: `SEQ:HASH`, one line."""

    seq: int
    hash: str

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash}"

    @classmethod
    def parse(cls, text: str, *, where: str = "--anchor") -> Anchor:
        """`SEQ:HASH` (a line of an anchors file may carry more words after it: the time)."""
        words = text.split()
        match = _ANCHOR_RE.fullmatch(words[0]) if words else None
        if match is None:
            raise InvalidInput({where: "expected SEQ:HASH, a whole number and 64 hexadecimal digits (A-1)"})
        return cls(int(match["seq"]), match["hash"].lower())


_ANCHOR_RE = re.compile(r"(?P<seq>\d{1,18}):(?P<hash>[0-9a-fA-F]{64})")


def read_anchors(text: str, *, source: str) -> list[Anchor]:
    """Every anchor in an anchors file; blank lines and # comments skipped."""
    anchors = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip() and not line.lstrip().startswith("#"):
            anchors.append(Anchor.parse(line, where=f"{source} line {number}"))
    return anchors


def chain_head(session: Session) -> Anchor:
    """The head as the database records it (what `deskapp audit head` prints)."""
    seq, digest = session.connection().execute(select(_head.c.seq, _head.c.hash).where(_head.c.id == 1)).one()
    return Anchor(seq, digest)


def events_for(session: Session, subject: str) -> list[AuditEvent]:
    """The history of one subject ("ticket:12"), oldest first."""
    return list(
        session.exec(select(AuditEvent).where(AuditEvent.subject == subject).order_by(col(AuditEvent.seq)))
    )


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    events_checked: int
    first_bad_seq: int | None = None
    problem: str | None = None

    head: Anchor | None = None  # SEQ:HASH of the verified head, to publish or compare

    def __str__(self) -> str:
        if self.ok:
            head = f"; head {self.head}" if self.head is not None else ""
            return f"audit chain verified: {self.events_checked} events, no edits, gaps or cut tail{head}"
        where = f" at event {self.first_bad_seq}" if self.first_bad_seq is not None else ""
        return f"audit chain BROKEN{where}: {self.problem}"


_EVENT_COLUMNS = (
    AuditEvent.seq, AuditEvent.at, AuditEvent.actor, AuditEvent.action, AuditEvent.subject,
    AuditEvent.details, AuditEvent.prev_hash, AuditEvent.hash,
)


def _stream(session: Session, batch: int = 5000) -> Iterator[Any]:
    """Every event in seq order, as plain rows (no ORM objects: a million of them add up)."""
    last = 0
    while True:
        rows = session.exec(
            select(*_EVENT_COLUMNS).where(AuditEvent.seq > last).order_by(col(AuditEvent.seq)).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].seq


def verify_chain(session: Session, anchors: Iterable[Anchor] = ()) -> ChainReport:
    """Walk the chain in order; name the first event that is not what the chain says.

    `anchors` are heads kept outside the database (`deskapp audit anchor`): each must still be
    an event of the chain with that very hash, or the chain was cut, rewritten or replaced
    before it, however carefully the rest was re-hashed and the head moved.
    """
    wanted: dict[int, str] = {}
    for anchor in anchors:
        if wanted.setdefault(anchor.seq, anchor.hash) != anchor.hash:
            return ChainReport(False, 0, anchor.seq, "two anchors name different hashes for this event")
    expected_seq, prev_hash, checked = 1, GENESIS_HASH, 0
    histories = TicketHistories()  # what each ticket should be, collected on the walk
    for event in _stream(session):
        if event.seq != expected_seq:
            return ChainReport(
                False, checked, expected_seq, f"event {expected_seq} is missing (next is {event.seq})"
            )
        if event.prev_hash != prev_hash:
            return ChainReport(
                False, checked, event.seq, "its previous-hash does not match the event before it (reordered or replaced)"
            )
        digest = hashlib.sha256(canonical_bytes(
            seq=event.seq, at=event.at, actor=event.actor, action=event.action, subject=event.subject,
            details=event.details, prev_hash=event.prev_hash,
        )).hexdigest()
        if digest != event.hash:
            return ChainReport(False, checked, event.seq, "its content does not match its hash (edited)")
        anchored = wanted.pop(event.seq, None)
        if anchored is not None and anchored != event.hash:
            return ChainReport(
                False, checked, event.seq, "its hash is not the one anchored outside the database (rewritten)"
            )
        histories.see(event)
        prev_hash, expected_seq, checked = event.hash, expected_seq + 1, checked + 1
    if wanted:
        seq = min(wanted)
        return ChainReport(
            False, checked, seq,
            f"anchored outside the database but the chain now ends at event {expected_seq - 1} (events removed)",
        )
    head = session.get(AuditHead, 1)
    if head is None:
        return ChainReport(False, checked, None, "the chain head is missing")
    if head.seq != expected_seq - 1 or head.hash != prev_hash:
        return ChainReport(
            False,
            checked,
            expected_seq,
            f"the chain ends at event {expected_seq - 1} but its head records event {head.seq} (cut tail)",
        )
    # Every ticket was filed with its event in the same transaction, and every later change
    # with its own: a ticket its history does not explain was cut or edited around the chain.
    # The tickets come in pages by primary key, looked up in what the walk collected (linear;
    # a correlated NOT EXISTS was quadratic on SQLite at a million tickets).
    ticket_id, problem = histories.problems(session)
    if ticket_id is not None:
        return ChainReport(False, checked, None, f"ticket {ticket_id}: {problem}")
    return ChainReport(True, checked, head=Anchor(head.seq, head.hash))
