"""Target 6: verifying one caller on every factor, pure (no database).

deskapp: what `tickets.verification.verify_caller` asks of `identity` for one caller:
`identity.claim_keys` (the claim normalised once: its format check and its keys) then
`identity.verify_keys` against the organization's keys as the directory stores them (three
people, as the generated directory has them; made once, as the import makes them). Every factor
is evaluated (V-4). Baseline: the two library calls any such check needs at the least, on the
same input: `phonenumbers.parse` + `is_valid_number` of the phone and
`email_validator.validate_email(check_deliverability=False)` of the user ID. Both in this
process, in turns (`common.paired`); judged on the CPU-time ratio of the medians.
"""

from __future__ import annotations

from typing import Any

from common import Result, paired
from generate import BENCH_ORG, claim_for


def on_file(org: dict[str, Any]):
    import phonenumbers

    from identity import Address, OrganizationOnFile, PersonOnFile

    a = org["address"]
    people = []
    for n, p in enumerate(org["people"]):
        number = phonenumbers.parse(p["phone"], org["country"])
        people.append(PersonOnFile(
            key=str(n), user_id=p["user_id"].lower(),
            phone_e164=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
            first_name=p["first_name"], last_name=p["last_name"], is_primary_contact=p["primary_contact"],
            roles=frozenset(p["roles"]),
        ))
    return OrganizationOnFile(
        country=org["country"], name=org["name"], url=org["url"],
        address=Address(tuple(a["street_lines"]), a["city"], a["region"], a["postal_code"], org["country"]),
        people=tuple(people), requires_url=bool(org["url"]),
    )


def bench_verification(document: dict[str, Any], *, loops: int = 1000, repeat: int = 9) -> Result:
    import phonenumbers
    from email_validator import validate_email

    from identity import check_claim_format, claim_keys, organization_keys_of, verify, verify_keys

    org = next(o for o in document["organizations"] if o["ref"] != BENCH_ORG and o["url"])  # D365: all factors
    claim = claim_for(org)
    record = on_file(org)
    region = org["country"]
    stored = organization_keys_of(record)  # as the import stores them
    outcome = verify(claim, record)
    if check_claim_format(claim, region, record.requires_url) or not outcome.passed:
        raise RuntimeError(f"verification bench: the generated claim does not pass ({outcome.failed_factors})")
    if verify_keys(claim_keys(claim, region, record.requires_url), stored) != outcome:
        raise RuntimeError("verification bench: the stored keys decide otherwise than the facts")

    def subject() -> None:
        for _ in range(loops):
            keys = claim_keys(claim, region, stored.requires_url)
            if keys.problems:  # as verify_caller: a malformed claim spends no attempt
                raise RuntimeError("malformed")
            verify_keys(keys, stored)

    def baseline() -> None:
        for _ in range(loops):
            number = phonenumbers.parse(claim.phone, region)
            phonenumbers.is_valid_number(number)
            validate_email(claim.user_id, check_deliverability=False)

    s, b = paired(subject, baseline, repeat)
    ratio = b.cpu_median / s.cpu_median
    return Result(
        "6", "Verification of one caller, all factors (pure)", subject=loops / s.cpu_median,
        baseline=loops / b.cpu_median, unit="callers/s (CPU)", target=0.5, higher_is_better=True,
        subject_label="identity.claim_keys + identity.verify_keys (stored keys)",
        baseline_label="phonenumbers.parse + is_valid_number + validate_email",
        note=f"Dynamics 365 caller (URL factor too), {len(record.people)} people on file; a caller "
             f"{1e6 * s.cpu_median / loops:.0f} µs vs {1e6 * b.cpu_median / loops:.0f} µs CPU (medians of "
             f"{len(s.cpu)}); CPU ratio {ratio:.2f} (min {b_min(b, s):.2f}, max {b_max(b, s):.2f}), "
             f"wall {b.wall_median / s.wall_median:.2f}",
        extra={"cpu_ratio": ratio, "cpu_ratio_min": b_min(b, s), "cpu_ratio_max": b_max(b, s),
               "wall_ratio": b.wall_median / s.wall_median, "runs": len(s.cpu),
               "subject": s.text(1e6 / loops, "µs"), "baseline": b.text(1e6 / loops, "µs")},
    )


def _pair_ratios(b, s) -> list[float]:
    """Run by run (each subject run beside the baseline run that followed it): baseline / subject."""
    return [bc / sc for bc, sc in zip(b.cpu, s.cpu, strict=True)]


def b_min(b, s) -> float:
    return min(_pair_ratios(b, s))


def b_max(b, s) -> float:
    return max(_pair_ratios(b, s))


def bench_verification_read(path, document: dict[str, Any], *, loops: int = 300, repeat: int = 7) -> Result:
    """6b: verification with its database read, as `tickets.verification.verify_caller` reads
    before it writes the attempt: the organization's row with its region and its people's stored
    keys, one statement (tickets.store.verification_sql, on a pooled driver connection), the
    claim's keys, the comparison. Baseline: the same library calls as 6 plus one indexed SELECT of the
    organization's people with the standard sqlite3 driver, on the same database."""
    import phonenumbers
    from common import raw_connection, sqlite_url
    from email_validator import validate_email

    from identity import claim_keys, verify_keys
    from tickets.store import verification_sql as sql
    from tickets.store.database import Store, make_engine

    org = next(o for o in document["organizations"] if o["ref"] != BENCH_ORG and o["url"])
    claim = claim_for(org)
    store = Store(make_engine(sqlite_url(path)))
    conn = raw_connection(path)
    (org_id,) = conn.execute("SELECT id FROM organization WHERE ref = ?", (org["ref"],)).fetchone()
    people = "SELECT id, user_id, phone_e164, first_name, last_name, is_primary_contact, roles FROM person " \
             "WHERE organization_id = ?"

    def subject() -> None:
        for _ in range(loops):
            with store.raw_read() as raw:
                found = sql.lock_organization(raw, org_id)
                keys = claim_keys(claim, found.row.country, bool(found.row.requires_url))
                if keys.problems:
                    raise RuntimeError("malformed")
                if not verify_keys(keys, sql.keys_on_file(raw, found)).passed:
                    raise RuntimeError("the generated claim does not pass")

    def baseline() -> None:
        for _ in range(loops):
            number = phonenumbers.parse(claim.phone, org["country"])
            phonenumbers.is_valid_number(number)
            validate_email(claim.user_id, check_deliverability=False)
            conn.execute(people, (org_id,)).fetchall()

    try:
        s, b = paired(subject, baseline, repeat)
    finally:
        store.dispose()
        conn.close()
    return Result.from_spreads(
        "6b", "Verification of one caller with its database read", s, b, unit="callers/s", target=0.5,
        higher_is_better=True, work=loops,
        subject_label="verification_sql lock_organization (region, row, people), keys_on_file, claim_keys, verify_keys",
        baseline_label="phonenumbers + validate_email + one indexed SELECT of the people (sqlite3)",
        note=f"a caller {1e6 * s.cpu_median / loops:.0f} µs vs {1e6 * b.cpu_median / loops:.0f} µs CPU "
             f"(medians of {len(s.cpu)} runs of {loops})")
