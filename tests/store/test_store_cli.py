"""The `deskapp` command line: one clear line on error, never a traceback."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from deskapp.cli import main


def _url(store) -> str:
    return store.engine.url.render_as_string(hide_password=False)


def test_db_upgrade_on_empty_then_up_to_date(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'new.db'}"
    assert main(["db", "upgrade", "--db", url]) == 0
    from tickets.store.schema import head_revision

    assert f"upgraded from empty to {head_revision()}" in capsys.readouterr().out
    assert main(["db", "upgrade", "--db", url]) == 0
    assert "already up to date" in capsys.readouterr().out
    assert main(["db", "current", "--db", url]) == 0


def test_commands_refuse_an_unmigrated_database(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    assert main(["agents", "list", "--db", url]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "run `deskapp db upgrade`" in err


def test_agents_add_and_list(store, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("4821\n"))
    assert (
        main(
            [
                "agents",
                "add",
                "joan",
                "--display-name",
                "Joan Clarke",
                "--role",
                "supervisor",
                "--pin-stdin",
                "--db",
                _url(store),
            ]
        )
        == 0
    )
    monkeypatch.setattr(sys, "stdin", io.StringIO("12\n"))
    assert main(["agents", "add", "kim", "--pin-stdin", "--db", _url(store)]) == 1
    assert "pin: 4 to 64 digits, or a passphrase of 12 to 128 characters" in capsys.readouterr().err
    assert main(["agents", "list", "--db", _url(store)]) == 0
    out = capsys.readouterr().out
    assert "joan" in out and "supervisor" in out and "4821" not in out


def test_directory_import_reports_every_error_and_changes_nothing(store, tmp_path, capsys):
    assert main(["directory", "demo", "-o", str(tmp_path / "demo.json")]) == 0
    document = json.loads((tmp_path / "demo.json").read_text())
    document["organizations"][0]["people"][0]["phone"] = "123"
    document["organizations"][1]["subscriptions"][0]["channel"] = "carrier pigeon"
    (tmp_path / "bad.json").write_text(json.dumps(document))
    capsys.readouterr()
    assert main(["directory", "import", str(tmp_path / "bad.json"), "--db", _url(store)]) == 1
    err = capsys.readouterr().err
    assert "organizations[0].people[0] phone" in err and "organizations[1].subscriptions[0] channel" in err
    assert main(["directory", "import", str(tmp_path / "demo.json"), "--db", _url(store)]) == 0
    added = len(document["organizations"])  # the demo directory, 21Vianet's desk included
    assert f"{added} organizations added" in capsys.readouterr().out
    assert main(["directory", "import", str(tmp_path / "missing.json"), "--db", _url(store)]) == 1


def test_unreachable_database_is_one_line(capsys):
    assert main(["agents", "list", "--db", "postgresql://nobody@127.0.0.1:1/none"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("deskapp: error:") and "Traceback" not in err and err.count("\n") == 1


def test_help_everywhere_and_the_console_script():
    for args in (
        ["--help"],
        ["db", "--help"],
        ["directory", "import", "--help"],
        ["agents", "add", "--help"],
        ["audit", "verify", "--help"],
    ):
        with pytest.raises(SystemExit) as raised:
            main(args)
        assert raised.value.code == 0
    out = subprocess.run([sys.executable, "-m", "deskapp.cli", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "subscription-cancellation" in out.stdout
