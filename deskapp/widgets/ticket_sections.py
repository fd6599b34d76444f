"""A stored ticket (tickets.store.queries.TicketDetail) as the desk reads it, section by section: shared
by the ticket view and the review queue, so both say the same thing in the same words."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from textual.content import Content

from deskapp.widgets.format import (
    BAD,
    HEAD,
    MUTED,
    OK,
    WARN,
    consequences_content,
    day,
    desk_zone,
    field_label,
    field_line,
    field_value,
    label,
    lines,
    when,
)
from tickets.i18n import N_, _

if TYPE_CHECKING:  # pragma: no cover
    from tickets.agents import AgentInfo
    from tickets.store.queries import HistoryEntry, NoteEntry, TicketDetail

# What each audit action on a ticket means, as a sentence about its actor.
EVENT_WORDS: Mapping[str, str] = {
    "ticket.filed": N_("filed the ticket"),
    "ticket.callback_recorded": N_("recorded the callback to the number on file (V-8)"),
    "ticket.approved": N_("approved it (X-2)"),
    "ticket.rejected": N_("rejected it (T-2)"),
    "ticket.in_progress": N_("started work on it (T-2)"),
    "ticket.resolved": N_("resolved it (T-2)"),
    "ticket.withdrawn": N_("withdrew it (T-2)"),
    "ticket.noted": N_("added an internal note"),
}
_SHOWN_APART = ("reason", "requested_date", "resource_ref")  # fields with their own lines


def status_label(value: str) -> str:
    from tickets.enums import TicketStatus

    try:
        return TicketStatus(value).label
    except ValueError:
        return label(value)


def confirmed_sentences(d: TicketDetail) -> list[str]:
    """What the caller confirmed, as the sentences read to them (recorded with the filing);
    tickets filed before the sentences were recorded show their items' names."""
    filed = next((e for e in d.history if e.action == "ticket.filed"), None)
    sentences = filed.details.get("confirmed") if filed is not None else None
    if sentences:
        return [str(s) for s in sentences]
    return [label(key) for key in d.checklist]


def checklist_content(d: TicketDetail) -> Content:
    items = confirmed_sentences(d)
    if not items:
        return Content.styled(_("  nothing to confirm for this ticket"), MUTED)
    return lines([Content.assemble("  ", ("✓ ", OK), item) for item in items])


def extra_fields(d: TicketDetail) -> list[Content]:
    """The kind's own fields (transfer time, IT contact, refund, note) with their labels."""
    return [
        field_line(field_label(key), field_value(key, value))
        for key, value in d.fields.items()
        if key not in _SHOWN_APART and value not in (None, "", False)
    ]


def history_content(entries: tuple[HistoryEntry, ...], notes: tuple[NoteEntry, ...] = ()) -> Content:
    """A-1: every event on the ticket, oldest first, in sentences; an internal note's text
    under its event (the event holds only its length and digest)."""
    if not entries:
        return Content.styled(_("  no events"), MUTED)
    by_id = {note.id: note for note in notes}
    parts: list[Content | str] = []
    for entry in entries:
        details = entry.details
        known = EVENT_WORDS.get(entry.action)
        words = _(known) if known is not None else label(entry.action.split(".", 1)[-1])
        parts.append(Content.assemble((f"{when(entry.at)}  ", MUTED), (entry.actor, "bold"), f" {words}"))
        if entry.action == "ticket.noted":
            note = by_id.get(details.get("note_id", 0))
            parts.append(Content.assemble("  ", (_("Note: "), "bold"), note.text) if note is not None
                         else Content.styled(_("  the note is missing from the store"), BAD))
            continue
        if entry.action == "ticket.filed" and details.get("status"):
            parts.append(Content.styled(_("  as {status_label}").format(
                status_label=status_label(details['status'])), MUTED))
        elif "from" in details and "to" in details:
            parts.append(Content.styled(
                f"  {status_label(details['from'])} → {status_label(details['to'])}", MUTED))
        if details.get("confirmed"):
            parts.append(Content.styled(_("  the caller confirmed:"), MUTED))
            parts += [Content.assemble("    ", ("✓ ", OK), str(sentence)) for sentence in details["confirmed"]]
        if details.get("data_deletion_date"):
            parts.append(Content.styled(_("  all its data is deleted on {details}").format(
                                            details=details['data_deletion_date']), WARN))
        if details.get("reason"):
            parts.append(Content.assemble("  ", (_("Reason: "), "bold"), str(details["reason"])))
    return lines(parts)


def callback_number(d: TicketDetail) -> str:
    """V-8: whom to call back and on which number on file (never a number typed on the call)."""
    if not d.callback_phone:
        return _("the phone number on file (no verified caller is recorded on this ticket)")
    if d.caller_name:
        return _("{name} on {phone}, the number on file").format(name=d.caller_name, phone=d.callback_phone)
    return _("{phone}, the number on file").format(phone=d.callback_phone)


# --- the review queue's sections -------------------------------------------------------------


def problems(d: TicketDetail, target: Any, agent: AgentInfo | None) -> list[str]:
    """The core's own rules (tickets.lifecycle.transition_problems) for what the screen shows."""
    from tickets.lifecycle import transition_problems

    if agent is None:
        return [_("sign in first")]
    ticket = SimpleNamespace(
        status=d.row.status.value,
        filed_by_id=d.filed_by_id,
        needs_callback=d.needs_callback,
        callback_at=d.callback_at,
    )
    return transition_problems(ticket, target, agent)  # type: ignore[arg-type]


def blockers(d: TicketDetail, agent: AgentInfo | None) -> Content:
    from tickets.enums import TicketStatus

    if d.row.status is not TicketStatus.PENDING_REVIEW:
        return Content("")
    approve = problems(d, TicketStatus.APPROVED, agent)
    reject = problems(d, TicketStatus.REJECTED, agent)
    if not approve and not reject:
        return Content.styled(_("You can approve (a) or reject (j) this ticket."), OK)
    parts: list[Content | str] = []
    if approve:
        parts.append(Content.styled(_("You cannot approve this ticket:"), BAD + " bold"))
        parts += [Content.styled(f"  • {p}", BAD) for p in approve]
    if reject:
        parts.append(Content.styled(_("You cannot reject this ticket:"), BAD + " bold"))
        parts += [Content.styled(f"  • {p}", BAD) for p in reject if p]
    return lines(parts)


def summary(d: TicketDetail) -> Content:
    from tickets.enums import TicketStatus

    r = d.row
    status_style = WARN if r.status is TicketStatus.PENDING_REVIEW else (
        OK if r.status is TicketStatus.APPROVED else BAD if r.status is TicketStatus.REJECTED else "")
    subscription = f"{d.subscription_name} ({r.subscription_ref})"
    if d.resource_ref:
        subscription = _("{subscription}, resource {resource}").format(
            subscription=subscription, resource=d.resource_ref)
    parts: list[Content | str] = [
        Content.styled(f"{r.ref} · {r.kind.label}", HEAD),
        field_line(_("Status"), r.status.label, status_style),
        field_line(_("Organization"), f"{r.organization_name} ({r.organization_ref})"),
        field_line(_("Subscription"), subscription),
        field_line(_("Filed by"), _("{agent} at {time}").format(agent=r.filed_by, time=when(r.created_at))),
    ]
    if d.requested_date:
        parts.append(field_line(_("Requested date"), day(d.requested_date)))
    if d.reason:
        parts.append(field_line(_("Agent's reason"), d.reason))
    parts += extra_fields(d)
    if d.rules:
        parts.append(field_line(_("Rules"), ", ".join(d.rules), MUTED))
    return lines(parts)


def decision(d: TicketDetail) -> Content:
    if d.decided_by is None:
        return Content("")
    from tickets.enums import TicketStatus

    approved = d.row.status is not TicketStatus.REJECTED
    sentence = _("Approved by {decided_by} at {time}") if approved else _("Rejected by {decided_by} at {time}")
    parts: list[Content | str] = [
        Content.styled(sentence.format(decided_by=d.decided_by, time=when(d.decided_at)),
                       (OK if approved else BAD) + " bold")
    ]
    if d.decision_reason:
        parts.append(field_line((_("Note") if approved else _("Reason")), d.decision_reason))
    return lines(parts)


def verification(d: TicketDetail) -> Content:
    parts: list[Content | str] = [Content.styled(_("Verification (V-1 .. V-5)"), "bold")]
    if d.verified_at is None:
        parts.append(Content.styled(_("  ✗ no passed verification on record for this ticket"), BAD))
        return lines(parts)
    verified = (_("  caller ({name}) verified at {time} by {agent}") if d.caller_name
                else _("  caller verified at {time} by {agent}"))
    parts.append(verified.format(name=d.caller_name, time=when(d.verified_at), agent=d.verified_by or "—"))
    for check in d.verification_checks:
        parts.append(Content.assemble("  ", ("✓ ", OK), check))
    if not d.verification_checks:
        parts.append(Content.styled(_("  ✗ the verification did not pass"), BAD))
    return lines(parts)


def callback(d: TicketDetail) -> Content:
    head = Content.styled(_("Callback (V-8)"), "bold")
    if not d.needs_callback:
        return lines([head, Content.styled(_("  not needed for this ticket"), MUTED)])
    if d.callback_at is None:
        return lines([
            head,
            Content.assemble("  ", (_("Call back: "), "bold"), callback_number(d)),
            Content.styled(_("  ✗ not recorded yet: press c once the caller has confirmed on that number. "
                             "Approval waits for it."), WARN),
        ])
    return lines([head, Content.assemble("  ", ("✓ ", OK),
                                         _("recorded at {time} by {value}").format(
                                             time=when(d.callback_at), value=d.callback_by or '—'))])


def confirmed(d: TicketDetail) -> Content:
    return lines([Content.styled(_("Confirmed with the caller"), "bold"), checklist_content(d)])


def consequences(d: TicketDetail, now: datetime) -> Content:
    from tickets.enums import TicketStatus
    from tickets.kinds import kind_spec

    parts: list[Content | str] = [
        Content.styled(_("Consequences (T-1)"), "bold"),
        consequences_content(d.consequences, needs_review=d.row.needs_review, needs_callback=d.needs_callback),
    ]
    deletion = kind_spec(d.row.kind).deletion_date(now, desk_zone())
    if deletion is not None and d.row.status is TicketStatus.PENDING_REVIEW:
        parts.append(Content.styled(_("If approved now, all data is deleted on {isoformat} (X-2).").format(
                                        isoformat=deletion.isoformat()), WARN))
    return lines(parts)


def history(d: TicketDetail) -> Content:
    return lines([Content.styled(_("History (A-1) and internal notes"), "bold"), history_content(d.history, d.notes)])
