"""Checking a directory file record by record, so that one bad record hides nothing else."""

from __future__ import annotations

import gc
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from typing import Annotated, Any, TypeVar

from pydantic import TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from identity import parse_phone
from identity.errors import IdentityError
from tickets.directory.reading import DirectoryError, DirectoryInvalid, kind_of, load, show
from tickets.directory.records import (
    DATETIME_HINT,
    CampaignIn,
    OrganizationIn,
    ParsedDirectory,
    PersonIn,
    Record,
    ResourceIn,
    SubscriptionIn,
)
from tickets.enums import Product, SubscriptionState
from tickets.i18n import N_, _

# Told how far an import got: (stage, done, total); stages "checking" (organizations) and
# "applying" (tables written).
Progress = Callable[[str, int, int], None]


def _field_name(loc: Sequence[int | str]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


# pydantic's error types, as the one-line message a person reads (value, ctx) -> text.
_SAME: dict[str, str] = {
    "missing": N_("is required"),
    "extra_forbidden": N_("unknown key"),
    "string_unicode": N_("is not valid Unicode text"),
    "timezone_aware": N_("must carry a time zone (e.g. 2025-01-10T00:00:00Z or +01:00)"),
}
_BY_CONTEXT: dict[str, Callable[[Any, dict[str, Any]], str]] = {
    "string_too_long": lambda value, ctx: _("is longer than {n} characters").format(n=ctx.get("max_length")),
    "too_long": lambda value, ctx: _("has more than {n} items").format(n=ctx.get("max_length")),
    "greater_than_equal": lambda value, ctx: _("must be {n} or more").format(n=ctx.get("ge")),
    "less_than_equal": lambda value, ctx: _("must be {n} or less").format(n=ctx.get("le")),
    # pydantic's list of the values ("'agent', 'admin' or 'billing'") is English.
    "enum": lambda value, ctx: _("unknown value {value}; expected {expected}").format(
        value=show(value), expected=ctx.get("expected")),
}
_WRONG_TYPE: dict[str, str] = {
    **dict.fromkeys(("string_type", "str_type"), N_("must be a string, not {kind}")),
    **dict.fromkeys(("int_type", "int_from_float", "int_parsing"), N_("must be a whole number, not {kind}")),
    "bool_type": N_("must be true or false, not {kind}"),
    **dict.fromkeys(("list_type", "tuple_type"), N_("must be a list, not {kind}")),
    **dict.fromkeys(("model_type", "dict_type", "model_attributes_type"), N_("must be an object, not {kind}")),
}

# A second record with a key already seen (translated where it is said: Checker.unique).
_DUPLICATE_ORG = N_("duplicate organization ref: also at {first}")
_DUPLICATE_USER = N_("duplicate user ID: also at {first}")
_DUPLICATE_SUB = N_("duplicate subscription ref: also at {first}")
_DUPLICATE_CAMPAIGN = N_("duplicate campaign ref: also at {first}")
_DUPLICATE_RESOURCE = N_("duplicate resource ref: also at {first}")


def _message(error: ErrorDetails) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    value = error.get("input")
    if kind in _SAME:
        return _(_SAME[kind])
    if kind in _BY_CONTEXT:
        return _BY_CONTEXT[kind](value, ctx)
    if kind in _WRONG_TYPE:
        return _(_WRONG_TYPE[kind]).format(kind=kind_of(value))
    if kind in ("string_too_short", "too_short"):
        minimum = ctx.get("min_length", 1)
        return _("must not be empty") if minimum <= 1 else _("needs at least {n} items").format(n=minimum)
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    if kind.startswith("datetime") or kind.startswith("date_"):
        return _(DATETIME_HINT)
    return str(error["msg"])


@cache
def _adapters(model: type[Record]) -> dict[str, tuple[TypeAdapter, Any]]:
    out = {}
    for name, info in model.model_fields.items():
        annotation: Any = Annotated[info.annotation, *info.metadata] if info.metadata else info.annotation
        out[name] = (TypeAdapter(annotation), info.get_default(call_default_factory=True))
    return out


def _path_key(path: str) -> list[tuple[str, int]]:
    return [(name, int(index)) for name, index in re.findall(r"([A-Za-z_]+)\[(\d+)\]", path)]


R = TypeVar("R", bound=Record)


@dataclass
class Checker:
    """Walks the document record by record so that one bad record hides nothing else: each
    record's fields are checked with its pydantic model, and the fields that did validate
    still take part in the checks across records (duplicates, primary contact, D365 URL)."""

    progress: Progress | None = None
    errors: list[DirectoryError] = field(default_factory=list)
    org_refs: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # ref -> (path, None)
    user_ids: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # uid -> (path, org ref)
    sub_refs: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # ref -> (path, org ref)
    campaign_refs: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # -> sub ref
    resource_refs: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # -> sub ref

    def add(self, path: str, field_: str, message: str) -> None:
        self.errors.append(DirectoryError(path, field_, message))

    def record(
        self, model: type[R], raw: Any, path: str, children: Iterable[str] = ()
    ) -> tuple[R | None, dict[str, Any], dict[str, list[Any]]]:
        """(the record or None, the fields that validated, the raw child lists)."""
        kids: dict[str, list[Any]] = {}
        if not isinstance(raw, dict):
            self.add(path, "", _("must be an object, not {kind}").format(kind=kind_of(raw)))
            return None, {}, {name: [] for name in children}
        raw = dict(raw)
        for name in children:
            value = raw.pop(name, [])
            if not isinstance(value, list):
                self.add(path, name, _("must be a list, not {kind}").format(kind=kind_of(value)))
                value = []
            kids[name] = value
        try:
            record = model.model_validate(raw)
        except ValidationError as error:
            bad: set[Any] = set()
            for problem in error.errors(include_url=False):
                loc = problem["loc"]
                bad.add(loc[0] if loc else None)
                self.add(path, _field_name(loc), _message(problem))
            good: dict[str, Any] = {}
            for name, (adapter, default) in _adapters(model).items():
                if name in bad or name in kids:
                    continue
                try:
                    good[name] = adapter.validate_python(raw[name]) if name in raw else default
                except (ValidationError, KeyError):  # pragma: no cover - validated above
                    continue
            return None, good, kids
        return record, dict(record), kids

    def unique(
        self, seen: dict[str, tuple[str, str | None]], key: str, path: str, field_: str, what: str,
        owner: str | None = None,
    ) -> bool:
        """Record `key` as seen at `path`; False (and an error) if it was seen before."""
        first = seen.get(key)
        if first is None:
            seen[key] = (path, owner)
            return True
        self.add(path, field_, _(what).format(first=first[0]))
        return False

    # -- the records ---------------------------------------------------------------------

    def directory(self, document: dict[str, Any]) -> list[OrganizationIn]:
        for key in document:
            if key not in ("format", "version", "organizations"):
                self.add("", str(key)[:40], _("unknown key"))
        if "organizations" not in document:
            self.add("", "organizations", _("is required"))
            return []
        raw_orgs = document["organizations"]
        if not isinstance(raw_orgs, list):
            self.add("", "organizations", _("must be a list, not {kind}").format(kind=kind_of(raw_orgs)))
            return []
        organizations = []
        for index, raw in enumerate(raw_orgs):
            org = self.organization(raw, f"organizations[{index}]")
            if org is not None:
                organizations.append(org)
            if self.progress is not None:
                self.progress("checking", index + 1, len(raw_orgs))
        return organizations

    def organization(self, raw: Any, path: str) -> OrganizationIn | None:
        org, values, kids = self.record(OrganizationIn, raw, path, ("people", "subscriptions"))
        ref = values.get("ref")
        if ref is not None and not self.unique(self.org_refs, ref, path, "ref", _DUPLICATE_ORG):
            ref = None  # a duplicate ref says nothing about which organization owns the children
        people, org_user_ids = self.people(kids["people"], path, ref, values.get("country"))
        subscriptions: list[SubscriptionIn] = []
        has_d365 = False
        for index, raw_sub in enumerate(kids["subscriptions"]):
            sub, has = self.subscription(raw_sub, f"{path}.subscriptions[{index}]", ref, org_user_ids)
            has_d365 |= has
            if sub is not None:
                subscriptions.append(sub)
        if has_d365 and "url" in values and values["url"] is None:
            self.add(path, "url", _("is required: the organization has a Dynamics 365 subscription") + " (V-1)")
        if org is None or len(people) != len(kids["people"]) or len(subscriptions) != len(kids["subscriptions"]):
            return None
        return org.model_copy(update={"people": tuple(people), "subscriptions": tuple(subscriptions)})

    def people(
        self, raws: list[Any], path: str, org_ref: str | None, country: str | None
    ) -> tuple[list[PersonIn], set[str] | None]:
        """(the people that passed, every user ID of the organization or None when one is bad)."""
        people: list[PersonIn] = []
        primary, primary_known, org_user_ids, user_ids_known = 0, True, set(), True
        for index, raw_person in enumerate(raws):
            person_path = f"{path}.people[{index}]"
            person, pv, _kids = self.record(PersonIn, raw_person, person_path)
            primary_known &= "primary_contact" in pv
            primary += pv.get("primary_contact", False)
            uid = pv.get("user_id")
            user_ids_known &= uid is not None
            if uid is not None:
                org_user_ids.add(uid)
                self.unique(self.user_ids, uid, person_path, "user_id", _DUPLICATE_USER,
                            org_ref or "")
            e164 = self.phone(pv.get("phone"), country, person_path)
            if person is not None and e164 is not None:
                people.append(person.model_copy(update={"phone": e164}))
        if primary_known and primary != 1:
            self.add(path, "people", _("must have exactly one primary contact, found {found}").format(found=primary))
        return people, (org_user_ids if user_ids_known else None)

    def phone(self, raw: str | None, country: str | None, path: str) -> str | None:
        """The number as E.164, read by identity.parse_phone (the reader verification compares
        with, V-3) with the organization's country as default region; the directory holds only
        numbers known to be valid, so a merely possible one is refused here."""
        if raw is None:
            return None
        if country is None and not raw.startswith("+"):
            return None  # the country is wrong and already reported; nothing to read it with
        try:
            parsed = parse_phone(raw, country or "", "phone")
        except IdentityError:
            parsed = None
        if parsed is None or not parsed.valid:
            self.add(path, "phone", _("not a valid phone number for {country}").format(country=country) if country
                     else _("not a valid phone number for its country code"))
            return None
        return parsed.e164

    def subscription(
        self, raw: Any, path: str, org_ref: str | None, org_user_ids: set[str] | None
    ) -> tuple[SubscriptionIn | None, bool]:
        """(the subscription if it passed, whether it is a Dynamics 365 one)."""
        sub, values, kids = self.record(SubscriptionIn, raw, path, ("ims_campaigns", "renewal_resources"))
        ref = values.get("ref")
        if ref is not None and not self.unique(self.sub_refs, ref, path, "ref", _DUPLICATE_SUB,
                                                    org_ref or ""):
            ref = None
        self.subscription_fields(values, kids, path)
        campaigns = [
            c for index, raw_campaign in enumerate(kids["ims_campaigns"])
            if (c := self.campaign(raw_campaign, f"{path}.ims_campaigns[{index}]", ref, org_user_ids)) is not None
        ]
        resources = [
            r for index, raw_resource in enumerate(kids["renewal_resources"])
            if (r := self.resource(raw_resource, f"{path}.renewal_resources[{index}]", ref)) is not None
        ]
        has_d365 = values.get("product") == Product.D365
        if sub is None or len(campaigns) != len(kids["ims_campaigns"]) or len(resources) != len(
            kids["renewal_resources"]
        ):
            return None, has_d365
        children = {"ims_campaigns": tuple(campaigns), "renewal_resources": tuple(resources)}
        return sub.model_copy(update=children), has_d365

    def subscription_fields(self, values: dict[str, Any], kids: Mapping[str, Sequence[Any]], path: str) -> None:
        """The checks across a subscription's fields, on the fields that validated."""
        product = values.get("product")
        start, end = values.get("term_start"), values.get("term_end")
        if start is not None and end is not None and end <= start:
            self.add(path, "term_end", _("must be after term_start"))
        if values.get("state") == SubscriptionState.CANCELLED and values.get("cancelled_at", 0) is None:
            self.add(path, "cancelled_at", _("is required when the state is cancelled") + " (C-8)")
        if product is None:
            return
        d365 = product == Product.D365
        platform = values.get("platform", 0)  # 0: absent or invalid, already reported
        if d365 and platform is None:
            self.add(path, "platform", _("is required for Dynamics 365: online_services or commerce_transaction")
                     + " (M-2)")
        elif not d365 and platform not in (None, 0):
            self.add(path, "platform", _("only Dynamics 365 subscriptions have a platform"))
        if kids["ims_campaigns"] and not d365:
            self.add(path, "ims_campaigns", _("only Dynamics 365 subscriptions have Internet Marketing campaigns"))
        if kids["renewal_resources"] and product != Product.CLOUD:
            self.add(path, "renewal_resources", _("only cloud subscriptions have renewal resources"))

    def campaign(self, raw: Any, path: str, sub_ref: str | None, org_user_ids: set[str] | None) -> CampaignIn | None:
        campaign, values, _kids = self.record(CampaignIn, raw, path)
        if values.get("ref") is not None:
            self.unique(self.campaign_refs, values["ref"], path, "ref", _DUPLICATE_CAMPAIGN,
                        sub_ref or "")
        admin = values.get("billing_admin_user_id")
        if admin is not None and org_user_ids is not None and admin not in org_user_ids:
            self.add(path, "billing_admin_user_id", _("is not one of the organization's people") + " (I-1)")
        return campaign

    def resource(self, raw: Any, path: str, sub_ref: str | None) -> ResourceIn | None:
        resource, values, _kids = self.record(ResourceIn, raw, path)
        if values.get("ref") is not None:
            self.unique(self.resource_refs, values["ref"], path, "ref", _DUPLICATE_RESOURCE,
                        sub_ref or "")
        return resource


def sorted_errors(errors: Iterable[DirectoryError]) -> list[DirectoryError]:
    indexed = list(enumerate(errors))
    indexed.sort(key=lambda item: (_path_key(item[1].path), item[0]))
    return [error for _index, error in indexed]


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while an import works. Checking a file makes a
    few objects for each of its fields, all kept to the end and none in a reference cycle, and
    each full collection walks every one of them again: a third of a large import's time.
    Collection resumes, as it was, when the import is done."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def check(data: bytes | str, progress: Progress | None = None) -> tuple[ParsedDirectory | None, Checker]:
    from tickets.directory.quick import check_quickly  # it builds on Checker

    with collector_paused():
        document = load(data)
        quick = check_quickly(document, progress)
        if quick is not None:
            return quick
        checker = Checker(progress)
        organizations = checker.directory(document)
    if checker.errors:
        return None, checker
    return ParsedDirectory(tuple(organizations)), checker


def parse_directory(data: bytes | str) -> ParsedDirectory:
    """Read and check a directory file without a database.

    Raises DirectoryInvalid listing every problem found. Phones in the result are E.164,
    user IDs normalised, date-times aware UTC.
    """
    parsed, checker = check(data)
    if parsed is None:
        raise DirectoryInvalid(sorted_errors(checker.errors))
    return parsed

