"""The verification hot path's SQL, prebuilt, on the session's driver connection.

tickets.verification keeps the rules (V-1 .. V-5) and the transaction; this module reads and
writes the rows it needs with `tickets.store.rawsql`, on SQLite and PostgreSQL alike: the organization
(locked on PostgreSQL), its lockout history, its people with their stored comparison keys, and
the attempt it records. A key not stored yet (NULL) is worked out here from the fact it keys.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from identity import (
    OrganizationKeys,
    PersonKeys,
    organization_fact_keys,
    person_fact_keys,
    phone_key_on_file,
)
from tickets.enums import Product
from tickets.store import rawsql

_D365 = Product.D365.value
_REQUIRES_URL = "EXISTS (SELECT 1 FROM subscription s WHERE s.organization_id = o.id AND s.product = :d365)"
_ORG_REGION = rawsql.Sql(f"SELECT o.country, {_REQUIRES_URL} AS requires_url FROM organization o WHERE o.id = :org")
_ORG_FACTS = (
    "SELECT o.id, o.name, o.url, o.street_lines, o.city, o.region, o.postal_code, o.country, "
    f"o.key_name, o.key_url, o.key_address, {_REQUIRES_URL} AS requires_url FROM organization o WHERE o.id = :org"
)
# V-5: verifications of one organization are serialised by a row lock on PostgreSQL (NO KEY
# UPDATE does not conflict with the KEY SHARE locks of inserting a ticket or a call referring to
# it, so filings never deadlock with it); on SQLite the write transaction (BEGIN IMMEDIATE)
# already holds the lock.
_LOCK = {"sqlite": rawsql.Sql(_ORG_FACTS), "postgresql": rawsql.Sql(_ORG_FACTS + " FOR NO KEY UPDATE OF o")}
# V-5's history in one round trip: the failed attempts since a moment (flag 0), and
# one row (flag 1) with the last unlock's time, NULL if none.
_HISTORY = rawsql.Sql(
    "SELECT at, 0 AS is_unlock FROM verification_attempt WHERE organization_id = :org AND passed = :failed "
    "AND at > :since "
    "UNION ALL SELECT max(at), 1 FROM verification_unlock WHERE organization_id = :org"
)
_PEOPLE = rawsql.Sql(
    "SELECT id, user_id, phone_e164, first_name, last_name, is_primary_contact, roles, "
    "key_user_id, key_phone, key_first_name, key_last_name FROM person WHERE organization_id = :org ORDER BY id"
)
_INSERT_ATTEMPT = rawsql.Sql(
    "INSERT INTO verification_attempt (organization_id, agent_id, call_id, at, passed, failed_factors, "
    "person_id, roles, expires_at) VALUES (:org, :agent, :call, :at, :passed, :failed_factors, :person, "
    ":roles, :expires_at) RETURNING id"
)
_CLAIM = 'UPDATE "call" SET organization_id = :org WHERE id = :call AND organization_id IS NULL'
_CLAIM_CALL = rawsql.Sql(_CLAIM)
# PostgreSQL: the attempt recorded and its call claimed in one statement, one round
# trip (a data-modifying WITH runs whether or not the INSERT reads it).
_INSERT_ATTEMPT_CLAIMING = rawsql.Sql(f"WITH claimed AS ({_CLAIM}) {_INSERT_ATTEMPT.text}")


def dialect(session: Session | rawsql.Raw) -> str:
    return rawsql.Raw(session).dialect


def region_of(session: Session | rawsql.Raw, organization_id: int) -> tuple[str, bool] | None:
    """(the organization's country, whether it is asked its URL: V-1 [D365]) or None."""
    row = rawsql.first(session, _ORG_REGION, {"org": organization_id, "d365": _D365})
    return (row.country, bool(row.requires_url)) if row is not None else None


def lock_organization(session: Session | rawsql.Raw, organization_id: int) -> Any | None:
    """The organization's row (facts, keys, requires_url), locked for this transaction (V-5)."""
    return rawsql.first(session, _LOCK[dialect(session)], {"org": organization_id, "d365": _D365})


def lockout_history(
    session: Session | rawsql.Raw, organization_id: int, since: datetime
) -> tuple[list[datetime], datetime | None]:
    """(the failed attempts after `since`, the last unlock) of an organization (V-5)."""
    name = dialect(session)
    found = rawsql.rows(session, _HISTORY, {"org": organization_id, "failed": False,
                                            "since": rawsql.bind_time(since, name)})
    failures = [rawsql.read_time(row.at) for row in found if not row.is_unlock]
    unlocked = next((rawsql.read_time(row.at) for row in found if row.is_unlock), None)
    return failures, unlocked


def organization_with_people(raw: rawsql.Raw, organization_id: int) -> tuple[Any | None, list[Any]]:
    """lock_organization's row without the lock (PostgreSQL: the function takes it, migration
    0011) and its people's rows for keys_on_file, in one round trip on PostgreSQL."""
    orgs, people = raw.reads((_LOCK["sqlite"], _PEOPLE), {"org": organization_id, "d365": _D365})
    return (orgs[0] if orgs else None), people


def keys_on_file(session: Session | rawsql.Raw, org: Any, people_rows: list[Any] | None = None) -> OrganizationKeys:
    """The organization of a `lock_organization` row and its people (read here unless the caller
    has their rows, `people_rows`), as verification compares them: the stored keys, or (NULL:
    not stored yet) the keys of the stored facts."""
    key_name, key_url, key_address = org.key_name, org.key_url, org.key_address
    if key_name is None or key_url is None or key_address is None:
        key_name, key_url, key_address = organization_fact_keys(
            org.name, org.url, rawsql.read_json(org.street_lines), org.city, org.region, org.postal_code,
            org.country)
    people = []
    if people_rows is None:
        people_rows = rawsql.rows(session, _PEOPLE, {"org": org.id})
    for p in people_rows:
        key_user_id, key_phone, key_first, key_last = p.key_user_id, p.key_phone, p.key_first_name, p.key_last_name
        if key_user_id is None or key_first is None or key_last is None:
            key_user_id, key_phone, key_first, key_last = person_fact_keys(
                p.user_id, p.phone_e164, p.first_name, p.last_name)
        if key_phone is None:  # no country code: read with the organization's country (V-3)
            key_phone = phone_key_on_file(p.phone_e164, org.country)
        people.append(PersonKeys(str(p.id), key_user_id, key_phone, key_first, key_last, bool(p.is_primary_contact),
                                 frozenset(rawsql.read_json(p.roles))))
    return OrganizationKeys(key_name, key_url, key_address, tuple(people), bool(org.requires_url))


def record_attempt(
    session: Session | rawsql.Raw,
    *,
    organization_id: int,
    agent_id: int,
    call_id: int | None,
    at: datetime,
    passed: bool,
    failed_factors: list[str],
    person_id: int | None,
    roles: list[str],
    expires_at: datetime | None,
    claim: bool = False,
) -> int:
    """Insert one verification attempt (V-5); its id. With `claim`, the call becomes about the
    organization too (claim_call): in the same statement on PostgreSQL, after it on SQLite."""
    name = dialect(session)
    together = claim and call_id is not None and name == "postgresql"
    row = rawsql.first(session, _INSERT_ATTEMPT_CLAIMING if together else _INSERT_ATTEMPT, {
        "org": organization_id, "agent": agent_id, "call": call_id, "at": rawsql.bind_time(at, name),
        "passed": passed, "failed_factors": rawsql.bind_json(failed_factors), "person": person_id,
        "roles": rawsql.bind_json(roles), "expires_at": rawsql.bind_time(expires_at, name),
    })
    if claim and call_id is not None and not together:
        claim_call(session, call_id, organization_id)
    assert row is not None  # INSERT ... RETURNING id: always its row
    return int(row.id)


def claim_call(session: Session | rawsql.Raw, call_id: int, organization_id: int) -> None:
    """The call becomes about the organization, unless it already is about one."""
    rawsql.execute(session, _CLAIM_CALL, {"call": call_id, "org": organization_id})


# --- finding organizations (V-3: exact keys only) ---------------------------------------------

_COUNTRIES = rawsql.Sql("SELECT DISTINCT country FROM organization")
_FOUND: dict[tuple[bool, bool, int], rawsql.Sql] = {}


def countries(session: Session | rawsql.Raw) -> list[str]:
    return sorted(row.country for row in rawsql.rows(session, _COUNTRIES))


def find(session: Session | rawsql.Raw, name_key: str | None, user_id: str | None, numbers: list[str]) -> list[Any]:
    """Rows (id, ref, country, requires_url: has a D365 subscription) of the first 20
    organizations by ref matching every criterion given: the name's key, a person's user ID, a
    person's number among `numbers`."""
    shape = (name_key is not None, user_id is not None, len(numbers))
    sql = _FOUND.get(shape)
    if sql is None:
        where = []
        if shape[0]:
            where.append("o.name_key = :name_key")
        if shape[1]:
            where.append("o.id IN (SELECT p.organization_id FROM person p WHERE p.user_id = :user_id)")
        if shape[2]:
            wanted = ", ".join(f":phone{n}" for n in range(shape[2]))
            where.append(f"o.id IN (SELECT p.organization_id FROM person p WHERE p.phone_e164 IN ({wanted}))")
        sql = _FOUND[shape] = rawsql.Sql(
            f"SELECT o.id, o.ref, o.country, {_REQUIRES_URL} AS requires_url FROM organization o "
            f"WHERE {' AND '.join(where)} ORDER BY o.ref LIMIT 20")
    params = {"name_key": name_key, "user_id": user_id, "d365": _D365,
              **{f"phone{n}": number for n, number in enumerate(numbers)}}
    return rawsql.rows(session, sql, params)
