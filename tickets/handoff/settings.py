"""The hand-off's settings, from the `[handoff]` table of the desk's config:

    [handoff]
    timeout = "10s"         # one delivery attempt at most (default 10s)
    lease = "2m"            # how long a relay holds the rows it took (default 2m; >= 2 x timeout)

    [[handoff.webhook]]
    name = "billing"
    url = "https://billing.example.com/deskapp"
    secret_file = "/etc/deskapp/billing-webhook.secret"   # the HMAC secret, only its owner reads it
    retry_for = "24h"       # then the row is parked as failed (default 24h)

    [[handoff.email]]       # the caller, when filed and decided; the IT contact when data is ready
    name = "callers"
    retry_for = "6h"

    [smtp]                  # the mail server, for e-mail destinations (tickets.handoff.mail)
    host = "smtp.example.com"
    username = "desk@example.com"
    password_file = "smtp-password"                     # only its owner reads it
    sender = "Support desk <desk@example.com>"

Every problem is a ValueError of one sentence naming the setting and the rule (the command
line exits 2 with it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tickets.i18n import _
from tickets.secret_file import read_secret_line

KINDS = ("webhook", "email")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,59}$")
_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
_LOOPBACK = ("127.0.0.1", "localhost", "::1")
MIN_SECRET = 16
DEFAULT_TIMEOUT = timedelta(seconds=10)
DEFAULT_LEASE = timedelta(minutes=2)
DEFAULT_RETRY_FOR = timedelta(hours=24)
_TABLE_KEYS = {"timeout", "lease", "webhook", "email"}
_KEYS = {"webhook": {"name", "url", "secret_file", "retry_for"}, "email": {"name", "retry_for"}}


@dataclass(frozen=True)
class Destination:
    name: str
    kind: str  # "webhook" or "email"
    retry_for: timedelta
    url: str | None = None
    secret: bytes | None = None  # a webhook's HMAC secret; never logged, never stored


@dataclass(frozen=True)
class HandoffSettings:
    destinations: tuple[Destination, ...] = ()
    timeout: timedelta = DEFAULT_TIMEOUT
    lease: timedelta = DEFAULT_LEASE
    smtp: Any = None  # tickets.handoff.mail.SmtpSettings, from [smtp], for e-mail destinations
    base: Path = Path(".")  # relative files are found beside the config file

    def named(self, name: str) -> Destination:
        return next(d for d in self.destinations if d.name == name)


def parse_duration(value: Any, setting: str) -> timedelta:
    """"30s", "15m", "24h", "7d" or a combination ("1h30m"); at least one second."""
    found = _DURATION.match(value) if isinstance(value, str) else None
    if not found or not any(found.groups()):
        raise ValueError(
            setting + ": " + _("{value} is not a duration like 30s, 15m, 24h or 7d").format(value=repr(value))
        )
    days, hours, minutes, seconds = (int(g or 0) for g in found.groups())
    duration = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    if duration < timedelta(seconds=1):
        raise ValueError(setting + ": " + _("{value} is shorter than one second").format(value=repr(value)))
    return duration


def read_secret_file(path: Path, setting: str) -> bytes:
    """A signing secret: the file's first line, at least 16 bytes, readable by its owner only."""
    secret = read_secret_line(path, setting)
    if len(secret) < MIN_SECRET:
        raise ValueError(
            setting + ": " + _("the secret in {path} is shorter than {count} bytes").format(path=path, count=MIN_SECRET)
        )
    return secret


def _url(value: Any, setting: str) -> str:
    parts = urlsplit(value) if isinstance(value, str) else None
    if parts is None or parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError(setting + ": " + _("{value} is not an https:// URL").format(value=repr(value)))
    if parts.scheme == "http" and parts.hostname not in _LOOPBACK:
        raise ValueError(
            setting + ": "
            + _("{value} must be https:// (plain http only to 127.0.0.1 or localhost)").format(value=repr(value))
        )
    if parts.username or parts.password:
        raise ValueError(
            setting + ": "
            + _("{value} carries a user or password; the signature authenticates").format(value=repr(value))
        )
    return value


def _destination(kind: str, entry: Any, index: int, base: Path) -> Destination:
    where = f"handoff.{kind}[{index}]"
    if not isinstance(entry, dict):
        raise ValueError(where + ": " + _("must be a table ([[handoff.{kind}]])").format(kind=kind))
    name = entry.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(
            where + ".name: "
            + _("{name} is not a name of letters, digits, '.', '_' or '-' (60 at most)").format(name=repr(name))
        )
    where = f"handoff.{kind} {name!r}"
    unknown = sorted(set(entry) - _KEYS[kind])
    if unknown:
        raise ValueError(
            where + ": "
            + _("unknown setting {name} (known: {known})").format(
                name=repr(unknown[0]), known=", ".join(sorted(_KEYS[kind]))
            )
        )
    retry_for = parse_duration(entry.get("retry_for", "24h"), f"{where}: retry_for")
    if kind == "email":
        return Destination(name, kind, retry_for)
    url = _url(entry.get("url"), f"{where}: url")
    secret_file = entry.get("secret_file")
    if not isinstance(secret_file, str) or not secret_file:
        raise ValueError(where + ": " + _("secret_file must name the file holding the signing secret"))
    path = Path(secret_file).expanduser()
    secret = read_secret_file(path if path.is_absolute() else base / path, f"{where}: secret_file")
    return Destination(name, kind, retry_for, url, secret)


def handoff_settings(table: Any, base: Path, smtp: Any = None) -> HandoffSettings:
    """The [handoff] table checked, with the [smtp] table when an e-mail destination needs it
    (tickets.handoff.mail); `base`: the config file's directory (relative paths)."""
    if table is None or table == {}:
        return HandoffSettings(base=base)
    if not isinstance(table, dict):
        raise ValueError("handoff: " + _("must be a table ([handoff])"))
    unknown = sorted(set(table) - _TABLE_KEYS)
    if unknown:
        raise ValueError(
            "handoff: "
            + _("unknown setting {name} (known: {known})").format(
                name=repr(unknown[0]), known=", ".join(sorted(_TABLE_KEYS))
            )
        )
    timeout = parse_duration(table.get("timeout", "10s"), "handoff: timeout")
    if timeout > timedelta(minutes=2):
        raise ValueError("handoff: timeout: " + _("at most 2m (one attempt must not hold its rows for long)"))
    lease = parse_duration(table.get("lease", "2m"), "handoff: lease")
    if lease < 2 * timeout:
        raise ValueError(
            "handoff: lease: " + _("at least twice the timeout (a relay must finish an attempt in its lease)")
        )
    destinations: list[Destination] = []
    for kind in KINDS:
        entries = table.get(kind, [])
        if not isinstance(entries, list):
            raise ValueError(f"handoff.{kind}: " + _("must be a list of tables ([[handoff.{kind}]])").format(kind=kind))
        destinations += [_destination(kind, entry, i, base) for i, entry in enumerate(entries)]
    names = [d.name for d in destinations]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(
            "handoff: "
            + _("the destination name {name} is used twice; names must be unique").format(name=repr(twice[0]))
        )
    mail_server = None
    if any(d.kind == "email" for d in destinations):
        if not smtp:
            raise ValueError("smtp: " + _("e-mail destinations need the [smtp] table (the mail server)"))
        from tickets.handoff.mail import smtp_settings_from

        mail_server = smtp_settings_from(smtp, base)  # its ValueError names the setting
    return HandoffSettings(tuple(destinations), timeout, lease, mail_server, base)
