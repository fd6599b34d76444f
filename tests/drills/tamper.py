"""Tamper drill (A-1): every way a tamper review rewrote the audit trail unseen, tried on each engine.

A small desk is built (two expedited deprovisionings, a callback and an approval on the first,
a masked export), its head is anchored outside the database, and then an insider rewrites it:

- cut_tail: delete the last events (callback, approval, export) and move the head back (the
  ticket set back to pending review, so its row matches what is left);
- middle_rehash: delete an event in the middle, renumber and re-hash every later one, move the head;
- edit_last: edit the last event, re-hash it, move the head;
- delete_all: delete every event (and every ticket) and reset the head to the genesis;
- forge_approval: with the guards left in place, append a well-formed `ticket.approved` event in
  a supervisor's name and set the ticket approved (as the application could);
- silent_approval: set a ticket approved by another supervisor with no event at all.

As the owner (SQLite: whoever can write the file; PostgreSQL: the owner role or a superuser)
the insider sets the triggers aside first; each tamper must then fail `audit verify --anchor`.
On PostgreSQL the same tampers are tried as the application role of `deskapp db roles`: each
statement that rewrites the trail, moves the head back or sets a guard aside must be refused,
and what the role may do (append, update a ticket) must fail `audit verify` all the same.

    .venv/bin/python tests/drills/tamper.py [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Engine, insert, text, update  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

import testkit  # noqa: E402
from drills.common import EXPEDITED_CHECKLIST, DrillDirectory, Figures  # noqa: E402
from tickets.audit.chain import Anchor, append_event, chain_head, event_link, verify_chain  # noqa: E402
from tickets.enums import TicketKind  # noqa: E402
from tickets.export.run import write_export  # noqa: E402
from tickets.filing import FilingRequest, file_ticket  # noqa: E402
from tickets.lifecycle import approve, record_callback  # noqa: E402
from tickets.store.database import Store, make_engine  # noqa: E402
from tickets.store.models import AuditEvent, Ticket  # noqa: E402
from tickets.store.roles import apply_roles  # noqa: E402

TAMPERS = ("cut_tail", "middle_rehash", "edit_last", "delete_all", "forge_approval", "silent_approval")
# What the application role is refused on PostgreSQL: the guards and every rewrite.
GUARD_STATEMENTS = {
    "disable the event triggers": "ALTER TABLE audit_event DISABLE TRIGGER USER",
    "drop an event trigger": "DROP TRIGGER audit_event_no_change ON audit_event",
    "replace the trigger function": "CREATE OR REPLACE FUNCTION deskapp_audit_append_only() RETURNS trigger "
                                    "LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
    "skip triggers (session_replication_role)": "SET session_replication_role = replica",
    "disable the head trigger": "ALTER TABLE audit_head DISABLE TRIGGER USER",
    "delete the head": "DELETE FROM audit_head",
    "truncate the head": "TRUNCATE audit_head",
    "truncate the events": "TRUNCATE audit_event",
    "wipe sign-in failures": "DELETE FROM agent_sign_in",
}


@dataclass
class Desk:
    store: Store
    approved: int  # ticket with a callback and an approval
    pending: int  # expedited, pending review, no callback
    supervisor: str
    anchor: Anchor
    callback_seq: int


@dataclass
class Outcome:
    engine: str
    tamper: str
    as_role: str
    refused: list[str] = field(default_factory=list)  # statements the database refused
    allowed: list[str] = field(default_factory=list)  # statements it let through
    plain: str = ""  # audit verify without anchors
    anchored: str = ""  # audit verify --anchor
    detected: bool = False

    @property
    def rewrites_allowed(self) -> list[str]:
        return [a for a in self.allowed if "own rights" not in a]

    @property
    def result(self) -> str:
        """"detected" (verify --anchor fails), "refused" (every rewrite refused, the chain intact)."""
        if self.detected:
            return "detected"
        if self.refused and not self.rewrites_allowed:
            return "refused"
        return "NOT DETECTED"


def build(url: str) -> Desk:
    store = testkit.make_store(url)
    directory = DrillDirectory(store, extra_subscriptions=2)

    def expedited(sub: str, key: str) -> int:
        request = FilingRequest(kind=TicketKind.EXPEDITED_DEPROVISIONING, subscription_ref=sub,
                                idempotency_key=key, confirmed=EXPEDITED_CHECKLIST)
        return file_ticket(store, agent=directory.agent, verification_id=directory.verified(),
                           request=request).filed[0].id

    first, second = expedited(directory.sub_refs[0], "t1"), expedited(directory.sub_refs[1], "t2")
    with store.read() as session:
        callback_seq = chain_head(session).seq + 1
    record_callback(store, agent=directory.agent, ticket_id=first, note="called back on the number on file")
    approve(store, supervisor=directory.supervisor, ticket_id=first, reason="callback made")
    write_export(store, io.StringIO(), fmt="jsonl")
    with store.read() as session:
        anchor = chain_head(session)
    return Desk(store, first, second, directory.supervisor2.name, anchor, callback_seq)


# --- what an insider does --------------------------------------------------------------------


def set_guards_aside(connection) -> None:
    if connection.dialect.name == "sqlite":
        for trigger in (
            "audit_event_no_update",
            "audit_event_no_delete",
            "audit_head_forward_only",
            "audit_head_no_delete",
        ):
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {trigger}")
    else:
        connection.exec_driver_sql("ALTER TABLE audit_event DISABLE TRIGGER USER")
        connection.exec_driver_sql("ALTER TABLE audit_head DISABLE TRIGGER USER")


def _events(connection, from_seq: int) -> list[dict]:
    rows = connection.execute(
        AuditEvent.__table__.select().where(AuditEvent.__table__.c.seq >= from_seq).order_by(AuditEvent.__table__.c.seq)
    ).mappings().all()
    return [dict(r) for r in rows]


def _rewrite(connection, events: list[dict], start_seq: int, prev: str) -> None:
    """Insert `events` from `start_seq` on, each re-hashed onto the one before; move the head."""
    seq = start_seq - 1
    for event in events:
        seq += 1
        event.update(seq=seq, prev_hash=prev)
        event["hash"] = prev = event_link(  # the chain's format (2: tickets.audit.format)
            seq=seq, at=event["at"], actor=event["actor"], action=event["action"], subject=event["subject"],
            details=event["details"], prev_hash=event["prev_hash"],
        )
        connection.execute(insert(AuditEvent.__table__), event)
    connection.execute(text("UPDATE audit_head SET seq = :s, hash = :h WHERE id = 1"), {"s": seq, "h": prev})


def _hash_of(connection, seq: int) -> str:
    if seq == 0:
        return "0" * 64
    return connection.execute(text("SELECT hash FROM audit_event WHERE seq = :s"), {"s": seq}).scalar_one()


def insider(desk: Desk, tamper: str, connection) -> None:
    """The tamper, done with the owner's rights (guards set aside where it needs to)."""
    head = desk.anchor.seq
    if tamper == "cut_tail":
        set_guards_aside(connection)
        connection.execute(text("DELETE FROM audit_event WHERE seq >= :s"), {"s": desk.callback_seq})
        connection.execute(text("UPDATE audit_head SET seq = :s, hash = :h WHERE id = 1"),
                           {"s": desk.callback_seq - 1, "h": _hash_of(connection, desk.callback_seq - 1)})
        connection.execute(text(
            "UPDATE ticket SET status = 'pending_review', decided_by_id = NULL, decided_at = NULL, "
            "decision_reason = NULL, callback_at = NULL, callback_by_id = NULL, callback_note = NULL WHERE id = :t"
        ), {"t": desk.approved})
    elif tamper in ("middle_rehash", "edit_last"):
        set_guards_aside(connection)
        start = head // 2 if tamper == "middle_rehash" else head
        events = _events(connection, start)
        connection.execute(text("DELETE FROM audit_event WHERE seq >= :s"), {"s": start})
        if tamper == "middle_rehash":
            events = events[1:]  # the one in the middle goes; the rest move up one
        else:
            events[-1]["details"] = {**events[-1]["details"], "rows": 0}
        _rewrite(connection, events, start, _hash_of(connection, start - 1))
    elif tamper == "delete_all":
        set_guards_aside(connection)
        connection.execute(text("DELETE FROM audit_event"))
        connection.execute(text("DELETE FROM ticket"))
        connection.execute(text("UPDATE audit_head SET seq = 0, hash = :h WHERE id = 1"), {"h": "0" * 64})
    else:
        forge(desk, tamper, connection)


def forge(desk: Desk, tamper: str, connection) -> None:
    """What the application's own rights allow: append a well-formed event, update a ticket."""
    from sqlmodel import Session

    now = desk.store.clock.now()
    supervisor_id = connection.execute(
        text("SELECT id FROM agent WHERE name = :n"), {"n": desk.supervisor}
    ).scalar_one()
    if tamper == "forge_approval":
        with Session(bind=connection) as session:
            append_event(session, at=now, actor=desk.supervisor, action="ticket.approved",
                         subject=f"ticket:{desk.pending}", details={"from": "pending_review", "to": "approved"})
            session.flush()
    tickets = Ticket.__table__
    connection.execute(update(tickets).where(tickets.c.id == desk.pending).values(
        status="approved", decided_by_id=supervisor_id, decided_at=now, updated_at=now))


# --- the application role (PostgreSQL) -------------------------------------------------------


def app_role_statements(desk: Desk, tamper: str) -> dict[str, str]:
    """The statements of each rewrite, as the application role would have to run them."""
    back = desk.callback_seq - 1
    return {
        "cut_tail": {
            "delete the last events": f"DELETE FROM audit_event WHERE seq >= {desk.callback_seq}",
            "move the head back": f"UPDATE audit_head SET seq = {back}, hash = "
            f"(SELECT hash FROM audit_event WHERE seq = {back}) WHERE id = 1",
        },
        "middle_rehash": {
            "delete an event in the middle": f"DELETE FROM audit_event WHERE seq = {desk.anchor.seq // 2}",
            "renumber the rest": f"UPDATE audit_event SET seq = seq - 1 WHERE seq > {desk.anchor.seq // 2}",
        },
        "edit_last": {"edit the last event": f"UPDATE audit_event SET details = '{{}}' WHERE seq = {desk.anchor.seq}"},
        "delete_all": {
            "delete every event": "DELETE FROM audit_event",
            "reset the head": f"UPDATE audit_head SET seq = 0, hash = '{'0' * 64}' WHERE id = 1",
        },
    }.get(tamper, {})


def try_each(engine: Engine, statements: dict[str, str], outcome: Outcome) -> None:
    for what, statement in statements.items():
        try:
            with engine.begin() as connection:
                connection.exec_driver_sql(statement)
            outcome.allowed.append(what)
        except Exception as error:  # noqa: BLE001 - any refusal counts; which is noted
            first = str(getattr(error, "orig", error)).splitlines()[0]
            outcome.refused.append(f"{what}: {first}")


def verify(store: Store, outcome: Outcome, anchor: Anchor) -> None:
    with store.read() as session:
        plain = verify_chain(session)
        anchored = verify_chain(session, [anchor])
    outcome.plain = "passes" if plain.ok else f"fails: {plain}"
    outcome.anchored = "passes" if anchored.ok else f"fails: {anchored}"
    outcome.detected = not anchored.ok


# --- running ---------------------------------------------------------------------------------


class Databases:
    """A fresh migrated database per tamper: a SQLite file, or one PostgreSQL database of the
    drill's own, emptied between tampers (testkit.PostgresDatabase.reset)."""

    def __init__(self, backend: str, workdir: Path) -> None:
        self.backend, self.workdir = backend, workdir
        self.template = testkit.SqliteTemplate(workdir) if backend == "sqlite" else None
        self.pg = testkit.PostgresDatabase() if backend == "postgresql" else None

    def new(self) -> str:
        if self.template is not None:
            return self.template.new_url(self.workdir)
        self.pg.reset()
        return self.pg.url

    def close(self) -> None:
        if self.pg is not None:
            self.pg.drop()


def run_one(url: str, backend: str, tamper: str, *, as_app: bool) -> Outcome:
    desk = build(url)
    outcome = Outcome(backend, tamper, "application role" if as_app else "owner")
    try:
        if not as_app:
            with desk.store.engine.begin() as connection:
                insider(desk, tamper, connection)
        else:
            suffix = uuid.uuid4().hex[:8]
            owner, app = f"dk_owner_{suffix}", f"dk_app_{suffix}"
            apply_roles(desk.store.engine, owner=owner, app=app)
            app_engine = make_engine(make_url(url).set(username=app).render_as_string(hide_password=False))
            try:
                statements = dict(app_role_statements(desk, tamper))
                if tamper == "cut_tail":
                    statements.update(GUARD_STATEMENTS)  # tried once per engine
                try_each(app_engine, statements, outcome)
                if tamper in ("forge_approval", "silent_approval"):
                    # Migration 0011: the application role writes only through the database's
                    # functions, so appending an event or updating a ticket itself is refused.
                    what = "append an event and update the ticket"
                    try:
                        with app_engine.begin() as connection:
                            forge(desk, tamper, connection)
                        outcome.allowed.append(f"{what} (the application's own rights)")
                    except Exception as error:  # noqa: BLE001 - a refusal of any kind; which is noted
                        outcome.refused.append(f"{what}: {str(getattr(error, 'orig', error)).splitlines()[0]}")
            finally:
                app_engine.dispose()
                drop_roles(desk.store.engine, owner, app)
        verify(desk.store, outcome, desk.anchor)
    finally:
        desk.store.dispose()
    return outcome


def drop_roles(engine: Engine, owner: str, app: str) -> None:
    """Give the objects back and drop the drill's own roles (unique names: never a fixed one)."""
    with engine.begin() as connection:
        connection.exec_driver_sql(f"REASSIGN OWNED BY {owner} TO CURRENT_USER")
        connection.exec_driver_sql(f"DROP OWNED BY {owner}, {app}")
        connection.exec_driver_sql(f"DROP ROLE {app}")
        connection.exec_driver_sql(f"DROP ROLE {owner}")


def run(backends: list[str], workdir: Path, tampers=TAMPERS, log=print) -> tuple[Figures, list[Outcome]]:
    started = time.monotonic()
    figures = Figures(f"tamper ({'+'.join(backends)})")
    outcomes: list[Outcome] = []
    for backend in backends:
        databases = Databases(backend, workdir)
        try:
            for tamper in tampers:
                for as_app in ([False, True] if backend == "postgresql" else [False]):
                    outcome = run_one(databases.new(), backend, tamper, as_app=as_app)
                    outcomes.append(outcome)
                    figures.runs += 1
                    figures.checks += 1 + len(outcome.refused) + len(outcome.allowed)
                    if outcome.result == "NOT DETECTED":
                        figures.failures.append(f"{backend} {tamper} as {outcome.as_role}: not detected")
                    if as_app and outcome.rewrites_allowed:
                        figures.failures.append(
                            f"{backend} {tamper}: the application role was allowed to {outcome.rewrites_allowed}")
                    log(
                        f"{backend:<10} {tamper:<16} {outcome.as_role:<17} refused {len(outcome.refused)} "
                        f"allowed {len(outcome.allowed)}  verify: {outcome.plain[:40]} | "
                        f"anchored: {outcome.anchored[:60]}"
                    )
        finally:
            databases.close()
    figures.seconds = time.monotonic() - started
    figures.notes = {"tampers": len(tampers), "detected": sum(o.result == "detected" for o in outcomes),
                     "refused": sum(o.result == "refused" for o in outcomes), "of": len(outcomes)}
    return figures, outcomes


def table(outcomes: list[Outcome]) -> str:
    lines = ["| engine | tamper | as | statements refused | `audit verify` | `audit verify --anchor` | result |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for o in outcomes:
        refused = f"{len(o.refused)} of {len(o.refused) + len(o.allowed)}" if o.refused or o.allowed else "-"
        lines.append(f"| {o.engine} | {o.tamper} | {o.as_role} | {refused} | {_short(o.plain)} "
                     f"| {_short(o.anchored)} | {o.result} |")
    return "\n".join(lines)


def _short(text: str) -> str:
    return text.replace("fails: audit chain BROKEN", "fails").replace("|", "/")[:110]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default=None, help="comma list (default: sqlite, and postgresql when it answers)")
    args = parser.parse_args(argv)
    backends = args.backends.split(",") if args.backends else ["sqlite"] + (
        [] if testkit.postgres_reachable() else ["postgresql"])
    figures, outcomes = run(backends, Path(tempfile.mkdtemp(prefix="deskapp-tamper-")))
    print(table(outcomes))
    print(f"\n{figures.runs} runs, {len(figures.failures)} failures, {figures.seconds:.0f} s")
    for failure in figures.failures:
        print("FAILURE:", failure)
    for o in outcomes:
        for refusal in o.refused:
            print(f"refused ({o.engine}, {o.tamper}): {refusal}")
    return 0 if figures.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
