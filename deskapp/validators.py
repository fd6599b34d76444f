"""Input validators: small `textual.validation.Validator` wrappers around the pure checks in
`identity` (V-3, V-4, V-6) and `datetime` parsing.

Each field validator checks exactly what `identity.check_claim_format` checks for that field,
with the same message ("<problem> (<rule>)"), so the inline feedback while typing and the
whole-form check on submit agree. Validators are pure and cheap; `identity` is imported on first
use, after the first screen is drawn. An empty value is left to the submit check ("required"),
so an untouched field is not flagged while the agent is still on another one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from textual.validation import ValidationResult, Validator

from tickets.i18n import _

# V-3: what a console field takes as typed or pasted: no control character (ESC, NUL, DEL, C1
# ...) and no broken surrogate ever enters a field's value, so none reaches a confirm screen
# or the core (which refuses them again: tickets.text.check_text). Textual's `Input.restrict`
# checks the whole value after each insertion.
TYPED_TEXT = "[^\x00-\x1f\x7f-\x9f\ud800-\udfff]*"


class _IdentityCheck(Validator):
    """Runs `check(value)`; an `identity.IdentityError` is a failure with its message."""

    optional = True  # empty is checked on submit

    def check(self, value: str) -> None:  # pragma: no cover - every subclass defines it
        """Raise `identity.IdentityError` when `value` is malformed."""
        raise TypeError(f"{type(self).__name__} must define check()")

    def validate(self, value: str) -> ValidationResult:
        from identity.errors import IdentityError

        if self.optional and not value.strip():
            return self.success()
        try:
            self.check(value)
        except IdentityError as error:
            from deskapp.identity_words import identity_text

            return self.failure(f"{identity_text(error.message)} ({error.rule})", value)
        return self.success()


class UserIdFormat(_IdentityCheck):
    """V-3: a sign-in user ID is a valid address."""

    def check(self, value: str) -> None:
        from identity import normalize_user_id

        normalize_user_id(value, "user_id")


class PhoneFormat(_IdentityCheck):
    """V-3: a possible phone number, read with the organization's country as default region."""

    def __init__(self, region: str) -> None:
        super().__init__()
        self.region = region

    def check(self, value: str) -> None:
        from identity import parse_phone

        parse_phone(value, self.region, "phone")


class PersonName(_IdentityCheck):
    def check(self, value: str) -> None:
        from identity import normalize_person_name

        normalize_person_name(value, "name")


class OrganizationName(_IdentityCheck):
    def check(self, value: str) -> None:
        from identity import normalize_org_name

        normalize_org_name(value, "org_name")


class AddressLine(_IdentityCheck):
    """A street line or city: any text up to the identity length limit."""

    def check(self, value: str) -> None:
        from identity.errors import InvalidAddress
        from identity.normalize import MAX_ADDRESS_LINE_LENGTH, normalize_text

        if len(normalize_text(value)) > MAX_ADDRESS_LINE_LENGTH:
            raise InvalidAddress("address", "V-3", _("longer than {n} characters").format(n=MAX_ADDRESS_LINE_LENGTH))


class CountryCode(_IdentityCheck):
    def check(self, value: str) -> None:
        from identity.normalize import normalize_country

        normalize_country(value)


class OrganizationUrl(_IdentityCheck):
    """V-1 [D365]: the organization URL has a plausible host."""

    def check(self, value: str) -> None:
        from identity import normalize_url

        normalize_url(value, "org_url")


class NoCredential(Validator):
    """V-6: free text must not hold a password, PIN or one-time code (identity.find_credential)."""

    def validate(self, value: str) -> ValidationResult:
        from identity import find_credential

        reason = find_credential(value)
        if reason is None:
            return self.success()
        return self.failure(
            _("{reason}: never take or type a caller's password, PIN or one-time code; remove it (V-6)").format(
                reason=reason),
            value,
        )


# --- dates and times -------------------------------------------------------------------------


def parse_date(value: str) -> date | None:
    """`2026-12-01` as a date, or None (tickets.dates, the one date reader)."""
    from tickets.dates import read_date

    return read_date(value)


def parse_desk_datetime(value: str) -> datetime | None:
    """`2026-12-01 09:00` typed at the desk (its time zone; an explicit offset as given) as an
    aware UTC datetime, or None (not a date-time, or a time the zone skips)."""
    from deskapp.widgets.format import desk_zone
    from tickets.desk_time import local_wall_time
    from tickets.errors import InvalidInput

    try:
        return local_wall_time(datetime.fromisoformat(value.strip()), desk_zone())
    except (ValueError, InvalidInput):
        return None


def desk_datetime_problem(value: str) -> str | None:
    """Why a typed date-time cannot be read at the desk, in the desk's words; None if it can."""
    from deskapp.widgets.format import desk_zone
    from tickets.desk_time import local_wall_time, zone_key
    from tickets.errors import InvalidInput

    try:
        local_wall_time(datetime.fromisoformat(value.strip()), desk_zone())
    except ValueError:
        return _("a date and time as YYYY-MM-DD HH:MM ({zone})").format(zone=zone_key(desk_zone()))
    except InvalidInput as error:
        return "; ".join(str(v) for v in error.errors.values()) if isinstance(error.errors, dict) else str(error)
    return None


class _Parsed(Validator):
    def __init__(self, parse: Callable[[str], object], message: str) -> None:
        super().__init__()
        self._parse = parse
        self._message = message

    def validate(self, value: str) -> ValidationResult:
        if not value.strip() or self._parse(value) is not None:
            return self.success()
        return self.failure(self._message, value)


def IsoDate() -> Validator:  # noqa: N802 - reads like a class at the call site
    return _Parsed(parse_date, "a date as YYYY-MM-DD")


class DeskDateTime(Validator):
    """A date and time typed in the desk's time zone (M-3's transfer time); a time its clocks
    skip is named as such (tickets.desk_time)."""

    def validate(self, value: str) -> ValidationResult:
        problem = desk_datetime_problem(value) if value.strip() else None
        return self.failure(problem, value) if problem else self.success()


class EmailAddress(Validator):
    """M-3: the IT contact is an e-mail address (identity's user-ID check is the same rule)."""

    def validate(self, value: str) -> ValidationResult:
        from identity import normalize_user_id
        from identity.errors import IdentityError

        if not value.strip():
            return self.success()
        try:
            normalize_user_id(value, "it_contact")
        except IdentityError:
            return self.failure(_("an e-mail address, e.g. it@example.com (M-3)"), value)
        return self.success()
