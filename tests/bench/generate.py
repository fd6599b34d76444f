"""Bench data: a large directory (through the real importer) and up to millions of tickets
with their audit events (raw sqlite3, executemany in large transactions).

    python tests/bench/generate.py --tickets 20000 --out bench-output/db/bench.db

The schema is the real one (`tickets.store.schema.upgrade` on a fresh file). The directory goes in
through `tickets.directory.import_directory`, so it is exactly what the importer writes. The
history after it (agents, calls, verification attempts, tickets) is written straight to the
file with the stdlib `sqlite3`; every row the console would audit gets its event as the product writes
it (history version 2: a filing records every column, tickets.audit.record), hashed with
in the chain's format 2 (`tickets.audit.format`) in seq order, and `audit_head` ends on the
last one, so the result passes `tickets.audit.chain.verify_chain`.

Deterministic: the same arguments give the same database (a seeded `random.Random`).
"""

from __future__ import annotations

import json
import random
import sqlite3
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache, lru_cache
from hashlib import sha256
from pathlib import Path
from typing import Any

import phonenumbers

from tickets.audit.format import content_text, event_link
from tickets.audit.record import HISTORY, callback_record, filing_record, json_digest, text_digest
from tickets.kinds import KINDS
from tickets.kinds import review_flags as kinds_review_flags

# "Now" for every generated database: the history ends here and the bench's clocks start here.
T0 = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
BENCH_ORG = "ORG-BENCH"  # one organization with many free Intune subscriptions (filing bench)
PIN = "1111"  # every generated agent's PIN

COUNTRIES = {
    # country: (city, region, postal code, street)
    "GB": ("London", "", "EC1A 1BB", "Market Street"),
    "DE": ("Berlin", "", "10115", "Invalidenstraße"),
    "FR": ("Paris", "", "75002", "Rue de la Paix"),
    "US": ("Seattle", "WA", "98101", "Pine Street"),
    "NL": ("Rotterdam", "", "3011 AA", "Coolsingel"),
    "SE": ("Stockholm", "", "111 57", "Drottninggatan"),
    "JP": ("Tokyo", "", "100-0005", "Marunouchi"),
    "AU": ("Sydney", "NSW", "2000", "George Street"),
}
FIRST = ["Ann", "Ben", "Chloé", "Dev", "Eva", "Farid", "Grete", "Hiro", "Ines", "Jon", "Kaja", "Liam",
         "Mona", "Nils", "Olu", "Pia", "Quinn", "Rosa", "Sven", "Tara", "Umar", "Vera", "Wei", "Yara"]
LAST = ["Smith", "Müller", "Dubois", "Jansen", "Sato", "Lindqvist", "Brown", "Garcia", "Okafor",
        "Nguyen", "Kowalski", "Rossi", "Haddad", "O'Brien", "Fischer", "Tanaka", "Costa", "Berg"]
WORDS = ["Contoso", "Fabrikam", "Northwind", "Tailspin", "Woodgrove", "Litware", "Proseware",
         "Adatum", "Lucerne", "Wingtip", "Alpine", "Coho", "Fourth", "Margie", "Trey", "Relecloud"]
SUFFIX = ["Ltd.", "GmbH", "SARL", "Inc.", "B.V.", "AB", "K.K.", "Pty Ltd"]
REASONS = [
    "Customer is consolidating licences after a merger.",
    "Moving to another provider at the end of the quarter; contact j.doe@example.org for details.",
    "Budget cut. Call back on +44 20 7946 0123 after 3pm.",
    "=SUM(A1:A9) pasted by mistake",
    "Project finished; no longer needed.",
    "",
]

_DT = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy stores a datetime in SQLite


def sqlite_dt(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(tzinfo=None).strftime(_DT)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- the directory ----------------------------------------------------------------------------


def _phone(rng: random.Random, country: str, n: int) -> str:
    example = phonenumbers.example_number(country)
    digits = str(example.national_number)
    for attempt in range(20):
        tail = f"{(n * 7919 + attempt * 104729 + rng.randrange(10_000)) % 10_000:04d}"
        candidate = phonenumbers.PhoneNumber(country_code=example.country_code,
                                             national_number=int(digits[:-4] + tail))
        if phonenumbers.is_valid_number(candidate):
            return phonenumbers.format_number(candidate, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def _sub(ref: str, name: str, product: str, *, bought: datetime, days: int = 365, **extra: Any) -> dict[str, Any]:
    sub = {
        "ref": ref, "name": name, "product": product, "channel": "online", "platform": None,
        "state": "active", "purchased_at": iso(bought), "term_start": iso(bought),
        "term_end": iso(bought + timedelta(days=days)), "auto_renew": True, "licenses_assigned": 30,
        "custom_domains": [], "cancelled_at": None, "expedited_at": None, "data_deleted_at": None,
        "ims_campaigns": [], "renewal_resources": [],
    }
    sub.update(extra)
    return sub


def make_directory(orgs: int, *, seed: int = 7, bench_subs: int = 0, now: datetime = T0) -> dict[str, Any]:
    """A directory document (tickets.directory format) of `orgs` organizations: three people
    each (primary contact and admin, billing admin, a non-admin), two Intune subscriptions each,
    and by turns Office 365, Dynamics 365 (with IMS campaigns) and cloud (renewal resources).
    With `bench_subs`, one more organization (BENCH_ORG) holds that many Intune subscriptions."""
    rng = random.Random(seed)
    countries = list(COUNTRIES)
    organizations = []
    for i in range(1, orgs + 1):
        organizations.append(_organization(rng, i, countries[i % len(countries)], now))
    if bench_subs:
        org = _organization(rng, orgs + 1, "GB", now, ref=BENCH_ORG, intune=bench_subs, extra=False)
        organizations.append(org)
    return {"format": "deskapp-directory", "version": 1, "organizations": organizations}


def _organization(rng: random.Random, i: int, country: str, now: datetime, *, ref: str | None = None,
                  intune: int = 2, extra: bool = True) -> dict[str, Any]:
    city, region, postal, street = COUNTRIES[country]
    ref = ref or f"ORG-{i:05d}"
    domain = f"org{i:05d}.example.com"
    word = WORDS[i % len(WORDS)]
    name = f"{word} {WORDS[(i // len(WORDS)) % len(WORDS)]} {i} {SUFFIX[i % len(SUFFIX)]}"
    people = []
    for n, roles in enumerate((["admin", "billing_admin"], ["billing_admin"], [])):
        first, last = FIRST[(i + n) % len(FIRST)], LAST[(i * 3 + n) % len(LAST)]
        people.append({
            "user_id": f"{first.lower().replace('é', 'e')}.{n}@{domain}", "first_name": first,
            "last_name": last, "phone": _phone(rng, country, i * 3 + n), "primary_contact": n == 0,
            "roles": roles,
        })
    subs = []
    n_sub = 0

    def ref_() -> str:
        nonlocal n_sub
        n_sub += 1
        return f"SUB-{i:05d}-{n_sub:04d}"

    for k in range(intune):
        bought = now - timedelta(days=100 + (i + k) % 200)
        subs.append(_sub(ref_(), "Microsoft Intune", "intune", bought=bought, licenses_assigned=10 + k % 50,
                         custom_domains=[domain] if k == 0 else []))
    has_d365 = False
    if extra:
        kind = i % 3
        bought = now - timedelta(days=50 + i % 300)
        if kind == 0:
            subs.append(_sub(ref_(), "Office 365 E3", "o365", bought=bought, licenses_assigned=5 + i % 40))
        elif kind == 1:
            has_d365 = True
            subs.append(_sub(ref_(), "Dynamics 365 Sales", "d365", bought=bought,
                             platform="online_services" if i % 2 else "commerce_transaction",
                             ims_campaigns=[{"ref": f"IMS-{i:05d}-1", "name": "Search ads",
                                             "billing_admin_user_id": people[1]["user_id"], "state": "running"}]))
        else:
            subs.append(_sub(ref_(), "Elastic Compute Service", "cloud", bought=bought, renewal_resources=[
                {"ref": f"RES-{i:05d}-{r}", "description": f"ECS renewal {r} (12 months)",
                 "effective_at": iso(now + timedelta(days=30 + r)), "state": "inactive",
                 "transaction_in_progress": r == 2, "cash_coupons_used": 500 * r}
                for r in range(3)
            ]))
    return {
        "ref": ref, "name": name, "url": f"org{i:05d}.crm.dynamics.com" if has_d365 else None,
        "country": country,
        "address": {"street_lines": [f"{i % 200 + 1} {street}"], "city": city, "region": region,
                    "postal_code": postal},
        "people": people, "subscriptions": subs,
    }


def claim_for(org: dict[str, Any]):
    from identity import Address, CallerClaim

    person = org["people"][0]
    a = org["address"]
    return CallerClaim(
        user_id=person["user_id"], phone=person["phone"], contact_first_name=person["first_name"],
        contact_last_name=person["last_name"], org_name=org["name"], org_url=org["url"] or "",
        address=Address(tuple(a["street_lines"]), a["city"], a["region"], a["postal_code"], org["country"]),
    )


# --- the history ------------------------------------------------------------------------------


_ENCODE = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


def enc(details: dict[str, Any]) -> str:
    """Details as the canonical encoding puts them (sorted keys, no spaces)."""
    return _ENCODE(details)


class Chain:
    """Appends audit events in seq order, hashed as tickets.audit.chain does (format 2: the content
    hash, linked to its place: tickets.audit.format).

    The content is framed here from the stored texts (the generator writes millions of
    events), and checked against `tickets.audit.format.event_link` itself on every
    CHECK_EVERY-th event, so a change there fails the generator instead of the chain.
    `details` is given already encoded (`enc`); that same text is what the row stores.
    """

    CHECK_EVERY = 997

    def __init__(self, seq: int, prev_hash: str) -> None:
        self.seq, self.prev = seq, prev_hash
        self.rows: list[tuple] = []

    def add(self, at: datetime, actor: str, action: str, subject: str, details: str) -> None:
        """`at` is naive UTC (or aware); `details` is `enc(dict)`."""
        naive = at.astimezone(UTC).replace(tzinfo=None) if at.tzinfo is not None else at
        self.add_text(naive.isoformat(" ", "microseconds"), actor, action, subject, details)

    def add_text(self, at: str, actor: str, action: str, subject: str, details: str) -> None:
        """The fast path: `at` as stored ("YYYY-MM-DD HH:MM:SS.ffffff", UTC)."""
        self.seq += 1
        content = sha256(content_text(f"{at[:10]}T{at[11:]}Z", actor, action, subject, details).encode()).hexdigest()
        digest = sha256(f"{self.seq}:{self.prev}:{content}".encode()).hexdigest()
        if self.seq % self.CHECK_EVERY == 0 or self.seq < 3:
            official = event_link(
                seq=self.seq, at=datetime.fromisoformat(at).replace(tzinfo=UTC), actor=actor, action=action,
                subject=subject, details=json.loads(details), prev_hash=self.prev,
            )
            if official != digest:
                raise AssertionError(f"generate: the chain's format changed at event {self.seq}")
        self.rows.append((self.seq, at, actor, action, subject, details, self.prev, digest))
        self.prev = digest

    def take(self) -> list[tuple]:
        rows, self.rows = self.rows, []
        return rows


INSERT_EVENT = ("INSERT INTO audit_event (seq, at, actor, action, subject, details, prev_hash, hash) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
TICKET_COLUMNS = (
    "id", "kind", "status", "organization_id", "subscription_id", "resource_id", "call_id",
    "verification_id", "filed_by_id", "created_at", "updated_at", "idempotency_key", "content_hash",
    "requested_date", "reason", "fields", "checklist", "consequences", "rules", "needs_review",
    "needs_callback", "callback_at", "callback_by_id", "callback_note", "decided_by_id", "decided_at",
    "decision_reason", "effective_date", "data_deletion_date", "reversal_deadline", "resolved_at",
    "reason_scrubbed", "decision_reason_scrubbed",
)
INSERT_TICKET = (f"INSERT INTO ticket ({', '.join(TICKET_COLUMNS)}) "
                 f"VALUES ({', '.join('?' for _ in TICKET_COLUMNS)})")

ACTIVE = ("open", "pending_review", "approved", "in_progress")
CANCELLATION = {"cancel_end_of_term", "cancel_early", "expedited_deprovisioning", "migration_on_premises"}
KINDS_BY_PRODUCT = {
    "intune": ["cancel_end_of_term", "cancel_early", "expedited_deprovisioning"],
    "o365": ["cancel_early"],
    "d365": ["cancel_early", "migration_on_premises", "reversal", "ims_cancellation"],
    "cloud": ["unsubscribe_resource"],
}
RULES = {
    "cancel_end_of_term": ["C-1", "C-7", "C-8", "V-2"],
    "cancel_early": ["C-4", "C-7", "C-8", "V-2"],
    "expedited_deprovisioning": ["V-2", "V-8", "X-1", "X-2", "X-3"],
    "migration_on_premises": ["M-1", "M-2", "M-3", "V-2"],
    "reversal": ["R-1", "R-2", "V-2", "V-8"],
    "ims_cancellation": ["I-1", "I-2", "V-2"],
    "unsubscribe_resource": ["U-1", "U-2", "U-3"],
}
CHECKLIST = {
    "cancel_end_of_term": ["save_data", "turn_off_auto_renew"],
    "cancel_early": ["remove_domains", "save_data", "update_dns"],
    "expedited_deprovisioning": ["acknowledge_irreversible", "save_data"],
    "migration_on_premises": ["migrate_data_first"],
    "reversal": ["same_identity"],
    "ims_cancellation": ["pause_activities"],
    "unsubscribe_resource": ["confirm_unsubscription"],
}


@dataclass
class History:
    tickets: int = 0
    calls: int = 0
    events: int = 0
    agents: list[tuple[int, str]] = field(default_factory=list)
    supervisors: list[tuple[int, str]] = field(default_factory=list)
    pending_review: int = 0
    seconds: float = 0.0


def raw_connect(path: Path, *, fast: bool = False) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF" if fast else "PRAGMA synchronous=FULL")
    # The generator writes consistent rows by construction; the console keeps foreign keys on.
    conn.execute("PRAGMA foreign_keys=OFF" if fast else "PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=30000")
    if fast:
        conn.execute("PRAGMA cache_size=-524288")  # 512 MiB while generating
        conn.execute("PRAGMA temp_store=MEMORY")
    return conn


def add_agents(conn: sqlite3.Connection, chain: Chain, *, agents: int, supervisors: int, at: datetime,
               prefix: str = "agent") -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """Agents and supervisors with PIN 1111 (one scrypt hash shared: signing in still checks it)."""
    from tickets.agents import hash_pin
    from tickets.audit.record import agent_record

    pin_hash = hash_pin(PIN)
    start = conn.execute("SELECT coalesce(max(id), 0) FROM agent").fetchone()[0]
    rows, out_a, out_s = [], [], []
    for n in range(agents + supervisors):
        agent_id = start + n + 1
        role = "agent" if n < agents else "supervisor"
        name = f"{prefix}{n + 1:03d}" if role == "agent" else f"super{n - agents + 1:03d}"
        rows.append(
            (agent_id, name, name.capitalize(), role, pin_hash, 1, sqlite_dt(at.replace(tzinfo=at.tzinfo or UTC)))
        )
        (out_a if role == "agent" else out_s).append((agent_id, name))
        # As tickets.agent_admin writes it (history version 2: the PIN hash's and display name's digests).
        chain.add(at, "system", "agent.created", f"agent:{agent_id}",
                  enc({"name": name, "role": role, **agent_record(pin_hash, name.capitalize())}))
    conn.executemany(
        "INSERT INTO agent (id, name, display_name, role, pin_hash, active, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    return out_a, out_s


def head(conn: sqlite3.Connection) -> tuple[int, str]:
    return conn.execute("SELECT seq, hash FROM audit_head WHERE id = 1").fetchone()


def set_head(conn: sqlite3.Connection, chain: Chain) -> None:
    conn.execute("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", (chain.seq, chain.prev))


@cache
def scrubbed(text: str | None) -> str | None:
    from tickets.masking import scrub_stored

    return scrub_stored(text)


def generate_history(
    path: Path,
    *,
    tickets: int,
    agents: int = 40,
    seed: int = 11,
    end: datetime = T0,
    span_days: int = 730,
    tickets_per_call: int = 4,
    batch: int = 50_000,
    call_events: bool = False,
    pending_share: float = 0.05,
    progress=None,
) -> History:
    """Append `tickets` tickets (with their calls, verifications and audit events), filed by the
    first `agents` agents, to a database made by `build_template`. Times run from `end - span_days` to `end`.

    Each call has its verification.passed event (and with `call_events` its call.started and
    call.ended: off by default, they only lengthen the chain) and 1 .. 2*tickets_per_call-1 tickets,
    each with its ticket.filed event, on its organization's subscriptions. Most
    tickets are closed (resolved, withdrawn, rejected); in the last tenth of the time some stay
    under way, at most one open cancellation per subscription and one unsubscription per
    resource (C-9, the partial unique indexes). A `pending_share` of the calls are Dynamics 365
    reversals (one ticket, waiting for a supervisor's review): the review queue's depth.
    Calls, attempts and times are naive UTC here.
    """
    started = time.perf_counter()
    rng = random.Random(seed)
    conn = raw_connect(path, fast=True)
    seq, prev = head(conn)
    chain = Chain(seq, prev)
    history = History()
    end = end.astimezone(UTC).replace(tzinfo=None)
    first_at = end - timedelta(days=span_days)
    history.agents = conn.execute("SELECT id, name FROM agent WHERE role = 'agent' ORDER BY id").fetchall()
    history.supervisors = conn.execute("SELECT id, name FROM agent WHERE role = 'supervisor' ORDER BY id").fetchall()
    if agents:
        history.agents = history.agents[:agents]
    if not history.agents or not history.supervisors:
        raise SystemExit("generate: the database needs agents and supervisors (build_template)")

    subs_by_org: dict[int, list[tuple[int, str, str]]] = {}
    for sub_id, org_id, ref, product in conn.execute(
        "SELECT s.id, s.organization_id, s.ref, s.product FROM subscription s "
        "JOIN organization o ON o.id = s.organization_id WHERE o.ref <> ? ORDER BY s.id", (BENCH_ORG,)
    ):
        subs_by_org.setdefault(org_id, []).append((sub_id, ref, product))
    people = dict(conn.execute("SELECT organization_id, id FROM person WHERE is_primary_contact = 1").fetchall())
    resources: dict[int, list[tuple[int, str]]] = {}
    for res_id, sub_id, ref in conn.execute("SELECT id, subscription_id, ref FROM renewal_resource ORDER BY id"):
        resources.setdefault(sub_id, []).append((res_id, ref))
    orgs = sorted(subs_by_org)
    d365 = {o: next(s for s in subs if s[2] == "d365") for o, subs in subs_by_org.items()
            if any(s[2] == "d365" for s in subs)}
    d365_orgs = sorted(d365)
    if not orgs:
        raise SystemExit("generate: import a directory first")

    def next_id(table: str) -> int:
        return conn.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()[0] + 1

    next_call, next_attempt, next_ticket = next_id("call"), next_id("verification_attempt"), next_id("ticket")
    taken_sub: set[int] = {r[0] for r in conn.execute(
        "SELECT subscription_id FROM ticket WHERE kind IN ('cancel_end_of_term','cancel_early',"
        "'expedited_deprovisioning','migration_on_premises') AND status IN "
        "('approved','in_progress','open','pending_review')")}
    taken_res: set[int] = set()
    calls_expected = max(1, -(-tickets // tickets_per_call))
    step = (span_days * 86400.0) / calls_expected
    agent_ids, super_ids = history.agents, history.supervisors
    checklist_json = {k: json.dumps(v) for k, v in CHECKLIST.items()}
    rules_json = {k: json.dumps(v) for k, v in RULES.items()}
    plain = json.JSONEncoder(ensure_ascii=False).encode
    call_rows: list[tuple] = []
    attempt_rows: list[tuple] = []
    ticket_rows: list[tuple] = []
    made = 0

    def flush() -> None:
        if not ticket_rows and not call_rows:
            return  # the last batch was full: nothing left (the head may not be set twice)
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            "INSERT INTO call (id, agent_id, organization_id, started_at, ended_at, wrap_up_note) "
            "VALUES (?, ?, ?, ?, ?, ?)", call_rows)
        conn.executemany(
            "INSERT INTO verification_attempt (id, organization_id, agent_id, call_id, at, passed, "
            "failed_factors, person_id, roles, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", attempt_rows)
        conn.executemany(INSERT_TICKET, ticket_rows)
        conn.executemany(INSERT_EVENT, chain.take())
        set_head(conn, chain)
        conn.execute("COMMIT")
        call_rows.clear()
        attempt_rows.clear()
        ticket_rows.clear()

    def dt(moment: datetime) -> str:
        return moment.isoformat(" ", "microseconds")

    # Bulk-load practice: the secondary indexes of the big tables go, and come back (the very
    # same DDL, read from sqlite_master) once the rows are in: one sort instead of millions of
    # random B-tree inserts. Unique constraints' own indexes cannot be dropped and stay.
    indexes = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN "
        "('ticket', 'audit_event', 'call', 'verification_attempt')"
    ).fetchall() if tickets >= 100_000 else []
    for name, _sql in indexes:
        conn.execute(f'DROP INDEX "{name}"')

    rand = rng.random
    n_orgs, n_agents = len(orgs), len(agent_ids)
    hour, minute = timedelta(minutes=60), timedelta(minutes=6)
    c = 0
    while made < tickets:
        at = first_at + timedelta(seconds=min(c, calls_expected - 1) * step + rand() * step * 0.5)
        recent = c > calls_expected * 0.9
        c += 1
        reversal = d365_orgs and rand() < pending_share
        org_id = d365_orgs[int(rand() * len(d365_orgs))] if reversal else orgs[int(rand() * n_orgs)]
        agent_id, agent_name = agent_ids[int(rand() * n_agents)]
        call_id, attempt_id = next_call, next_attempt
        next_call += 1
        next_attempt += 1
        verified_at = at + timedelta(seconds=40)
        at_s, verified_s, ended_s = dt(at), dt(verified_at), dt(at + minute)
        call_rows.append((call_id, agent_id, org_id, at_s, ended_s, "Filed as asked."))
        attempt_rows.append((attempt_id, org_id, agent_id, call_id, verified_s, 1, "[]",
                             people[org_id], '["admin", "billing_admin"]', dt(verified_at + hour)))
        history.calls += 1
        if call_events:
            chain.add_text(at_s, agent_name, "call.started", f"call:{call_id}", "{}")
        chain.add_text(verified_s, agent_name, "verification.passed", f"organization:{org_id}",
                       f'{{"attempt_id":{attempt_id},"call_id":{call_id},"failed_factors":[],"rule":"V-5"}}')
        n_tickets = 1 if reversal else min(tickets - made, 1 + int(rand() * (2 * tickets_per_call - 1)))
        subs = [d365[org_id]] if reversal else subs_by_org[org_id]
        for k in range(n_tickets):
            sub_id, sub_ref, product = subs[int(rand() * len(subs))]
            kinds = KINDS_BY_PRODUCT[product]
            kind = "reversal" if reversal else kinds[int(rand() * len(kinds))]
            resource_id = resource_ref = None
            if kind == "unsubscribe_resource":
                choices = resources[sub_id]
                resource_id, resource_ref = choices[int(rand() * len(choices))]
            created = verified_at + timedelta(seconds=30 + 20 * k + rand())
            r = rand()
            needs_review, needs_callback = review_flags(kind)
            ticket_id = next_ticket
            next_ticket += 1
            status = "resolved" if r < 0.78 else ("withdrawn" if r < 0.9 else "rejected")
            if reversal:
                status = "pending_review"
            elif recent and r < 0.35 and not (kind in CANCELLATION and sub_id in taken_sub) and not (
                resource_id is not None and resource_id in taken_res
            ):
                status = "pending_review" if needs_review else ("open", "in_progress")[ticket_id % 2]
                if kind in CANCELLATION:
                    taken_sub.add(sub_id)
                if resource_id is not None:
                    taken_res.add(resource_id)
            filed_status = "pending_review" if needs_review else "open"
            created_s = dt(created)
            day = created_s[:10]
            effective = date_after(day, ticket_id % 200)
            deletion = date_after(day, ticket_id % 200 + 90)
            reason = REASONS[ticket_id % len(REASONS)] or None
            # The form's fields as filing keeps them: reason and requested date have columns of their own.
            fields: dict[str, Any] = {}
            if kind == "migration_on_premises":
                fields["transfer_at"] = f"{date_after(day, 10)}T{created_s[11:19]}Z"
                fields["it_contact"] = f"it.{ticket_id % 97}@org.example.com"
            if resource_ref:
                fields["resource_ref"] = resource_ref
            consequences_json, consequences, consequences_digest = consequences_of(kind == "cancel_early", deletion)
            key, content = f"gen-{ticket_id:08d}", sha256(b"%d" % ticket_id).hexdigest()
            active = status in ACTIVE
            closed_s = created_s if active else f"{date_after(day, 1 + ticket_id % 20)}{created_s[10:]}"
            decided = status == "rejected" or (status == "resolved" and needs_review)
            approved = decided and status == "resolved"
            decider, decider_name = super_ids[ticket_id % len(super_ids)] if decided else (None, None)
            # an approval sets the data deletion date (the desk counts in UTC here).
            row_deletion = date_after(closed_s[:10], DELETING[kind]) if approved and kind in DELETING else deletion
            # V-8: an approval needing a callback follows one (recorded by the deciding supervisor).
            called = approved and needs_callback
            decision_reason = DECISION_REASON if decided else None
            ticket_rows.append((
                ticket_id, kind, status, org_id, sub_id, resource_id, call_id, attempt_id, agent_id,
                created_s, closed_s, key, content, None,
                reason, plain(fields) if fields else "{}", checklist_json[kind], consequences_json, rules_json[kind],
                int(needs_review), int(needs_callback), closed_s if called else None, decider if called else None,
                CALLBACK_NOTE if called else None, decider, closed_s if decided else None,
                decision_reason, effective, row_deletion, None,
                closed_s if status == "resolved" else None,
                # As filing and decisions store them (E-1, tickets.masking.scrub_stored).
                scrubbed(reason), scrubbed(decision_reason),
            ))
            history.pending_review += status == "pending_review"
            # The filing's event as tickets.filing writes it (history version 2: every column).
            chain.add_text(created_s, agent_name, "ticket.filed", f"ticket:{ticket_id}", filed_details(
                kind=kind, status=filed_status, sub_ref=sub_ref, resource_ref=resource_ref, attempt_id=attempt_id,
                call_id=call_id, key=key, content=content, reason=reason, fields=fields,
                consequences=consequences, consequences_digest=consequences_digest, needs_review=needs_review,
                effective=effective, deletion=deletion, check=ticket_id % Chain.CHECK_EVERY == 1))
            # The events its status implies, as tickets.lifecycle writes them: audit verify checks
            # each row against its history.
            subject = f"ticket:{ticket_id}"
            if called:
                chain.add_text(closed_s, decider_name, "ticket.callback_recorded", subject, CALLBACK_DETAILS)
            if status == "rejected":
                chain.add_text(closed_s, decider_name, "ticket.rejected", subject,
                               enc({"from": filed_status, "reason": DECISION_REASON, "to": "rejected"}))
            elif decided:
                approval = {"from": "pending_review", "reason": DECISION_REASON, "to": "approved"}
                if kind in DELETING:
                    approval["data_deletion_date"] = row_deletion
                chain.add_text(closed_s, decider_name, "ticket.approved", subject, enc(approval))
                chain.add_text(closed_s, agent_name, "ticket.resolved", subject,
                               '{"from":"approved","to":"resolved"}')
            elif status == "withdrawn":
                chain.add_text(closed_s, agent_name, "ticket.withdrawn", subject,
                               enc({"from": filed_status, "reason": WITHDRAWAL_REASON, "to": "withdrawn"}))
            elif status != filed_status:
                chain.add_text(closed_s, agent_name, f"ticket.{status}", subject,
                               f'{{"from":"{filed_status}","to":"{status}"}}')
            made += 1
        if call_events:
            chain.add_text(ended_s, agent_name, "call.ended", f"call:{call_id}",
                           f'{{"note_length":15,"organization_id":{org_id}}}')
        if len(ticket_rows) >= batch:
            flush()
            if progress:
                progress(made)
    flush()
    for _name, sql in indexes:
        conn.execute(sql)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    history.tickets = made
    history.events = chain.seq
    history.seconds = time.perf_counter() - started
    return history


DECISION_REASON = "Checked with the customer."
WITHDRAWAL_REASON = "The customer changed their mind."
CALLBACK_NOTE = "Called back on the number on file."
# The kinds whose approval sets a data deletion date, and how many days after.
DELETING = {k.value: spec.deletion_days_after_approval for k, spec in KINDS.items()
            if spec.deletion_days_after_approval is not None}


@cache
def review_flags(kind: str) -> tuple[bool, bool]:
    """(needs_review, needs_callback) as filing decides them (no refund asked for here)."""
    return kinds_review_flags(kind, False)


@lru_cache(maxsize=4096)
def consequences_of(early: bool, deletion: str) -> tuple[str, dict[str, Any], str]:
    """A filing's consequences column (as SQLAlchemy stores JSON), value and json_digest: the policy's, without
    the dates that have columns of their own (TICKET_DATE_COLUMNS), with the desk's zone."""
    value = {
        "early_termination_fee_may_apply": early, "refund": None, "self_service": None,
        "data_deletion_note": "C-8: data is deleted 90 days after cancellation", "coupon_handling": None,
        "routing_queue": "cancellations desk", "notes": [{"rule": "C-8", "text": f"the data is deleted on {deletion}"}],
        "time_zone": "UTC",
    }
    return json.dumps(value), value, json_digest(value)


def filed_details(*, kind: str, status: str, sub_ref: str, resource_ref: str | None, attempt_id: int, call_id: int,
                  key: str, content: str, reason: str | None, fields: dict[str, Any], consequences: dict[str, Any],
                  consequences_digest: str, needs_review: bool, effective: str, deletion: str,
                  check: bool = False) -> str:
    """A `ticket.filed` event's details as tickets.filing makes them (tickets.audit.record's version
    2), canonical: framed here, checked against filing_record itself now and then (`check`)."""
    fields_digest = _FIELDS_DIGEST if not fields else json_digest(fields)
    text = (
        f'{{"checklist":{_CHECKLIST_ENC[kind]},"confirmed":{_CONFIRMED_ENC[kind]},"history":{HISTORY},'
        f'"kind":"{kind}","resource":{enc(resource_ref)},"row":{{"call_id":{call_id},'
        f'"consequences_sha256":"{consequences_digest}",'
        f'"content_hash":"{content}","data_deletion_date":"{deletion}","effective_date":"{effective}",'
        f'"fields_sha256":"{fields_digest}","idempotency_key":"{key}",'
        f'"needs_review":{"true" if needs_review else "false"},"reason_sha256":{enc(_reason_digest(reason))},'
        f'"refund_requested":false,"requested_date":null,"reversal_deadline":null}},'
        f'"rules":{_RULES_ENC[kind]},"status":"{status}","subscription":{enc(sub_ref)},"time_zone":"UTC",'
        f'"verification_id":{attempt_id}}}'
    )
    if check:
        official = {
            "kind": kind, "status": status, "subscription": sub_ref, "resource": resource_ref,
            "verification_id": attempt_id, "checklist": CHECKLIST[kind], "confirmed": _confirmed(kind),
            "rules": RULES[kind], "time_zone": "UTC",
            **filing_record(call_id=call_id, idempotency_key=key, content_hash=content, requested_date=None,
                            reason=reason, fields=fields, consequences=consequences, refund_requested=False,
                            needs_review=needs_review, effective_date=effective, data_deletion_date=deletion,
                            reversal_deadline=None),
        }
        if enc(official) != text:
            raise AssertionError("generate: a filing's details are no longer what tickets.filing records")
    return text


def _confirmed(kind: str) -> list[str]:
    """The checklist's sentences the caller confirmed (the policy's words; stand-ins here)."""
    return [f"Confirmed: {item.replace('_', ' ')} ({RULES[kind][0]})" for item in CHECKLIST[kind]]


_FIELDS_DIGEST = json_digest({})
_CHECKLIST_ENC = {k: enc(v) for k, v in CHECKLIST.items()}
_RULES_ENC = {k: enc(v) for k, v in RULES.items()}
_CONFIRMED_ENC = {k: enc(_confirmed(k)) for k in CHECKLIST}


@lru_cache(maxsize=64)
def _reason_digest(reason: str | None) -> str | None:
    return text_digest(reason)


CALLBACK_DETAILS = enc(callback_record(CALLBACK_NOTE))


@lru_cache(maxsize=4096)
def _day(text: str) -> date:
    return date.fromisoformat(text)


@lru_cache(maxsize=200_000)
def date_after(day: str, days: int) -> str:
    """ISO date `days` after the ISO date `day` (cached: the history has few distinct days)."""
    return (_day(day) + timedelta(days=days)).isoformat()


# --- a whole database -------------------------------------------------------------------------


def new_database(path: Path) -> None:
    """A fresh file with the real schema (Alembic, tickets.store.schema.upgrade)."""
    from tickets.store.database import make_engine
    from tickets.store.schema import upgrade

    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()


def import_with_store(url: str, document: dict[str, Any], *, now: datetime = T0) -> float:
    """tickets.directory.import_directory of the document; returns the seconds it took."""
    from tickets.clock import FixedClock
    from tickets.directory import import_directory
    from tickets.store.database import Store, make_engine

    data = json.dumps(document, ensure_ascii=False).encode()
    store = Store(make_engine(url), FixedClock(now))
    try:
        started = time.perf_counter()
        import_directory(store, data)
        return time.perf_counter() - started
    finally:
        store.dispose()


def copy_database(source: Path, target: Path) -> None:
    """A consistent copy (sqlite3 backup API), usable while nothing writes the source."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    src.backup(dst)
    dst.execute("PRAGMA journal_mode=WAL")
    dst.close()
    src.close()


def add_agents_with_store_chain(
    path: Path, *, agents: int, supervisors: int, at: datetime = T0 - timedelta(days=731)
) -> None:
    conn = raw_connect(path)
    seq, prev = head(conn)
    chain = Chain(seq, prev)
    conn.execute("BEGIN IMMEDIATE")
    add_agents(conn, chain, agents=agents, supervisors=supervisors, at=at)
    conn.executemany(INSERT_EVENT, chain.take())
    set_head(conn, chain)
    conn.execute("COMMIT")
    conn.close()


@dataclass
class Template:
    path: Path
    document: dict[str, Any]
    import_seconds: float  # tickets.directory.import_directory of the document


def build_template(path: Path, *, orgs: int = 2000, bench_subs: int = 1200, agents: int = 64,
                   supervisors: int = 6) -> Template:
    """A fresh database (real schema) with the generated directory imported through the store,
    and `agents` agents (agent001 ..) and `supervisors` supervisors (super001 ..), PIN 1111."""
    new_database(path)
    document = make_directory(orgs, bench_subs=bench_subs)
    seconds = import_with_store(f"sqlite:///{path}", document)
    add_agents_with_store_chain(path, agents=agents, supervisors=supervisors)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return Template(path, document, seconds)


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=20_000)
    parser.add_argument("--orgs", type=int, default=2000)
    parser.add_argument("--out", type=Path, default=Path("bench-output/db/bench.db"))
    args = parser.parse_args(argv)
    template = build_template(args.out, orgs=args.orgs)
    print(f"directory of {args.orgs} organizations imported in {template.import_seconds:.1f} s")
    history = generate_history(
        args.out, tickets=args.tickets, progress=lambda n: print(f"  {n:,} tickets", file=sys.stderr))
    print(f"{history.tickets:,} tickets, {history.calls:,} calls, {history.events:,} events in {history.seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
