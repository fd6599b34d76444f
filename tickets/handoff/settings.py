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
import stat
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

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
        raise ValueError(f"{setting}: {value!r} is not a duration like 30s, 15m, 24h or 7d")
    days, hours, minutes, seconds = (int(g or 0) for g in found.groups())
    duration = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    if duration < timedelta(seconds=1):
        raise ValueError(f"{setting}: {value!r} is shorter than one second")
    return duration


def read_secret_file(path: Path, setting: str) -> bytes:
    """A signing secret: the file's first line, at least 16 bytes, readable by its owner only."""
    try:
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise ValueError(f"{setting}: {path} can be read by other users; chmod 600 {path}")
        with path.open("rb") as stream:
            secret = stream.readline().rstrip(b"\r\n")
    except OSError as error:
        raise ValueError(f"{setting}: cannot read {path}: {error.strerror}") from None
    if len(secret) < MIN_SECRET:
        raise ValueError(f"{setting}: the secret in {path} is shorter than {MIN_SECRET} bytes")
    return secret


def _url(value: Any, setting: str) -> str:
    parts = urlsplit(value) if isinstance(value, str) else None
    if parts is None or parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError(f"{setting}: {value!r} is not an https:// URL")
    if parts.scheme == "http" and parts.hostname not in _LOOPBACK:
        raise ValueError(f"{setting}: {value!r} must be https:// (plain http only to 127.0.0.1 or localhost)")
    if parts.username or parts.password:
        raise ValueError(f"{setting}: {value!r} carries a user or password; the signature authenticates")
    return value


def _destination(kind: str, entry: Any, index: int, base: Path) -> Destination:
    where = f"handoff.{kind}[{index}]"
    if not isinstance(entry, dict):
        raise ValueError(f"{where}: must be a table ([[handoff.{kind}]])")
    name = entry.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"{where}.name: {name!r} is not a name of letters, digits, '.', '_' or '-' (60 at most)")
    where = f"handoff.{kind} {name!r}"
    unknown = sorted(set(entry) - _KEYS[kind])
    if unknown:
        raise ValueError(f"{where}: unknown setting {unknown[0]!r} (known: {', '.join(sorted(_KEYS[kind]))})")
    retry_for = parse_duration(entry.get("retry_for", "24h"), f"{where}: retry_for")
    if kind == "email":
        return Destination(name, kind, retry_for)
    url = _url(entry.get("url"), f"{where}: url")
    secret_file = entry.get("secret_file")
    if not isinstance(secret_file, str) or not secret_file:
        raise ValueError(f"{where}: secret_file must name the file holding the signing secret")
    path = Path(secret_file).expanduser()
    secret = read_secret_file(path if path.is_absolute() else base / path, f"{where}: secret_file")
    return Destination(name, kind, retry_for, url, secret)


def handoff_settings(table: Any, base: Path, smtp: Any = None) -> HandoffSettings:
    """The [handoff] table checked, with the [smtp] table when an e-mail destination needs it
    (tickets.handoff.mail); `base`: the config file's directory (relative paths)."""
    if table is None or table == {}:
        return HandoffSettings(base=base)
    if not isinstance(table, dict):
        raise ValueError("handoff: must be a table ([handoff])")
    unknown = sorted(set(table) - _TABLE_KEYS)
    if unknown:
        raise ValueError(f"handoff: unknown setting {unknown[0]!r} (known: {', '.join(sorted(_TABLE_KEYS))})")
    timeout = parse_duration(table.get("timeout", "10s"), "handoff: timeout")
    if timeout > timedelta(minutes=2):
        raise ValueError("handoff: timeout: at most 2m (one attempt must not hold its rows for long)")
    lease = parse_duration(table.get("lease", "2m"), "handoff: lease")
    if lease < 2 * timeout:
        raise ValueError("handoff: lease: at least twice the timeout (a relay must finish an attempt in its lease)")
    destinations: list[Destination] = []
    for kind in KINDS:
        entries = table.get(kind, [])
        if not isinstance(entries, list):
            raise ValueError(f"handoff.{kind}: must be a list of tables ([[handoff.{kind}]])")
        destinations += [_destination(kind, entry, i, base) for i, entry in enumerate(entries)]
    names = [d.name for d in destinations]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"handoff: the destination name {twice[0]!r} is used twice; names must be unique")
    mail_server = None
    if any(d.kind == "email" for d in destinations):
        if not smtp:
            raise ValueError("smtp: e-mail destinations need the [smtp] table (the mail server)")
        from tickets.handoff.mail import smtp_settings_from

        mail_server = smtp_settings_from(smtp, base)  # its ValueError names the setting
    return HandoffSettings(tuple(destinations), timeout, lease, mail_server, base)
