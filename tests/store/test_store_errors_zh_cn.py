"""The rarer errors in Simplified Chinese: a zh-CN desk reads its configuration errors, the
agent administration's refusals (SQLite's and the PostgreSQL functions' alike), the directory
import's validation and the backup's answers in its language, rule IDs and setting names kept
as they are; English stays byte-for-byte what it was."""

from __future__ import annotations

import io
import json
import sys

import pytest

from deskapp.cli import main
from deskapp.language import apply_language
from tickets.agents import create_agent


def _url(store) -> str:
    return store.engine.url.render_as_string(hide_password=False)


def _chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


# --- configuration: exit 2, one sentence, in the language asked for despite the bad setting ---


def test_a_missing_settings_file_is_one_chinese_line(tmp_path, capsys):
    missing = tmp_path / "bad.toml"
    assert main(["--language", "zh-CN", "--config", str(missing), "config"]) == 2
    err = capsys.readouterr().err
    assert err == f"deskapp：错误：config：设置文件 {missing} 不存在\n"


def test_a_bad_setting_in_a_zh_cn_config_file_is_reported_in_chinese(tmp_path, capsys):
    config = tmp_path / "config.toml"
    config.write_text('language = "zh-CN"\npool_size = 0\n', encoding="utf-8")
    assert main(["--config", str(config), "config"]) == 2
    err = capsys.readouterr().err
    assert err == f"deskapp：错误：pool_size：0 不是 1 到 100 之间的整数 （来自 配置文件（{config}））\n"


def test_a_bad_time_zone_from_the_environment_names_it_in_chinese(monkeypatch, capsys):
    monkeypatch.setenv("DESKAPP_LANGUAGE", "zh-CN")
    monkeypatch.setenv("DESKAPP_TIME_ZONE", "Mars/Olympus")
    assert main(["config"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("deskapp：错误：time_zone：'Mars/Olympus' 不是时区")
    assert "环境变量（DESKAPP_TIME_ZONE）" in err


def test_a_configuration_error_in_english_is_as_it_was(tmp_path, capsys):
    missing = tmp_path / "bad.toml"
    assert main(["--config", str(missing), "config"]) == 2
    assert capsys.readouterr().err == f"deskapp: error: config: the settings file {missing} does not exist\n"


def test_a_template_holding_a_pin_is_refused_in_chinese(tmp_path, capsys):
    config = tmp_path / "config.toml"
    config.write_text('language = "zh-CN"\n[templates.reason]\nmoving = "PIN 4821"\n', encoding="utf-8")
    assert main(["--config", str(config), "config"]) == 2
    err = capsys.readouterr().err
    assert "templates.reason.moving：看起来像 PIN；模板绝不能包含密码、PIN 或验证码 (V-6)" in err, err


# --- agent administration, on both engines (PostgreSQL's refusals come from its functions) ---


def test_agent_administration_refusals_are_chinese(store, monkeypatch, capsys):
    create_agent(store, name="joan", display_name="Joan Clarke", role="agent", pin="4821")
    assert main(["--language", "zh-CN", "agents", "disable", "nobody", "--db", _url(store)]) == 1
    assert capsys.readouterr().err == "deskapp：错误：name：没有名为 'nobody' 的座席\n"
    assert main(["--language", "zh-CN", "agents", "disable", "joan", "--db", _url(store)]) == 0
    capsys.readouterr()
    assert main(["--language", "zh-CN", "agents", "disable", "joan", "--db", _url(store)]) == 0
    assert capsys.readouterr().out == "joan 已是停用状态：未做更改，未作记录\n"
    monkeypatch.setattr(sys, "stdin", io.StringIO("12\n"))
    assert main(["--language", "zh-CN", "agents", "reset-pin", "joan", "--pin-stdin", "--db", _url(store)]) == 1
    assert "pin: 4 到 64 位数字" in (err := capsys.readouterr().err), err


def test_x2_refusal_keeps_its_rule_id_in_chinese(store):
    from tickets.agents import authenticate, set_role
    from tickets.errors import NotAllowed

    create_agent(store, name="linus", display_name="Linus", role="supervisor", pin="3333")
    create_agent(store, name="joan", display_name="Joan", role="agent", pin="4821")
    linus = authenticate(store, name="linus", pin="3333")
    apply_language("zh-CN")
    with pytest.raises(NotAllowed) as refused:
        set_role(store, "joan", "supervisor", actor=linus)
    assert str(refused.value) == "X-2: 主管的账户须用数据库所有者的凭据更改，不能由另一位主管更改"
    assert refused.value.rule == "X-2"
    with pytest.raises(NotAllowed) as wrong:
        authenticate(store, name="joan", pin="0000")
    assert str(wrong.value).startswith("sign-in：座席名与 PIN 不匹配")


# --- backup ---------------------------------------------------------------------------------


def test_backup_answers_in_chinese(store, backend, tmp_path):
    from tickets.backup import backup
    from tickets.errors import DeskError

    apply_language("zh-CN")
    if backend == "sqlite":
        assert "条审计事件" in backup(store, tmp_path / "copy.db")
        with pytest.raises(DeskError) as again:
            backup(store, tmp_path / "copy.db")
        assert str(again.value) == f"{tmp_path / 'copy.db'}：已存在；请另选一个文件名"
    else:
        with pytest.raises(DeskError) as advice:
            backup(store, tmp_path / "copy.db")
        assert str(advice.value).startswith("PostgreSQL 数据库用服务器自己的工具备份") and _chinese(str(advice.value))


# --- directory import -----------------------------------------------------------------------


def test_a_directory_import_with_a_bad_row_is_reported_in_chinese(store, tmp_path, capsys):
    from tickets.demo import demo_directory  # the demo directory, in the import format

    document = demo_directory(store.clock.now())
    org = document["organizations"][0]
    org["country"] = "UK"
    org["people"][0]["phone"] = "not a phone"
    del org["subscriptions"][0]["state"]
    file = tmp_path / "directory.json"
    file.write_text(json.dumps(document), encoding="utf-8")
    assert main(["--language", "zh-CN", "directory", "import", str(file), "--db", _url(store)]) != 0
    err = capsys.readouterr().err
    assert "organizations[0] country: 'UK' 不是 ISO 3166-1 alpha-2 国家代码（英国的代码是 GB）" in err, err
    assert "organizations[0].subscriptions[0] state: 必填" in err, err


def test_a_file_that_is_not_json_is_one_chinese_sentence(store, tmp_path, capsys):
    file = tmp_path / "directory.json"
    file.write_text('{"format": "deskapp-directory", ', encoding="utf-8")
    assert main(["--language", "zh-CN", "directory", "import", str(file), "--db", _url(store)]) != 0
    assert "文件不是有效的 JSON：在第 1 行第 " in capsys.readouterr().err


def test_a_database_refusal_is_read_back_into_its_sentence():
    from deskapp.language import apply_language
    from tickets.store.calls import in_language

    apply_language("zh-CN")
    assert in_language("name: there is no agent called 'ada'") == "name：没有名为 'ada' 的座席"
    assert in_language("agents: only a supervisor administers agents") == "agents：只有主管可以管理座席"
    assert in_language("X-2: a supervisor is added with the database owner's credentials, not by another "
                       "supervisor") == "X-2: 主管须用数据库所有者的凭据添加，不能由另一位主管添加"
    assert in_language("agent 7 does not exist") == "座席 7 不存在"
    assert in_language("something the catalog does not know") == "something the catalog does not know"
    apply_language("en")
    assert in_language("agent 7 does not exist") == "agent 7 does not exist"


def test_agents_list_in_chinese_is_padded_by_cells(store, capsys):
    from rich.cells import cell_len

    create_agent(store, name="joan", display_name="琼·克拉克", role="agent", pin="4821")
    assert main(["--language", "zh-CN", "agents", "list", "--db", _url(store)]) == 0
    head, row = capsys.readouterr().out.splitlines()[:2]
    assert head.split() == ["名称", "角色", "状态", "显示名称"]
    assert row.split() == ["joan", "座席", "有效", "琼·克拉克"]
    assert cell_len(head[:head.index("显示名称")]) == cell_len(row[:row.index("琼")]) == 20 + 1 + 11 + 1 + 9 + 1
