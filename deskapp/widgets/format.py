"""Turning the core's results into text for agents: dates, decisions, consequences.

Everything returns `textual.content.Content` styled with theme variables ($text-success,
$text-error ...), so it reads in light and dark themes, and never interprets markup inside
directory or typed values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from textual.content import Content

from tickets.i18n import N_, _

OK = "$text-success"
BAD = "$text-error"
WARN = "$text-warning"
MUTED = "$text-muted"
HEAD = "bold $text-primary"


# The desk's time zone (deskapp.config's time_zone), set by the app when it starts: every
# instant is shown in it; the store and exports stay UTC.
_desk_zone: tzinfo = UTC


def set_desk_zone(zone: tzinfo) -> None:
    global _desk_zone
    _desk_zone = zone


def desk_zone() -> tzinfo:
    return _desk_zone


def local(value: datetime) -> datetime:
    """An aware instant in the desk's time zone."""
    return value.astimezone(_desk_zone)


def when(value: datetime | None) -> str:
    """An instant as the desk reads it: its own time zone (named), to the minute."""
    if value is None:
        return "—"
    return local(value).strftime("%Y-%m-%d %H:%M %Z")


def table_time(value: datetime | None) -> str:
    """An instant in a table cell: to the minute, unnamed (the header names the desk's zone once)."""
    if value is None:
        return ""
    return local(value).strftime("%Y-%m-%d %H:%M")


def zone_name(value: datetime) -> str:
    """The desk zone's abbreviation at that instant ('CST', 'PDT', 'UTC')."""
    return local(value).strftime("%Z")


def clock_time(value: datetime, *, seconds: bool = False) -> str:
    """The time of day at the desk, e.g. '09:05 CST'."""
    return local(value).strftime("%H:%M:%S %Z" if seconds else "%H:%M %Z")


def day(value: date | str | None) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, datetime):
        return local(value).date().isoformat()
    return value.isoformat() if isinstance(value, date) else str(value)


def label(text: str) -> str:
    """Enum values ("pending_review") as words ("pending review")."""
    return str(text).replace("_", " ")


# The directory's states, channels and platforms as words (tickets.enums values), for the
# catalog: word() shows them in the desk's language.
WORDS = (
    N_("active"), N_("cancelled"), N_("expired"), N_("deleted"), N_("running"), N_("paused"),
    N_("online"), N_("product key"), N_("open"), N_("fpp"), N_("trial"), N_("inactive"), N_("unsubscribed"),
    N_("online services"), N_("commerce transaction"),
)


def word(value: str) -> str:
    """An enum value in the desk's words and language ("product_key" -> "product key")."""
    return _(label(value))


def lines(items: Iterable[Content | str]) -> Content:
    return Content("\n").join(list(items))


def field_line(name: str, value: Any, style: str = "") -> Content:
    return Content.assemble((f"{name}: ", "bold"), (str(value), style))


def reason_lines(reasons: Iterable[Any], style: str = "", indent: str = "  ") -> list[Content]:
    """Reasons as "C-3: plain words" lines (policy.Reason or dicts from a stored ticket)."""
    out = []
    for reason in reasons:
        rule = reason["rule"] if isinstance(reason, Mapping) else reason.rule
        text = reason["text"] if isinstance(reason, Mapping) else reason.text
        out.append(Content.assemble(indent, (f"{rule}: ", "bold " + style if style else "bold"), (text, style)))
    return out


def decision_heading(decision: Any, name: str) -> Content:
    if decision.allowed:
        return Content.assemble(("✓ ", OK), (name, "bold"), (_(" — allowed"), OK))
    return Content.assemble(("✗ ", BAD), (name, "bold"), (_(" — refused"), BAD))


def decision_content(decision: Any, name: str) -> Content:
    """A kind allowed or refused, with every reason in plain words and its rule ID."""
    parts = [decision_heading(decision, name)]
    parts += reason_lines(decision.reasons, "" if decision.allowed else BAD, indent="   ")
    return lines(parts)


CONSEQUENCE_FIELDS: Sequence[tuple[str, str]] = (
    ("effective_date", N_("Effective date")),
    ("early_termination_fee_may_apply", N_("Early termination fee")),
    ("refund", N_("Refund")),
    ("data_deletion_date", N_("Data deletion date")),
    ("data_deletion_note", N_("Data deletion")),
    ("reversal_deadline", N_("Reversal deadline")),
    ("self_service", N_("Self-service")),
    ("routing_queue", N_("Routed to")),
    ("coupon_handling", N_("Coupons")),
)


def consequences_content(
    consequences: Mapping[str, Any] | None, *, needs_review: bool = False, needs_callback: bool = False
) -> Content:
    """T-1: the computed dates and what follows, from `Consequences.as_dict()` or a ticket."""
    if not consequences:
        return Content.styled(_("No consequences: the ticket cannot be filed as it is."), MUTED)
    parts: list[Content] = []
    for key, name_ in CONSEQUENCE_FIELDS:
        name = _(name_)
        value = consequences.get(key)
        if key == "early_termination_fee_may_apply":
            parts.append(field_line(name, _("may apply (C-4)") if value else _("none"), WARN if value else ""))
            continue
        if value in (None, ""):
            if key in ("effective_date", "data_deletion_date", "reversal_deadline"):
                parts.append(field_line(name, "—", MUTED))
            continue
        if key == "routing_queue":
            value = _(value)  # the queue's name is stored in English (tickets.policy.rules)
        parts.append(field_line(name, day(value) if key.endswith(("date", "deadline")) else value))
    parts.append(
        field_line(_("Supervisor review"), _("needed (X-2 four eyes)") if needs_review else _("not needed"),
                   WARN if needs_review else "")
    )
    parts.append(
        field_line(_("Callback"), _("needed to the number on file (V-8)") if needs_callback else _("not needed"),
                   WARN if needs_callback else "")
    )
    notes = consequences.get("notes") or []
    if notes:
        parts.append(Content.styled(_("Notes"), "bold"))
        parts += reason_lines(notes)
    return lines(parts)


# --- the desk's words for the core's names ------------------------------------------------------

FIELD_LABELS: Mapping[str, str] = {
    "user_id": N_("User ID"),
    "phone": N_("Phone"),
    "contact_first_name": N_("Primary contact's first name"),
    "contact_last_name": N_("Primary contact's last name"),
    "org_name": N_("Organization name"),
    "org_url": N_("Organization URL"),
    "address": N_("Address"),
    "address.street": N_("Street"),
    "address.city": N_("City"),
    "address.region": N_("Region"),
    "address.postal_code": N_("Postcode"),
    "address.country": N_("Country"),
    "requested_date": N_("Requested date"),
    "transfer_at": N_("Transfer time"),
    "it_contact": N_("IT contact e-mail"),
    "reason": N_("Reason"),
    "note": N_("Note"),
    "refund_requested": N_("Refund requested"),
    "resource_refs": N_("Renewal resources"),
    "idempotency_key": N_("Filing key"),
    "pin": N_("PIN"),
    "name": N_("Sign-in name"),
    "display_name": N_("Display name"),
    "role": N_("Role"),
    "search": N_("Search"),
}

def field_label(key: str) -> str:
    """A field as the desk names it ("org_name" -> "Organization name")."""
    known = FIELD_LABELS.get(key)
    return _(known) if known else label(key).capitalize()


def role_label(role: str) -> str:
    """A caller's role as the desk says it (tickets.enums.Role.label)."""
    from tickets.enums import Role

    try:
        return Role(str(role)).label
    except ValueError:
        return label(role)


def roles_text(roles: Iterable[str]) -> str:
    return _(", ").join(role_label(r) for r in roles) or _("no admin role")


def field_value(key: str, value: Any) -> str:
    """A stored ticket field's value in words (True -> "yes", an instant -> UTC to the minute)."""
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    from tickets.dates import read_datetime
    from tickets.kinds import FORM_FIELDS, FieldType

    spec = FORM_FIELDS.get(key)
    if spec is not None and spec.type is FieldType.DATETIME and isinstance(value, str):
        moment = read_datetime(value)
        return when(moment) if moment is not None else value
    return str(value)


def error_text(error: BaseException) -> str:
    """A core error in the desk's words: fields by their labels, the rule kept beside."""
    errors = getattr(error, "errors", None)
    if isinstance(errors, Mapping):
        return "; ".join(f"{field_label(str(k))}: {v}" for k, v in errors.items())
    return str(error)


def one_sentence(texts: list[str]) -> str:
    """Sentences of one checklist item across a batch (U-2: one per resource) said once: the
    words they share, with what differs listed in between, e.g. "the caller confirms
    unsubscribing from A (RES-1); B (RES-2) for the reason given". Identical ones are one."""
    unique = list(dict.fromkeys(texts))
    if len(unique) <= 1:
        return unique[0] if unique else ""
    words = [text.split(" ") for text in unique]
    start = 0
    while all(len(w) > start + 1 and w[start] == words[0][start] for w in words):
        start += 1
    end = 0
    while all(len(w) - end - 1 > start and w[-1 - end] == words[0][-1 - end] for w in words):
        end += 1

    def balanced(s: int, e: int) -> bool:  # never cut inside "(RES-1, effective ...)"
        return all(" ".join(w[s:len(w) - e]).count("(") == " ".join(w[s:len(w) - e]).count(")") for w in words)

    while end and not balanced(start, end):
        end -= 1
    while start and not balanced(start, end):
        start -= 1
    head = " ".join(words[0][:start])
    tail = " ".join(words[0][len(words[0]) - end:]) if end else ""
    middles = "; ".join(" ".join(w[start:len(w) - end]) for w in words)
    return " ".join(part for part in (head, middles, tail) if part)
