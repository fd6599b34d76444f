"""E-mail to callers: a confirmation when a ticket is filed and when it is decided, at the
caller's sign-in address, and a notice to a migration's IT contact when its data is ready (M-3).

The settings are the `[smtp]` table of the desk's TOML config:

    [smtp]
    host = "smtp.example.com"
    port = 587                          # default 587 (submission)
    starttls = true                     # default true; credentials are never sent without it
    username = "desk@example.com"       # optional: AUTH only when set
    password_file = "smtp-password"     # the password's file (owner-only), relative to the config's folder
    sender = "Support desk <desk@example.com>"
    timeout = 30                        # seconds, default 30
    ca_file = "relay-ca.pem"            # optional: a private CA for the relay's certificate

The password is never in the TOML itself nor on the command line (a process list shows that to
every user of the machine): only in a file that its owner alone can read, as libpq asks of
~/.pgpass. Sent with the standard library's smtplib; a failure says whether a later try may
succeed (4xx replies and connection trouble) or not (5xx replies, a refused certificate).
"""

from __future__ import annotations

import hashlib
import re
import smtplib
import ssl
from copy import deepcopy
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, getaddresses, parseaddr
from pathlib import Path
from typing import Any

from tickets.enums import TicketKind, TicketStatus
from tickets.handoff.mail_facts import DECISIONS, Event, MailFacts, read_facts
from tickets.handoff.mail_text import (
    MailText,
    decided_text,
    filed_text,
    migration_ready_text,
    render_html,
    render_plain,
)
from tickets.i18n import LANGUAGES, _, translations
from tickets.masking import mask_email
from tickets.secret_file import read_secret_text
from tickets.store.database import Store

__all__ = [
    "OCCASIONS",
    "DeliveryFailed",
    "SmtpSettings",
    "mail_for",
    "message_id",
    "send",
    "smtp_settings_from",
]

OCCASIONS = ("filed", "decided", "migration_ready")
DEFAULT_PORT = 587
DEFAULT_TIMEOUT = 30.0
_KEYS = ("host", "port", "starttls", "username", "password_file", "sender", "timeout", "ca_file")


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    sender: str  # the From address ("Support desk <desk@example.com>" or a bare address)
    port: int = DEFAULT_PORT
    starttls: bool = True
    username: str | None = None
    password: str | None = field(default=None, repr=False)  # read from password_file, never typed
    timeout: float = DEFAULT_TIMEOUT
    ca_file: Path | None = None

    @property
    def sender_address(self) -> str:
        return parseaddr(self.sender)[1]


class DeliveryFailed(Exception):
    """A mail was not accepted. `retryable`: a later try may succeed (a 4xx reply, a dropped or
    refused connection, a timeout); not for a 5xx reply or a certificate or setting refused.
    `reason` names no recipient in full (addresses masked as exports mask them, E-1)."""

    def __init__(self, reason: str, retryable: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


# --- the settings ---------------------------------------------------------------------------

def _address_ok(value: str) -> bool:
    name, address = parseaddr(value)
    local, _at, domain = address.rpartition("@")
    return bool(local and domain and "." in domain) and not re.search(r"[\s<>]", address) \
        and not any(c in value for c in "\r\n")


def _path(value: Any, key: str, base: Path) -> Path:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"smtp.{key}: " + _("must be a file path"))
    path = Path(value).expanduser()
    return path if path.is_absolute() else base / path


def smtp_settings_from(table: dict, base: Path) -> SmtpSettings:
    """The `[smtp]` table of the desk's config as settings; `base` is the config file's folder
    (a relative password_file or ca_file is found there). ValueError: one sentence naming the
    setting and what it must be."""
    if not isinstance(table, dict):
        raise ValueError("smtp: " + _("must be a table ([smtp]) of settings"))
    if "password" in table:
        raise ValueError("smtp.password: " + _("a password is never kept in the config file; put it in a file only "
                                               "its owner can read and name that file in smtp.password_file"))
    unknown = sorted(set(table) - set(_KEYS))
    if unknown:
        raise ValueError(
            f"smtp.{unknown[0]}: " + _("not a setting; the [smtp] settings are {known}").format(known=", ".join(_KEYS))
        )
    host = table.get("host")
    if not isinstance(host, str) or not host.strip() or re.search(r"\s", host.strip()):
        raise ValueError("smtp.host: " + _("the mail server's host name is required, e.g. host = \"smtp.example.com\""))
    port = table.get("port", DEFAULT_PORT)
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise ValueError(
            "smtp.port: " + _("must be a whole number from 1 to 65535, not {value}").format(value=repr(port))
        )
    starttls = table.get("starttls", True)
    if not isinstance(starttls, bool):
        raise ValueError("smtp.starttls: " + _("must be true or false, not {value}").format(value=repr(starttls)))
    sender = table.get("sender")
    if not isinstance(sender, str) or not _address_ok(sender):
        raise ValueError("smtp.sender: " + _("the From address is required, e.g. sender = \"Support desk "
                                             "<desk@example.com>\""))
    timeout = table.get("timeout", DEFAULT_TIMEOUT)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout <= 600:
        raise ValueError(
            "smtp.timeout: "
            + _("must be a number of seconds above 0 and at most 600, not {value}").format(value=repr(timeout))
        )
    username = table.get("username")
    if username is not None and (not isinstance(username, str) or not username.strip()):
        raise ValueError("smtp.username: " + _("must be the account name the server signs the desk in with"))
    password_file = table.get("password_file")
    if username is not None and not starttls:
        raise ValueError("smtp.username: " + _("credentials are sent only over an encrypted connection: set "
                                               "smtp.starttls = true"))
    if username is not None and password_file is None:
        raise ValueError("smtp.password_file: " + _("required with smtp.username (the password is never in the "
                                                    "config file or on the command line)"))
    if password_file is not None and username is None:
        raise ValueError("smtp.password_file: " + _("given without smtp.username, so it would never be used"))
    password = None
    if password_file is not None:
        password = read_secret_text(_path(password_file, "password_file", base), "smtp.password_file")
    ca_file = None
    if "ca_file" in table:
        ca_file = _path(table["ca_file"], "ca_file", base)
        if not ca_file.is_file():
            raise ValueError("smtp.ca_file: " + _("{path} does not exist").format(path=ca_file))
    return SmtpSettings(host=host.strip(), sender=sender.strip(), port=port, starttls=starttls,
                        username=username.strip() if username else None, password=password,
                        timeout=float(timeout), ca_file=ca_file)


# --- the message ----------------------------------------------------------------------------

def message_id(ticket_ref: str, occasion: str, seq: int, domain: str = "deskapp.invalid") -> str:
    """Stable: the same ticket, occasion and audit event give the same Message-ID, so a re-sent
    mail is recognisable as the same message (and a receiving system may drop the copy)."""
    return f"<{ticket_ref}.{occasion}.{seq}@{domain}>"


def _decision(facts: MailFacts, event_seq: int | None) -> tuple[TicketStatus, Event]:
    decisions = [e for e in facts.events if e.action in DECISIONS]
    if event_seq is not None:
        decisions = [e for e in decisions if e.seq == event_seq]
        if not decisions:
            raise ValueError("event_seq: " + _("{seq} is no decision on {ref} (approved, rejected, resolved or "
                                               "withdrawn)").format(seq=event_seq, ref=facts.ref))
    if not decisions:
        raise ValueError("occasion: " + _("{ref} is {status}, not yet decided").format(
            ref=facts.ref, status=facts.status.label) + " (T-2)")
    return DECISIONS[decisions[-1].action], decisions[-1]


def mail_for(store: Store, ticket_number: str, occasion: str, language: str, *,
             event_seq: int | None = None, domain: str = "deskapp.invalid") -> EmailMessage | None:
    """The e-mail for one occasion of a ticket, in `language` ("en" or "zh-CN"): multipart/
    alternative, text/plain then text/html, To the caller's sign-in address (the IT contact's for
    "migration_ready", M-3), without From (send() sets the configured sender). None when there
    is no address to send to.

    occasion: "filed"; "decided" (the ticket's latest decision, or the one recorded by audit
    event `event_seq`: approved, rejected, resolved or withdrawn); "migration_ready" (a resolved
    migration: its data was transferred). The Message-ID is made of the ticket number, the
    occasion and that event's audit sequence (message_id). ValueError for an unknown occasion or
    language, a ticket that does not exist, or an occasion the ticket has not reached."""
    if occasion not in OCCASIONS:
        raise ValueError("occasion: " + _("must be one of {known}, not {value}").format(
            known=", ".join(OCCASIONS), value=repr(occasion)))
    if language not in LANGUAGES:
        raise ValueError("language: " + _("must be one of {known}, not {value}").format(
            known=", ".join(LANGUAGES), value=repr(language)))
    facts = read_facts(store, ticket_number)
    gettext = translations(language).gettext
    text: MailText
    if occasion == "filed":
        event = facts.event("ticket.filed")
        if event is None:
            raise ValueError("occasion: " + _("{ref} has no filing event").format(ref=facts.ref))
        to, text = facts.caller_address, filed_text(facts, gettext, language)
    elif occasion == "decided":
        decision, event = _decision(facts, event_seq)
        to, text = facts.caller_address, decided_text(facts, decision, gettext, language)
    else:
        if facts.kind is not TicketKind.MIGRATION:
            raise ValueError("occasion: " + _("{ref} is no migration to on-premises").format(ref=facts.ref) + " (M-3)")
        ready = facts.event("ticket.resolved")
        if ready is None:
            raise ValueError("occasion: " + _("the migration {ref} is {status}: its data is not transferred yet")
                             .format(ref=facts.ref, status=facts.status.label) + " (M-3)")

        event = ready
        to, text = facts.it_contact, migration_ready_text(facts, gettext, language)
    if not to:
        return None
    message = EmailMessage(policy=SMTP)
    message["To"] = to
    message["Subject"] = " ".join(text.subject.split())  # a name's line break never splits a header
    message["Date"] = format_datetime(event.at)
    message["Message-ID"] = message_id(facts.ref, occasion, event.seq, domain)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to it
    plain, html = render_plain(text), render_html(text)
    message.set_content(plain)
    message.add_alternative(html, subtype="html")
    message["Content-Language"] = language  # after the parts: set_content drops Content-* headers
    # A boundary made of the parts themselves (no text holds its own digest), so the same mail
    # built twice is the same bytes, not only the same Message-ID.
    message.set_boundary("==deskapp-" + hashlib.sha256((plain + "\0" + html).encode()).hexdigest()[:32])
    return message


# --- sending --------------------------------------------------------------------------------

_ADDRESS = re.compile(r"[^\s<>\"'@]+@[^\s<>\"']+")


def _masked(text: str) -> str:
    return _ADDRESS.sub(lambda m: mask_email(m.group(0)) or "", text)


def _reply(error: smtplib.SMTPResponseException, host: str) -> DeliveryFailed:
    said = error.smtp_error.decode("utf-8", "replace") if isinstance(error.smtp_error, bytes) else str(error.smtp_error)
    code = int(error.smtp_code)
    return DeliveryFailed(_masked(f"{host} answered {code}: {' '.join(said.split())}"[:300]), 400 <= code < 500)


def send(settings: SmtpSettings, message: EmailMessage) -> None:
    """Hand `message` to the configured server (From: settings.sender when the message has none).
    STARTTLS first when set (the server must offer it, and its certificate must verify); AUTH
    only when a username is set, and never over an unencrypted connection. DeliveryFailed says
    why and whether to try again."""
    if settings.username and not settings.starttls:
        raise DeliveryFailed("smtp.username is set without smtp.starttls: credentials are never sent over an "
                             "unencrypted connection", False)
    message = deepcopy(message)
    if message["From"] is None:
        message["From"] = settings.sender
    recipients = [address for _name, address in getaddresses(message.get_all("To", []) + message.get_all("Cc", []))
                  if address]
    if not recipients:
        raise DeliveryFailed("the message has no recipient", False)
    host = f"{settings.host}:{settings.port}"
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as smtp:
            smtp.ehlo()
            if settings.starttls:
                if not smtp.has_extn("starttls"):
                    raise DeliveryFailed(f"{host} does not offer STARTTLS, which smtp.starttls requires", False)
                context = ssl.create_default_context(cafile=str(settings.ca_file) if settings.ca_file else None)
                smtp.starttls(context=context)
                smtp.ehlo()
            if settings.username:
                smtp.login(settings.username, settings.password or "")
            refused = smtp.send_message(message, from_addr=settings.sender_address, to_addrs=recipients)
    except smtplib.SMTPRecipientsRefused as error:
        codes = sorted({int(code) for code, _said in error.recipients.values()})
        raise DeliveryFailed(f"{host} refused every recipient ({', '.join(map(str, codes))})",
                             bool(codes) and all(400 <= c < 500 for c in codes)) from None
    except smtplib.SMTPResponseException as error:
        raise _reply(error, host) from None
    except ssl.SSLCertVerificationError as error:
        raise DeliveryFailed(f"{host}: its certificate is refused ({error.verify_message}); name the CA in "
                             "smtp.ca_file if it is a private one", False) from None
    except smtplib.SMTPNotSupportedError as error:
        raise DeliveryFailed(_masked(f"{host}: {error}"), False) from None
    except (smtplib.SMTPException, OSError) as error:  # OSError: refused, reset, timed out
        raise DeliveryFailed(_masked(f"{host}: {type(error).__name__}: {error}"[:300]), True) from None
    if refused:
        codes = sorted({code for code, _said in refused.values()})
        raise DeliveryFailed(f"{host} accepted the message but refused {len(refused)} recipient(s) "
                             f"({', '.join(map(str, codes))})", all(400 <= c < 500 for c in codes))
