"""The outbox in the database: destinations kept from the config, rows claimed with a lease,
each attempt's outcome written with its audit event, and the counts `deskapp relay status` and
the dashboard show.

The rows are written by the database itself (migration 0015: a trigger after each ticket event
a hand-off follows). PostgreSQL: the relay writes through the `deskapp_api_handoff_*` functions
(tickets.store.pgsql.handoff_0015), claiming with FOR UPDATE SKIP LOCKED; SQLite: the same
statements in a BEGIN IMMEDIATE transaction, which serialises relays on the database's write
lock. Either way a row is held by one relay at a time until its lease runs out, and an outcome
is written only by the relay holding it: a row's event is sent once unless a relay dies or
overruns its lease after sending, when the next relay sends it again with the same
idempotency key (the receiver's deduplication is what makes that once).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tickets.audit.chain import append_event
from tickets.handoff.settings import Destination
from tickets.store import rawsql
from tickets.store.calls import call
from tickets.store.database import Store
from tickets.store.rawsql import Raw, Sql

ACTOR = "relay"
OUTCOMES = {"delivered": "handoff.delivered", "failed": "handoff.attempt_failed", "parked": "handoff.parked"}


@dataclass(frozen=True)
class Claimed:
    id: int
    destination: str
    event_seq: int
    event_key: str  # the event's hash: the idempotency key
    ticket_id: int
    occasion: str
    created_at: datetime
    attempts: int  # before this one


@dataclass(frozen=True)
class DestinationCounts:
    name: str
    kind: str
    enabled: bool
    pending: int
    delivered: int
    parked: int


@dataclass(frozen=True)
class ParkedRow:
    id: int
    destination: str
    ticket_id: int
    occasion: str
    attempts: int
    last_status: int | None
    last_error: str | None
    done_at: datetime


# --- destinations ----------------------------------------------------------------------------

_PG_SYNC = Sql("SELECT deskapp_api_handoff_sync(CAST(:destinations AS jsonb), :at) AS changed")
_SQ_DESTINATIONS = Sql("SELECT name, kind, url, enabled FROM handoff_destination ORDER BY name")
_SQ_UPSERT = Sql(
    "INSERT INTO handoff_destination (name, kind, url, enabled, updated_at) VALUES (:name, :kind, :url, 1, :at) "
    "ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, url = excluded.url, enabled = 1, updated_at = :at"
)
_SQ_DISABLE = Sql("UPDATE handoff_destination SET enabled = 0, updated_at = :at WHERE name = :name")


def _url_digest(url: str | None) -> str | None:
    return None if url is None else hashlib.sha256(url.encode()).hexdigest()


def sync_destinations(store: Store, destinations: Sequence[Destination]) -> int:
    """Make the database's destinations the config's (others disabled, their rows kept); how
    many changed. Audited as `handoff.destinations` when any did (a URL only by its digest)."""
    wanted = [{"name": d.name, "kind": d.kind, "url": d.url} for d in destinations]
    now = store.clock.now()
    if store.postgres:
        (row,) = _rows(store, _PG_SYNC, {"destinations": rawsql.bind_json(wanted), "at": now})
        return int(row.changed)

    def work(raw: Raw) -> int:
        have = {r.name: r for r in raw.rows(_SQ_DESTINATIONS)}
        changed = 0
        for d in wanted:
            old = have.get(d["name"])
            if old is None or (old.kind, old.url, bool(old.enabled)) != (d["kind"], d["url"], True):
                raw.execute(_SQ_UPSERT, {**d, "at": rawsql.bind_time(now, raw.dialect)})
                changed += 1
        names = {d["name"] for d in wanted}
        for name, old in have.items():
            if old.enabled and name not in names:
                raw.execute(_SQ_DISABLE, {"name": name, "at": rawsql.bind_time(now, raw.dialect)})
                changed += 1
        if changed:
            listed = [{"name": r.name, "kind": r.kind, "enabled": bool(r.enabled), "url_sha256": _url_digest(r.url)}
                      for r in raw.rows(_SQ_DESTINATIONS)]
            append_event(raw, at=now, actor=ACTOR, action="handoff.destinations", subject="handoff",
                         details={"destinations": listed}, returning=False)
        return changed

    return store.raw_transaction(work)


# --- claiming and reporting ------------------------------------------------------------------

_PG_CLAIM = Sql(
    "SELECT id, destination, event_seq, event_key, ticket_id, occasion, created_at, attempts "
    "FROM deskapp_api_handoff_claim(:worker, CAST(:names AS text[]), :limit, :lease_ms, :at) ORDER BY id"
)
_SQ_DUE = (
    "SELECT id, destination, event_seq, event_key, ticket_id, occasion, created_at, attempts FROM handoff_outbox "
    "WHERE state = 'pending' AND next_at <= :now AND (lease_until IS NULL OR lease_until <= :now) "
    "AND destination IN ({names}) ORDER BY id LIMIT :limit"
)
_SQ_LEASE = Sql("UPDATE handoff_outbox SET lease_owner = :worker, lease_until = :until WHERE id = :id")


def claim(store: Store, worker: str, names: Sequence[str], limit: int, lease: timedelta) -> list[Claimed]:
    """Up to `limit` due rows of the destinations `names`, leased to `worker` for `lease`."""
    if not names:
        return []
    now = store.clock.now()
    if store.postgres:
        rows = _rows(store, _PG_CLAIM, {"worker": worker, "names": list(names), "limit": limit,
                                       "lease_ms": int(lease.total_seconds() * 1000), "at": now})
    else:
        due = Sql(_SQ_DUE.format(names=", ".join(f":n{i}" for i in range(len(names)))))

        def work(raw: Raw) -> list[Any]:
            at = rawsql.bind_time(now, raw.dialect)
            found = raw.rows(due, {"now": at, "limit": limit, **{f"n{i}": n for i, n in enumerate(names)}})
            until = rawsql.bind_time(now + lease, raw.dialect)
            for row in found:
                raw.execute(_SQ_LEASE, {"worker": worker, "until": until, "id": row.id})
            return found

        rows = store.raw_transaction(work)
    return [Claimed(r.id, r.destination, r.event_seq, r.event_key, r.ticket_id, r.occasion,
                    rawsql.read_time(r.created_at), r.attempts) for r in rows]


def _rows(store: Store, sql: Sql, params: dict[str, Any]) -> list[Any]:
    """A function call's rows, read by column name."""
    return list(call(store, sql, params))


_PG_REPORT = Sql(
    "SELECT deskapp_api_handoff_report(:id, :worker, :outcome, :status, :error, :next_at, :at) AS done"
)
_SQ_HELD = Sql("SELECT destination, ticket_id, event_seq, occasion, attempts, state, lease_owner "
               "FROM handoff_outbox WHERE id = :id")
_SQ_REPORT = Sql(
    "UPDATE handoff_outbox SET attempts = attempts + 1, lease_owner = NULL, lease_until = NULL, "
    "last_status = :status, last_error = :error, state = :state, next_at = coalesce(:next_at, next_at), "
    "done_at = :done_at WHERE id = :id"
)


def report(store: Store, row: Claimed, worker: str, outcome: str, *, status: int | None = None,
           error: str | None = None, next_at: datetime | None = None) -> bool:
    """Write one attempt's outcome ("delivered", "failed": try again at `next_at`, "parked") and
    its audit event, if `worker` still holds the row; False (nothing written) if it does not."""
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome: {outcome!r} is not one of {', '.join(OUTCOMES)}")
    error = None if error is None else error[:200]
    now = store.clock.now()
    if store.postgres:
        (done,) = _rows(store, _PG_REPORT, {"id": row.id, "worker": worker, "outcome": outcome, "status": status,
                                          "error": error, "next_at": next_at, "at": now})
        return bool(done.done)

    def work(raw: Raw) -> bool:
        held = raw.first(_SQ_HELD, {"id": row.id})
        if held is None or held.state != "pending" or held.lease_owner != worker:
            return False
        raw.execute(_SQ_REPORT, {
            "id": row.id, "status": status, "error": error,
            "state": "pending" if outcome == "failed" else outcome,
            "next_at": rawsql.bind_time(next_at, raw.dialect) if outcome == "failed" else None,
            "done_at": None if outcome == "failed" else rawsql.bind_time(now, raw.dialect),
        })
        append_event(raw, at=now, actor=ACTOR, action=OUTCOMES[outcome], subject=f"outbox:{row.id}", details={
            "destination": held.destination, "outbox": row.id, "ticket": held.ticket_id,
            "event_seq": held.event_seq, "occasion": held.occasion, "attempt": held.attempts + 1,
            "status_code": status, "error": error, "worker": worker,
        }, returning=False)
        return True

    return store.raw_transaction(work)


# --- what is waiting, done and parked --------------------------------------------------------

_COUNTS = Sql(
    "SELECT d.name, d.kind, d.enabled, "
    "coalesce(sum(CASE WHEN o.state = 'pending' THEN 1 ELSE 0 END), 0) AS pending, "
    "coalesce(sum(CASE WHEN o.state = 'delivered' THEN 1 ELSE 0 END), 0) AS delivered, "
    "coalesce(sum(CASE WHEN o.state = 'parked' THEN 1 ELSE 0 END), 0) AS parked "
    "FROM handoff_destination d LEFT JOIN handoff_outbox o ON o.destination = d.name "
    "GROUP BY d.name, d.kind, d.enabled ORDER BY d.name"
)
_PARKED = Sql(
    "SELECT id, destination, ticket_id, occasion, attempts, last_status, last_error, done_at FROM handoff_outbox "
    "WHERE state = 'parked' ORDER BY id DESC LIMIT :limit"
)
_PARKED_COUNT = Sql("SELECT count(*) AS parked FROM handoff_outbox WHERE state = 'parked'")


def counts(store: Store) -> list[DestinationCounts]:
    with store.raw_read() as raw:
        return [DestinationCounts(r.name, r.kind, bool(r.enabled), int(r.pending), int(r.delivered), int(r.parked))
                for r in raw.rows(_COUNTS)]


def parked(store: Store, limit: int = 50) -> list[ParkedRow]:
    with store.raw_read() as raw:
        return [ParkedRow(r.id, r.destination, r.ticket_id, r.occasion, r.attempts, r.last_status, r.last_error,
                          rawsql.read_time(r.done_at)) for r in raw.rows(_PARKED, {"limit": limit})]


def parked_count(session: Any) -> int:
    """Rows parked as failed, for the dashboard (in the caller's read)."""
    found = rawsql.first(session, _PARKED_COUNT)
    return int(found.parked) if found is not None else 0
