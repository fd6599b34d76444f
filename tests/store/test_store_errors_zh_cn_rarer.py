"""The relay's settings, the lifecycle's and verification's refusals and the store's own errors
in Simplified Chinese: rule IDs and setting names kept as they are, English as it was."""

from __future__ import annotations

import pytest
from sqlalchemy import text

import testkit
from deskapp.cli import main
from deskapp.language import apply_language
from tickets import lifecycle
from tickets.enums import TicketKind
from tickets.errors import Conflict, NotAllowed, SchemaOutOfDate
from tickets.filing import FilingRequest, file_ticket
from tickets.handoff.settings import handoff_settings
from tickets.store.revision import head as head_revision
from tickets.store.schema import check_schema

EXPEDITED = frozenset({"acknowledge_data_loss", "remove_domains", "update_dns", "save_data"})


def _url(store) -> str:
    return store.engine.url.render_as_string(hide_password=False)


# --- the relay's [handoff] and [smtp] settings: exit 2, one sentence ----------------------------


def test_a_bad_handoff_setting_stops_the_relay_with_one_chinese_sentence(store, tmp_path, capsys):
    config = tmp_path / "config.toml"
    config.write_text('language = "zh-CN"\n[handoff]\ntimeout = "5m"\n'
                      '[[handoff.webhook]]\nname = "billing"\nurl = "https://example.com/hook"\n'
                      'secret_file = "secret"\n', encoding="utf-8")
    assert main(["relay", "--once", "--config", str(config), "--db", _url(store)]) == 2
    err = capsys.readouterr().err
    assert err == "deskapp：错误：handoff: timeout: 最多 2m（一次尝试不得长时间占用其行）\n", err


def test_a_relay_with_no_destination_says_so_in_chinese(store, capsys):
    assert main(["--language", "zh-CN", "relay", "--once", "--db", _url(store)]) == 2
    assert "handoff: 未配置任何目的地；请添加 [[handoff.webhook]] 或 [[handoff.email]] 表" in capsys.readouterr().err


def test_handoff_and_smtp_settings_in_both_languages(tmp_path):
    apply_language("zh-CN")
    with pytest.raises(ValueError) as duration:
        handoff_settings({"timeout": "soon"}, tmp_path)
    assert str(duration.value) == "handoff: timeout: 'soon' 不是 30s、15m、24h 或 7d 这样的时长"
    with pytest.raises(ValueError) as smtp:
        handoff_settings({"email": [{"name": "mail"}]}, tmp_path, {"host": "smtp.example.com", "port": 0})
    assert str(smtp.value) == "smtp.port: 必须是 1 到 65535 之间的整数，而不是 0"
    apply_language("en")
    with pytest.raises(ValueError) as english:
        handoff_settings({"timeout": "soon"}, tmp_path)
    assert str(english.value) == "handoff: timeout: 'soon' is not a duration like 30s, 15m, 24h or 7d"


# --- lifecycle and verification ---------------------------------------------------------------


def test_deciding_a_decided_ticket_is_refused_in_chinese(store):
    d = testkit.Directory(store).signed_in()
    ticket = file_ticket(store, agent=d.agent, verification_id=d.verified(), request=FilingRequest(
        kind=TicketKind.EXPEDITED_DEPROVISIONING, subscription_ref="SUB-INT", idempotency_key="k1",
        reason="moving away", confirmed=EXPEDITED)).filed[0].id
    lifecycle.record_callback(store, agent=d.agent2, ticket_id=ticket, note="called back")
    lifecycle.approve(store, supervisor=d.supervisor, ticket_id=ticket, reason="ok")
    apply_language("zh-CN")
    with pytest.raises((Conflict, NotAllowed)) as again:
        lifecycle.approve(store, supervisor=d.supervisor, ticket_id=ticket, reason="ok")
    assert str(again.value) == f"TK-{ticket:06d} 已由 Grace 决定：现在为“已批准”", str(again.value)
    with pytest.raises(NotAllowed) as callback:
        lifecycle.record_callback(store, agent=d.agent2, ticket_id=ticket, note="again")
    assert str(callback.value).startswith("V-8: "), str(callback.value)
    assert "回拨须在决定之前记录" in str(callback.value), str(callback.value)


def test_the_lifecycle_in_english_is_as_it_was(store):
    d = testkit.Directory(store).signed_in()
    with pytest.raises(Exception) as missing:
        lifecycle.record_callback(store, agent=d.agent, ticket_id=999_999, note="x")
    assert "TK-999999 does not exist" in str(missing.value)


# --- the store: schema too old, none, no file -------------------------------------------------


def test_a_schema_too_old_is_refused_in_chinese(store, capsys):
    with store.write() as session:
        session.exec(text("UPDATE alembic_version SET version_num = '0002'"))
    try:
        apply_language("zh-CN")
        with pytest.raises(SchemaOutOfDate) as old:
            check_schema(store.engine)
        assert "的数据库的结构版本为 0002，此 deskapp 需要" in str(old.value), str(old.value)
        assert str(old.value).endswith("请运行 `deskapp db upgrade`")
        assert main(["--language", "zh-CN", "relay", "status", "--db", _url(store)]) == 1
        assert "请运行 `deskapp db upgrade`" in capsys.readouterr().err
        apply_language("en")
        with pytest.raises(SchemaOutOfDate, match=r"is at schema 0002, this deskapp needs .*: run `deskapp db"):
            check_schema(store.engine)
    finally:
        with store.write() as session:
            session.exec(text(f"UPDATE alembic_version SET version_num = '{head_revision()}'"))


def test_no_database_file_is_said_in_chinese(tmp_path, capsys):
    missing = tmp_path / "nowhere.db"
    assert main(["--language", "zh-CN", "relay", "status", "--db", f"sqlite:///{missing}"]) != 0
    err = capsys.readouterr().err
    assert f"{missing} 处没有数据库文件：请检查 --db 或 $DESKAPP_DATABASE_URL" in err, err


def test_a_mail_preview_of_no_ticket_is_refused_in_chinese(store):
    from tickets.handoff.mail import mail_for

    apply_language("zh-CN")
    with pytest.raises(ValueError) as bad:
        mail_for(store, "nonsense", "filed", "en")
    assert str(bad.value) == "ticket: 'nonsense' 不是 TK-000012 这样的工单号"
    with pytest.raises(ValueError) as occasion:
        mail_for(store, "TK-000001", "later", "en")
    assert str(occasion.value) == "occasion: 必须是 filed, decided, migration_ready 之一，而不是 'later'"


def test_a_feed_cursor_with_filters_is_one_chinese_line(store, tmp_path, capsys):
    cursor = tmp_path / "cursor"
    assert main(["--language", "zh-CN", "export", "--cursor", str(cursor), "--format", "csv", "--db", _url(store)]) == 2
    err = capsys.readouterr().err
    assert err == "deskapp：错误：--cursor 只能与 --format jsonl 一起使用（每条记录都带有其审计位置）\n", err


def test_a_too_long_address_line_is_refused_in_both_languages():
    from deskapp.validators import AddressLine
    from identity.normalize import MAX_ADDRESS_LINE_LENGTH

    line = "街" * (MAX_ADDRESS_LINE_LENGTH + 1)
    english = AddressLine().validate(line).failure_descriptions
    assert english == [f"longer than {MAX_ADDRESS_LINE_LENGTH} characters (V-3)"]
    apply_language("zh-CN")
    assert AddressLine().validate(line).failure_descriptions == [f"超过 {MAX_ADDRESS_LINE_LENGTH} 个字符 (V-3)"]
