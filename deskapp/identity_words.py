"""The identity package's messages in the desk's language. identity sits below the ticket core
and imports nothing of it (nor its translation function), so its English messages are read
back here: each known message, or message pattern with its values, has a msgid in the catalog;
a message not listed is shown as identity wrote it."""

from __future__ import annotations

import re

from tickets.i18n import N_, _, current_language

# English pattern (values as named groups) -> msgid with the same names.
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern + r"\Z"), msgid) for pattern, msgid in (
        (r"not a possible phone number for (?P<region>[^:]+): (?P<detail>.+)",
         N_("not a possible phone number for {region}: {detail}")),
        (r"not a possible phone number for (?P<region>.+)", N_("not a possible phone number for {region}")),
        (r"contains the invisible character (?P<code>U\+[0-9A-F]{4,6})(?P<rest>.*)",
         N_("contains the invisible character {code}{rest}")),
        (r"(?P<kind>.+) is empty", N_("{kind} is empty")),
        (r"(?P<kind>.+) is longer than (?P<n>\d+) characters", N_("{kind} is longer than {n} characters")),
        (r"(?P<message>.+) \((?P<rule>[A-Z]-\d)\)", N_("{message} ({rule})")),
    )
)
# Messages identity writes as they are (identity/*.py), and the phone details it names.
_MESSAGES = (
    N_("organization URL is required for Dynamics 365 (V-1)"),
    N_("contains characters that are not valid text (control characters or a broken paste)"),
    N_("host name is not valid"), N_("contains characters that are not valid text"), N_("URL is empty"),
    N_("URL must not contain a user name or password"), N_("URL has an invalid port"),
    N_("URL has no host name"), N_("URL has no plausible host name"), N_("host name is too long"),
    N_("country must be a two-letter ISO 3166 code"),
    N_("no valid country code: start with + and the country code"),
    N_("type the digits of a phone number (spaces, dashes, brackets and + are fine)"),
    N_("too short for a phone number"), N_("too long for a phone number"), N_("unknown country code"),
    N_("too short"), N_("too long"), N_("wrong length"), N_("area code missing"),
    N_("phone number contains characters that are not valid text"), N_("The email address is not valid."),
    N_("The email address contains characters that are not valid text."),
    N_("looks like a password"), N_("looks like a one-time code"), N_("looks like a PIN"),
)


def identity_text(message: str) -> str:
    """identity's `message` in the desk's language (as it is when there is no translation)."""
    if current_language() == "en":
        return message
    translated = _(message)
    if translated != message:
        return translated
    for pattern, msgid in _PATTERNS:
        found = pattern.match(message)
        if found is not None:
            values = {name: identity_text(value) for name, value in found.groupdict().items()}
            return _(msgid).format(**values)
    return message
