"""The records of a directory file as pydantic models, and the field types they are built
from: each field type checks one field, so an error names the field (format: the package doc)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

import phonenumbers
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
)

from identity import (
    check_undisguised_text,
    normalize_org_name,
    normalize_person_name,
    normalize_text,
    normalize_url,
    normalize_user_id,
)
from identity.errors import IdentityError
from identity.normalize import MAX_NAME_LENGTH
from tickets.enums import CampaignState, Channel, Platform, Product, ResourceState, Role, SubscriptionState
from tickets.i18n import N_, _

FORMAT = "deskapp-directory"
VERSION = 1


# Unicode's control characters (Cc: U+0000-U+001F, U+007F-U+009F) and surrogates (Cs).
_CONTROL_OR_SURROGATE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def _plain_text(value: str) -> str:
    if _CONTROL_OR_SURROGATE.search(value) is not None:
        raise ValueError(_("contains control characters or text that is not valid Unicode"))
    try:
        check_undisguised_text(value, "")  # bidi overrides, zero-width characters ...
    except IdentityError as error:
        raise ValueError(error.message) from None
    return value


def _limits(max_length: int, *, required: bool = True) -> StringConstraints:
    """A text field's constraints (its type is `Annotated[str, _limits(n), _PLAIN, ...]`: metadata
    made by a call, so that type checkers see a type)."""
    return StringConstraints(strict=True, strip_whitespace=True, min_length=1 if required else 0, max_length=max_length)


_REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]*")


def _ref(value: str) -> str:
    if not _REF.fullmatch(value):
        raise ValueError(_("must be letters, digits, '.', '_', ':', '/' or '-', starting with a letter or digit"))
    return value


def _identity(normalizer) -> Any:
    """Run an ``identity`` normaliser as a check: the stored value must be matchable (V-3)."""

    def check(value: str) -> str:
        key = normalize_text(value)
        if not key:
            raise ValueError(_("has no letters or digits"))
        # A name's normaliser refuses only an empty key or one over MAX_NAME_LENGTH: the text is
        # normalised once unless it is that long.
        if len(key) > MAX_NAME_LENGTH:
            try:
                normalizer(value)
            except IdentityError as error:
                raise ValueError(error.message) from None
        return value

    return AfterValidator(check)


def _meaningful(value: str) -> str:
    if not normalize_text(value):
        raise ValueError(_("has no letters or digits"))
    return value


def _user_id(value: str) -> str:
    try:
        key = normalize_user_id(value)
    except IdentityError as error:
        raise ValueError(error.message) from None
    if len(key) > 320:
        raise ValueError(_("is longer than {n} characters").format(n=320))
    return key


def _country(value: str) -> str:
    code = value.upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        hint = _(" (the United Kingdom is GB)") if code == "UK" else ""
        # Shortened: a 100 kB value must not come back in the message (tests/unit/test_hostile_directory.py).
        shown = repr(value) if len(value) <= 37 else repr(value[:34]) + "..."
        raise ValueError(_("{value} is not an ISO 3166-1 alpha-2 country code{hint}").format(value=shown, hint=hint))
    return code


def _url(value: str) -> str:
    try:
        normalize_url(value, "url")
    except IdentityError as error:
        raise ValueError(error.message) from None
    return value


def _domain(value: str) -> str:
    if any(ch in value for ch in "/:@?#") or not value:
        raise ValueError(_("must be a domain name such as contoso.co.uk"))
    try:
        normalize_url(value, "custom_domains")
    except IdentityError:
        raise ValueError(_("must be a domain name such as contoso.co.uk")) from None
    return value.lower()


_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
DATETIME_HINT = N_("must be a date-time with a zone, e.g. 2025-01-10T00:00:00Z")  # shown: _(DATETIME_HINT)


def _datetime_text(value: Any) -> Any:
    if not isinstance(value, str) or not _ISO_DATETIME.match(value.strip()):
        raise ValueError(_(DATETIME_HINT))
    return value.strip()


def _utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValueError(_("is out of range")) from None


Ref = Annotated[
    str, StringConstraints(strict=True, strip_whitespace=True, min_length=1, max_length=40), AfterValidator(_ref)
]
_PLAIN = AfterValidator(_plain_text)
Text40 = Annotated[str, _limits(40), _PLAIN]
Text200 = Annotated[str, _limits(200), _PLAIN]
Region = Annotated[str, _limits(120, required=False), _PLAIN]
PostalCode = Annotated[str, _limits(20, required=False), _PLAIN]
Name = Annotated[str, _limits(200), _PLAIN, _identity(normalize_org_name)]
PersonName = Annotated[str, _limits(120), _PLAIN, _identity(normalize_person_name)]
Line = Annotated[str, _limits(200), _PLAIN, AfterValidator(_meaningful)]
City = Annotated[str, _limits(120), _PLAIN, AfterValidator(_meaningful)]
UserId = Annotated[str, StringConstraints(strict=True, max_length=320), AfterValidator(_user_id)]
Country = Annotated[str, StringConstraints(strict=True, strip_whitespace=True), AfterValidator(_country)]
Url = Annotated[str, _limits(300), _PLAIN, AfterValidator(_url)]
Domain = Annotated[str, _limits(253), _PLAIN, AfterValidator(_domain)]
Instant = Annotated[AwareDatetime, BeforeValidator(_datetime_text), AfterValidator(_utc)]
Count = Annotated[int, Field(strict=True, ge=0, le=10_000_000)]
Money = Annotated[int, Field(strict=True, ge=0, le=10**15)]
Flag = Annotated[bool, Field(strict=True)]


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AddressIn(Record):
    street_lines: Annotated[list[Line], Field(min_length=1, max_length=5)]
    city: City
    region: Region = ""
    postal_code: PostalCode = ""


class PersonIn(Record):
    user_id: UserId  # validated and lower-cased (identity.normalize_user_id)
    first_name: PersonName
    last_name: PersonName
    phone: Text40  # as written in the file; E.164 once parse_directory returns it
    primary_contact: Flag = False
    roles: list[Role] = Field(default_factory=list)


class CampaignIn(Record):
    ref: Ref
    name: Text200
    billing_admin_user_id: UserId
    state: CampaignState


class ResourceIn(Record):
    ref: Ref
    description: Text200
    effective_at: Instant
    state: ResourceState
    transaction_in_progress: Flag = False
    special_unsubscription_pending: Flag = False
    in_promotion: Flag = False
    invoice_issued: Flag = False
    cash_coupons_used: Money = 0
    discount_coupons_used: Money = 0


class SubscriptionIn(Record):
    ref: Ref
    name: Text200
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


class OrganizationIn(Record):
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
