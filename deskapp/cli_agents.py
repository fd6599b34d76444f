"""`deskapp agents`: add, list, disable, enable, reset-pin, set-role (each change audited).

A PIN is asked for on the terminal or read from standard input (--pin-stdin), never taken as an
argument (the process list would show it).
"""

from __future__ import annotations

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
        raise InvalidInput({"pin": "there is no terminal to ask for the PIN; pipe it in with --pin-stdin"})
    first = getpass.getpass("PIN (4-64 digits) or passphrase (12-128 characters): ")
    if getpass.getpass("PIN again: ") != first:
        raise InvalidInput({"pin": "the two PINs differ"})
    return first


def cmd_agents_add(args) -> int:
    from tickets.agents import create_agent

    store = _checked_store(args)
    agent = create_agent(
        store, name=args.name, display_name=args.display_name or args.name, role=args.role, pin=_read_pin(args)
    )
    print(_("added {value} {name} ({display_name})").format(
              value=agent.role.value, name=agent.name, display_name=agent.display_name))
    return 0


def cmd_agents_list(args) -> int:
    from deskapp.config import settings_from_args
    from tickets.agents import list_agents
    from tickets.signin import sign_in_locks

    store = _checked_store(args)
    locked = {lock.agent_id: lock for lock in sign_in_locks(store)}
    print(_("{value:<20} {value_2:<11} {value_3:<9} DISPLAY NAME").format(
              value='NAME', value_2='ROLE', value_3='STATUS'))
    for agent in list_agents(store):
        status = "active" if agent.active else "disabled"
        until = ""
        if agent.id in locked:  # too many wrong PINs (tickets.signin); `agents list` shows until when
            status = "locked"
            moment = locked[agent.id].locked_until.astimezone(settings_from_args(args).zone)
            until = f"  (until {moment:%Y-%m-%d %H:%M %Z})"
        print(f"{agent.name:<20} {agent.role.value:<11} {status:<9} {agent.display_name}{until}")
    return 0


def cmd_agents_disable(args) -> int:
    from tickets.agents import AlreadySo, set_agent_active

    try:
        agent = set_agent_active(_checked_store(args), args.name, False)
    except AlreadySo as already:  # asked twice: the state wanted holds, so not an error
        print(already)
        return 0
    print(_("disabled {name}: they can no longer sign in (recorded as agent.disabled)").format(name=agent.name))
    return 0


def cmd_agents_enable(args) -> int:
    from tickets.agents import AlreadySo, set_agent_active

    try:
        agent = set_agent_active(_checked_store(args), args.name, True)
    except AlreadySo as already:  # asked twice: the state wanted holds, so not an error
        print(already)
        return 0
    print(_("enabled {name}: they can sign in again (recorded as agent.enabled)").format(name=agent.name))
    return 0


def cmd_agents_reset_pin(args) -> int:
    from tickets.agents import reset_pin

    store = _checked_store(args)
    agent = reset_pin(store, args.name, _read_pin(args))
    print(_("new PIN set for {name} (recorded as agent.pin_reset; the PIN is not)").format(name=agent.name))
    return 0


def cmd_agents_set_role(args) -> int:
    from tickets.agents import set_role

    agent = set_role(_checked_store(args), args.name, args.role)
    article = "an" if agent.role.value[0] in "aeiou" else "a"
    print(_("{name} is now {article} {value} (recorded as agent.role_changed)").format(
              name=agent.name, article=article, value=agent.role.value))
    return 0


def add_agents_parsers(sub, common) -> None:
    agents = sub.add_parser("agents", help="desk agents and supervisors").add_subparsers(
        dest="agents_command", metavar="ACTION", required=True
    )
    name_help = "the agent's sign-in name"
    p = agents.add_parser("add", parents=[common], help="add an agent (the PIN is asked for, never an argument)")
    p.add_argument("name", help="sign-in name: lower-case letters, digits, . _ -")
    p.add_argument("--display-name", help="the name shown in the console")
    p.add_argument("--role", choices=ROLES, default="agent")
    p.add_argument("--pin-stdin", action="store_true", help="read the PIN from standard input (for scripts)")
    p.set_defaults(handler=cmd_agents_add)
    p = agents.add_parser("list", parents=[common], help="list agents: role and whether active, disabled or locked")
    p.set_defaults(handler=cmd_agents_list)
    p = agents.add_parser("disable", parents=[common], help="stop an agent signing in (someone who left)")
    p.add_argument("name", help=name_help)
    p.set_defaults(handler=cmd_agents_disable)
    p = agents.add_parser("enable", parents=[common], help="let a disabled agent sign in again")
    p.add_argument("name", help=name_help)
    p.set_defaults(handler=cmd_agents_enable)
    p = agents.add_parser(
        "reset-pin", parents=[common], help="set a new PIN for an agent (asked for, never an argument)"
    )
    p.add_argument("name", help=name_help)
    p.add_argument("--pin-stdin", action="store_true", help="read the new PIN from standard input (for scripts)")
    p.set_defaults(handler=cmd_agents_reset_pin)
    p = agents.add_parser("set-role", parents=[common], help="make an agent a supervisor, or a supervisor an agent")
    p.add_argument("name", help=name_help)
    p.add_argument("role", choices=ROLES)
    p.set_defaults(handler=cmd_agents_set_role)
