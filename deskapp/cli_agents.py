"""`deskapp agents`: add, list, disable, enable, reset-pin, set-role, unlock (each change audited).

A change is made by a signed-in supervisor (`--as NAME`: their PIN is asked for on the
terminal, and the event names them) or by the owner (no `--as`: on PostgreSQL only with the
owner role's credentials, as the database's functions check; on SQLite whoever can write the
file). A supervisor's own account is the owner's to change (X-2). `unlock NAME` / `unlock --all`
is the break-glass for a desk whose supervisors are all locked out.

A PIN is asked for on the terminal or read from standard input (--pin-stdin), never taken as an
argument (the process list would show it).
"""

from __future__ import annotations

import argparse
import getpass
import sys

from tickets.errors import InvalidInput
from tickets.i18n import _

ROLES = ["agent", "supervisor"]


def _checked_store(args):
    from deskapp.config import store_from_args
    from tickets.store.schema import check_schema

    store = store_from_args(args)
    check_schema(store.engine)
    return store


def _read_pin(args) -> str:
    if args.pin_stdin:
        return sys.stdin.readline().strip()
    if not sys.stdin.isatty():
        raise InvalidInput({"pin": _("there is no terminal to ask for the PIN; pipe it in with --pin-stdin")})
    first = getpass.getpass(_("PIN (4-64 digits) or passphrase (12-128 characters): "))
    if getpass.getpass(_("PIN again: ")) != first:
        raise InvalidInput({"pin": _("the two PINs differ")})
    return first


def _acting(args, store):
    """The supervisor named by --as, signed in with their PIN asked on the terminal (None: the owner)."""
    if not getattr(args, "as_name", None):
        return None
    from tickets.agents import authenticate

    if not sys.stdin.isatty():
        raise InvalidInput({"--as": _("there is no terminal to ask for {name}'s PIN").format(name=args.as_name)})
    return authenticate(store, name=args.as_name, pin=getpass.getpass(_("PIN of {name}: ").format(name=args.as_name)))


def _admin(args, change):
    """Run `change(store, actor)` as --as or the owner; the supervisor's session ends after it."""
    from tickets.agents import sign_out

    store = _checked_store(args)
    actor = _acting(args, store)
    try:
        return change(store, actor)
    finally:
        if actor is not None:
            sign_out(store, actor)


def cmd_agents_add(args) -> int:
    from tickets.agents import create_agent

    pin = _read_pin(args)
    agent = _admin(args, lambda store, actor: create_agent(
        store, name=args.name, display_name=args.display_name or args.name, role=args.role, pin=pin, actor=actor))
    print(_("added {value} {name} ({display_name})").format(
              value=_(agent.role.value), name=agent.name, display_name=agent.display_name))
    return 0


def cmd_agents_list(args) -> int:
    from deskapp.config import settings_from_args
    from tickets.agents import list_agents
    from tickets.signin import sign_in_locks

    store = _checked_store(args)
    locked = {lock.agent_id: lock for lock in sign_in_locks(store)}
    zone = settings_from_args(args).zone
    print(_row(_("NAME"), _("ROLE"), _("STATUS"), _("DISPLAY NAME")))
    for agent in list_agents(store):
        status = _("active") if agent.active else _("disabled")
        until = ""
        if agent.id in locked:  # too many wrong PINs (tickets.signin): since and until when
            status = _("locked")
            lock = locked[agent.id]
            end = f"{lock.locked_until.astimezone(zone):%Y-%m-%d %H:%M %Z}"
            if lock.locked_since:
                until = "  " + _("(since {start}, until {end})").format(
                    start=f"{lock.locked_since.astimezone(zone):%Y-%m-%d %H:%M %Z}", end=end)
            else:
                until = "  " + _("(until {end})").format(end=end)
        print(_row(agent.name, _(agent.role.value), status, agent.display_name) + until)
    return 0


def _row(name: str, role: str, status: str, display_name: str) -> str:
    """One line of the table, its columns padded by terminal cells (a CJK character takes two)."""
    from rich.cells import cell_len

    def pad(text: str, width: int) -> str:
        return text + " " * max(0, width - cell_len(text))

    return f"{pad(name, 20)} {pad(role, 11)} {pad(status, 9)} {display_name}"


def cmd_agents_disable(args) -> int:
    from tickets.agents import AlreadySo, set_agent_active

    try:
        agent = _admin(args, lambda store, actor: set_agent_active(store, args.name, False, actor=actor))
    except AlreadySo as already:  # asked twice: the state wanted holds, so not an error
        print(already)
        return 0
    # Their open sessions have ended too (tickets.agents.set_agent_active).
    print(_("disabled {name}: they can no longer sign in (recorded as agent.disabled)").format(name=agent.name))
    return 0


def cmd_agents_enable(args) -> int:
    from tickets.agents import AlreadySo, set_agent_active

    try:
        agent = _admin(args, lambda store, actor: set_agent_active(store, args.name, True, actor=actor))
    except AlreadySo as already:  # asked twice: the state wanted holds, so not an error
        print(already)
        return 0
    print(_("enabled {name}: they can sign in again (recorded as agent.enabled)").format(name=agent.name))
    return 0


def cmd_agents_reset_pin(args) -> int:
    from tickets.agents import reset_pin

    pin = _read_pin(args)
    agent = _admin(args, lambda store, actor: reset_pin(store, args.name, pin, actor=actor))
    print(_("new PIN set for {name} (recorded as agent.pin_reset; the PIN is not)").format(name=agent.name))
    return 0


def cmd_agents_set_role(args) -> int:
    from tickets.agents import set_role

    agent = _admin(args, lambda store, actor: set_role(store, args.name, args.role, actor=actor))
    if agent.role.value == "supervisor":
        print(_("{name} is now a supervisor (recorded as agent.role_changed)").format(name=agent.name))
    else:
        print(_("{name} is now an agent (recorded as agent.role_changed)").format(name=agent.name))
    return 0


def cmd_agents_unlock(args) -> int:
    from tickets.agents import unlock
    from tickets.signin import sign_in_locks

    if bool(args.all) == bool(args.name):
        raise InvalidInput({"name": _("name one agent, or --all for every agent locked now")})

    def change(store, actor) -> list[str]:
        names = [lock.name for lock in sign_in_locks(store)] if args.all else [args.name]
        return [unlock(store, name, actor=actor, reason=args.reason or "").name for name in names]

    unlocked = _admin(args, change)
    if unlocked:
        print(_("unlocked {names} (recorded as agent.unlocked)").format(names=", ".join(unlocked)))
    else:
        print(_("unlocked nobody (no agent is locked) (recorded as agent.unlocked)"))
    return 0


def add_agents_parsers(sub, common) -> None:
    agents = sub.add_parser("agents", help=_("desk agents and supervisors")).add_subparsers(
        dest="agents_command", metavar="ACTION", required=True
    )
    name_help = _("the agent's sign-in name")
    acting = argparse.ArgumentParser(add_help=False)
    acting.add_argument("--as", dest="as_name", metavar="SUPERVISOR",
                        help=_("make the change as this signed-in supervisor (their PIN is asked for); "
                               "without it, the owner makes it (PostgreSQL: the owner role's credentials)"))
    p = agents.add_parser(
        "add", parents=[common, acting], help=_("add an agent (the PIN is asked for, never an argument)")
    )
    p.add_argument("name", help=_("sign-in name: lower-case letters, digits, . _ -"))
    p.add_argument("--display-name", help=_("the name shown in the console"))
    p.add_argument("--role", choices=ROLES, default="agent")
    p.add_argument("--pin-stdin", action="store_true", help=_("read the PIN from standard input (for scripts)"))
    p.set_defaults(handler=cmd_agents_add)
    p = agents.add_parser("list", parents=[common], help=_("list agents: role and whether active, disabled or locked"))
    p.set_defaults(handler=cmd_agents_list)
    p = agents.add_parser("disable", parents=[common, acting], help=_("stop an agent signing in (someone who left)"))
    p.add_argument("name", help=name_help)
    p.set_defaults(handler=cmd_agents_disable)
    p = agents.add_parser("enable", parents=[common, acting], help=_("let a disabled agent sign in again"))
    p.add_argument("name", help=name_help)
    p.set_defaults(handler=cmd_agents_enable)
    p = agents.add_parser(
        "reset-pin", parents=[common, acting], help=_("set a new PIN for an agent (asked for, never an argument)")
    )
    p.add_argument("name", help=name_help)
    p.add_argument("--pin-stdin", action="store_true", help=_("read the new PIN from standard input (for scripts)"))
    p.set_defaults(handler=cmd_agents_reset_pin)
    p = agents.add_parser(
        "set-role", parents=[common, acting], help=_("make an agent a supervisor, or a supervisor an agent")
    )
    p.add_argument("name", help=name_help)
    p.add_argument("role", choices=ROLES)
    p.set_defaults(handler=cmd_agents_set_role)
    p = agents.add_parser("unlock", parents=[common, acting],
                          help=_("lift an agent's sign-in lock (the owner's break-glass when every supervisor is "
                                 "locked)"))
    p.add_argument("name", nargs="?", help=name_help)
    p.add_argument("--all", action="store_true", help=_("every agent locked now"))
    p.add_argument("--reason", help=_("why (goes to the audit trail)"))
    p.set_defaults(handler=cmd_agents_unlock)
