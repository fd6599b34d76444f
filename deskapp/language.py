"""The console's and the command line's language (the `language` setting): gettext catalogs
under deskapp/locale, managed with Babel (babel.cfg; see README "Languages") and compiled to
.mo files that ship in the wheel. tickets.i18n translates; this module only says where the
catalogs are and which language to use."""

from __future__ import annotations

from pathlib import Path

from tickets.i18n import use_language

LOCALE_DIR = Path(__file__).parent / "locale"

__all__ = ["LOCALE_DIR", "apply_language"]


def apply_language(language: str) -> None:
    """Every later text in `language` ("en", "zh-CN")."""
    use_language(language, LOCALE_DIR)
