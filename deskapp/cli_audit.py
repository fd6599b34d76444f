"""`deskapp audit`: verify the chain (against anchors kept elsewhere), print and anchor its
head, and read the trail by ticket, organization, agent, action and time (A-1).

An anchor is the chain head, `SEQ:HASH`, kept outside the database: an insider who can
rewrite the database (delete the tail and move the head back, re-hash everything after an
edit, empty the table) cannot change what a scheduled `deskapp audit anchor FILE` wrote to
another machine, a printed report or an export's sidecar, and `audit verify --anchors FILE`
then fails.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC
from pathlib import Path

from tickets.i18n import _

EXIT_ERROR = 1


def _store(args):
    from deskapp.config import store_from_args
    from tickets.store.schema import check_schema

    # Reading only: opened so that nothing can be written, which also lets a read-only file or a
    # WORM copy be verified. `audit anchor` writes its file, never the database.
    store = store_from_args(args, read_only=True)
    check_schema(store.engine)
    return store


def _lite_file(args) -> Path | None:
    """The SQLite file verified on the standard library alone (tickets.audit.verify.verify_file);
    None: through the Store (PostgreSQL, memory or URI names)."""
    from deskapp.config import settings_from_args
    from tickets.store.lite import sqlite_file

    return sqlite_file(settings_from_args(args).database)


def _anchors(args) -> list:
    from tickets.audit.anchor import Anchor, read_anchors
    from tickets.errors import InvalidInput

    anchors = [Anchor.parse(text) for text in args.anchor or ()]
    for name in args.anchors or ():
        path = Path(name)
        if not path.is_file():
            raise InvalidInput({"--anchors": f"{name} is not a file of anchors"})
        anchors.extend(read_anchors(path.read_text(encoding="utf-8"), source=name))
    return anchors


def cmd_audit_verify(args) -> int:
    anchors = _anchors(args)
    path = _lite_file(args)
    if path is not None:
        from tickets.audit.verify import verify_file

        report = verify_file(path, anchors)
    else:
        from tickets.audit.chain import verify_chain

        store = _store(args)
        with store.read() as session:
            report = verify_chain(session, anchors)
    suffix = f" ({len(anchors)} anchors hold)" if report.ok and anchors else ""
    print(f"{report}{suffix}")
    return 0 if report.ok else EXIT_ERROR


def cmd_audit_head(args) -> int:
    from tickets.audit.chain import chain_head

    store = _store(args)
    with store.read() as session:
        print(chain_head(session))
    return 0


def cmd_audit_anchor(args) -> int:
    """Check the chain against the file's anchors, then append the head to it (fsynced)."""
    from tickets.audit.chain import chain_head, read_anchors, verify_chain
    from tickets.errors import DeskError, InvalidInput

    path = Path(args.file)
    if path.exists() and not path.is_file():
        raise InvalidInput({"FILE": f"{args.file} is not a regular file"})
    known = read_anchors(path.read_text(encoding="utf-8"), source=args.file) if path.exists() else []
    store = _store(args)
    with store.read() as session:
        report = verify_chain(session, known)
        head = chain_head(session)
    if not report.ok:
        raise DeskError(_("not anchored: {report}").format(report=report))
    line = f"{head}  {store.clock.now().astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}\n"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    print(_("anchored {head} in {file}").format(head=head, file=args.file))
    return 0


def cmd_audit_log(args) -> int:
    from tickets.audit.log import AuditFilter, iter_events, organization_id
    from tickets.dates import parse_when
    from tickets.errors import InvalidInput
    from tickets.store.models import parse_ticket_ref

    ticket_id = None
    if args.ticket is not None:
        ticket_id = parse_ticket_ref(args.ticket)
        if ticket_id is None:
            raise InvalidInput({"--ticket": f"{args.ticket!r} is not a ticket number (TK-000123 or 123)"})
    since = parse_when(args.since, option="--since") if args.since else None
    until = parse_when(args.until, option="--until") if args.until else None
    store = _store(args)
    org_id = None
    if args.organization is not None:
        with store.read() as session:
            org_id = organization_id(session, args.organization)
        if org_id is None:
            raise InvalidInput({"--organization": f"no organization with the reference {args.organization!r}"})
    filt = AuditFilter(ticket_id=ticket_id, organization_id=org_id, agent=args.agent, actions=tuple(args.action or ()),
                       since=since, until=until)
    out = sys.stdout
    for event in iter_events(store, filt):
        at = event.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        if args.json:
            record = {"seq": event.seq, "at": at, "actor": event.actor, "action": event.action,
                      "subject": event.subject, "details": event.details, "hash": event.hash}
            out.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
        else:
            details = json.dumps(event.details, ensure_ascii=False, sort_keys=True) if event.details else ""
            out.write(f"{event.seq:>7}  {at}  {event.actor:<12} {event.action:<28} {event.subject:<18} {details}\n")
    return 0


def add_audit_parser(sub, common: argparse.ArgumentParser) -> None:
    audit = sub.add_parser("audit", help=_("the audit chain: verify, anchor, read")).add_subparsers(
        dest="audit_command", metavar="ACTION", required=True
    )
    p = audit.add_parser(
        "verify", parents=[common],
            help=_("check the hash chain and ticket histories; exit 1 naming the first bad event")
    )
    p.add_argument(
        "--anchors", action="append", metavar="FILE", help=_("a file of anchors (`audit anchor`); each must still hold")
    )
    p.add_argument("--anchor", action="append", metavar="SEQ:HASH", help=_("one anchor (repeatable)"))
    p.set_defaults(handler=cmd_audit_verify)
    p = audit.add_parser("head", parents=[common],
        help=_("print the chain head, SEQ:HASH, to keep outside the database"))
    p.set_defaults(handler=cmd_audit_head)
    p = audit.add_parser(
        "anchor", parents=[common], help=_("verify, then append the head to an append-only FILE (for a scheduled job)")
    )
    p.add_argument("file", metavar="FILE")
    p.set_defaults(handler=cmd_audit_anchor)
    p = audit.add_parser(
        "log", parents=[common], help=_("list events, oldest first, by ticket, organization, agent, action, time")
    )
    p.add_argument("--ticket", metavar="TK-000123")
    p.add_argument("--organization", metavar="REF", help=_("the organization's directory reference, e.g. ORG-0001"))
    p.add_argument("--agent", metavar="NAME", help=_("events the agent did and events about the agent"))
    p.add_argument(
        "--action",
        action="append",
        metavar="ACTION",
        help=_("e.g. ticket.approved, or a prefix ending in '.' (repeatable)"),
    )
    p.add_argument("--since", metavar="WHEN", help=_("at or after WHEN (ISO date or date-time, UTC)"))
    p.add_argument("--until", metavar="WHEN", help=_("before WHEN"))
    p.add_argument("--json", action="store_true", help=_("one JSON object per line"))
    p.set_defaults(handler=cmd_audit_log)
