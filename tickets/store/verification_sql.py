"""The verification hot path's SQL, prebuilt, on the session's driver connection.

tickets.verification keeps the rules (V-1 .. V-5) and the transaction; this module reads and
writes the rows it needs with `tickets.store.rawsql`, on SQLite and PostgreSQL alike: the organization
(locked on PostgreSQL), its lockout history, its people with their stored comparison keys, and
the attempt it records. A key not stored yet (NULL) is worked out here from the fact it keys.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple

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
from tickets.store.sqltext import json_as_text

_D365 = Product.D365.value
_REQUIRES_URL = "EXISTS (SELECT 1 FROM subscription s WHERE s.organization_id = o.id AND s.product = :d365)"
# The same of the one organization :org: not correlated with the row, so worked out once a
# statement instead of once a person's row (SQLite runs a correlated subquery for each row).
_ORG_REQUIRES_URL = "EXISTS (SELECT 1 FROM subscription s WHERE s.organization_id = :org AND s.product = :d365)"
_ORG_FACTS = rawsql.Sql(
    "SELECT o.name, o.url, o.street_lines, o.city, o.region, o.postal_code, o.country FROM organization o "
    "WHERE o.id = :org"
)
# The organization (its country and whether it is asked its URL: what reads the claim) and its
# people with their stored keys (what verification compares) in one statement: the
# organization's columns on every row, each person's as person_* (NULLs when it has none). The
# facts behind a key are read only for a key not stored (keys_on_file).
_ORG_KEYS = (
    f"SELECT o.id, o.country, o.key_name, o.key_url, o.key_address, {_ORG_REQUIRES_URL} AS requires_url, "
    "p.id AS person_id, p.is_primary_contact AS person_is_primary_contact, p.roles AS person_roles, "
    "p.phone_e164 AS person_phone_e164, p.key_user_id AS person_key_user_id, p.key_phone AS person_key_phone, "
    "p.key_first_name AS person_key_first_name, p.key_last_name AS person_key_last_name "
    "FROM organization o LEFT OUTER JOIN person p ON p.organization_id = o.id WHERE o.id = :org ORDER BY p.id"
)
# V-5: verifications of one organization are serialised by a row lock on PostgreSQL (NO KEY
# UPDATE does not conflict with the KEY SHARE locks of inserting a ticket or a call referring to
# it, so filings never deadlock with it); on SQLite the write transaction (BEGIN IMMEDIATE)
# already holds the lock. Only the organization's row is locked (OF o), not its people's.
_LOCK = {"sqlite": rawsql.Sql(_ORG_KEYS, postgresql=json_as_text(_ORG_KEYS, "p.roles")),
         "postgresql": rawsql.Sql(_ORG_KEYS + " FOR NO KEY UPDATE OF o",
                                  postgresql=json_as_text(_ORG_KEYS, "p.roles") + " FOR NO KEY UPDATE OF o")}
# V-5's history in one round trip: the failed attempts since a moment (flag 0), and
# one row (flag 1) with the last unlock's time, NULL if none.
_HISTORY = rawsql.Sql(
    "SELECT at, 0 AS is_unlock FROM verification_attempt WHERE organization_id = :org AND passed = :failed "
    "AND at > :since "
    "UNION ALL SELECT max(at), 1 FROM verification_unlock WHERE organization_id = :org"
)
_PEOPLE_FACTS = rawsql.Sql(
    "SELECT id, user_id, phone_e164, first_name, last_name FROM person WHERE organization_id = :org"
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


class OrganizationOnFile(NamedTuple):
    """An organization's row (id, country, stored keys, requires_url: V-1 [D365]) and its
    people's rows (their columns named person_*, by id), read in one statement."""

    row: Any
    people: tuple[Any, ...]


def _organization(session: Session | rawsql.Raw, sql: rawsql.Sql, organization_id: int) -> OrganizationOnFile | None:
    found = rawsql.rows(session, sql, {"org": organization_id, "d365": _D365})
    if not found:
        return None
    first = found[0]
    return OrganizationOnFile(first, tuple(found) if first.person_id is not None else ())


def lock_organization(session: Session | rawsql.Raw, organization_id: int) -> OrganizationOnFile | None:
    """The organization with its people, its row locked for this transaction (V-5)."""
    return _organization(session, _LOCK[dialect(session)], organization_id)


def organization_row(session: Session | rawsql.Raw, organization_id: int) -> OrganizationOnFile | None:
    """lock_organization's without the lock (PostgreSQL: the function takes it, migration 0011)."""
    return _organization(session, _LOCK["sqlite"], organization_id)


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


def keys_on_file(session: Session | rawsql.Raw, found: OrganizationOnFile) -> OrganizationKeys:
    """The organization of `lock_organization` and its people, as verification compares them:
    the stored keys, or (NULL: not stored yet) the keys of the stored facts, read for that."""
    org = found.row
    key_name, key_url, key_address = org.key_name, org.key_url, org.key_address
    if key_name is None or key_url is None or key_address is None:
        (o,) = rawsql.rows(session, _ORG_FACTS, {"org": org.id})
        key_name, key_url, key_address = organization_fact_keys(
            o.name, o.url, rawsql.read_json(o.street_lines), o.city, o.region, o.postal_code, o.country)
    people = []
    person_facts: dict[int, Any] | None = None
    for p in found.people:
        key_user_id, key_phone = p.person_key_user_id, p.person_key_phone
        key_first, key_last = p.person_key_first_name, p.person_key_last_name
        if key_user_id is None or key_first is None or key_last is None:
            if person_facts is None:
                person_facts = {f.id: f for f in rawsql.rows(session, _PEOPLE_FACTS, {"org": org.id})}
            f = person_facts[p.person_id]
            key_user_id, key_phone, key_first, key_last = person_fact_keys(
                f.user_id, f.phone_e164, f.first_name, f.last_name)
        if key_phone is None:  # no country code: read with the organization's country (V-3)
            key_phone = phone_key_on_file(p.person_phone_e164, org.country)
        people.append(PersonKeys(str(p.person_id), key_user_id, key_phone, key_first, key_last,
                                 bool(p.person_is_primary_contact), _roles(p.person_roles)))
    return OrganizationKeys(key_name, key_url, key_address, tuple(people), bool(org.requires_url))


@lru_cache(maxsize=64)
def _roles_of_text(text: str) -> frozenset[str]:
    return frozenset(json.loads(text))


def _roles(value: Any) -> frozenset[str]:
    """A person's roles: sqlite3 gives the JSON text (a handful of distinct lists, each decoded
    once), psycopg the list."""
    return _roles_of_text(value) if isinstance(value, str) else frozenset(value)


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
