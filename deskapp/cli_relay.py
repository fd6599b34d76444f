"""`deskapp relay`: delivers the hand-off's outbox (tickets.handoff); `--once` for cron;
`deskapp relay status`: pending, delivered and parked rows per destination, and the parked rows.

The [handoff] settings are checked before anything is sent: a bad one exits 2 with one sentence.
SIGTERM and ctrl+c stop the long-running relay between two attempts; SIGKILL at any moment
loses nothing (the rows it held come back when their lease ends).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from tickets.i18n import _


def add_relay_parser(sub, common) -> None:
    relay = sub.add_parser("relay", parents=[common],
                           help=_("deliver ticket events to the configured webhooks and e-mail ([handoff])"))
    relay.add_argument("--once", action="store_true", help=_("deliver what is due now, then exit (for cron)"))
    relay.add_argument("--batch", type=int, default=10, metavar="N", help=_("rows claimed at a time (default 10)"))
    relay.add_argument("--idle", type=float, default=1.0, metavar="SECONDS", help=argparse.SUPPRESS)
    relay.set_defaults(handler=cmd_relay)
    actions = relay.add_subparsers(dest="relay_command", metavar="ACTION")
    status = actions.add_parser("status", parents=[common],
                                help=_("pending, delivered and parked rows per destination, and the parked rows"))
    status.add_argument("--parked", type=int, default=20, metavar="N", help=_("parked rows listed (default 20)"))
    status.set_defaults(handler=cmd_relay_status)


def handoff_from_args(args):
    """The checked [handoff] settings (ConfigError: one sentence, exit 2)."""
    from deskapp.config import ConfigError, settings_from_args
    from tickets.handoff.settings import handoff_settings

    settings = settings_from_args(args)
    base = settings.config_path.parent if settings.config_path is not None else Path(".")
    try:
        return handoff_settings(settings["handoff"], base, settings["smtp"])
    except ValueError as error:
        raise ConfigError(str(error)) from None


def cmd_relay(args) -> int:
    from deskapp.config import ConfigError, settings_from_args, store_from_args
    from tickets.handoff.relay import Relay
    from tickets.store.schema import check_schema

    handoff = handoff_from_args(args)
    if not handoff.destinations:
        raise ConfigError(
            "handoff: " + _("no destination is configured; add a [[handoff.webhook]] or [[handoff.email]] table")
        )
    if args.batch < 1 or args.batch > 100:
        raise ConfigError("--batch: " + _("a whole number from 1 to 100"))

    store = store_from_args(args)
    try:
        check_schema(store.engine)
        relay = Relay(store, handoff, batch=args.batch, language=settings_from_args(args).language)
        relay.start()
        if args.once:
            done = relay.once()
            print(_("relay: {delivered} delivered, {failed} to try again, {parked} parked as failed").format(
                delivered=done.delivered, failed=done.failed, parked=done.parked))
            return 0
        from deskapp.logs import setup_logging

        setup_logging()  # a pass that fails (the database away) is logged, and the relay goes on
        stop = threading.Event()
        for number in (signal.SIGTERM, signal.SIGINT):
            signal.signal(number, lambda *_args: stop.set())
        print(_("relay: delivering to {names} (stop with ctrl+c)").format(names=", ".join(relay.names)),
              file=sys.stderr)
        relay.run(stop, idle=args.idle)
        return 0
    finally:
        store.dispose()


def cmd_relay_status(args) -> int:
    from deskapp.config import store_from_args
    from tickets.handoff.outbox import counts, parked
    from tickets.store.models import ticket_ref
    from tickets.store.schema import check_schema

    store = store_from_args(args)
    try:
        check_schema(store.engine)
        rows = counts(store)
        stuck = parked(store, args.parked)
    finally:
        store.dispose()
    if not rows:
        print(_("no destinations yet: `deskapp relay` records the config's when it starts"))
        return 0
    print(_("destination\tkind\tpending\tdelivered\tparked"))
    for row in rows:
        name = row.name if row.enabled else _("{name} (not in the config)").format(name=row.name)
        print(f"{name}\t{row.kind}\t{row.pending}\t{row.delivered}\t{row.parked}")
    if stuck:
        print()
        print(_("parked as failed (newest first):"))
        for held in stuck:
            print(_("outbox {id}: {destination}, ticket {ticket} {occasion}, {attempts} attempts, "
                    "last: {error}, parked {at}").format(
                id=held.id, destination=held.destination, ticket=ticket_ref(held.ticket_id),
                occasion=held.occasion, attempts=held.attempts, error=held.last_error or held.last_status or "-",
                at=held.done_at.strftime("%Y-%m-%d %H:%M UTC")))
    return 1 if any(r.parked for r in rows) else 0
