"""Target 6: verifying one caller on every factor, pure (no database).

deskapp: `identity.check_claim_format` then `identity.verify` on a correct claim against the
organization on file (three people, as the generated directory has them), as
`tickets.verification.verify_caller` calls them. Baseline: the two library calls any such check
needs at the least, on the same input: `phonenumbers.parse` + `is_valid_number` of the phone
and `email_validator.validate_email(check_deliverability=False)` of the user ID. In turns, medians.
"""

from __future__ import annotations

from typing import Any

from common import Result, interleaved
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


def bench_verification(document: dict[str, Any], *, loops: int = 200, repeat: int = 7) -> Result:
    import phonenumbers
    from email_validator import validate_email

    from identity import check_claim_format, verify

    org = next(o for o in document["organizations"] if o["ref"] != BENCH_ORG and o["url"])  # D365: all factors
    claim = claim_for(org)
    record = on_file(org)
    region = org["country"]
    outcome = verify(claim, record)
    if check_claim_format(claim, region, record.requires_url) or not outcome.passed:
        raise RuntimeError(f"verification bench: the generated claim does not pass ({outcome.failed_factors})")

    def subject() -> None:
        for _ in range(loops):
            check_claim_format(claim, region, record.requires_url)
            verify(claim, record)

    def baseline() -> None:
        for _ in range(loops):
            number = phonenumbers.parse(claim.phone, region)
            phonenumbers.is_valid_number(number)
            validate_email(claim.user_id, check_deliverability=False)

    s, b = interleaved(subject, baseline, repeat)
    return Result(
        "6", "Verification of one caller, all factors (pure)", subject=loops / s, baseline=loops / b,
        unit="callers/s", target=0.5, higher_is_better=True,
        subject_label="identity.check_claim_format + identity.verify",
        baseline_label="phonenumbers.parse + is_valid_number + validate_email",
        note=f"Dynamics 365 caller (URL factor too), {len(record.people)} people on file; "
             f"{1e6 * s / loops:.0f} µs vs {1e6 * b / loops:.0f} µs a caller",
    )
