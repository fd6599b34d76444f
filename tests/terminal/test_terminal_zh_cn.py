"""A whole call in Simplified Chinese on the real console (`deskapp --demo --language zh-CN
--time-zone Asia/Shanghai`, a pseudo-terminal read back through pyte): a 21Vianet agent signs
in, finds the organization by its Chinese name, verifies the caller with names and an address
pasted in Chinese, files an early cancellation with a reason in Chinese and ends the call; the
ticket in the database holds what was typed, and its filing event the checklist sentences in
the language the caller heard them and the desk's time zone."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from zoneinfo import ZoneInfo

from desk_terminal import CTRL_G, CTRL_S, DOWN, ENTER, SPACE, TAB, DeskTerminal

PASTE_START, PASTE_END = "\x1b[200~", "\x1b[201~"


def paste(desk: DeskTerminal, text: str) -> None:
    """Text pasted from elsewhere (a bracketed paste, as a terminal sends it), not typed."""
    desk.type(PASTE_START + text + PASTE_END, max_gap_ms=0)


def wide_text(desk: DeskTerminal) -> str:
    """The screen as text, wide (CJK) characters included. pyte's own `display` fails on the
    empty cell a redraw leaves when it overwrites half of a wide character; that cell is a stub
    here, as the right half of a wide character is."""
    with desk._lock:
        rows = [desk.screen.buffer[y] for y in range(desk.screen.lines)]
        return "\n".join("".join(row[x].data for x in range(desk.screen.columns)).rstrip() for row in rows)


def test_a_whole_call_in_chinese_files_the_ticket_as_typed(tmp_path):
    from tickets.demo import DEMO_CALLERS

    caller = next(c for c in DEMO_CALLERS if c["key"] == "vianet-early-cancellation")
    reason = "客户改用其他服务，不再续订"
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()  # no requested date: today at the desk
    with DeskTerminal.demo(tmp_path, "--language", "zh-CN", "--time-zone", "Asia/Shanghai") as desk:
        desk.text = lambda: wide_text(desk)  # type: ignore[method-assign]
        assert desk.wait_for("演示：可登录为"), desk.text()
        desk.type("wangfang", TAB, "5555", ENTER)
        assert desk.wait_for("可以接听下一通来电"), desk.text()
        assert "王芳 (wangfang, 座席) · Asia/Shanghai" in desk.text()

        desk.type("n")
        assert desk.wait_for("查找组织"), desk.text()
        paste(desk, caller["org_name"])
        desk.type(ENTER)
        assert desk.wait_for(caller["org_ref"]), desk.text()
        desk.type(ENTER)
        assert desk.wait_for("登录用户 ID"), desk.text()
        desk.type(caller["user_id"], TAB, caller["phone"], TAB)
        for value in (caller["contact_first_name"], caller["contact_last_name"], caller["org_name"],
                      *caller["street_lines"], caller["city"], caller["region"]):
            paste(desk, value)
            desk.type(TAB)
        desk.type(caller["postal_code"], TAB, caller["country"], CTRL_S)
        assert desk.wait_for("已验证，本次通话有效至"), desk.text()
        assert "宋雨" in desk.text() and "浙江省杭州市西湖区文三路478号" in desk.text()

        # The one subscription, the second kind (early cancellation), its three C-7 items.
        desk.type(ENTER, DOWN, ENTER)
        assert desk.wait_for("提交工单"), desk.text()
        desk.type(SPACE, DOWN, SPACE, DOWN, SPACE, TAB, TAB, TAB)
        paste(desk, reason)
        desk.type(CTRL_S)
        assert desk.wait_for("提交工单？"), desk.text()
        desk.type("y")
        assert desk.wait_for("已提交 1 张工单"), desk.text()
        desk.type(ENTER, CTRL_G)
        assert desk.wait_for("通话小结"), desk.text()
        paste(desk, "已提交提前取消")
        desk.type(ENTER)
        assert desk.wait_for("通话已结束"), desk.text()

        with sqlite3.connect(desk.database_url.removeprefix("sqlite:///")) as db:
            kind, reason_stored, status, sub = db.execute(
                "SELECT t.kind, t.reason, t.status, s.ref FROM ticket t JOIN subscription s ON s.id = t.subscription_id"
            ).fetchone()
            (details,) = db.execute("SELECT details FROM audit_event WHERE action = 'ticket.filed'").fetchone()
    assert (kind, reason_stored, status, sub) == ("cancel_early", reason, "open", "SUB-0059")
    filed = json.loads(details)
    assert filed["time_zone"] == "Asia/Shanghai"
    assert filed["confirmed"] == [
        "从 Office 365 中删除自定义域 xixi-soft.cn (C-7)",
        "更新 xixi-soft.cn 指向 Office 365 的 DNS 记录（例如将注册商处的 NS 记录改为其他服务器） (C-7)",
        f"将数据另存他处：Office 365 数据的访问于 {today}结束 (C-7)",
    ]
