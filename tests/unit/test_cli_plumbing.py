"""The command line as a tool: --version, completion scripts, quiet broken pipes, and a console
that refuses to start without a terminal instead of writing escape codes forever."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from deskapp.cli import main

DESKAPP = [sys.executable, "-m", "deskapp.cli"]


def _run(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([*DESKAPP, *args], capture_output=True, text=True, timeout=60, **kwargs)


def test_version(capsys):
    from importlib.metadata import version

    with pytest.raises(SystemExit) as caught:
        main(["--version"])
    assert caught.value.code == 0
    assert capsys.readouterr().out == f"deskapp {version('deskapp')}\n"


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_completion_scripts_know_the_commands(shell, capsys):
    assert main(["completion", shell]) == 0
    script = capsys.readouterr().out
    for word in ("agents", "reset-pin", "set-role", "export", "--time-zone", "config"):
        assert word in script, word
    if shell == "bash":
        assert _bash_completes(script, "deskapp agents re") == ["reset-pin"]
        assert _bash_completes(script, "deskapp agents set-role joan ") == ["agent", "supervisor"]
        assert "completion" in _bash_completes(script, "deskapp co")
    else:
        assert script.startswith("#compdef deskapp")


def _bash_completes(script: str, line: str) -> list[str]:
    """What bash offers for `line` (the cursor at its end) with the script loaded."""
    words = line.split() + ([""] if line.endswith(" ") else [])
    program = (
        script + "\nCOMP_WORDS=(" + " ".join(f"'{w}'" for w in words) + f")\nCOMP_CWORD={len(words) - 1}\n"
        f"COMP_LINE='{line}'\nCOMP_POINT={len(line)}\n_shtab_deskapp\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"\n"
    )
    result = subprocess.run(["bash", "-c", program], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    return sorted(w.strip() for w in result.stdout.splitlines() if w.strip())


def _with_closed_reader(*args: str) -> subprocess.CompletedProcess:
    """Run deskapp with its standard output a pipe nobody reads (as `| head -1` ends up)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run([*DESKAPP, *args], stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=60)
    finally:
        os.close(write_end)


def test_a_closed_pipe_ends_quietly(tmp_path, store_url):
    result = _with_closed_reader("directory", "demo")
    assert result.stderr == "" and result.returncode == 0
    result = _with_closed_reader("agents", "list", "--db", store_url)
    assert result.stderr == "" and result.returncode == 0


def test_head_reads_one_line_and_nothing_else_is_said(store_url):
    result = subprocess.run(
        f"{sys.executable} -m deskapp.cli directory demo | head -1", shell=True,
        capture_output=True, text=True, timeout=60,
    )
    assert result.stdout == "{\n" and result.stderr == ""


def test_the_console_refuses_without_a_terminal():
    result = _run("--demo", stdin=subprocess.DEVNULL)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == (
        "deskapp: error: the console needs a terminal (standard input and output are not one); "
        "in scripts use the commands: deskapp --help\n"
    )


def test_an_unexpected_command_error_is_logged_with_its_stack_and_without_its_message(monkeypatch, capsys):
    import deskapp.cli_desk
    from deskapp.logs import log_file

    typed = {"phone": "+44 20 7946 0958", "user_id": "ann.smith@contoso.co.uk"}

    def broken(args):
        raise RuntimeError(f"could not parse {typed['phone']} for {typed['user_id']}")

    monkeypatch.setattr(deskapp.cli_desk, "cmd_config", broken)
    assert main(["config"]) == 70
    assert "unexpected error (RuntimeError)" in capsys.readouterr().err
    log = log_file().read_text(encoding="utf-8")
    assert "ERROR deskapp: deskapp config failed: builtins.RuntimeError" in log
    assert "Traceback (most recent call last):" in log and "in broken" in log
    assert "ann.smith" not in log and "7946" not in log


def test_the_console_only_parser_knows_every_command():
    """`deskapp [--db URL] [--demo]` skips building the commands' parsers (start-up); the list of
    command words it looks for must name every command, or that command would be refused."""
    import argparse

    from deskapp.cli import COMMANDS, _console_only, build_parser

    (sub,) = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    assert set(sub.choices) == set(COMMANDS)
    assert _console_only(["--db", "sqlite:///x.db", "--demo"]) and not _console_only(["export", "--format", "csv"])
    assert not _console_only(["--help"])
    console = build_parser(console_only=True).parse_args(["--demo", "--time-zone", "UTC"])
    assert console.demo and console.command is None
    from deskapp.cli import _only_command

    assert _only_command(["export", "--format", "csv"]) == "export" and _only_command(["--demo"]) is None
    assert _only_command(["agents", "add", "export"]) is None  # an agent named like a command: all are built
    for command in COMMANDS:  # each command's parser alone parses what the whole one does
        (alone,) = [a for a in build_parser(only=command)._actions if isinstance(a, argparse._SubParsersAction)]
        assert set(alone.choices) <= {command, "config", "completion"} and command in alone.choices
