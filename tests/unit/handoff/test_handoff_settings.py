"""The [handoff] settings: each problem is one sentence naming the setting and the rule."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest

from deskapp.cli import main
from tickets.handoff.settings import handoff_settings, parse_duration


@pytest.fixture
def secret(tmp_path):
    path = tmp_path / "hook.secret"
    path.write_text("a-secret-of-at-least-16-bytes\n", encoding="utf-8")
    os.chmod(path, 0o600)
    return path


def _hook(**changes):
    values = {"name": "billing", "url": "https://billing.example.com/deskapp", "secret_file": "hook.secret"}
    values.update(changes)
    return {"webhook": [{k: v for k, v in values.items() if v is not None}]}


def test_a_good_table(tmp_path, secret):
    found = handoff_settings({**_hook(retry_for="1h30m"), "timeout": "5s", "lease": "30s"}, tmp_path)
    (hook,) = found.destinations
    assert (hook.name, hook.kind, hook.retry_for) == ("billing", "webhook", timedelta(hours=1, minutes=30))
    assert hook.secret == b"a-secret-of-at-least-16-bytes"  # read beside the config file
    assert found.timeout == timedelta(seconds=5) and found.lease == timedelta(seconds=30)


def test_no_table_is_no_destination(tmp_path):
    assert handoff_settings({}, tmp_path).destinations == ()


@pytest.mark.parametrize("value", ["", "5", "5 s", "1w", "-5s", "0s", 30])
def test_durations_are_refused_with_the_setting_named(value):
    with pytest.raises(ValueError, match=r"^retry_for: .*(not a duration|shorter)"):
        parse_duration(value, "retry_for")


@pytest.mark.parametrize("changes, words", [
    ({"name": "bad name"}, r"handoff.webhook\[0\].name: 'bad name' is not a name"),
    ({"url": "ftp://x.example.com/"}, "url: 'ftp://x.example.com/' is not an https:// URL"),
    ({"url": "http://billing.example.com/"}, r"must be https:// \(plain http only to 127.0.0.1"),
    ({"url": "https://u:p@billing.example.com/"}, "carries a user or password"),
    ({"secret_file": None}, "secret_file must name the file"),
    ({"secret_file": "absent"}, "cannot read"),
    ({"retry_for": "forever"}, "retry_for: 'forever' is not a duration"),
    ({"secret": "inline"}, "unknown setting 'secret'"),
])
def test_a_webhook_problem_is_one_sentence(tmp_path, secret, changes, words):
    with pytest.raises(ValueError, match=words) as raised:
        handoff_settings(_hook(**changes), tmp_path)
    assert "\n" not in str(raised.value)


def test_a_secret_others_can_read_or_too_short_is_refused(tmp_path, secret):
    os.chmod(secret, 0o644)
    with pytest.raises(ValueError, match="can be read by other users; chmod 600"):
        handoff_settings(_hook(), tmp_path)
    os.chmod(secret, 0o600)
    secret.write_text("short\n", encoding="utf-8")
    with pytest.raises(ValueError, match="shorter than 16 bytes"):
        handoff_settings(_hook(), tmp_path)


def test_table_level_rules(tmp_path, secret):
    twice = {"webhook": [*_hook()["webhook"], *_hook()["webhook"]]}
    with pytest.raises(ValueError, match="'billing' is used twice"):
        handoff_settings(twice, tmp_path)
    with pytest.raises(ValueError, match="lease: at least twice the timeout"):
        handoff_settings({"timeout": "30s", "lease": "40s"}, tmp_path)
    with pytest.raises(ValueError, match="need the \\[smtp\\] table"):
        handoff_settings({"email": [{"name": "callers"}]}, tmp_path)
    with pytest.raises(ValueError, match="unknown setting 'hooks'"):
        handoff_settings({"hooks": []}, tmp_path)


def test_the_relay_refuses_a_config_without_destinations(tmp_path, capsys):
    config = tmp_path / "config.toml"
    config.write_text("[handoff]\n", encoding="utf-8")
    assert main(["relay", "--once", "--config", str(config), "--db", f"sqlite:///{tmp_path}/none.db"]) == 2
    assert "no destination is configured" in capsys.readouterr().err


def test_handoff_must_be_a_table(tmp_path, capsys):
    config = tmp_path / "config.toml"
    config.write_text('handoff = "yes"\n', encoding="utf-8")
    assert main(["relay", "status", "--config", str(config), "--db", f"sqlite:///{tmp_path}/none.db"]) == 2
    assert "handoff: must be a table" in capsys.readouterr().err


def test_smtp_problems_name_the_smtp_setting(tmp_path):
    table, smtp = {"email": [{"name": "callers"}]}, {"host": "smtp.example.com"}
    with pytest.raises(ValueError, match=r"^smtp\.sender: the From address is required"):
        handoff_settings(table, tmp_path, smtp)
    smtp["sender"] = "Desk <desk@example.com>"
    assert handoff_settings(table, tmp_path, smtp).smtp.host == "smtp.example.com"
    assert handoff_settings({"webhook": []}, tmp_path, {"host": ""}).smtp is None  # no e-mail: not read
