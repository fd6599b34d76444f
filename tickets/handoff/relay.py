"""`deskapp relay`: takes the outbox's due rows and delivers them, each attempt audited.

One pass (`once`, what `deskapp relay --once` runs from cron) claims due rows in batches, with
a lease, until none is due; the long-running relay repeats passes until told to stop. Each row:
its destination's attempt, then its outcome written only if this relay still holds it
(tickets.handoff.outbox): delivered; failed, to be tried again after a backoff with jitter
(tickets.handoff.backoff); or parked as failed once its retry_for has run out. Every time comes
from the store's clock (tickets.clock), so tests move time instead of waiting.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from tickets.handoff import backoff, outbox, webhook
from tickets.handoff.body import body_for
from tickets.handoff.outbox import Claimed
from tickets.handoff.settings import Destination, HandoffSettings
from tickets.store.database import Store

log = logging.getLogger("tickets.handoff")
log.addHandler(logging.NullHandler())
BATCH = 10


@dataclass
class Pass:
    """What one pass did."""

    delivered: int = 0
    failed: int = 0  # to be tried again
    parked: int = 0
    lost_lease: int = 0  # outcomes not written: another relay held the row by then
    by_destination: dict[str, int] = field(default_factory=dict)

    @property
    def attempts(self) -> int:
        return self.delivered + self.failed + self.parked + self.lost_lease


def worker_name() -> str:
    """Who holds a lease: the host, the process and a random part (a restarted process with the
    same pid is another relay)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


Attempter = Callable[[Destination, Claimed], webhook.Attempt]


class Relay:
    def __init__(self, store: Store, settings: HandoffSettings, *, worker: str | None = None, batch: int = BATCH,
                 rng: random.Random | None = None, attempters: dict[str, Attempter] | None = None,
                 language: str = "en") -> None:
        self.store = store
        self.language = language  # the desk's: e-mails are written in it
        self.settings = settings
        self.worker = worker or worker_name()
        self.batch = batch
        self.rng = rng or random.Random()
        self.attempters: dict[str, Attempter] = {"webhook": self._webhook, "email": self._email,
                                                 **(attempters or {})}

    @property
    def names(self) -> list[str]:
        return [d.name for d in self.settings.destinations if d.kind in self.attempters]

    def start(self) -> int:
        """The database's destinations made the config's; how many changed."""
        return outbox.sync_destinations(self.store, self.settings.destinations)

    def once(self) -> Pass:
        """Deliver every row due now, batch by batch, until none is left."""
        done = Pass()
        while True:
            rows = outbox.claim(self.store, self.worker, self.names, self.batch, self.settings.lease)
            if not rows:
                return done
            held_until = self.store.clock.now() + self.settings.lease
            for row in rows:
                if self.store.clock.now() + self.settings.timeout >= held_until:
                    break  # the rest would overrun the lease: they come back when it ends
                self._deliver(row, done)

    def run(self, stop: threading.Event, idle: float = 1.0) -> None:
        """Passes until `stop` is set, waiting `idle` seconds when nothing was due."""
        while not stop.is_set():
            try:
                done = self.once()
            except Exception:  # noqa: BLE001 - a database outage: log it and try again
                log.exception("relay pass failed")
                done = Pass()
            if done.attempts == 0:
                stop.wait(idle)

    def _deliver(self, row: Claimed, done: Pass) -> None:
        destination = self.settings.named(row.destination)
        attempt = self.attempters[destination.kind](destination, row)
        now = self.store.clock.now()
        if attempt.delivered:
            outcome, next_at = "delivered", None
        elif attempt.final:
            outcome, next_at = "parked", None
        else:
            next_at = backoff.next_attempt(row.created_at, now, row.attempts + 1, destination.retry_for, self.rng)
            outcome = "failed" if next_at is not None else "parked"
        if not outbox.report(self.store, row, self.worker, outcome, status=attempt.status, error=attempt.error,
                             next_at=next_at):
            done.lost_lease += 1
            return
        setattr(done, outcome, getattr(done, outcome) + 1)
        done.by_destination[row.destination] = done.by_destination.get(row.destination, 0) + 1

    def _webhook(self, destination: Destination, row: Claimed) -> webhook.Attempt:
        body = body_for(self.store, row)
        if body is None:
            return webhook.Attempt(False, None, "no such ticket", final=True)
        assert destination.url is not None and destination.secret is not None
        return webhook.post(destination.url, body, secret=destination.secret, key=row.event_key,
                            at=int(self.store.clock.now().timestamp()),
                            timeout=self.settings.timeout.total_seconds())

    def _email(self, destination: Destination, row: Claimed) -> webhook.Attempt:
        """The caller's e-mail for the event (the IT contact's when a migration is resolved: its
        data is ready, M-3). Nobody to write to is done, with nothing sent. The audit gets the
        kind of failure only: an SMTP reply may name the recipient."""
        from tickets.enums import TicketKind
        from tickets.handoff import mail
        from tickets.store.models import ticket_ref

        occasion = {"filed": "filed", "resolved": "decided"}.get(row.occasion, "decided")
        ref = ticket_ref(row.ticket_id)
        try:
            if row.occasion == "resolved" and _kind(self.store, row.ticket_id) == TicketKind.MIGRATION.value:
                occasion = "migration_ready"
            domain = self.settings.smtp.sender_address.rpartition("@")[2] or "deskapp.invalid"
            message = mail.mail_for(self.store, ref, occasion, self.language, event_seq=row.event_seq, domain=domain)
        except ValueError:
            return webhook.Attempt(False, None, f"no {occasion} e-mail for this ticket", final=True)
        if message is None:
            return webhook.Attempt(True, None, "nobody to write to")
        try:
            mail.send(self.settings.smtp, message)
        except mail.DeliveryFailed as failed:
            return webhook.Attempt(False, None, "SMTP: try again later" if failed.retryable else "SMTP: refused",
                                   final=not failed.retryable)
        return webhook.Attempt(True, None, None)


def _kind(store: Store, ticket_id: int) -> str | None:
    from sqlalchemy import text

    with store.read() as session:
        return session.execute(text("SELECT kind FROM ticket WHERE id = :id"), {"id": ticket_id}).scalar()
