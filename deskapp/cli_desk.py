"""`deskapp config` (every setting, its value and where it came from) and `deskapp completion`,
with the settings flags every command takes."""

from __future__ import annotations

import argparse
import os
import sys

from tickets.i18n import _

EXIT_SETTINGS = 2  # as for every other bad setting (deskapp.cli)


def add_settings_flags(common: argparse.ArgumentParser) -> None:
    common.add_argument(
        "--config", metavar="FILE", default=argparse.SUPPRESS,
        help=_("the settings file (default: $DESKAPP_CONFIG, else config.toml in the user's config directory)"),
    )
    common.add_argument(
        "--pool-size", metavar="N", type=int, default=argparse.SUPPRESS,
        help=_("PostgreSQL connections kept open (and as many more under load)"),
    )
    common.add_argument(
        "--time-zone", metavar="ZONE", default=argparse.SUPPRESS,
        help=_("the desk's time zone for every time shown, e.g. Asia/Shanghai (storage stays UTC)"),
    )
    common.add_argument(
        "--language", metavar="LANG", default=argparse.SUPPRESS,
        help=_("the language of the console and the messages: en or zh-CN (default: the terminal's locale)"),
    )


def silence_stdout() -> None:
    """Point stdout at /dev/null so that the exit flush does not fail on the closed pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def _shown(name: str, value, settings) -> str:
    from deskapp.config import mask_url

    if name == "database":
        if value is None:
            return f"{settings.database} (the default SQLite file)"
        return mask_url(value)
    if name == "keys":
        return ", ".join(f"{k}={v}" for k, v in value.items()) or "(the built-in keys)"
    if name == "templates":
        return ", ".join(f"{group}: {', '.join(entries)}" for group, entries in value.items()) or "(none)"
    if name == "export_dir" and value is None:
        from deskapp.paths import default_export_dir

        return f"{default_export_dir()} (the default export folder)"
    return "(none)" if value is None else str(value)


def _password_source(settings) -> str:
    from urllib.parse import urlsplit

    from deskapp.config import mask_url

    url = settings.database
    if url.startswith("sqlite"):
        return "not needed (SQLite)"
    if urlsplit(url).password is not None:
        return f"in the URL ({mask_url(url)})"
    if settings["database_password_file"]:
        settings.database_password()  # checked: readable, only by its owner, not empty
        return f"*** from {settings['database_password_file']}"
    passfile = os.environ.get("PGPASSFILE") or os.path.expanduser("~/.pgpass")
    found = "present" if os.path.exists(passfile) else "not found"
    return f"left to libpq: its password file {passfile} ({found})"


def cmd_config(args) -> int:
    from deskapp.config import config_file, log_dir, settings_from_args, state_dir, state_file

    settings = settings_from_args(args)
    path = settings.config_path or config_file()
    exists = "" if path.exists() else " (not there: every setting has its default)"
    print(_("config file: {path}{exists}").format(path=path, exists=exists))
    width = max(len(name) for name in settings.items)
    for name, item in settings.items.items():
        print(f"{name:<{width}}  {_shown(name, item.value, settings)}  [{item.source}]")
    print(f"{'password':<{width}}  {_password_source(settings)}")
    print(_("state: {state_file} · log: {value} (state directory {state_dir})").format(
              state_file=state_file(), value=log_dir() / 'deskapp.log', state_dir=state_dir()))
    if args.keys:
        from deskapp.desk import binding_ids

        print(_("\nbinding ids for [keys] (default keys, what, where):"))
        for binding_id, (keys, description, owners) in binding_ids().items():
            print(f"  {binding_id:<22} {keys:<12} {description} ({', '.join(owners)})")
    return 0 if _console_problems(settings) == 0 else EXIT_SETTINGS


def _console_problems(settings) -> int:
    """Settings only the console can check (it loads Textual): key map ids and the theme."""
    problems = 0
    if settings["keys"]:
        from deskapp.desk import binding_ids

        unknown = sorted(set(settings["keys"]) - set(binding_ids()))
        for binding_id in unknown:
            print(_("deskapp: error: keys: {binding_id!r} is not a binding id (deskapp config --keys lists "
                    "them)").format(binding_id=binding_id),
                  file=sys.stderr)
        problems += len(unknown)
    if settings.items["theme"].source != "default":
        from textual.theme import BUILTIN_THEMES

        if settings["theme"] not in BUILTIN_THEMES:
            print(_("deskapp: error: theme: {settings!r} is not a theme; one of: {join}").format(
                      settings=settings['theme'], join=', '.join(sorted(BUILTIN_THEMES))), file=sys.stderr)
            problems += 1
    return problems


def cmd_completion(args) -> int:
    import shtab

    from deskapp.cli import build_parser

    print(shtab.complete(build_parser(), shell=args.shell))
    return 0


def add_desk_parsers(sub, common) -> None:
    p = sub.add_parser("config", parents=[common], help=_("show every setting, its value and where it came from"))
    p.add_argument("--keys", action="store_true", help=_("also list the binding ids a [keys] table can map"))
    p.set_defaults(handler=cmd_config)
    p = sub.add_parser(
        "completion", help=_("print a shell completion script"),
        description=_("Print a completion script: `deskapp completion bash > ~/.local/share/bash-completion/"
                      "completions/deskapp`, or for zsh into a directory on $fpath as _deskapp."),
    )
    p.add_argument("shell", choices=["bash", "zsh", "tcsh"])
    p.set_defaults(handler=cmd_completion)
