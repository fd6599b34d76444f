"""deskapp.config: the settings file, the environment and flags, each value's source, and the
database password kept off the command line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deskapp.cli import main
from deskapp.config import (
    ConfigError,
    check_database_url,
    config_file,
    load_settings,
    mask_url,
    remember,
    state_file,
)

PG = "postgresql://deskapp@db.example.com:5432/deskapp"


def _write_config(text: str) -> Path:
    path = config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_file():
    settings = load_settings(environ={})
    assert settings["pool_size"] == 5 and settings["time_zone"] == "UTC" and settings["keys"] == {}
    assert {item.source for item in settings.items.values()} == {"default"}
    assert settings.database.startswith("sqlite:///") and settings.database.endswith("deskapp/deskapp.db")


def test_file_then_environment_then_flags_each_with_its_source():
    path = _write_config(
        f'database = "{PG}"\npool_size = 12\ntime_zone = "Asia/Shanghai"\ntheme = "nord"\n'
        'export_dir = "~/exports"\n[keys]\nend_call = "ctrl+e"\n'
    )
    settings = load_settings(environ={"DESKAPP_POOL_SIZE": "20", "DESKAPP_TIME_ZONE": "America/Los_Angeles"},
                             flags={"time_zone": "Europe/London"})
    assert settings["database"] == PG and settings.items["database"].source == f"config file ({path})"
    assert settings["pool_size"] == 20 and settings.items["pool_size"].source == "environment (DESKAPP_POOL_SIZE)"
    assert settings["time_zone"] == "Europe/London" and settings.items["time_zone"].source == "--time-zone"
    assert settings["keys"] == {"end_call": "ctrl+e"}
    assert settings.export_dir == Path.home() / "exports"
    assert str(settings.zone) == "Europe/London"


def test_a_theme_chosen_in_the_console_is_remembered_over_the_file():
    _write_config('theme = "nord"\n')
    remember(theme="dracula")
    settings = load_settings(environ={})
    assert settings["theme"] == "dracula" and str(state_file()) in settings.items["theme"].source


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("pool_size = 0\n", "pool_size"),
        ('pool_size = "many"\n', "pool_size"),
        ('time_zone = "Mars/Olympus"\n', "time_zone"),
        ('database = "mysql://u@h/d"\n', "database"),
        ('colour = "red"\n', "unknown setting 'colour'"),
        ("pool_size = \n", "not valid TOML"),
        ('[keys]\nend_call = 5\n', "keys"),
        ("review_late_minutes = 0\n", "review_late_minutes"),
        ('review_late_minutes = "soon"\n', "review_late_minutes"),
    ],
)
def test_a_bad_file_is_one_error_naming_the_setting_and_the_file(text, named):
    path = _write_config(text)
    with pytest.raises(ConfigError) as caught:
        load_settings(environ={})
    assert named in str(caught.value) and "\n" not in str(caught.value)
    assert str(path) in str(caught.value) or "config file" in str(caught.value)


def test_database_urls_this_deskapp_can_open():
    assert check_database_url("sqlite:////tmp/x.db") == "sqlite:////tmp/x.db"
    assert check_database_url(PG) == PG
    for bad, says in [("not a url", "is not a URL"), ("mysql://u@h/d", "'mysql' databases are not supported"),
                      ("", "is not a URL")]:
        with pytest.raises(ConfigError, match=says):
            check_database_url(bad)


def test_a_password_on_the_command_line_is_refused_and_says_where_to_put_it():
    with pytest.raises(ConfigError) as caught:
        load_settings({"db": "postgresql://deskapp:hunter2@db/deskapp"}, environ={})
    text = str(caught.value)
    assert "--db" in text and "~/.pgpass" in text and "database_password_file" in text and "hunter2" not in text
    # From the environment (not in the process list) it is accepted, and shown masked.
    settings = load_settings(environ={"DESKAPP_DATABASE_URL": "postgresql://deskapp:hunter2@db/deskapp"})
    assert mask_url(settings["database"]) == "postgresql://deskapp:***@db/deskapp"


@given(st.text(max_size=60))
def test_any_text_as_a_database_url_is_accepted_or_one_config_error(text):
    try:
        assert check_database_url(text) == text
    except ConfigError as error:
        assert "\n" not in str(error)


@given(st.from_regex(r"[a-z]{1,8}:[A-Za-z0-9%!~*]{1,12}", fullmatch=True))
def test_mask_url_never_shows_the_password(credentials):
    password = credentials.split(":", 1)[1]
    masked = mask_url(f"postgresql://{credentials}@db.example.com/deskapp")
    assert ":***@" in masked and f":{password}@" not in masked


def test_the_password_file_must_be_private_and_goes_into_the_engine_only(tmp_path):
    secret = tmp_path / "db-password"
    secret.write_text("s3cret!\n")
    secret.chmod(0o644)
    _write_config(f'database = "{PG}"\ndatabase_password_file = "{secret}"\n')
    settings = load_settings(environ={})
    with pytest.raises(ConfigError, match="can be read by other users; chmod 600"):
        settings.database_password()
    secret.chmod(0o600)
    store = settings.open_store()  # engines connect lazily: nothing is reached here
    assert store.engine.url.password == "s3cret!" and "s3cret" not in store.url
    assert store.engine.pool.size() == 5
    store.dispose()


@pytest.mark.parametrize("content, says", [(b"", "is empty"), (b"\xff\xfe\n", "is not UTF-8 text")])
def test_an_empty_or_undecodable_password_file_is_refused_by_name(tmp_path, content, says):
    secret = tmp_path / "db-password"
    secret.write_bytes(content)
    secret.chmod(0o600)
    _write_config(f'database = "{PG}"\ndatabase_password_file = "{secret}"\n')
    with pytest.raises(ConfigError, match=f"^database_password_file: .*{says}$"):
        load_settings(environ={}).database_password()


def test_config_command_shows_value_and_source_and_masks(tmp_path, capsys, monkeypatch):
    secret = tmp_path / "pw"
    secret.write_text("s3cret!\n")
    secret.chmod(0o600)
    path = _write_config(f'database_password_file = "{secret}"\ntime_zone = "Asia/Shanghai"\n')
    monkeypatch.setenv("DESKAPP_DATABASE_URL", "postgresql://deskapp:envpass@db/deskapp")
    assert main(["config", "--pool-size", "9"]) == 0
    out = capsys.readouterr().out
    assert f"config file: {path}" in out
    assert "postgresql://deskapp:***@db/deskapp  [environment (DESKAPP_DATABASE_URL)]" in out
    assert f"time_zone               Asia/Shanghai  [config file ({path})]" in out
    assert "pool_size               9  [--pool-size]" in out
    assert "envpass" not in out and "s3cret" not in out


def test_config_errors_are_one_line_and_exit_2(capsys):
    for argv in (["agents", "list", "--db", "not a url"], ["agents", "list", "--db", "mysql://u@h/d"],
                 ["config", "--time-zone", "Nowhere/Town"], ["db", "current", "--pool-size", "0"],
                 ["agents", "list", "--db", "postgresql://u:pw@h/d"]):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.startswith("deskapp: error: ") and err.count("\n") == 1, err


def test_postgresql_without_psycopg_is_one_line_and_exit_2():
    code = "import sys; sys.modules['psycopg'] = None\nfrom deskapp.cli import main\nsys.exit(main(sys.argv[1:]))"
    result = subprocess.run(
        [sys.executable, "-c", code, "agents", "list", "--db", "postgresql://u@127.0.0.1:1/d"],
        capture_output=True, text=True, timeout=60, env={**os.environ},
    )
    assert result.returncode == 2
    assert (
        result.stderr
        == "deskapp: error: database: PostgreSQL needs psycopg, which is not installed:"
        " pip install 'deskapp[postgres]'\n"
    )


def test_config_checks_key_map_ids_and_the_theme(capsys):
    _write_config('theme = "nord"\n[keys]\nend_call = "ctrl+e"\n')
    assert main(["config", "--keys"]) == 0
    out = capsys.readouterr().out
    assert "end_call               ctrl+g       End call (DeskApp)" in out
    assert "search_anywhere        ctrl+f       Search (DeskApp)" in out
    _write_config('theme = "nope"\n[keys]\nend_cal = "ctrl+e"\n')
    assert main(["config"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "deskapp: error: keys: 'end_cal' is not a binding id (deskapp config --keys lists them)"
    assert err[1].startswith("deskapp: error: theme: 'nope' is not a theme; one of: ") and "nord" in err[1]


def test_the_live_queues_listen_where_listen_database_says_with_the_password_file(tmp_path, monkeypatch):
    """Behind PgBouncer in transaction mode LISTEN needs PostgreSQL directly: a
    setting like the others (file < DESKAPP_LISTEN_URL), its password from the same file."""
    import tickets.store.changes

    opened = []
    monkeypatch.setattr(tickets.store.changes, "PostgresChangeFeed", opened.append)  # no connection made

    secret = tmp_path / "db-password"
    secret.write_text("s3cret!\n")
    secret.chmod(0o600)
    direct = "postgresql://deskapp@db.example.com:5432/deskapp"
    _write_config(f'database = "postgresql://deskapp@bouncer:6432/deskapp"\n'
                  f'database_password_file = "{secret}"\nlisten_database = "{direct}"\n')
    settings = load_settings(environ={})
    assert settings.items["listen_database"].source.startswith("config file")
    store = settings.open_store()
    from sqlalchemy.engine import make_url

    listen = make_url(store.listen_url)
    assert (listen.host, listen.port, listen.password) == ("db.example.com", 5432, "s3cret!")
    tickets.store.changes.feed_for(store)
    assert opened == [store.listen_url]  # not the engine's URL (PgBouncer)
    store.dispose()
    other = "postgresql://deskapp@db2.example.com/deskapp"
    assert load_settings(environ={"DESKAPP_LISTEN_URL": other})["listen_database"] == other
    with pytest.raises(ConfigError, match="listen_database: .*not a postgresql:// URL"):
        load_settings(environ={"DESKAPP_LISTEN_URL": "sqlite:////tmp/x.db"})
    with pytest.raises(ConfigError, match="listen_database: 'nope' is not a URL"):
        load_settings(environ={"DESKAPP_LISTEN_URL": "nope"})


@pytest.mark.parametrize("how", ["flag", "environment"])
def test_a_config_file_named_explicitly_must_exist(how, tmp_path, monkeypatch, capsys):
    missing = tmp_path / "no" / "such" / "file.toml"
    argv = ["config"]
    if how == "flag":
        argv += ["--config", str(missing)]
    else:
        monkeypatch.setenv("DESKAPP_CONFIG", str(missing))
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"deskapp: error: config: the settings file {missing} does not exist\n"


def test_the_default_config_file_may_be_absent(capsys):
    assert not config_file().exists()
    assert main(["config"]) == 0
    assert "(not there: every setting has its default)" in capsys.readouterr().out
