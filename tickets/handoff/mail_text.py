"""What each e-mail says, in the desk's language, as one model rendered twice: plain text and
HTML (every value escaped). The words are the catalog's (tickets.i18n); rule IDs stand beside
them, as everywhere, where a date or a promise comes from a rule.

- filed: what was agreed on the phone, the ticket number, the dates (effective, reversal
  deadline, data deletion) with their rules, whether a supervisor reviews it first (X-2, V-8),
  and the self-service path where one applies (C-1, C-6, U-4, I-2);
- decided: approved, rejected, resolved or withdrawn (which one), and the dates again when the
  work goes ahead;
- migration_ready: to the migration's IT contact, the data is ready to download (M-3, M-4).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo

from tickets.desk_time import zone_key
from tickets.enums import STATUS_LABELS, Product, TicketKind, TicketStatus
from tickets.handoff.mail_facts import MailFacts
from tickets.kinds import KINDS
from tickets.policy.rules import C1_PATH, C6_PATH, I2_AD_CENTER, U4_PATH

__all__ = ["MailText", "decided_text", "filed_text", "migration_ready_text", "render_html", "render_plain"]

Gettext = Callable[[str], str]
K = TicketKind


@dataclass(frozen=True)
class MailText:
    """A mail's words: the subject, a greeting, paragraphs, then (label, value) lines, each line
    as the plain text writes it (`fact_line`: "Label: value", with the language's colon)."""

    language: str
    fact_line: str
    subject: str
    greeting: str
    paragraphs: tuple[str, ...]
    facts: tuple[tuple[str, str], ...]
    closing: str


def _ruled(text: str, *rules: str) -> str:
    return f"{text} ({', '.join(rules)})" if rules else text


def _moment(moment: datetime, zone: tzinfo) -> str:
    """An instant as the desk reads it: local wall time, the zone's name and its UTC offset."""
    local = moment.astimezone(zone)
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M} {zone_key(zone)} (UTC{offset[:3]}:{offset[3:]})"


def _agreed(f: MailFacts, _: Gettext) -> list[str]:
    """What the caller agreed to, kind by kind, with the rules it rests on."""
    name = f.subscription_name
    if f.kind is K.CANCEL_END_OF_TERM:
        return [_ruled(_("auto-renew of {name} is turned off: it expires at the end of its term and is no "
                         "longer billed").format(name=name), "C-1")]
    if f.kind is K.CANCEL_EARLY and f.product is Product.D365:
        return [_ruled(_("{name} is cancelled on the day you asked for").format(name=name), "V-1"),
                _ruled(_("the cancellation can be reversed within 30 days, with the same identity information "
                         "used to cancel"), "R-1")]
    if f.kind is K.CANCEL_EARLY:
        lines = [_ruled(_("{name} is cancelled before the end of its term").format(name=name), "C-4")]
        if f.fee_may_apply:
            lines.append(_ruled(_("early termination fees may apply"), "C-4"))
        return lines
    if f.kind is K.EXPEDITED_DEPROVISIONING:
        return [_ruled(_("{name} is cancelled and all its data deleted within 3 days of approval, instead of "
                         "after 90 days").format(name=name), "X-1", "X-2"),
                _ruled(_("nothing can be reversed once the data is deleted"), "X-3")]
    if f.kind is K.MIGRATION:
        lines = [_ruled(_("the data of {name} is migrated to on-premises first; the online subscription is "
                          "cancelled only after the migration is done").format(name=name), "M-1", "M-4")]
        if f.transfer_at is not None and f.it_contact:
            lines.append(_ruled(_("the data is transferred to a secure site at {time} and {contact} is told when "
                                  "it is ready to download").format(time=_moment(f.transfer_at, f.zone),
                                                                    contact=f.it_contact), "M-3"))
        return lines
    if f.kind is K.REVERSAL:
        return [_ruled(_("the cancellation of {name} is reversed").format(name=name), "R-1"),
                _ruled(_("a cancelled Internet Marketing campaign cannot be reinstated: it must be signed up "
                         "for again"), "R-2")]
    if f.kind is K.IMS_CANCELLATION:
        return [_ruled(_("the Internet Marketing service of {name} is cancelled: its search-engine ads and "
                         "their billing stop").format(name=name), "I-2")]
    # K.UNSUBSCRIBE_RESOURCE
    return [_ruled(_("the renewal resource {resource} of {name} is unsubscribed").format(
                       resource=f.resource_ref or "", name=name), "U-2"),
            _ruled(_("there is no handling fee; used cash coupons are returned, used discount coupons are "
                     "not"), "U-3")]


# The rule each kind's effective date comes from.
_EFFECTIVE_RULE = {K.CANCEL_END_OF_TERM: "C-1", K.CANCEL_EARLY: "C-4", K.EXPEDITED_DEPROVISIONING: "X-1",
                   K.IMS_CANCELLATION: "I-2", K.UNSUBSCRIBE_RESOURCE: "U-2", K.REVERSAL: "R-1"}


def _dates(f: MailFacts, _: Gettext) -> list[tuple[str, str]]:
    """T-1's dates, each with the rule it is counted by, and the zone its days are in."""
    rows: list[tuple[str, str]] = []
    if f.effective_date:
        rule = "V-1" if f.kind is K.CANCEL_EARLY and f.product is Product.D365 else _EFFECTIVE_RULE.get(f.kind)
        rows.append((_("Effective date"), _ruled(f.effective_date, *([rule] if rule else []))))
    if f.reversal_deadline:
        rows.append((_("Reversal deadline"), _ruled(f.reversal_deadline, "R-1")))
    if f.data_deletion_date:
        rule = "X-2" if f.kind is K.EXPEDITED_DEPROVISIONING else "C-8"
        rows.append((_("Data deletion date"), _ruled(f.data_deletion_date, rule)))
    elif f.kind is K.EXPEDITED_DEPROVISIONING:
        rows.append((_("Data deletion date"), _ruled(_("within 3 days after approval"), "X-2")))
    if f.kind is K.MIGRATION and f.transfer_at is not None:
        rows.append((_("Transfer time"), _ruled(_moment(f.transfer_at, f.zone), "M-3")))
    if rows:
        rows.append((_("Dates are days in"), zone_key(f.zone)))
    return rows


def _self_service(f: MailFacts, _: Gettext) -> str | None:
    paths = {"C-1": _(C1_PATH).format(name=f.subscription_name), "C-6": _(C6_PATH).format(name=f.subscription_name),
             "U-4": _(U4_PATH), "I-2": _(I2_AD_CENTER)}
    rule = f.self_service_rule
    if rule not in paths:
        return None
    return _ruled(_("Where you can do it yourself: {path}").format(path=paths[rule]), rule)


def _greeting(f: MailFacts, _: Gettext) -> str:
    return _("Dear {name},").format(name=f.caller_name) if f.caller_name else _("Hello,")


def _closing(f: MailFacts, _: Gettext) -> str:
    return _("Please quote the ticket number {ref} whenever you contact the support desk about this "
             "request.").format(ref=f.ref)


def _about(f: MailFacts, _: Gettext) -> str:
    # Inside a sentence that ends with a full stop: "Fabrikam Ltd." does not bring a second one.
    return _("{kind} of {name} ({subscription}) for {organization}").format(
        kind=_(KINDS[f.kind].label), name=f.subscription_name, subscription=f.subscription_ref,
        organization=f.organization_name).rstrip(".")


def _mail(language: str, _: Gettext, subject: str, greeting: str, paragraphs: list[str],
          facts: list[tuple[str, str]], closing: str) -> MailText:
    return MailText(language, _("{label}: {value}"), subject, greeting, tuple(paragraphs), tuple(facts), closing)


def filed_text(f: MailFacts, _: Gettext, language: str) -> MailText:
    paragraphs = [_("The support desk has filed your request: {about}.").format(about=_about(f, _)),
                  _("What was agreed:") + "\n" + "\n".join(f"- {line}" for line in _agreed(f, _))]
    if f.refund_requested:
        paragraphs.append(_ruled(_("You asked for a refund: it goes through support and review."), "C-4"))
    if f.status is TicketStatus.PENDING_REVIEW:
        review = _("A supervisor other than the agent who filed it reviews it before the work starts; you "
                   "will get another e-mail when it is decided.")
        paragraphs.append(_ruled(review, "X-2"))
    if f.needs_callback:
        paragraphs.append(_ruled(_("Before it is approved the desk calls you back at the phone number on "
                                   "file."), "V-8"))
    self_service = _self_service(f, _)
    if self_service:
        paragraphs.append(self_service)
    facts = [(_("Ticket number"), f.ref), (_("Status"), _(STATUS_LABELS[f.status])), *_dates(f, _)]
    subject = _("Ticket {ref}: your request is filed").format(ref=f.ref)
    return _mail(language, _, subject, _greeting(f, _), paragraphs, facts, _closing(f, _))


def decided_text(f: MailFacts, decision: TicketStatus, _: Gettext, language: str) -> MailText:
    about = _about(f, _)
    dates: list[tuple[str, str]] = []
    if decision is TicketStatus.APPROVED:
        lead = _("Your request {ref} has been approved: {about}. The work now goes ahead; you will get "
                 "another e-mail when it is done.").format(ref=f.ref, about=about)
        paragraphs = [lead, _("What was agreed:") + "\n" + "\n".join(f"- {line}" for line in _agreed(f, _))]
        dates = _dates(f, _)
    elif decision is TicketStatus.RESOLVED:
        lead = _("Your request {ref} is done: {about}.").format(ref=f.ref, about=about)
        paragraphs = [lead, _("What was done:") + "\n" + "\n".join(f"- {line}" for line in _agreed(f, _))]
        dates = _dates(f, _)
    elif decision is TicketStatus.REJECTED:
        paragraphs = [_("Your request {ref} has been rejected: {about}. Nothing changes for {name}; call the "
                        "support desk if you would like to know why or to talk about what else can be "
                        "done.").format(ref=f.ref, about=about, name=f.subscription_name)]
    else:  # withdrawn
        paragraphs = [_("Your request {ref} has been withdrawn: {about}. Nothing changes for {name}.").format(
            ref=f.ref, about=about, name=f.subscription_name)]
    facts = [(_("Ticket number"), f.ref), (_("Decision"), _(STATUS_LABELS[decision])), *dates]
    subject = _("Ticket {ref}: your request is {decision}").format(ref=f.ref, decision=_(STATUS_LABELS[decision]))
    return _mail(language, _, subject, _greeting(f, _), paragraphs, facts, _closing(f, _))


def migration_ready_text(f: MailFacts, _: Gettext, language: str) -> MailText:
    """M-3: to the IT contact the caller named, not to the caller."""
    paragraphs = [
        _ruled(_("The data of {name} ({subscription}) of {organization} has been transferred to a secure site "
                 "and is ready to download.").format(name=f.subscription_name, subscription=f.subscription_ref,
                                                     organization=f.organization_name), "M-3"),
        _("You receive this e-mail because {organization} named this address as the IT contact for the "
          "migration of {name} to on-premises.").format(organization=f.organization_name, name=f.subscription_name),
        _ruled(_("The online subscription is cancelled only after the migration is done."), "M-1", "M-4"),
    ]
    facts = [(_("Ticket number"), f.ref)]
    if f.transfer_at is not None:
        facts.append((_("Transfer time"), _ruled(_moment(f.transfer_at, f.zone), "M-3")))
    subject = _("Ticket {ref}: the data of {name} is ready to download").format(ref=f.ref, name=f.subscription_name)
    return _mail(language, _, subject, _("Hello,"), paragraphs, facts, _closing(f, _))


def render_plain(mail: MailText) -> str:
    lines = [mail.greeting, ""]
    for paragraph in mail.paragraphs:
        lines += [paragraph, ""]
    lines += [mail.fact_line.format(label=label, value=value) for label, value in mail.facts]
    lines += ["", mail.closing, ""]
    return "\n".join(lines)


def _h(value: str) -> str:
    """Text as HTML: escaped (quotes too), line breaks kept."""
    return html.escape(value, quote=True).replace("\n", "<br>\n")


def render_html(mail: MailText) -> str:
    parts = [f'<!DOCTYPE html>\n<html lang="{_h(mail.language)}">\n<head><meta charset="utf-8">'
             f"<title>{_h(mail.subject)}</title></head>\n<body>", f"<p>{_h(mail.greeting)}</p>"]
    for paragraph in mail.paragraphs:
        head, _sep, items = paragraph.partition("\n- ")
        if items:  # a lead line and its list
            entries = "".join(f"<li>{_h(item)}</li>" for item in items.split("\n- "))
            parts.append(f"<p>{_h(head)}</p>\n<ul>{entries}</ul>")
        else:
            parts.append(f"<p>{_h(paragraph)}</p>")
    if mail.facts:
        rows = "".join(f'<tr><th scope="row" style="text-align:left;padding-right:1em">{_h(label)}</th>'
                       f"<td>{_h(value)}</td></tr>" for label, value in mail.facts)
        parts.append(f"<table>{rows}</table>")
    parts.append(f"<p>{_h(mail.closing)}</p>\n</body>\n</html>\n")
    return "\n".join(parts)
