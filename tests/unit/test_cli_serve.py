"""`deskapp serve`: what it binds to, what each tab runs, and what it refuses before serving
(the browser test, tests/app/test_browser_serve.py, drives a served console end to end)."""

from __future__ import annotations

import os
import shlex
import sys

from deskapp.cli import build_parser, main
from deskapp.cli_serve import served_command


def test_binds_to_this_machine_only_unless_told():
    args = build_parser().parse_args(["serve"])
    assert (args.host, args.port, args.public_url) == ("127.0.0.1", 8000, None)
    args = build_parser().parse_args(["serve", "--host", "0.0.0.0", "--port", "9000", "--public-url", "https://d.example"])
    assert (args.host, args.port, args.public_url) == ("0.0.0.0", 9000, "https://d.example")


def test_each_tab_runs_the_console_and_nothing_else():
    # No arguments: the console's sign-in; the database comes from the environment.
    assert shlex.split(served_command()) == [sys.executable, "-m", "deskapp.cli"]


def test_help_says_how_to_go_behind_a_tls_reverse_proxy(capsys):
    try:
        main(["serve", "--help"])
    except SystemExit:
        pass
    text = " ".join(capsys.readouterr().out.split())
    assert "TLS reverse proxy" in text and "--public-url" in text and "wss://" in text
    assert "127.0.0.1" in text


def test_a_password_on_the_command_line_is_refused_and_not_repeated(capsys):
    assert main(["serve", "--db", "postgresql://desk:s3cret@db.example/deskapp"]) == 1
    err = capsys.readouterr().err
    assert "--db" in err and "no password on the command line" in err and "s3cret" not in err


def test_an_unmigrated_database_is_refused_before_serving(tmp_path, capsys):
    assert main(["serve", "--db", f"sqlite:///{tmp_path / 'empty.db'}", "--port", "1"]) == 1
    assert "deskapp db upgrade" in capsys.readouterr().err


class _RecordingServer:
    """Stands in for textual-serve's Server: records the environment a tab's console inherits."""

    seen: dict[str, str] = {}

    def __init__(self, command, **options):
        self.command = command

    def serve(self):
        _RecordingServer.seen = dict(os.environ)


def _serve_recording(monkeypatch, url: str, *extra: str) -> dict[str, str]:
    import textual_serve.server

    monkeypatch.setattr(textual_serve.server, "Server", _RecordingServer)
    # serve writes the resolved settings into os.environ for its tabs: a copy, restored after.
    monkeypatch.setattr(os, "environ", {k: v for k, v in os.environ.items() if k != "DESKAPP_CONFIG"})
    assert main(["serve", "--db", url, *extra]) == 0
    return _RecordingServer.seen


def test_without_a_config_file_a_tab_is_not_told_to_read_one(tmp_path, monkeypatch, sqlite_template):
    # A tab's console refuses a named settings file that does not exist (exit 2): serve on the
    # defaults named the absent default file, and every tab failed to start.
    seen = _serve_recording(monkeypatch, sqlite_template.new_url(tmp_path))
    assert "DESKAPP_CONFIG" not in seen
    assert seen["DESKAPP_DATABASE_URL"].startswith("sqlite:///")


def test_a_config_file_read_by_serve_is_the_one_each_tab_reads(tmp_path, monkeypatch, sqlite_template):
    config = tmp_path / "desk.toml"
    config.write_text('time_zone = "Asia/Shanghai"\n')
    seen = _serve_recording(monkeypatch, sqlite_template.new_url(tmp_path), "--config", str(config))
    assert seen["DESKAPP_CONFIG"] == str(config)
    assert seen["DESKAPP_TIME_ZONE"] == "Asia/Shanghai"
