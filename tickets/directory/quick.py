"""The checks of a directory file that has no problem, in far fewer steps.

`Checker` validates record by record so that one bad record hides nothing else, which costs a
pydantic call, a dict copy and a model copy per record. A file without problems needs none of
that: here each organization is validated whole (its people, subscriptions, campaigns and
resources in the same pydantic call) and the checks across records are made on the result.
At the first problem this gives up and the Checker checks the file again from the start, so
the errors reported are always the Checker's; what passes here is exactly what passes there.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from identity import parse_phone
from identity.errors import IdentityError
from tickets.directory.checking import Checker, Progress
from tickets.directory.records import OrganizationIn, ParsedDirectory
from tickets.enums import Product


class _Problem(Exception):
    """Something the Checker would report: leave it to the Checker."""


def _unique(seen: dict[str, tuple[str, str | None]], key: str, path: str, owner: str | None) -> None:
    if key in seen:
        raise _Problem
    seen[key] = (path, owner)


def _organization(checker: Checker, raw: Any, path: str) -> OrganizationIn:
    # The Checker requires each list of children to be a list of objects; from JSON, pydantic's
    # tuple of models takes nothing else either (tests/unit/directory/test_directory_quick.py).
    try:
        org = OrganizationIn.model_validate(raw)
    except ValidationError:
        raise _Problem from None
    _unique(checker.org_refs, org.ref, path, None)
    user_ids, primary = set(), 0
    for index, person in enumerate(org.people):
        _unique(checker.user_ids, person.user_id, f"{path}.people[{index}]", org.ref)
        user_ids.add(person.user_id)
        primary += person.primary_contact
        try:
            parsed = parse_phone(person.phone, org.country, "phone")
        except IdentityError:
            raise _Problem from None
        if not parsed.valid:
            raise _Problem
        # The person was made by the validation above and nothing else holds it yet: it takes
        # its E.164 number in place (what Checker does with a model copy, at a copy a person).
        person.__dict__["phone"] = parsed.e164
    if primary != 1:
        raise _Problem
    has_d365 = False
    for index, sub in enumerate(org.subscriptions):
        sub_path = f"{path}.subscriptions[{index}]"
        _unique(checker.sub_refs, sub.ref, sub_path, org.ref)
        fields = {"product": sub.product, "term_start": sub.term_start, "term_end": sub.term_end,
                  "state": sub.state, "cancelled_at": sub.cancelled_at, "platform": sub.platform}
        checker.subscription_fields(fields, {"ims_campaigns": sub.ims_campaigns,
                                             "renewal_resources": sub.renewal_resources}, sub_path)
        if checker.errors:
            raise _Problem
        has_d365 |= sub.product == Product.D365
        for n, campaign in enumerate(sub.ims_campaigns):
            _unique(checker.campaign_refs, campaign.ref, f"{sub_path}.ims_campaigns[{n}]", sub.ref)
            if campaign.billing_admin_user_id not in user_ids:  # I-1
                raise _Problem
        for n, resource in enumerate(sub.renewal_resources):
            _unique(checker.resource_refs, resource.ref, f"{sub_path}.renewal_resources[{n}]", sub.ref)
    if has_d365 and org.url is None:  # V-1 [D365]
        raise _Problem
    return org


def check_quickly(document: dict[str, Any], progress: Progress | None) -> tuple[ParsedDirectory, Checker] | None:
    """The parsed directory and a Checker holding what the apply step needs (the refs and user
    IDs seen, each with its path and owner), or None if the file has any problem."""
    if set(document) - {"format", "version", "organizations"}:
        return None
    raw_orgs = document.get("organizations")
    if not isinstance(raw_orgs, list):
        return None
    checker = Checker(progress)
    organizations = []
    try:
        for index, raw in enumerate(raw_orgs):
            organizations.append(_organization(checker, raw, f"organizations[{index}]"))
            if progress is not None:
                progress("checking", index + 1, len(raw_orgs))
    except _Problem:
        return None
    return ParsedDirectory(tuple(organizations)), checker
