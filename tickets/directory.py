"""The directory import: organizations, their people and subscriptions from one JSON file.

The directory is what the desk verifies callers against (spec: "The directory", V-1). It is
loaded from a documented JSON file, validated completely before anything is written, and
applied in one transaction: a file with any error changes nothing, and the error lists
*every* problem found, each with the record it is in and the field.

File format (``deskapp-directory``, version 1)
==============================================

One UTF-8 JSON object (a leading byte-order mark is allowed), at most 50 MB::

    {"format": "deskapp-directory", "version": 1,
     "organizations": [
      {"ref": "ORG-0001",
       "name": "Contoso Ltd.",
       "url": "contoso.crm.dynamics.com",
       "country": "GB",
       "address": {"street_lines": ["1 High Street", "Floor 3"], "city": "London",
                   "region": "", "postal_code": "SW1A 1AA"},
       "people": [
        {"user_id": "ann.smith@contoso.co.uk", "first_name": "Ann", "last_name": "Smith",
         "phone": "020 7946 0958", "primary_contact": true, "roles": ["admin", "billing_admin"]}],
       "subscriptions": [
        {"ref": "SUB-0001", "name": "Dynamics 365 Sales", "product": "d365", "channel": "online",
         "platform": "online_services", "state": "active",
         "purchased_at": "2025-01-10T00:00:00Z", "term_start": "2025-01-10T00:00:00Z",
         "term_end": "2026-01-10T00:00:00Z", "auto_renew": true, "licenses_assigned": 30,
         "custom_domains": ["contoso.co.uk"],
         "cancelled_at": null, "expedited_at": null, "data_deleted_at": null,
         "ims_campaigns": [
          {"ref": "IMS-0001", "name": "Spring search ads",
           "billing_admin_user_id": "ann.smith@contoso.co.uk", "state": "running"}],
         "renewal_resources": []}]}]}

Every object is closed: a key not listed here is an error. Refs are 1-40 characters (letters,
digits, ``. _ : / -``, starting with a letter or digit) and unique in the file per kind;
subscription, campaign and resource refs are global keys, not per organization.

Organization
    ``ref`` (required), ``name`` (required, as it shows on the subscription, at most 200
    characters), ``url`` (the Dynamics 365 organization URL, a host name with or without
    ``https://``; null or absent unless the organization has a ``d365`` subscription, then
    required), ``country`` (required, ISO 3166-1 alpha-2 such as ``GB``; it is also the
    default region for reading phone numbers), ``address`` (required: ``street_lines``, a list
    of 1-5 non-empty lines; ``city`` required; ``region`` and ``postal_code`` optional, default
    ``""``), ``people`` (a list with exactly one ``primary_contact``), ``subscriptions``
    (a list, may be empty).
Person
    ``user_id`` (required, the sign-in address; stored in its validated, lower-cased form and
    unique across the whole directory), ``first_name`` and ``last_name`` (required),
    ``phone`` (required, any written form; read with the organization's country as default
    region, must be a valid number and is stored as E.164), ``primary_contact`` (boolean,
    default false), ``roles`` (a list of ``admin``, ``billing_admin``,
    ``ims_billing_admin``; default empty: a person who is no admin).
Subscription
    ``ref``, ``name``, ``product`` (``o365``, ``intune``, ``d365``, ``cloud``), ``channel``
    (``online``, ``product_key``, ``open``, ``fpp``, ``trial``), ``platform``
    (``online_services`` or ``commerce_transaction``; required for ``d365``, null or absent
    otherwise), ``state`` (``active``, ``cancelled``, ``expired``, ``deleted``),
    ``purchased_at``, ``term_start``, ``term_end`` (all required; ``term_end`` after
    ``term_start``), ``auto_renew`` (boolean, default true), ``licenses_assigned`` (whole number
    >= 0, default 0), ``custom_domains`` (list of domain names, default empty),
    ``cancelled_at`` (required when the state is ``cancelled``), ``expedited_at``,
    ``data_deleted_at`` (optional), ``ims_campaigns`` (``d365`` only), ``renewal_resources``
    (``cloud`` only).
IMS campaign
    ``ref``, ``name``, ``billing_admin_user_id`` (the user ID of one of the organization's
    people: the campaign's billing admin, I-1), ``state`` (``running``, ``paused``,
    ``cancelled``).
Renewal resource
    ``ref``, ``description``, ``effective_at``, ``state`` (``inactive``, ``unsubscribed``),
    the U-1 conditions ``transaction_in_progress``, ``special_unsubscription_pending``,
    ``in_promotion``, ``invoice_issued`` (booleans, default false), and ``cash_coupons_used``,
    ``discount_coupons_used`` (whole numbers >= 0 in minor units, default 0; U-3).

Date-times are ISO 8601 strings with a zone (``2025-01-10T00:00:00Z`` or ``+01:00``); they are
stored in UTC. Strings are trimmed; control characters are refused. JSON ``NaN`` and
``Infinity`` are refused.

How an import applies
=====================
Organizations, subscriptions, campaigns and resources are inserted or updated in place by
``ref``, people by ``user_id``; database ids stay the same on a re-import. A user ID that
belongs to a person of *another* organization already in the database is an error, and so is
a subscription (campaign, resource) ref that belongs to another organization (subscription).
The people of an organization in the file that the file no longer lists are removed, unless a
verification attempt refers to them (then they are kept, and counted as kept). Organizations,
subscriptions, campaigns and resources that the file does not mention are left as they are.
One audit event ``directory.imported`` records the counts.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Annotated, Any

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
)
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from identity import (
    normalize_org_name,
    normalize_person_name,
    normalize_text,
    normalize_url,
    normalize_user_id,
)
from identity.errors import IdentityError
from tickets.audit import append_event
from tickets.enums import (
    CampaignState,
    Channel,
    Platform,
    Product,
    ResourceState,
    Role,
    SubscriptionState,
)
from tickets.errors import Conflict, InvalidInput
from tickets.models import (
    ImsCampaign,
    Organization,
    Person,
    RenewalResource,
    Subscription,
    VerificationAttempt,
)
from tickets.store import Store

__all__ = [
    "FORMAT",
    "MAX_BYTES",
    "VERSION",
    "AddressIn",
    "CampaignIn",
    "DirectoryError",
    "DirectoryInvalid",
    "ImportReport",
    "OrganizationIn",
    "ParsedDirectory",
    "PersonIn",
    "ResourceIn",
    "SubscriptionIn",
    "import_directory",
    "import_directory_file",
    "parse_directory",
]

FORMAT = "deskapp-directory"
VERSION = 1
MAX_BYTES = 50 * 1024 * 1024
_IN_CHUNK = 500  # ids per IN (...) list: well under every engine's parameter limit


# --- errors and the report -------------------------------------------------------------------


@dataclass(frozen=True)
class DirectoryError:
    """One problem in a directory file: the record (``organizations[3].people[1]``, ``""`` for
    the file itself), the field (``phone``, ``address.city``; may be ``""``) and what is wrong."""

    path: str
    field: str
    message: str

    def __str__(self) -> str:
        where = " ".join(part for part in (self.path, self.field) if part)
        return f"{where}: {self.message}" if where else self.message


class DirectoryInvalid(InvalidInput):
    """The file was not imported. ``errors`` lists every problem; ``str()`` gives one a line."""

    def __init__(self, errors: Sequence[DirectoryError]):
        errors = list(errors)
        super().__init__([str(error) for error in errors])
        self.errors: list[DirectoryError] = errors  # type: ignore[assignment]
        self.message = "\n".join(str(error) for error in errors)


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
        text = (
            f"{self.organizations_added} organizations added, {self.organizations_updated} updated; "
            f"{self.people} people, {self.subscriptions} subscriptions, {self.campaigns} campaigns, "
            f"{self.resources} renewal resources"
        )
        if self.people_removed or self.people_kept:
            text += f"; {self.people_removed} people removed, {self.people_kept} kept (referenced)"
        return text


# --- field types -----------------------------------------------------------------------------


def _plain_text(value: str) -> str:
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in value):
        raise ValueError("contains control characters or text that is not valid Unicode")
    return value


def _text(max_length: int, *, required: bool = True) -> Any:
    return Annotated[
        str,
        StringConstraints(
            strict=True, strip_whitespace=True, min_length=1 if required else 0, max_length=max_length
        ),
        AfterValidator(_plain_text),
    ]


_REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]*")


def _ref(value: str) -> str:
    if not _REF.fullmatch(value):
        raise ValueError("must be letters, digits, '.', '_', ':', '/' or '-', starting with a letter or digit")
    return value


def _identity(normalizer) -> Any:
    """Run an ``identity`` normaliser as a check: the stored value must be matchable (V-3)."""

    def check(value: str) -> str:
        _meaningful(value)
        try:
            normalizer(value)
        except IdentityError as error:
            raise ValueError(error.message) from None
        return value

    return AfterValidator(check)


def _meaningful(value: str) -> str:
    if not normalize_text(value):
        raise ValueError("has no letters or digits")
    return value


def _user_id(value: str) -> str:
    try:
        key = normalize_user_id(value)
    except IdentityError as error:
        raise ValueError(error.message) from None
    if len(key) > 320:
        raise ValueError("is longer than 320 characters")
    return key


def _country(value: str) -> str:
    code = value.upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        hint = " (the United Kingdom is GB)" if code == "UK" else ""
        # Shortened: a 100 kB value must not come back in the message (tests/unit/test_hostile_directory.py).
        raise ValueError(f"{_show(value)} is not an ISO 3166-1 alpha-2 country code{hint}")
    return code


def _url(value: str) -> str:
    try:
        normalize_url(value, "url")
    except IdentityError as error:
        raise ValueError(error.message) from None
    return value


def _domain(value: str) -> str:
    if any(ch in value for ch in "/:@?#") or not value:
        raise ValueError("must be a domain name such as contoso.co.uk")
    try:
        normalize_url(value, "custom_domains")
    except IdentityError:
        raise ValueError("must be a domain name such as contoso.co.uk") from None
    return value.lower()


_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
_DATETIME_HINT = "must be a date-time with a zone, e.g. 2025-01-10T00:00:00Z"


def _datetime_text(value: Any) -> Any:
    if not isinstance(value, str) or not _ISO_DATETIME.match(value.strip()):
        raise ValueError(_DATETIME_HINT)
    return value.strip()


def _utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValueError("is out of range") from None


Ref = Annotated[str, StringConstraints(strict=True, strip_whitespace=True, min_length=1, max_length=40), AfterValidator(_ref)]
Name = Annotated[_text(200), _identity(normalize_org_name)]
PersonName = Annotated[_text(120), _identity(normalize_person_name)]
Line = Annotated[_text(200), AfterValidator(_meaningful)]
City = Annotated[_text(120), AfterValidator(_meaningful)]
UserId = Annotated[str, StringConstraints(strict=True, max_length=320), AfterValidator(_user_id)]
Country = Annotated[str, StringConstraints(strict=True, strip_whitespace=True), AfterValidator(_country)]
Url = Annotated[_text(300), AfterValidator(_url)]
Domain = Annotated[_text(253), AfterValidator(_domain)]
Instant = Annotated[AwareDatetime, BeforeValidator(_datetime_text), AfterValidator(_utc)]
Count = Annotated[int, Field(strict=True, ge=0, le=10_000_000)]
Money = Annotated[int, Field(strict=True, ge=0, le=10**15)]
Flag = Annotated[bool, Field(strict=True)]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AddressIn(_Record):
    street_lines: Annotated[list[Line], Field(min_length=1, max_length=5)]
    city: City
    region: _text(120, required=False) = ""
    postal_code: _text(20, required=False) = ""


class PersonIn(_Record):
    user_id: UserId  # validated and lower-cased (identity.normalize_user_id)
    first_name: PersonName
    last_name: PersonName
    phone: _text(40)  # as written in the file; E.164 once parse_directory returns it
    primary_contact: Flag = False
    roles: list[Role] = Field(default_factory=list)


class CampaignIn(_Record):
    ref: Ref
    name: _text(200)
    billing_admin_user_id: UserId
    state: CampaignState


class ResourceIn(_Record):
    ref: Ref
    description: _text(200)
    effective_at: Instant
    state: ResourceState
    transaction_in_progress: Flag = False
    special_unsubscription_pending: Flag = False
    in_promotion: Flag = False
    invoice_issued: Flag = False
    cash_coupons_used: Money = 0
    discount_coupons_used: Money = 0


class SubscriptionIn(_Record):
    ref: Ref
    name: _text(200)
    product: Product
    channel: Channel
    platform: Platform | None = None
    state: SubscriptionState
    purchased_at: Instant
    term_start: Instant
    term_end: Instant
    auto_renew: Flag = True
    licenses_assigned: Count = 0
    custom_domains: Annotated[list[Domain], Field(max_length=100)] = Field(default_factory=list)
    cancelled_at: Instant | None = None
    expedited_at: Instant | None = None
    data_deleted_at: Instant | None = None
    ims_campaigns: tuple[CampaignIn, ...] = ()
    renewal_resources: tuple[ResourceIn, ...] = ()


class OrganizationIn(_Record):
    ref: Ref
    name: Name
    url: Url | None = None
    country: Country
    address: AddressIn
    people: tuple[PersonIn, ...] = ()
    subscriptions: tuple[SubscriptionIn, ...] = ()


@dataclass(frozen=True)
class ParsedDirectory:
    """A directory file that passed every check that needs no database."""

    organizations: tuple[OrganizationIn, ...]

    @property
    def people(self) -> Iterator[tuple[OrganizationIn, PersonIn]]:
        return ((o, p) for o in self.organizations for p in o.people)

    @property
    def subscriptions(self) -> Iterator[tuple[OrganizationIn, SubscriptionIn]]:
        return ((o, s) for o in self.organizations for s in o.subscriptions)


# --- reading the file ------------------------------------------------------------------------


def _refuse(message: str) -> DirectoryInvalid:
    return DirectoryInvalid([DirectoryError("", "", message)])


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


def _load(data: bytes | str) -> dict[str, Any]:
    """The file's JSON object, or DirectoryInvalid with the one reason it cannot be read."""
    if isinstance(data, bytearray | memoryview):
        data = bytes(data)
    if isinstance(data, bytes):
        if len(data) > MAX_BYTES:
            raise _refuse(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise _refuse(f"the file is not UTF-8 text (invalid byte at offset {error.start})") from None
    elif isinstance(data, str):
        if len(data) > MAX_BYTES:
            raise _refuse(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB")
        text = data.removeprefix("\ufeff")
    else:
        raise TypeError(f"directory data must be bytes or str, not {type(data).__name__}")
    if not text.strip():
        raise _refuse("the file is empty")
    try:
        document = json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        raise _refuse("the file is not a directory: its JSON is nested far too deeply") from None
    except json.JSONDecodeError as error:
        where = f"line {error.lineno} column {error.colno}"
        if error.msg.startswith("Unterminated string"):  # it runs to the end of the text
            raise _refuse(
                f"the file is not valid JSON: it ends too early (truncated?) inside a string that starts "
                f"at {where}"
            ) from None
        if error.pos >= len(text.rstrip()):
            raise _refuse(f"the file is not valid JSON: it ends too early (truncated?) at {where}") from None
        raise _refuse(f"the file is not valid JSON: {error.msg} at {where}") from None
    except ValueError as error:  # NaN/Infinity, or an integer too long to read
        reason = "a number has too many digits" if "digits" in str(error) else str(error)
        raise _refuse(f"the file is not valid JSON: {reason}") from None
    if not isinstance(document, dict):
        raise _refuse(
            f"the file must hold one JSON object with \"format\": \"{FORMAT}\", not {_kind(document)}"
        )
    if document.get("format") != FORMAT:
        raise _refuse(f"the file is not a deskapp directory: \"format\" must be \"{FORMAT}\"")
    version = document.get("version")
    if type(version) is not int or version != VERSION:
        raise _refuse(f"unsupported directory version {_show(version)}: this deskapp reads version {VERSION}")
    return document


def _kind(value: Any) -> str:
    return {
        list: "an array",
        str: "a string",
        int: "a number",
        float: "a number",
        bool: "true or false",
        type(None): "null",
        dict: "an object",
    }.get(type(value), type(value).__name__)


def _show(value: Any) -> str:
    """A value for an error message: scalars shortened, containers by kind only."""
    if isinstance(value, str | int | float | bool) or value is None:
        text = repr(value) if not isinstance(value, int) or abs(value) < 10**30 else "a huge number"
        return text if len(text) <= 40 else text[:37] + "..."
    return _kind(value)


# --- checking --------------------------------------------------------------------------------


def _field_name(loc: Sequence[int | str]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _message(error: dict[str, Any]) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    value = error.get("input")
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "unknown key"
    if kind in ("string_too_short", "too_short"):
        minimum = ctx.get("min_length", 1)
        return "must not be empty" if minimum <= 1 else f"needs at least {minimum} items"
    if kind == "string_too_long":
        return f"is longer than {ctx.get('max_length')} characters"
    if kind == "too_long":
        return f"has more than {ctx.get('max_length')} items"
    if kind == "greater_than_equal":
        return f"must be {ctx.get('ge')} or more"
    if kind == "less_than_equal":
        return f"must be {ctx.get('le')} or less"
    if kind == "enum":
        return f"unknown value {_show(value)}; expected {ctx.get('expected')}"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    if kind == "string_unicode":
        return "is not valid Unicode text"
    if kind in ("string_type", "str_type"):
        return f"must be a string, not {_kind(value)}"
    if kind in ("int_type", "int_from_float", "int_parsing"):
        return f"must be a whole number, not {_kind(value)}"
    if kind == "bool_type":
        return f"must be true or false, not {_kind(value)}"
    if kind in ("list_type", "tuple_type"):
        return f"must be a list, not {_kind(value)}"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"must be an object, not {_kind(value)}"
    if kind == "timezone_aware":
        return "must carry a time zone (e.g. 2025-01-10T00:00:00Z or +01:00)"
    if kind.startswith("datetime") or kind.startswith("date_"):
        return _DATETIME_HINT
    return str(error["msg"])


@cache
def _adapters(model: type[_Record]) -> dict[str, tuple[TypeAdapter, Any]]:
    out = {}
    for name, info in model.model_fields.items():
        annotation = Annotated[info.annotation, *info.metadata] if info.metadata else info.annotation
        out[name] = (TypeAdapter(annotation), info.get_default(call_default_factory=True))
    return out


def _path_key(path: str) -> list[tuple[str, int]]:
    return [(name, int(index)) for name, index in re.findall(r"([A-Za-z_]+)\[(\d+)\]", path)]


@dataclass
class _Checker:
    """Walks the document record by record so that one bad record hides nothing else: each
    record's fields are checked with its pydantic model, and the fields that did validate
    still take part in the checks across records (duplicates, primary contact, D365 URL)."""

    errors: list[DirectoryError] = field(default_factory=list)
    org_refs: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # ref -> (path, None)
    user_ids: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # uid -> (path, org ref)
    sub_refs: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # ref -> (path, org ref)
    campaign_refs: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # -> sub ref
    resource_refs: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # -> sub ref

    def add(self, path: str, field_: str, message: str) -> None:
        self.errors.append(DirectoryError(path, field_, message))

    def record(
        self, model: type[_Record], raw: Any, path: str, children: Iterable[str] = ()
    ) -> tuple[_Record | None, dict[str, Any], dict[str, list[Any]]]:
        """(the record or None, the fields that validated, the raw child lists)."""
        kids: dict[str, list[Any]] = {}
        if not isinstance(raw, dict):
            self.add(path, "", f"must be an object, not {_kind(raw)}")
            return None, {}, {name: [] for name in children}
        raw = dict(raw)
        for name in children:
            value = raw.pop(name, [])
            if not isinstance(value, list):
                self.add(path, name, f"must be a list, not {_kind(value)}")
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
        self.add(path, field_, f"duplicate {what}: also at {first[0]}")
        return False

    # -- the records ---------------------------------------------------------------------

    def directory(self, document: dict[str, Any]) -> list[OrganizationIn]:
        for key in document:
            if key not in ("format", "version", "organizations"):
                self.add("", str(key)[:40], "unknown key")
        if "organizations" not in document:
            self.add("", "organizations", "is required")
            return []
        raw_orgs = document["organizations"]
        if not isinstance(raw_orgs, list):
            self.add("", "organizations", f"must be a list, not {_kind(raw_orgs)}")
            return []
        organizations = []
        for index, raw in enumerate(raw_orgs):
            org = self.organization(raw, f"organizations[{index}]")
            if org is not None:
                organizations.append(org)
        return organizations

    def organization(self, raw: Any, path: str) -> OrganizationIn | None:
        org, values, kids = self.record(OrganizationIn, raw, path, ("people", "subscriptions"))
        ref = values.get("ref")
        if ref is not None and not self.unique(self.org_refs, ref, path, "ref", "organization ref"):
            ref = None  # a duplicate ref says nothing about which organization owns the children
        country = values.get("country")

        people: list[PersonIn] = []
        primary, primary_known, org_user_ids, user_ids_known = 0, True, set(), True
        for index, raw_person in enumerate(kids.get("people", [])):
            person_path = f"{path}.people[{index}]"
            person, pv, _ = self.record(PersonIn, raw_person, person_path)
            if "primary_contact" in pv:
                primary += pv["primary_contact"]
            else:
                primary_known = False
            uid = pv.get("user_id")
            if uid is None:
                user_ids_known = False
            else:
                org_user_ids.add(uid)
                self.unique(self.user_ids, uid, person_path, "user_id", "user ID", ref or "")
            e164 = self.phone(pv.get("phone"), country, person_path)
            if person is not None and e164 is not None:
                people.append(person.model_copy(update={"phone": e164}))
        if primary_known and primary != 1:
            self.add(path, "people", f"must have exactly one primary contact, found {primary}")

        subscriptions: list[SubscriptionIn] = []
        has_d365 = False
        for index, raw_sub in enumerate(kids.get("subscriptions", [])):
            sub_path = f"{path}.subscriptions[{index}]"
            sub, has = self.subscription(raw_sub, sub_path, ref, org_user_ids if user_ids_known else None)
            has_d365 |= has
            if sub is not None:
                subscriptions.append(sub)
        if has_d365 and "url" in values and values["url"] is None:
            self.add(path, "url", "is required: the organization has a Dynamics 365 subscription (V-1)")
        if org is None or len(people) != len(kids["people"]) or len(subscriptions) != len(kids["subscriptions"]):
            return None
        return org.model_copy(update={"people": tuple(people), "subscriptions": tuple(subscriptions)})

    def phone(self, raw: str | None, country: str | None, path: str) -> str | None:
        if raw is None:
            return None
        if country is None and not raw.startswith("+"):
            return None  # the country is wrong and already reported; nothing to read it with
        try:
            number = phonenumbers.parse(raw, country)
        except NumberParseException:
            number = None
        if (
            number is None
            or not phonenumbers.is_possible_number(number)
            or not phonenumbers.is_valid_number(number)
        ):
            self.add(path, "phone", f"not a valid phone number for {country or 'its country code'}")
            return None
        return phonenumbers.format_number(number, PhoneNumberFormat.E164)

    def subscription(
        self, raw: Any, path: str, org_ref: str | None, org_user_ids: set[str] | None
    ) -> tuple[SubscriptionIn | None, bool]:
        sub, values, kids = self.record(
            SubscriptionIn, raw, path, ("ims_campaigns", "renewal_resources")
        )
        ref, product = values.get("ref"), values.get("product")
        if ref is not None and not self.unique(self.sub_refs, ref, path, "ref", "subscription ref", org_ref or ""):
            ref = None
        start, end = values.get("term_start"), values.get("term_end")
        if start is not None and end is not None and end <= start:
            self.add(path, "term_end", "must be after term_start")
        if values.get("state") == SubscriptionState.CANCELLED and "cancelled_at" in values and values["cancelled_at"] is None:
            self.add(path, "cancelled_at", "is required when the state is cancelled (C-8)")
        if "platform" in values:
            if product == Product.D365 and values["platform"] is None:
                self.add(path, "platform", "is required for Dynamics 365: online_services or commerce_transaction (M-2)")
            elif product is not None and product != Product.D365 and values["platform"] is not None:
                self.add(path, "platform", "only Dynamics 365 subscriptions have a platform")
        if kids["ims_campaigns"] and product is not None and product != Product.D365:
            self.add(path, "ims_campaigns", "only Dynamics 365 subscriptions have Internet Marketing campaigns")
        if kids["renewal_resources"] and product is not None and product != Product.CLOUD:
            self.add(path, "renewal_resources", "only cloud subscriptions have renewal resources")

        campaigns = []
        for index, raw_campaign in enumerate(kids["ims_campaigns"]):
            campaign_path = f"{path}.ims_campaigns[{index}]"
            campaign, cv, _ = self.record(CampaignIn, raw_campaign, campaign_path)
            if cv.get("ref") is not None:
                self.unique(self.campaign_refs, cv["ref"], campaign_path, "ref", "campaign ref", ref or "")
            admin = cv.get("billing_admin_user_id")
            if admin is not None and org_user_ids is not None and admin not in org_user_ids:
                self.add(campaign_path, "billing_admin_user_id", "is not one of the organization's people (I-1)")
            if campaign is not None:
                campaigns.append(campaign)
        resources = []
        for index, raw_resource in enumerate(kids["renewal_resources"]):
            resource_path = f"{path}.renewal_resources[{index}]"
            resource, rv, _ = self.record(ResourceIn, raw_resource, resource_path)
            if rv.get("ref") is not None:
                self.unique(self.resource_refs, rv["ref"], resource_path, "ref", "resource ref", ref or "")
            if resource is not None:
                resources.append(resource)
        has_d365 = product == Product.D365
        if (
            sub is None
            or len(campaigns) != len(kids["ims_campaigns"])
            or len(resources) != len(kids["renewal_resources"])
        ):
            return None, has_d365
        return sub.model_copy(
            update={"ims_campaigns": tuple(campaigns), "renewal_resources": tuple(resources)}
        ), has_d365


def _sorted(errors: Iterable[DirectoryError]) -> list[DirectoryError]:
    indexed = list(enumerate(errors))
    indexed.sort(key=lambda item: (_path_key(item[1].path), item[0]))
    return [error for _, error in indexed]


def _check(data: bytes | str) -> tuple[ParsedDirectory | None, _Checker]:
    checker = _Checker()
    organizations = checker.directory(_load(data))
    if checker.errors:
        return None, checker
    return ParsedDirectory(tuple(organizations)), checker


def parse_directory(data: bytes | str) -> ParsedDirectory:
    """Read and check a directory file without a database.

    Raises DirectoryInvalid listing every problem found. Phones in the result are E.164,
    user IDs normalised, date-times aware UTC.
    """
    parsed, checker = _check(data)
    if parsed is None:
        raise DirectoryInvalid(_sorted(checker.errors))
    return parsed


# --- importing -------------------------------------------------------------------------------


def _chunks(values: Iterable[Any]) -> Iterator[list[Any]]:
    values = list(values)
    for start in range(0, len(values), _IN_CHUNK):
        yield values[start : start + _IN_CHUNK]


@dataclass
class _Existing:
    """The rows the file touches, fetched with one query per table (chunked IN lists)."""

    orgs: dict[str, Organization]
    owners: dict[str, tuple[Person, str]]  # user ID -> (person, their organization's ref)
    people: dict[int, list[Person]]  # organization id -> its people
    subs: dict[str, tuple[Subscription, str]]  # ref -> (row, organization ref)
    campaigns: dict[str, tuple[ImsCampaign, str]]  # ref -> (row, subscription ref)
    resources: dict[str, tuple[RenewalResource, str]]  # ref -> (row, subscription ref)


def _fetch(session: Session, checker: _Checker) -> _Existing:
    orgs = {}
    for refs in _chunks(checker.org_refs):
        orgs.update((o.ref, o) for o in session.exec(select(Organization).where(col(Organization.ref).in_(refs))))
    owners = {}
    for uids in _chunks(checker.user_ids):
        rows = session.exec(
            select(Person, Organization.ref)
            .join(Organization, col(Organization.id) == col(Person.organization_id))
            .where(col(Person.user_id).in_(uids))
        )
        owners.update((p.user_id, (p, ref)) for p, ref in rows)
    people: dict[int, list[Person]] = {}
    for ids in _chunks(o.id for o in orgs.values()):
        for person in session.exec(select(Person).where(col(Person.organization_id).in_(ids))):
            people.setdefault(person.organization_id, []).append(person)
    subs = {}
    for refs in _chunks(checker.sub_refs):
        rows = session.exec(
            select(Subscription, Organization.ref)
            .join(Organization, col(Organization.id) == col(Subscription.organization_id))
            .where(col(Subscription.ref).in_(refs))
        )
        subs.update((s.ref, (s, ref)) for s, ref in rows)
    campaigns = {}
    for refs in _chunks(checker.campaign_refs):
        rows = session.exec(
            select(ImsCampaign, Subscription.ref)
            .join(Subscription, col(Subscription.id) == col(ImsCampaign.subscription_id))
            .where(col(ImsCampaign.ref).in_(refs))
        )
        campaigns.update((c.ref, (c, ref)) for c, ref in rows)
    resources = {}
    for refs in _chunks(checker.resource_refs):
        rows = session.exec(
            select(RenewalResource, Subscription.ref)
            .join(Subscription, col(Subscription.id) == col(RenewalResource.subscription_id))
            .where(col(RenewalResource.ref).in_(refs))
        )
        resources.update((r.ref, (r, ref)) for r, ref in rows)
    return _Existing(orgs, owners, people, subs, campaigns, resources)


def _check_against_database(checker: _Checker, existing: _Existing) -> list[DirectoryError]:
    errors = []
    for uid, (path, org_ref) in checker.user_ids.items():
        owner = existing.owners.get(uid)
        if owner is not None and org_ref and owner[1] != org_ref:
            errors.append(
                DirectoryError(path, "user_id", f"already belongs to a person of organization {owner[1]}")
            )
    for what, seen, rows in (
        ("organization", checker.sub_refs, existing.subs),
        ("subscription", checker.campaign_refs, existing.campaigns),
        ("subscription", checker.resource_refs, existing.resources),
    ):
        for ref, (path, parent) in seen.items():
            row = rows.get(ref)
            if row is not None and parent and row[1] != parent:
                errors.append(DirectoryError(path, "ref", f"already belongs to {what} {row[1]}"))
    return errors


def _assign(row: Any, values: dict[str, Any]) -> bool:
    """Set the values that differ; True if any did."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def _roles(roles: Iterable[Role]) -> list[str]:
    wanted = set(roles)
    return [role.value for role in Role if role in wanted]


def _apply(session: Session, directory: ParsedDirectory, existing: _Existing, now: datetime) -> ImportReport:
    # Organizations.
    org_rows: dict[str, Organization] = {}
    new_orgs = []
    for org in directory.organizations:
        values = {
            "name": org.name,
            "url": org.url,
            "country": org.country,
            "street_lines": list(org.address.street_lines),
            "city": org.address.city,
            "region": org.address.region,
            "postal_code": org.address.postal_code,
            "name_key": normalize_org_name(org.name),
        }
        row = existing.orgs.get(org.ref)
        if row is None:
            row = Organization(ref=org.ref, updated_at=now, **values)
            new_orgs.append(row)
        elif _assign(row, values):
            row.updated_at = now
        org_rows[org.ref] = row
    session.add_all(new_orgs)
    session.flush()

    # People: in place by user ID; those no longer listed go unless an attempt refers to them.
    listed = {p.user_id for _, p in directory.people}
    gone = [
        person
        for org in directory.organizations
        if org.ref in existing.orgs
        for person in existing.people.get(existing.orgs[org.ref].id, [])
        if person.user_id not in listed
    ]
    referenced: set[int] = set()
    for ids in _chunks(p.id for p in gone):
        referenced.update(
            session.exec(
                select(VerificationAttempt.person_id).where(col(VerificationAttempt.person_id).in_(ids)).distinct()
            )
        )
    removable = [p.id for p in gone if p.id not in referenced]
    for ids in _chunks(removable):
        session.execute(delete(Person).where(col(Person.id).in_(ids)))
    new_people = []
    for org, person in directory.people:
        values = {
            "organization_id": org_rows[org.ref].id,
            "first_name": person.first_name,
            "last_name": person.last_name,
            "phone_e164": person.phone,
            "is_primary_contact": person.primary_contact,
            "roles": _roles(person.roles),
        }
        owner = existing.owners.get(person.user_id)
        if owner is None:
            new_people.append(Person(user_id=person.user_id, **values))
        else:
            _assign(owner[0], values)
    session.add_all(new_people)

    # Subscriptions, then their campaigns and resources.
    sub_rows: dict[str, Subscription] = {}
    new_subs = []
    for org, sub in directory.subscriptions:
        values = {
            "organization_id": org_rows[org.ref].id,
            "name": sub.name,
            "product": sub.product.value,
            "channel": sub.channel.value,
            "platform": sub.platform.value if sub.platform else None,
            "state": sub.state.value,
            "purchased_at": sub.purchased_at,
            "term_start": sub.term_start,
            "term_end": sub.term_end,
            "auto_renew": sub.auto_renew,
            "licenses_assigned": sub.licenses_assigned,
            "custom_domains": list(sub.custom_domains),
            "cancelled_at": sub.cancelled_at,
            "expedited_at": sub.expedited_at,
            "data_deleted_at": sub.data_deleted_at,
        }
        found = existing.subs.get(sub.ref)
        if found is None:
            row = Subscription(ref=sub.ref, **values)
            new_subs.append(row)
        else:
            row = found[0]
            _assign(row, values)
        sub_rows[sub.ref] = row
    session.add_all(new_subs)
    session.flush()

    new_rows: list[Any] = []
    campaigns = resources = 0
    for _, sub in directory.subscriptions:
        sub_id = sub_rows[sub.ref].id
        for campaign in sub.ims_campaigns:
            campaigns += 1
            values = {
                "subscription_id": sub_id,
                "name": campaign.name,
                "billing_admin_user_id": campaign.billing_admin_user_id,
                "state": campaign.state.value,
            }
            found = existing.campaigns.get(campaign.ref)
            if found is None:
                new_rows.append(ImsCampaign(ref=campaign.ref, **values))
            else:
                _assign(found[0], values)
        for resource in sub.renewal_resources:
            resources += 1
            values = {
                "subscription_id": sub_id,
                "description": resource.description,
                "effective_at": resource.effective_at,
                "state": resource.state.value,
                "transaction_in_progress": resource.transaction_in_progress,
                "special_unsubscription_pending": resource.special_unsubscription_pending,
                "in_promotion": resource.in_promotion,
                "invoice_issued": resource.invoice_issued,
                "cash_coupons_used": resource.cash_coupons_used,
                "discount_coupons_used": resource.discount_coupons_used,
            }
            found = existing.resources.get(resource.ref)
            if found is None:
                new_rows.append(RenewalResource(ref=resource.ref, **values))
            else:
                _assign(found[0], values)
    session.add_all(new_rows)
    session.flush()

    return ImportReport(
        organizations_added=len(new_orgs),
        organizations_updated=len(directory.organizations) - len(new_orgs),
        people=len(listed),
        subscriptions=len(sub_rows),
        campaigns=campaigns,
        resources=resources,
        people_removed=len(removable),
        people_kept=len(gone) - len(removable),
    )


def import_directory(store: Store, data: bytes | str, *, actor: str = "system") -> ImportReport:
    """Check a directory file completely, then apply it in one transaction (see the module doc).

    Raises DirectoryInvalid listing every problem, including user IDs and refs that clash with
    other organizations already in the database; on any error nothing is changed.
    """
    parsed, checker = _check(data)
    now = store.clock.now()
    try:
        with store.write() as session:
            existing = _fetch(session, checker)
            errors = checker.errors + _check_against_database(checker, existing)
            if errors or parsed is None:
                raise DirectoryInvalid(_sorted(errors))
            report = _apply(session, parsed, existing, now)
            append_event(
                session, at=now, actor=actor, action="directory.imported", subject="directory",
                details=asdict(report),
            )
    except IntegrityError as error:
        # Only a concurrent import can get here (SQLite serialises writers; PostgreSQL may not).
        raise Conflict("the directory changed during the import (another import at the same time?): "
                       "nothing was imported; try again") from error
    return report


def import_directory_file(store: Store, path: Path, *, actor: str = "system") -> ImportReport:
    """Import the directory file at ``path``; a file that cannot be read is InvalidInput."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise _refuse(f"{path}: the file is larger than {MAX_BYTES // (1024 * 1024)} MB")
        data = path.read_bytes()
    except OSError as error:
        raise InvalidInput(f"{path}: cannot read the directory file ({error.strerror or error})") from None
    return import_directory(store, data, actor=actor)
