"""Applying a checked directory in one transaction: rows inserted or updated in place by ref
(people by user ID), people no longer listed removed unless an attempt refers to them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from identity import normalize_org_name, normalize_text, organization_fact_keys, user_id_key
from tickets.audit.chain import append_event
from tickets.directory import reading
from tickets.directory.checking import Checker, Progress, check, collector_paused, sorted_errors
from tickets.directory.reading import DirectoryError, DirectoryInvalid
from tickets.directory.records import ParsedDirectory, PersonIn
from tickets.directory.writing import Rows, fetch, ids_by
from tickets.enums import Role
from tickets.errors import Conflict
from tickets.i18n import _
from tickets.store.database import Store
from tickets.store.models import (
    ImsCampaign,
    Organization,
    Person,
    RenewalResource,
    Subscription,
    VerificationAttempt,
)

_IN_CHUNK = 500  # ids per IN (...) list: well under every engine's parameter limit


@dataclass(frozen=True)
class ImportReport:
    organizations_added: int
    organizations_updated: int
    people: int
    subscriptions: int
    campaigns: int
    resources: int
    people_removed: int = 0  # no longer listed by their organization
    people_kept: int = 0  # no longer listed, but a verification attempt refers to them

    def __str__(self) -> str:
        # What was removed is always said, also when nothing was (the file no longer listing
        # someone removes them); organizations, subscriptions, campaigns and resources the file
        # does not mention are never removed.
        return _(
            "{organizations_added} organizations added, {organizations_updated} updated; "
            "{people} people, {subscriptions} subscriptions, {campaigns} campaigns, "
            "{resources} renewal resources; {people_removed} people removed, "
            "{people_kept} kept (no longer listed, but a verification attempt refers to them)"
        ).format(**asdict(self))


def _chunks(values: Iterable[Any]) -> Iterator[list[Any]]:
    values = list(values)
    for start in range(0, len(values), _IN_CHUNK):
        yield values[start : start + _IN_CHUNK]


@dataclass
class _Existing:
    """The rows the file touches, fetched with one query per table and chunk of keys (as
    objects with the models' attributes, read with prebuilt SQL: tickets.directory.writing)."""

    orgs: dict[str, Any]  # ref -> organization
    owners: dict[str, tuple[Any, str | None]]  # user ID -> (person, their organization's ref)
    people: dict[int, list[Any]]  # organization id -> its people
    subs: dict[str, tuple[Any, str | None]]  # ref -> (subscription, organization ref)
    campaigns: dict[str, tuple[Any, str | None]]  # ref -> (campaign, subscription ref)
    resources: dict[str, tuple[Any, str | None]]  # ref -> (resource, subscription ref)


def _fetch(session: Session, checker: Checker) -> _Existing:
    orgs = {o.ref: o for o, _parent in fetch(session, Organization, "ref", checker.org_refs)}
    owners = {p.user_id: (p, ref) for p, ref in fetch(session, Person, "user_id", checker.user_ids,
                                                      ("organization", "organization_id"))}
    people: dict[int, list[Any]] = {}
    for person, _parent in fetch(session, Person, "organization_id", [o.id for o in orgs.values()]):
        people.setdefault(person.organization_id, []).append(person)
    subs = {s.ref: (s, ref) for s, ref in fetch(session, Subscription, "ref", checker.sub_refs,
                                                ("organization", "organization_id"))}
    campaigns = {c.ref: (c, ref) for c, ref in fetch(session, ImsCampaign, "ref", checker.campaign_refs,
                                                     ("subscription", "subscription_id"))}
    resources = {r.ref: (r, ref) for r, ref in fetch(session, RenewalResource, "ref", checker.resource_refs,
                                                     ("subscription", "subscription_id"))}
    return _Existing(orgs, owners, people, subs, campaigns, resources)


def _check_against_database(checker: Checker, existing: _Existing) -> list[DirectoryError]:
    errors = []
    for uid, (path, org_ref) in checker.user_ids.items():
        owner = existing.owners.get(uid)
        if owner is not None and org_ref and owner[1] != org_ref:
            errors.append(
                DirectoryError(path, "user_id",
                               _("already belongs to a person of organization {ref}").format(ref=owner[1]))
            )
    for belongs, seen, rows in (
        (_("already belongs to organization {ref}"), checker.sub_refs, existing.subs),
        (_("already belongs to subscription {ref}"), checker.campaign_refs, existing.campaigns),
        (_("already belongs to subscription {ref}"), checker.resource_refs, existing.resources),
    ):
        for ref, (path, parent) in seen.items():
            row = rows.get(ref)
            if row is not None and parent and row[1] != parent:
                errors.append(DirectoryError(path, "ref", belongs.format(ref=row[1])))
    return errors


_ROLE_ORDER = {role: n for n, role in enumerate(Role)}


def _roles(roles: Iterable[Role]) -> list[str]:
    """The roles once each, in Role's order."""
    return [role.value for role in sorted(set(roles), key=_ROLE_ORDER.__getitem__)]


def _apply(session: Session, directory: ParsedDirectory, existing: _Existing, now: datetime,
           progress: Progress) -> ImportReport:
    progress("applying", 0, 4)
    org_ids, added = _apply_organizations(session, directory, existing, now)
    progress("applying", 1, 4)
    removed, kept = _remove_unlisted_people(session, directory, existing)
    _apply_people(session, directory, existing, org_ids)
    progress("applying", 2, 4)
    sub_ids = _apply_subscriptions(session, directory, existing, org_ids)
    progress("applying", 3, 4)
    campaigns, resources = _apply_campaigns_and_resources(session, directory, existing, sub_ids)
    progress("applying", 4, 4)
    return ImportReport(
        organizations_added=added,
        organizations_updated=len(directory.organizations) - added,
        people=len({p.user_id for _org, p in directory.people}),
        subscriptions=len(sub_ids),
        campaigns=campaigns,
        resources=resources,
        people_removed=removed,
        people_kept=kept,
    )


def _apply_organizations(
    session: Session, directory: ParsedDirectory, existing: _Existing, now: datetime
) -> tuple[dict[str, int], int]:
    """(the id of every organization of the file by ref, how many were added)."""
    rows = Rows("organization", json=("street_lines",), times=("updated_at",))
    for org in directory.organizations:
        a = org.address
        key_name, key_url, key_address = organization_fact_keys(
            org.name, org.url, a.street_lines, a.city, a.region, a.postal_code, org.country)
        values = {
            "name": org.name, "url": org.url, "country": org.country, "street_lines": list(a.street_lines),
            "city": a.city, "region": a.region, "postal_code": a.postal_code,
            "name_key": normalize_org_name(org.name),
            # Verification's keys, from the values just checked.
            "key_name": key_name, "key_url": key_url, "key_address": key_address,
        }
        rows.upsert(existing.orgs.get(org.ref), {"ref": org.ref}, values, {"updated_at": now})
    rows.write(session)
    ids = {ref: row.id for ref, row in existing.orgs.items()}
    ids.update(ids_by(session, "organization", "ref", [row["ref"] for row in rows.new]))
    return ids, len(rows.new)


def _remove_unlisted_people(session: Session, directory: ParsedDirectory, existing: _Existing) -> tuple[int, int]:
    """People their organization no longer lists go, unless an attempt refers to them (V-5's
    audit keeps its subject): (removed, kept)."""
    listed = {p.user_id for _org, p in directory.people}
    gone = [
        person
        for org in directory.organizations
        if org.ref in existing.orgs
        for person in existing.people.get(existing.orgs[org.ref].id, [])
        if person.user_id not in listed
    ]
    referenced: set[int | None] = set()  # person ids; the query asks only for some
    for ids in _chunks(p.id for p in gone):
        referenced.update(
            session.exec(
                select(col(VerificationAttempt.person_id)).where(col(VerificationAttempt.person_id).in_(ids)).distinct()
            )
        )
    removable = [p.id for p in gone if p.id not in referenced]
    for ids in _chunks(removable):
        session.execute(delete(Person).where(col(Person.id).in_(ids)))
    return len(removable), len(gone) - len(removable)


def _person_keys(person: PersonIn) -> dict[str, Any]:
    """Verification's keys of a checked person. The user ID is already its key when
    ASCII (a fixed point of identity.normalize_user_id) and the phone is E.164 that reads back
    to itself from any region (identity.parse_phone checked it), so only names are normalised."""
    user_id = person.user_id if person.user_id.isascii() else user_id_key(person.user_id)
    return {"key_user_id": user_id, "key_phone": person.phone,
            "key_first_name": normalize_text(person.first_name), "key_last_name": normalize_text(person.last_name)}


def _apply_people(session: Session, directory: ParsedDirectory, existing: _Existing, org_ids: dict[str, int]) -> None:
    rows = Rows("person", json=("roles",))
    for org, person in directory.people:
        values = {
            "organization_id": org_ids[org.ref],
            "first_name": person.first_name,
            "last_name": person.last_name,
            "phone_e164": person.phone,
            "is_primary_contact": person.primary_contact,
            "roles": _roles(person.roles),
            **_person_keys(person),
        }
        owner = existing.owners.get(person.user_id)
        rows.upsert(owner[0] if owner else None, {"user_id": person.user_id}, values)
    rows.write(session)


_SUBSCRIPTION_TIMES = ("purchased_at", "term_start", "term_end", "cancelled_at", "expedited_at", "data_deleted_at")


def _apply_subscriptions(
    session: Session, directory: ParsedDirectory, existing: _Existing, org_ids: dict[str, int]
) -> dict[str, int]:
    rows = Rows("subscription", json=("custom_domains",), times=_SUBSCRIPTION_TIMES)
    for org, sub in directory.subscriptions:
        values = {
            "organization_id": org_ids[org.ref],
            "name": sub.name,
            "product": sub.product.value,
            "channel": sub.channel.value,
            "platform": sub.platform.value if sub.platform else None,
            "state": sub.state.value,
            **{name: getattr(sub, name) for name in _SUBSCRIPTION_TIMES},
            "auto_renew": sub.auto_renew,
            "licenses_assigned": sub.licenses_assigned,
            "custom_domains": list(sub.custom_domains),
        }
        found = existing.subs.get(sub.ref)
        rows.upsert(found[0] if found else None, {"ref": sub.ref}, values)
    rows.write(session)
    ids = {ref: row.id for ref, (row, _org) in existing.subs.items()}
    ids.update(ids_by(session, "subscription", "ref", [row["ref"] for row in rows.new]))
    return {sub.ref: ids[sub.ref] for _org, sub in directory.subscriptions}


def _apply_campaigns_and_resources(
    session: Session, directory: ParsedDirectory, existing: _Existing, sub_ids: dict[str, int]
) -> tuple[int, int]:
    campaign_rows = Rows("ims_campaign")
    resource_rows = Rows("renewal_resource", times=("effective_at",))
    campaigns = resources = 0
    for _org, sub in directory.subscriptions:
        sub_id = sub_ids[sub.ref]
        for campaign in sub.ims_campaigns:
            campaigns += 1
            values = {
                "subscription_id": sub_id,
                "name": campaign.name,
                "billing_admin_user_id": campaign.billing_admin_user_id,
                "state": campaign.state.value,
            }
            found = existing.campaigns.get(campaign.ref)
            campaign_rows.upsert(found[0] if found else None, {"ref": campaign.ref}, values)
        for resource in sub.renewal_resources:
            resources += 1
            values = {"subscription_id": sub_id, **resource.model_dump(exclude={"ref"})}
            values["state"] = resource.state.value
            found = existing.resources.get(resource.ref)
            resource_rows.upsert(found[0] if found else None, {"ref": resource.ref}, values)
    campaign_rows.write(session)
    resource_rows.write(session)
    return campaigns, resources


def _no_progress(stage: str, done: int, total: int) -> None:
    pass


def import_directory(
    store: Store, data: bytes | str, *, actor: str = "system", progress: Progress | None = None
) -> ImportReport:
    """Check a directory file completely, then apply it in one transaction (see the module doc).

    Raises DirectoryInvalid listing every problem, including user IDs and refs that clash with
    other organizations already in the database; on any error nothing is changed.
    """
    progress = progress or _no_progress
    parsed, checker = check(data, progress)
    now = store.clock.now()
    try:
        with collector_paused(), store.write() as session:
            existing = _fetch(session, checker)
            errors = checker.errors + _check_against_database(checker, existing)
            if errors or parsed is None:
                raise DirectoryInvalid(sorted_errors(errors))
            report = _apply(session, parsed, existing, now, progress)
            append_event(
                session, at=now, actor=actor, action="directory.imported", subject="directory",
                details=asdict(report),
            )
    except IntegrityError as error:
        # Only a concurrent import can get here (SQLite serialises writers; PostgreSQL may not).
        raise Conflict(_("the directory changed during the import (another import at the same time?): "
                         "nothing was imported; try again")) from error
    return report


def import_directory_file(
    store: Store, path: Path, *, actor: str = "system", progress: Progress | None = None
) -> ImportReport:
    """Import the directory file at ``path``; a file that cannot be read is InvalidInput."""
    return import_directory(store, reading.read_file(Path(path)), actor=actor, progress=progress)
