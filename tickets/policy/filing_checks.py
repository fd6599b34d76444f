"""What still blocks filing an allowed decision: the checklist, the fields the kind needs
(V-1 requested date, M-3 transfer time and IT contact, U-2 reason), and V-6 in free text."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import UTC, date, datetime, tzinfo

from email_validator import EmailNotValidError, validate_email

from identity import find_credential
from tickets.dates import as_utc, read_date, read_datetime
from tickets.desk_time import local_day
from tickets.enums import TicketKind
from tickets.i18n import _
from tickets.policy.results import Decision, Reason
from tickets.policy.shared import requested_date_problems


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def validate_filing(
    decision: Decision,
    *,
    confirmed: Collection[str],
    fields: Mapping[str, object],
    now: datetime,
    zone: tzinfo = UTC,
) -> list[Reason]:
    """What still blocks filing: an empty list means the ticket can be filed. "Today" is the
    desk's day (`zone`); times in `fields` are UTC instants (the filing converts typed ones)."""
    if not decision.allowed:
        return list(decision.reasons)
    now = as_utc(now)
    today = local_day(now, zone)
    out: list[Reason] = []
    done = set(confirmed)
    out += [Reason(item.rule, _("not yet confirmed with the caller: {text}").format(text=item.text))
            for item in decision.checklist if item.key not in done]
    required = decision.required_fields

    raw = fields.get("requested_date")
    if "requested_date" in required or not _missing(raw):
        out += _check_requested_date(decision, raw, today)
    out += migration_field_problems(required, fields, now, zone)
    if "reason" in required and _missing(fields.get("reason")):
        out.append(Reason("U-2", _("the unsubscription reason is required")))
    for name, value in fields.items():
        found = find_credential(value) if isinstance(value, str) else None
        if found:  # V-6: the one check identity gives every free-text field
            out.append(Reason("V-6", _("the {replace} {found}: never take a password, PIN or one-time code; "
                                       "remove it").format(replace=name.replace('_', ' '), found=found)))
    return out


def migration_field_problems(required: Collection[str], fields: Mapping[str, object],
                             now: datetime, zone: tzinfo = UTC) -> list[Reason]:
    """M-3 [D365]: a future transfer time and an IT contact's e-mail address, when required."""
    out: list[Reason] = []
    if "transfer_at" in required:
        raw = fields.get("transfer_at")
        when = read_datetime(raw)
        if _missing(raw):
            out.append(Reason("M-3", _("the transfer time is required")))
        elif when is None:
            out.append(Reason("M-3", _("the transfer time {raw!r} is not a date and time").format(raw=raw)))
        elif when <= now:
            out.append(Reason("M-3", _("the transfer time must be in the future: {astimezone:%Y-%m-%d %H:%M "
                                       "%Z} is not").format(astimezone=when.astimezone(zone))))
    if "it_contact" in required:
        raw = fields.get("it_contact")
        if _missing(raw):
            out.append(Reason("M-3", _("the IT contact's e-mail address is required")))
        else:
            try:
                validate_email(str(raw).strip(), check_deliverability=False)
            except EmailNotValidError as exc:
                out.append(Reason("M-3", _("the IT contact must be an e-mail address: {exc}").format(exc=exc)))
    return out


def _check_requested_date(decision: Decision, raw: object, today: date) -> list[Reason]:
    if _missing(raw):
        return [Reason("V-1", _("the day the customer wants {value} terminated is required").format(
                                  value=decision.subject_name or 'it'))]
    d = read_date(raw)
    if d is None:
        return [Reason("V-1", _("the requested date {raw!r} is not a date").format(raw=raw))]
    term_end = decision.requested_date_range[1] if decision.requested_date_range is not None else None
    out = requested_date_problems(d, today, term_end)
    c = decision.consequences
    if c is not None and decision.kind is TicketKind.CANCEL_EARLY and c.effective_date != d:
        computed = c.effective_date.isoformat() if c.effective_date else _("no date")
        out.append(Reason("T-1", _("the consequences were computed for {computed}, not {d}: decide again with "
                                   "the requested date before filing").format(computed=computed, d=d)))
    return out
