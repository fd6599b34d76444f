"""A-1: the bytes each audit event's hash is taken over, in the chain's two formats.

Format 1 (events written before migration 0009): one hash over a canonical JSON of the
event's fields *and* its seq and previous hash, computed in Python with the head row locked.

Format 2 (from migration 0009 on): the event's content hash is computed in Python before any
lock (`content_hash`: at, actor, action and subject framed by their lengths, then the
details' canonical JSON), and the link to the chain in SQL, in the statement that takes the
head: `hash = sha256("<seq>:<previous hash>:<content hash>")` (`chain_link`; PostgreSQL's
sha256(), on SQLite this very function registered on the connection). The link still covers
the position and the previous hash, so editing, cutting, reordering or renumbering breaks it
exactly as before.

Which format an event is in is never guessed per event: the chain's first event fixes it,
and a format-1 chain turns to format 2 only after its `audit.chain_format` event (appended by
migration 0009, itself hashed in format 1). So nobody can append format-1 events after the
switch, nor write format-2 ones before it, without breaking the chain at that event.
"""

from __future__ import annotations

from datetime import UTC, datetime
from hashlib import sha256
from typing import Any

from tickets.jsontext import encoder

GENESIS_HASH = "0" * 64
FORMAT_SWITCH = "audit.chain_format"  # the last format-1 event of a chain that had any

_DETAILS = encoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def at_text(at: datetime) -> str:
    utc = at.astimezone(UTC)
    if utc.year < 1000:  # strftime writes such a year unpadded ("999-"), isoformat pads it
        return utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    # The same text as that strftime, at a fraction of its CPU (each append makes one).
    return utc.replace(tzinfo=None).isoformat("T", "microseconds") + "Z"


def details_text(details: Any) -> str:
    """Details as both formats hash them, and as format-2 events store them: sorted keys, no spaces."""
    return _DETAILS(details)


# details_text of a value json decoded (what `audit verify` re-encodes: no cycles, JSON types only).
decoded_text = encoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, check_circular=False)


# --- format 1 ---------------------------------------------------------------------------------

def canonical_bytes(
    *, seq: int, at: datetime, actor: str, action: str, subject: str, details: dict[str, Any], prev_hash: str
) -> bytes:
    """Format 1: the exact bytes an event's hash is taken over: sorted keys, no spaces, UTF-8."""
    record = {
        "seq": seq,
        "at": at_text(at),
        "actor": actor,
        "action": action,
        "subject": subject,
        "details": details,
        "prev_hash": prev_hash,
    }
    return _DETAILS(record).encode()


# --- format 2 ---------------------------------------------------------------------------------

def content_text(at: str, actor: str, action: str, subject: str, details: str) -> str:
    """The event's own content: each short field framed by its length (no escaping to do, no
    ambiguity whatever the characters), then the details' canonical JSON to the end."""
    return f"{len(at)}:{at}{len(actor)}:{actor}{len(action)}:{action}{len(subject)}:{subject}{details}"


def content_hash(*, at: datetime, actor: str, action: str, subject: str, details: Any) -> str:
    return content_hash_of(at_text(at), actor, action, subject, details_text(details))


def content_hash_of(at: str, actor: str, action: str, subject: str, details: str) -> str:
    """content_hash from the texts (the details' already made by details_text)."""
    return sha256(content_text(at, actor, action, subject, details).encode()).hexdigest()


def chain_link(seq: int, prev_hash: str, content: str) -> str:
    """The event's hash: its content hash linked to its place in the chain. The SQL of
    tickets.audit.chain computes exactly this (all three are ASCII)."""
    return sha256(f"{seq}:{prev_hash}:{content}".encode()).hexdigest()


def event_link(*, seq: int, prev_hash: str, at: datetime, actor: str, action: str, subject: str, details: Any) -> str:
    """A format-2 event's hash from its fields (what a verifier or a re-hashing insider computes)."""
    return chain_link(seq, prev_hash, content_hash(at=at, actor=actor, action=action, subject=subject, details=details))
