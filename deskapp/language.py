"""The console's and the command line's language (the `language` setting): gettext catalogs
under deskapp/locale, managed with Babel (babel.cfg; see README "Languages") and compiled to
.mo files that ship in the wheel. tickets.i18n translates; this module says where the
catalogs are and which language to use, and makes argparse's help speak it and fit the
terminal (docs/languages.md "The command line")."""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

from tickets.i18n import N_, _, ngettext, use_language

LOCALE_DIR = Path(__file__).parent / "locale"

__all__ = [
    "ARGPARSE_WORDS",
    "LOCALE_DIR",
    "CellHelpFormatter",
    "CellRawDescriptionHelpFormatter",
    "DeskArgumentParser",
    "apply_language",
    "translate_argparse",
    "wrap_cells",
]


def apply_language(language: str) -> None:
    """Every later text in `language` ("en", "zh-CN"), argparse's own words included."""
    use_language(language, LOCALE_DIR)
    translate_argparse()


# argparse's own words (its usage line, headings, -h and its errors) come from the standard
# library's gettext domain, which has no Chinese; they are marked here so that our catalog
# translates them, and argparse is given our translation functions (its module-level `_` and
# `ngettext`, which it looks up each time it speaks). Python 3.11's wording.
ARGPARSE_WORDS = (
    N_("usage: "),
    N_("options"),
    N_("positional arguments"),
    N_("show this help message and exit"),
    N_("%(prog)s: error: %(message)s\n"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("expected one argument"),
    N_("expected at least one argument"),
    N_("expected at most one argument"),
    N_("ignored explicit argument %r"),
    N_("invalid %(type)s value: %(value)r"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("not allowed with argument %s"),
    N_("one of the arguments %s is required"),
    N_("the following arguments are required: %s"),
    N_("unrecognized arguments: %s"),
    N_("unknown parser %(parser_name)r (choices: %(choices)s)"),
    N_("can't open '%(filename)s': %(error)s"),
    ngettext("expected %s argument", "expected %s arguments", 0),
)


def translate_argparse() -> None:
    """argparse speaks the current language (call before a parser is built: -h's help is set then)."""
    argparse._ = _  # type: ignore[attr-defined]
    argparse.ngettext = ngettext  # type: ignore[attr-defined]


# argparse wraps its help with textwrap, which counts characters; a CJK character takes two
# terminal cells, so Chinese help would run past the terminal's edge. These wrap by cells: a
# line may break between any two CJK characters, and at spaces elsewhere.
_CJK = "\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"
# Compiled on first use (re's cache): the CJK ranges cost every command's start a few ms.
_TOKEN = rf"[{_CJK}]|[^\s{_CJK}]+"
# Never at the start of a line, never at the end of one (a line break carries a character over).
_NOT_FIRST = set("，。、；：！？）》」』】”’")
_NOT_LAST = set("（《「『【“‘")


def wrap_cells(text: str, width: int) -> list[str]:
    """`text` in lines of at most `width` cells, where it can break. White space collapses to
    one space, and to none between two CJK characters (a line break in a Chinese text)."""
    from rich.cells import cell_len  # only when help is shown: its width table costs every command

    text = re.sub(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])", "", " ".join(text.split()))
    lines: list[str] = []
    line = ""
    for match in re.finditer(_TOKEN, text):
        token = match.group()
        space = " " if line and text[match.start() - 1] == " " else ""
        if line and cell_len(line + space + token) > width:
            carry = ""
            while len(line) > 1 and not space and (line[-1] in _NOT_LAST or (token in _NOT_FIRST and not carry)):
                carry, line = line[-1] + carry, line[:-1]
            lines.append(line)
            line = carry + token
        else:
            line += space + token
    return lines + [line] if line else lines


class CellHelpFormatter(argparse.HelpFormatter):
    """Help wrapped by terminal cells (argparse documents overriding these two, as its
    RawTextHelpFormatter does)."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        return wrap_cells(text, width)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return "\n".join(indent + line for line in wrap_cells(text, width - len(indent)))


class CellRawDescriptionHelpFormatter(CellHelpFormatter):
    """The description's own line breaks kept (a line longer than the terminal still wraps)."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return "\n".join(indent + wrapped for line in text.splitlines()
                         for wrapped in (wrap_cells(line, width - len(indent)) or [""]))


class DeskArgumentParser(argparse.ArgumentParser):
    """An ArgumentParser whose help wraps by cells; its subcommands' parsers are of its class."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", CellHelpFormatter)
        super().__init__(*args, **kwargs)
