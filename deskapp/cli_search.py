"""`deskapp search TEXT`: the console's search (ctrl+f) on the command line, with its rules
(tickets.search decides what the text is taken for) and what it shows: organizations by ref and
name, tickets by number, kind, status and organization; never a caller's personal data. A
caller's user ID typed to search is echoed back masked (E-1), as an export shows it."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from tickets.i18n import N_, _

if TYPE_CHECKING:  # pragma: no cover
    from tickets.search import SearchResult
    from tickets.store.queries import TicketRow

DESCRIPTION = N_("""\
Search as the console's search box does: a ticket number (TK-000123, tk123 or 123), an
organization's ref (ORG-0001) or part of its name, or a caller's user ID (the tickets filed for
that caller; a user ID without tickets answers like an unknown one, V-4). Times are in the desk's
time zone. --json prints one JSON object (ticket times in UTC, ISO 8601).
""")


def add_search_parser(sub, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("search", parents=[common],
        help=_("find tickets and organizations as the console's search does"),
                       description=_(DESCRIPTION))
    p.add_argument("text", help=_("a ticket number, an organization's ref or name, or a caller's user ID"))
    p.add_argument("--json", action="store_true", help=_("one JSON object instead of lines for people"))
    p.set_defaults(handler=cmd_search)


def shown_text(result: SearchResult) -> str:
    """The searched text as it may be shown: a caller's user ID masked (E-1)."""
    if result.taken_as == "caller user ID":
        from tickets.masking import mask_email

        return mask_email(result.text) or ""
    return result.text


def _ticket(row: TicketRow) -> dict[str, Any]:
    return {
        "ref": row.ref, "kind": row.kind.value, "status": row.status.value,
        "organization_ref": row.organization_ref, "organization_name": row.organization_name,
        "subscription_ref": row.subscription_ref, "filed_by": row.filed_by,
        "created_at": row.created_at.isoformat(), "effective_date": row.effective_date,
        "needs_review": bool(row.needs_review),
    }


def as_json(result: SearchResult) -> str:
    return json.dumps({
        "text": shown_text(result),
        "taken_as": result.taken_as,
        "organizations": [{"ref": o.ref, "name": o.name} for o in result.organizations],
        "tickets": [_ticket(t) for t in result.tickets],
        "more_tickets": result.more_tickets,
    }, ensure_ascii=False)


def _plural(n: int, noun: str, more: bool = False) -> str:
    return f"{n}{'+' if more else ''} {noun}" + ("" if n == 1 and not more else "s")


def as_lines(result: SearchResult, zone: ZoneInfo) -> list[str]:
    if result.empty:
        return [f"nothing found for {shown_text(result)!r} (taken as {result.taken_as})"]
    found = [_plural(len(result.organizations), "organization")] if result.organizations else []
    if result.tickets or len(result.organizations) == 1:
        found.append(_plural(len(result.tickets), "ticket", result.more_tickets))
    lines = [f"taken as {result.taken_as}: {', '.join(found)}"]
    lines += [f"{o.ref}  {o.name}" for o in result.organizations]
    for t in result.tickets:
        filed = _local(t.created_at, zone)
        lines.append(f"{t.ref}  {t.kind.label} · {t.status.label} · {t.organization_ref} {t.organization_name} · "
                     f"{t.subscription_ref} · filed {filed} by {t.filed_by}")
    if result.more_tickets:
        lines.append("(more tickets than shown: search a ticket number or use deskapp export for all)")
    return lines


def _local(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def cmd_search(args) -> int:
    from deskapp.config import settings_from_args, store_from_args
    from tickets.search import search
    from tickets.store.schema import check_schema

    store = store_from_args(args)
    try:
        check_schema(store.engine)
        result = search(store, args.text)
    finally:
        store.dispose()
    if args.json:
        print(as_json(result))
    else:
        print("\n".join(as_lines(result, settings_from_args(args).zone)))
    sys.stdout.flush()
    return 0
