"""The review queue's rows, its page line and the notice of who else has a ticket open.

How long each ticket has waited for a supervisor, and which have waited past the desk's limit
(`review_late_minutes` in the desk's config, 30 by default): marked "late" at the start of the
cell, so the mark survives the table's ellipsis at 80 columns, and counted on the page line."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from textual.content import Content

from deskapp.widgets.format import WARN, when
from tickets import i18n
from tickets.i18n import N_, _

if TYPE_CHECKING:  # pragma: no cover
    from tickets.store.queries import TicketPage, TicketRow
    from tickets.viewers import Viewer

LATE = N_("late {age}")  # the Waiting cell of a ticket waiting past the limit
LATE_STYLE = "bold reverse"  # readable in every theme, and without colour


def late_after(settings: Any) -> timedelta:
    """The desk's limit (deskapp.config `review_late_minutes`); the default without settings."""
    from deskapp.config import DEFAULT_REVIEW_LATE_MINUTES

    minutes = settings["review_late_minutes"] if settings is not None else DEFAULT_REVIEW_LATE_MINUTES
    return timedelta(minutes=minutes)


def is_late(row: TicketRow, now: datetime, limit: timedelta) -> bool:
    return now - row.created_at > limit


def waited(row: TicketRow, now: datetime, limit: timedelta) -> str:
    """The Waiting cell: "12 min", or "late 1 h 5 min" past the limit."""
    from tickets.dashboard import format_age

    age = format_age(now - row.created_at)
    return _(LATE).format(age=age) if is_late(row, now, limit) else age


def cells(row: TicketRow, now: datetime, limit: timedelta) -> tuple[str, ...]:
    return (
        row.ref,
        row.kind.label,
        row.status.label,
        waited(row, now, limit),
        row.filed_by,
        f"{row.organization_name} ({row.organization_ref})",
    )


def table_rows(rows: Sequence[TicketRow], now: datetime, limit: timedelta
               ) -> tuple[list[tuple[str | None, tuple[str, ...]]], dict[tuple[str, str], str]]:
    """The table's rows, and the style of each late ticket's Waiting cell."""
    styles = {(str(row.id), "age"): LATE_STYLE for row in rows if is_late(row, now, limit)}
    return [(str(row.id), cells(row, now, limit)) for row in rows], styles


def page_line(page: TicketPage, number: int, now: datetime, limit: timedelta) -> str:
    """`Page 1 · tickets 1–24 · last page · oldest waiting 1 h 12 min · 14 late (over 30 min)`."""
    from tickets.dashboard import format_age
    from tickets.store.queries import PAGE_SIZE

    first = (number - 1) * PAGE_SIZE + 1
    parts = [
        _("Page {number}").format(number=i18n.number(number)),
        _("tickets {first}–{last}").format(first=i18n.number(first), last=i18n.number(first + len(page.rows) - 1))
        if page.rows else _("no tickets"),
        _("more: n") if page.next_cursor else _("last page"),
    ]
    if number > 1:
        parts.append(_("previous: p"))
    if page.rows and number == 1:
        parts.append(_("oldest waiting {age}").format(age=format_age(now - page.rows[0].created_at)))
    late = sum(is_late(row, now, limit) for row in page.rows)
    if late:
        parts.append(_("{count} late (over {age})").format(count=i18n.number(late), age=format_age(limit)))
    return " · ".join(parts)


def viewers_notice(viewers: Sequence[Viewer]) -> Content:
    """Other supervisors who have the ticket open (tickets.viewers): who, and since when."""
    if not viewers:
        return Content("")
    names = "; ".join(f"{v.name} since {when(v.since)}" for v in viewers)
    return Content.styled(_("Also open by {names}. Agree who decides it and who calls the customer back.").format(
                              names=names), WARN)
