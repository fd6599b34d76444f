"""The command line's help in Simplified Chinese: every help text and description the parser
shows is a marked text of the catalog, argparse's own words ("usage:", "options", "-h") come
from the catalog too, and the help, wrapped by terminal cells, fits an 80-column terminal.
Counts and days without a year are written as the language writes them (tickets.i18n)."""

from __future__ import annotations

import argparse
import re
from datetime import date

import pytest
from babel.messages.pofile import read_po
from rich.cells import cell_len

from deskapp.cli import COMMANDS, build_parser, main
from deskapp.language import LOCALE_DIR, apply_language, wrap_cells
from tickets.i18n import month_day, number

PO = LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / "deskapp.po"
ARGPARSE_ENGLISH = ("usage:", "options:", "positional arguments:", "show this help message and exit")


def _parsers(parser: argparse.ArgumentParser):
    """The parser and every parser below it (commands and their actions)."""
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in dict.fromkeys(action.choices.values()):
                yield from _parsers(child)


def _help(argv: list[str], capsys) -> str:
    with pytest.raises(SystemExit) as done:
        main([*argv, "--help"])
    assert done.value.code == 0
    return capsys.readouterr().out


def test_every_help_text_of_the_command_line_is_in_the_catalog():
    with PO.open("rb") as stream:
        catalog = read_po(stream, locale="zh_CN")
    apply_language("en")
    shown = set()
    for parser in _parsers(build_parser()):
        shown.add(parser.description)
        shown.update(action.help for action in parser._actions)
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                shown.update(choice.help for choice in action._choices_actions)
    # A text with values put in ("port to bind (default 8000)") is in the catalog as its msgid.
    patterns = [re.compile(".*".join(re.escape(part) for part in re.split(r"\{[^{}]*\}", str(message.id))))
                for message in catalog if message.id]
    shown.discard(argparse.SUPPRESS)  # a hidden option's marker: argparse shows nothing for it
    missing = sorted(text for text in shown if text and not any(p.fullmatch(text) for p in patterns))
    assert missing == [], f"help not marked for translation: {missing[:5]}"


@pytest.mark.parametrize("command", ["", *sorted(COMMANDS)])
def test_the_help_is_chinese_and_fits_80_columns(command, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    words = ["--language", "zh-CN", *command.split()]
    if command == "db":
        words.append("upgrade")
    elif command in ("audit", "agents", "directory"):
        words.append({"audit": "log", "agents": "add", "directory": "import"}[command])
    text = _help(words, capsys)
    assert text.startswith("用法：deskapp")
    assert not [word for word in ARGPARSE_ENGLISH if word in text]
    assert "显示此帮助信息并退出" in text
    too_wide = [line for line in text.splitlines() if cell_len(line) > 80]
    assert too_wide == []


def test_an_argument_error_is_said_in_chinese(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--language", "zh-CN", "export"])
    assert done.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == "deskapp export：错误：缺少以下必需参数：--format"


def test_the_english_help_stays_english(capsys):
    text = _help([], capsys)
    assert text.startswith("usage: deskapp") and "show this help message and exit" in text


def test_wrapping_by_cells_breaks_between_cjk_characters_and_at_spaces_elsewhere():
    lines = wrap_cells("导出工单，最早的在前 export tickets oldest first", 10)
    assert all(cell_len(line) <= 10 for line in lines)
    assert "".join(lines).replace(" ", "") == "导出工单，最早的在前exportticketsoldestfirst"
    assert not any(line[0] in "，。）" for line in lines)
    # A line break inside a Chinese text is no space; between Chinese and Latin words it is.
    assert wrap_cells("保留最后 4 位，\n电子邮件", 80) == ["保留最后 4 位，电子邮件"]
    assert wrap_cells("one two three", 7) == ["one two", "three"]


def test_counts_and_days_in_the_language():
    apply_language("en")
    assert (number(12400), month_day(date(2026, 11, 9))) == ("12,400", "Nov 9")
    apply_language("zh-CN")
    assert (number(12400), month_day(date(2026, 11, 9))) == ("12,400", "11月9日")
