"""Target 2a: the directory import against a validating baseline, measured in the same run.

deskapp: `tickets.directory.import_directory` of the generated directory file (its bytes:
parsed, every record checked, applied in one transaction with its audit event) into a fresh
database. Baseline: the same bytes parsed with `json`, checked with pydantic models of
the file's records (types, lengths, enums, aware date-times, no unknown keys), every phone number
with `phonenumbers.parse` + `is_valid_number` in its organization's country and every user ID
(people and campaign billing admins) with `email_validator.validate_email`, then the very rows
deskapp wrote (read back from its database, so the same rows) inserted with `sqlite3`
executemany in one transaction with the audit event and head. Both at the shipped durability
(WAL, synchronous=FULL) on the real schema, each run into a fresh file made before the clock
starts; in turns in this process, CPU time (`time.process_time`) and wall clock, medians of
>= 5 runs with min and max; judged on the CPU ratio (baseline / deskapp).
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from typing import Annotated, Any, Literal

from common import Result, Spread, raw_connection, sqlite_url
from generate import INSERT_EVENT, T0, Chain, Template, enc, head, new_database, set_head

DIRECTORY_TABLES = ("organization", "person", "subscription", "ims_campaign", "renewal_resource")


def _models():
    """Plain pydantic models of the directory file: what a validating import checks at least."""
    from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictBool, StrictInt, StringConstraints

    from tickets.enums import CampaignState, Channel, Platform, Product, ResourceState, Role, SubscriptionState

    def text(max_length: int, min_length: int = 1) -> Any:
        return Annotated[str, StringConstraints(strict=True, strip_whitespace=True, min_length=min_length,
                                                max_length=max_length)]

    class Record(BaseModel):
        model_config = ConfigDict(extra="forbid", frozen=True)

    class Address(Record):
        street_lines: Annotated[list[text(200)], Field(min_length=1, max_length=5)]
        city: text(120)
        region: text(120, 0) = ""
        postal_code: text(20, 0) = ""

    class Person(Record):
        user_id: text(320)
        first_name: text(120)
        last_name: text(120)
        phone: text(40)
        primary_contact: StrictBool = False
        roles: list[Role] = []

    class Campaign(Record):
        ref: text(40)
        name: text(200)
        billing_admin_user_id: text(320)
        state: CampaignState

    class Resource(Record):
        ref: text(40)
        description: text(200)
        effective_at: AwareDatetime
        state: ResourceState
        transaction_in_progress: StrictBool = False
        special_unsubscription_pending: StrictBool = False
        in_promotion: StrictBool = False
        invoice_issued: StrictBool = False
        cash_coupons_used: Annotated[StrictInt, Field(ge=0)] = 0
        discount_coupons_used: Annotated[StrictInt, Field(ge=0)] = 0

    class Subscription(Record):
        ref: text(40)
        name: text(200)
        product: Product
        channel: Channel
        platform: Platform | None = None
        state: SubscriptionState
        purchased_at: AwareDatetime
        term_start: AwareDatetime
        term_end: AwareDatetime
        auto_renew: StrictBool = True
        licenses_assigned: Annotated[StrictInt, Field(ge=0)] = 0
        custom_domains: list[text(253)] = []
        cancelled_at: AwareDatetime | None = None
        expedited_at: AwareDatetime | None = None
        data_deleted_at: AwareDatetime | None = None
        ims_campaigns: list[Campaign] = []
        renewal_resources: list[Resource] = []

    class Organization(Record):
        ref: text(40)
        name: text(200)
        url: text(300) | None = None
        country: Annotated[str, StringConstraints(strict=True, min_length=2, max_length=2)]
        address: Address
        people: list[Person] = []
        subscriptions: list[Subscription] = []

    class Directory(Record):
        format: Literal["deskapp-directory"]
        version: Literal[1]
        organizations: list[Organization]

    return Directory


def _rows(conn, table: str) -> tuple[list[str], list[tuple]]:
    cursor = conn.execute(f"SELECT * FROM {table} ORDER BY rowid")
    return [d[0] for d in cursor.description], cursor.fetchall()


def _fresh(path: Path) -> Path:
    new_database(path)
    return path


def _drop(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def bench_directory_import(template: Template, workdir: Path, *, repeat: int = 5) -> Result:
    import phonenumbers
    from email_validator import validate_email

    from tickets.clock import FixedClock
    from tickets.directory import import_directory
    from tickets.store.database import Store, make_engine

    data = json.dumps(template.document, ensure_ascii=False).encode()
    directory_model = _models()

    # The rows deskapp writes, read back once from an import made for the purpose.
    probe = _fresh(workdir / "import-probe.db")
    store = Store(make_engine(sqlite_url(probe)), FixedClock(T0))
    report = import_directory(store, data)
    store.dispose()
    conn = raw_connection(probe)
    tables = {t: _rows(conn, t) for t in DIRECTORY_TABLES}
    event = conn.execute("SELECT at, actor, action, subject, details FROM audit_event "
                         "WHERE action = 'directory.imported' ORDER BY seq LIMIT 1").fetchone()
    conn.close()
    _drop(probe)
    inserts = [(f"INSERT INTO {t} ({', '.join(c)}) VALUES ({', '.join('?' for _ in c)})", rows)
               for t, (c, rows) in tables.items()]
    rows = sum(len(r) for _, r in tables.values())

    # Each side gets its database opened before the clock starts (the store with its engine,
    # the baseline its sqlite3 connection) and closes it after.
    def subject(path: Path):
        store = Store(make_engine(sqlite_url(path)), FixedClock(T0))
        with store.read() as session:  # the pool's first connection, as a running deskapp has it
            session.connection()
        return (lambda: import_directory(store, data)), store.dispose

    def baseline(path: Path):
        conn = raw_connection(path)
        return (lambda: _baseline_run(conn)), conn.close

    def _baseline_run(conn) -> None:
        document = directory_model.model_validate(json.loads(data))
        for org in document.organizations:
            for person in org.people:
                phonenumbers.is_valid_number(phonenumbers.parse(person.phone, org.country))
                validate_email(person.user_id, check_deliverability=False)
            for sub in org.subscriptions:
                for campaign in sub.ims_campaigns:
                    validate_email(campaign.billing_admin_user_id, check_deliverability=False)
        conn.execute("BEGIN IMMEDIATE")
        for statement, values in inserts:
            conn.executemany(statement, values)
        chain = Chain(*head(conn))  # the audit event, hashed as tickets.audit.chain does, and the head
        chain.add_text(event[0], event[1], event[2], event[3], enc(json.loads(event[4])))
        conn.executemany(INSERT_EVENT, chain.take())
        set_head(conn, chain)
        conn.execute("COMMIT")

    sides = (Spread([], []), Spread([], []))
    for n in range(max(repeat, 5) + 1):  # the first round warms up, unmeasured
        for side, fn, name in zip(sides, (subject, baseline), ("deskapp", "raw"), strict=True):
            path = _fresh(workdir / f"import-{name}.db")  # made before the clock starts
            run, close = fn(path)
            cpu, wall = time.process_time(), time.perf_counter()
            run()
            if n:
                side.cpu.append(time.process_time() - cpu)
                side.wall.append(time.perf_counter() - wall)
            close()
            _drop(path)
    s, b = sides
    ratios = [bc / sc for bc, sc in zip(b.cpu, s.cpu, strict=True)]
    ratio = b.cpu_median / s.cpu_median
    people = len(tables["person"][1])
    return Result(
        "2a", f"Bulk load: directory import ({report.organizations_added:,} organizations, {rows:,} rows)",
        subject=rows / s.cpu_median, baseline=rows / b.cpu_median, unit="rows/s (CPU)", target=0.5,
        higher_is_better=True, subject_label="tickets.directory.import_directory",
        baseline_label="json + pydantic + phonenumbers + email-validator, then sqlite3 executemany",
        note=f"CPU ratio {ratio:.2f} (run by run min {min(ratios):.2f}, max {max(ratios):.2f}, n={len(ratios)}); "
             f"wall {b.wall_median / s.wall_median:.2f}. deskapp {s.text(1, 's')}; baseline {b.text(1, 's')}; "
             f"{people:,} people",
        extra={"cpu_ratio": ratio, "cpu_ratio_min": min(ratios), "cpu_ratio_max": max(ratios),
               "wall_ratio": b.wall_median / s.wall_median, "runs": len(ratios),
               "cpu_median_subject_s": s.cpu_median, "cpu_median_baseline_s": b.cpu_median,
               "cpu_ratio_spread": statistics.pstdev(ratios)},
    )
