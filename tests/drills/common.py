"""What the drills share: a directory with many subscriptions, the invariants every drill checks
after it has done its damage, figures printed as Markdown, and the marker for known bugs.

The invariants are read from the database only (never from what the drill believes it did), so
they hold or fail whatever the drill's own bookkeeping says:

- the audit chain verifies (tickets.audit.chain.verify_chain: no edit, gap, reorder or cut tail);
- every ticket has exactly one `ticket.filed` event (A-1), and its status is the one its last
  audit event says (no half-written transition: the row and its event commit together);
- at most one open cancellation-type ticket per subscription (C-9);
- four eyes: no ticket was decided by the agent who filed it (X-2);
- lockout: in commit (audit sequence) order, no organization has more than 3 failed
  verifications since its last unlock (V-5; the drills run in far less than 24 hours).
"""

from __future__ import annotations

import os
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
if str(TESTS) not in sys.path:  # run.py and spawned children import testkit from here
    sys.path.insert(0, str(TESTS))

from sqlalchemy import func  # noqa: E402
from sqlmodel import col, select  # noqa: E402

import testkit  # noqa: E402
from tickets.audit.chain import verify_chain  # noqa: E402
from tickets.enums import ACTIVE_STATUSES  # noqa: E402
from tickets.kinds import CANCELLATION_KINDS  # noqa: E402
from tickets.store.database import Store  # noqa: E402
from tickets.store.models import AuditEvent, Organization, Person, Subscription, Ticket  # noqa: E402

SHOW_KNOWN_BUGS_ENV = "DESKAPP_SHOW_KNOWN_BUGS"
DRILL_SCALE_ENV = "DESKAPP_DRILL_SCALE"  # "short" (default, the normal suite) or "full"
EARLY_CHECKLIST = frozenset({"remove_domains", "update_dns", "save_data"})
EXPEDITED_CHECKLIST = frozenset({"acknowledge_data_loss", "remove_domains", "update_dns", "save_data"})


def known_bug(reason: str, *, raises=None):
    """A test that shows a bug someone else owns: an expected failure (strict, so that the fix
    turns it into a failure that says "remove this marker"), or a plain failing test when
    DESKAPP_SHOW_KNOWN_BUGS=1 (to see the bug itself, e.g. before and after the fix)."""
    if os.environ.get(SHOW_KNOWN_BUGS_ENV) == "1":
        return lambda test: test  # the test just runs (and fails while the bug is there)
    return pytest.mark.xfail(reason=f"KNOWN BUG: {reason}", strict=True, raises=raises)


def full_scale() -> bool:
    return os.environ.get(DRILL_SCALE_ENV) == "full"


# --- figures ---------------------------------------------------------------------------------


@dataclass
class Figures:
    """One drill's last figures: printed as a Markdown table row by run.py."""

    drill: str
    runs: int = 0
    kills: int = 0
    checks: int = 0
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0
    notes: dict[str, object] = field(default_factory=dict)

    def add(self, checks: int, problems: list[str], context: str = "") -> None:
        self.checks += checks
        self.failures.extend(f"{context}{p}" for p in problems)

    @property
    def ok(self) -> bool:
        return not self.failures

    def row(self) -> str:
        notes = "; ".join(f"{k}: {v}" for k, v in self.notes.items())
        return (
            f"| {self.drill} | {self.runs} | {self.kills} | {self.checks} | {len(self.failures)} "
            f"| {self.seconds:.0f} s | {notes} |"
        )


MARKDOWN_HEADER = (
    "| drill | runs | kills | invariants checked | failures | time | notes |\n"
    "| --- | ---: | ---: | ---: | ---: | ---: | --- |"
)


def markdown(figures: list[Figures]) -> str:
    return "\n".join([MARKDOWN_HEADER, *(f.row() for f in figures)])


# --- a directory for drills ------------------------------------------------------------------


class DrillDirectory(testkit.Directory):
    """testkit.Directory (ORG-T1 with Ann Admin, agents ada/alan, supervisors grace/linus) plus
    `extra_subscriptions` Intune subscriptions on ORG-T1 (SUB-D0000 ...) so that many filings
    never meet C-9, and `lockout_orgs` organizations (ORG-L0 ...) to fail verification on."""

    def __init__(self, store: Store, *, extra_subscriptions: int = 0, lockout_orgs: int = 0) -> None:
        super().__init__(store)
        now = store.clock.now()
        self.sub_refs = [f"SUB-D{i:04d}" for i in range(extra_subscriptions)]
        self.lockout_org_ids: list[int] = []
        with store.write() as session:
            session.add_all(
                Subscription(
                    ref=ref, name=f"Intune {ref}", product="intune", channel="online",
                    organization_id=self.org.id, state="active", auto_renew=True, licenses_assigned=10,
                    purchased_at=now - timedelta(days=200), term_start=now - timedelta(days=200),
                    term_end=now + timedelta(days=165),
                )
                for ref in self.sub_refs
            )
            orgs = [
                Organization(
                    ref=f"ORG-L{i}", name=f"Lockout Drill {i} Ltd", country="GB",
                    street_lines=[f"{i + 2} Drill Street"], city="Leeds", region="", postal_code="LS1 4AP",
                    name_key=f"lockout drill {i} ltd", updated_at=now,
                )
                for i in range(lockout_orgs)
            ]
            session.add_all(orgs)
            session.flush()
            for i, org in enumerate(orgs):
                session.add(
                    Person(
                        organization_id=org.id, user_id=f"lee.lock{i}@lockout.example", first_name="Lee",
                        last_name="Lock", phone_e164=f"+4411349601{i:02d}", is_primary_contact=True,
                        roles=["admin"],
                    )
                )
                self.lockout_org_ids.append(org.id)


# --- invariants ------------------------------------------------------------------------------

_TICKET_EVENT_STATUS = {
    "ticket.filed": {"open", "pending_review"},
    "ticket.callback_recorded": {"open", "pending_review"},
}


def check_invariants(store: Store, *, max_failures: int = 3) -> tuple[int, list[str]]:
    """Check every invariant above; returns (how many checks were made, the problems found)."""
    problems: list[str] = []
    checks = 0
    with store.read() as session:
        report = verify_chain(session)
        checks += 1
        if not report.ok:
            problems.append(f"A-1: {report}")

        tickets = session.exec(select(Ticket.id, Ticket.status, Ticket.filed_by_id, Ticket.decided_by_id)).all()
        ticket_events: dict[int, list[str]] = defaultdict(list)
        lock_events: list[tuple[str, str, int, object]] = []
        for subject, action, seq, at in session.exec(
            select(AuditEvent.subject, AuditEvent.action, AuditEvent.seq, AuditEvent.at)
            .where(
                col(AuditEvent.subject).startswith("ticket:")
                | col(AuditEvent.action).in_(["verification.failed", "organization.unlocked"])
            )
            .order_by(col(AuditEvent.seq))
        ):
            if subject.startswith("ticket:"):
                if action == "ticket.noted":
                    continue  # a note leaves the ticket's status as it was
                ticket_events[int(subject.split(":", 1)[1])].append(action)
            else:
                lock_events.append((subject, action, seq, at))

        for ticket_id, status, filed_by, decided_by in tickets:
            events = ticket_events.get(ticket_id, [])
            filed = events.count("ticket.filed")
            checks += 3
            if filed != 1:
                problems.append(f"A-1: ticket {ticket_id} has {filed} ticket.filed events")
            last = events[-1] if events else None
            expected = _TICKET_EVENT_STATUS.get(last, {last.removeprefix("ticket.")} if last else set())
            if status not in expected:
                problems.append(
                    f"half-written: ticket {ticket_id} is {status} but its last event is {last}"
                )
            if decided_by is not None and decided_by == filed_by:
                problems.append(f"X-2: ticket {ticket_id} was decided by the agent who filed it")
        ids = {t[0] for t in tickets}
        for ticket_id in ticket_events:
            checks += 1
            if ticket_id not in ids:
                problems.append(f"A-1: events name ticket {ticket_id}, which does not exist")

        open_counts = session.exec(
            select(Ticket.subscription_id, func.count())
            .where(
                col(Ticket.kind).in_([k.value for k in CANCELLATION_KINDS]),
                col(Ticket.status).in_([s.value for s in ACTIVE_STATUSES]),
            )
            .group_by(Ticket.subscription_id)
        ).all()
        checks += max(1, len(open_counts))
        for subscription_id, count in open_counts:
            if count > 1:
                problems.append(f"C-9: subscription {subscription_id} has {count} open cancellations")

        since_unlock: dict[str, list[tuple[str, int, object]]] = defaultdict(list)
        worst: dict[str, list[tuple[str, int, object]]] = {}
        for subject, action, seq, at in lock_events:
            since_unlock[subject].append((action, seq, at))
            if action == "organization.unlocked":
                since_unlock[subject] = [(action, seq, at)]
            elif len(since_unlock[subject]) > len(worst.get(subject, [])):
                worst[subject] = list(since_unlock[subject])
        checks += max(1, len(worst))
        for subject, events in sorted(worst.items()):
            failed = [e for e in events if e[0] == "verification.failed"]
            if len(failed) > max_failures:
                timeline = ", ".join(
                    f"#{seq} {action.split('.')[-1]} at {at:%H:%M:%S.%f}" for action, seq, at in events
                )
                problems.append(
                    f"V-5: {subject} had {len(failed)} failed verifications in a row without an unlock "
                    f"(at most {max_failures} before the lock): {timeline}"
                )
    return checks, problems


def sqlite_integrity(path: Path) -> str:
    import sqlite3

    connection = sqlite3.connect(path)
    try:
        return connection.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        connection.close()


def caller_claim(**changes):
    """What Ann Admin of testkit.Directory says on the phone (a passing claim)."""
    return testkit.Directory.claim(None, **changes)  # the claim uses nothing of the store


# --- known bugs: failures the drills found that others own ----------------------------------
# Each is shown by a strict expected-failure test (see tests/drills/README.md); run.py counts
# them apart from new failures. Remove an entry once its fix has landed.
# None is open: the five the drills found (V-5 clock read before the organization lock, restore
# of a corrupt file, verify typed ahead while the form mounts, Textual's OptionList page keys,
# a callback recorded after the decision on PostgreSQL) are fixed, each with a regression test.
KNOWN_BUGS: dict[str, tuple[str, ...]] = {}


def split_known(failures: list[str]) -> tuple[list[str], dict[str, int]]:
    """(failures that are new, known bug -> how many of its failures were seen)."""
    new: list[str] = []
    known: Counter[str] = Counter()
    for failure in failures:
        bug = next((name for name, marks in KNOWN_BUGS.items() if any(m in failure for m in marks)), None)
        if bug is None:
            new.append(failure)
        else:
            known[bug] += 1
    return new, dict(known)


def engine_urls(backends: str, prefix: str) -> Iterator[tuple[Path, str]]:
    """(a work folder, an empty migrated database's URL) for each of the comma-separated
    `backends` a drill's command line names; PostgreSQL skipped, saying why, when unreachable,
    and its database dropped once the caller moves on."""
    import tempfile

    for backend in backends.split(","):
        workdir = Path(tempfile.mkdtemp(prefix=f"{prefix}-{backend}-"))
        if backend == "sqlite":
            yield workdir, testkit.SqliteTemplate(workdir / "template").new_url(workdir)
            continue
        problem = testkit.postgres_reachable()
        if problem:
            print(f"skipped PostgreSQL: {problem}")
            continue
        database = testkit.PostgresDatabase()
        try:
            database.reset()
            yield workdir, database.url
        finally:
            database.drop()


def main_on_engines(argv: list[str] | None, description: str, run, *, tries: int, prefix: str) -> int:
    """The command line of a drill run as `run(url, backend=, tries=, processes=)` on each engine
    (--backends, default both; PostgreSQL skipped, saying why, when unreachable): prints each
    engine's figures and failures; exit 1 on any failure."""
    import argparse

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--tries", type=int, default=tries)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args(argv)
    failed = 0
    for backend in args.backends.split(","):
        for _workdir, url in engine_urls(backend, prefix):
            figures = run(url, backend=backend, tries=args.tries, processes=args.processes)
            print(figures.row())
            for failure in figures.failures:
                print("FAILURE:", failure)
            failed += len(figures.failures)
    return 0 if failed == 0 else 1
