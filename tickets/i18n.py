"""The language people read: one gettext domain ("deskapp") for the console, the command line
and the core's sentences (rule reasons, checklist sentences, errors), which people read too.

Standard-library gettext for the texts (and Babel's CLDR data for numbers and days, `number`,
`month_day`), so the core stays free of the console: the console and the
command line call `use_language` once at start with the catalogs' folder (shipped inside the
deskapp package, compiled from the .po files Babel manages); until then, and for English,
every text is the English msgid itself. Rule IDs (V-1, C-3 ...) are never part of a msgid's
translation: they are put beside the text, as they are in English.

    _("the caller must be listed as an admin of {name}").format(name=...)
    N_("Sign in")   marks a constant for extraction; translate it where it is shown: _(TEXT)
"""

from __future__ import annotations

import gettext as _gettext
import os
from collections.abc import Mapping
from datetime import date
from pathlib import Path

__all__ = [
    "DOMAIN",
    "LANGUAGES",
    "N_",
    "_",
    "catalog",
    "current_language",
    "language_from_locale",
    "ngettext",
    "month_day",
    "normalise_language",
    "number",
    "translations",
    "use_language",
]

DOMAIN = "deskapp"
# The languages with a catalog, by their setting (BCP 47) and gettext's folder name.
LANGUAGES: Mapping[str, str] = {"en": "en", "zh-CN": "zh_CN"}
# Each language's CLDR locale, for numbers and dates (Babel).
CLDR_LOCALES: Mapping[str, str] = {"en": "en", "zh-CN": "zh_Hans_CN"}

_translations: _gettext.NullTranslations = _gettext.NullTranslations()
_language = "en"
# Where the catalogs are: the folder the console named (use_language), else the one the
# deskapp package ships beside this package (a path, not an import: the core never imports
# the console).
_localedir: Path | None = None
_SHIPPED = Path(__file__).resolve().parent.parent / "deskapp" / "locale"


def normalise_language(value: str) -> str | None:
    """A setting, tag or POSIX locale ("zh_CN.UTF-8", "zh-cn", "zh-Hans", "en_GB") as one of
    LANGUAGES, or None when there is no catalog for it."""
    tag = value.strip().split(".", 1)[0].split("@", 1)[0].replace("_", "-").lower()
    if not tag or tag in ("c", "posix"):
        return "en" if tag else None
    if tag in ("zh", "zh-cn", "zh-hans", "zh-hans-cn", "zh-sg"):
        return "zh-CN"
    if tag == "en" or tag.startswith("en-"):
        return "en"
    return None


def language_from_locale(environ: Mapping[str, str] | None = None) -> str:
    """The terminal's language, as POSIX says which variable wins (LC_ALL, LC_MESSAGES, LANG;
    LANGUAGE's first entry first); English when none has a catalog."""
    environ = os.environ if environ is None else environ
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(variable, "")
        if not value:
            continue
        first = value.split(":", 1)[0]
        found = normalise_language(first)
        if found is not None:
            return found
        if variable != "LANGUAGE":
            return "en"
    return "en"


def use_language(language: str, localedir: Path | None) -> None:
    """Every later text in `language` (a key of LANGUAGES) from the catalogs in `localedir`."""
    global _translations, _language, _localedir
    if localedir is not None:
        _localedir = localedir
    if language == "en" or localedir is None:
        _translations, _language = _gettext.NullTranslations(), "en"
        return
    _translations = _gettext.translation(DOMAIN, localedir=str(localedir), languages=[LANGUAGES[language]])
    _language = language


def translations(language: str) -> _gettext.NullTranslations:
    """The catalog of one language, apart from the process's own (an e-mail is written in the
    desk's language whatever the process speaks): `translations(lang).gettext` is its `_`."""
    if language == "en":
        return _gettext.NullTranslations()
    if language not in LANGUAGES:
        raise ValueError(f"language: {language!r} has no catalog; use one of {', '.join(LANGUAGES)}")
    localedir = _localedir or _SHIPPED
    return _gettext.translation(DOMAIN, localedir=str(localedir), languages=[LANGUAGES[language]])


def current_language() -> str:
    return _language


def catalog() -> _gettext.NullTranslations:
    """The catalog `_` reads now: a new object at each `use_language`, so that texts made once
    (tickets.policy's sentences) can be kept by it and never outlive a change of language."""
    return _translations


def _(message: str) -> str:
    """`message` in the current language (the English msgid when it has no translation)."""
    return _translations.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translations.ngettext(singular, plural, n)


def N_(message: str) -> str:  # noqa: N802 - gettext's own name for "mark, translate later"
    return message


def number(value: int) -> str:
    """A count as the language writes it, digits grouped: 12,400 (en and zh-CN alike)."""
    from babel.numbers import format_decimal

    return format_decimal(value, locale=CLDR_LOCALES[_language])


def month_day(value: date) -> str:
    """A day without its year, in the language's own form: "Nov 9", "11月9日". Dates with a
    year are shown as ISO 8601 (2026-11-09) in every language (docs/languages.md)."""
    from babel.dates import format_skeleton

    return format_skeleton("MMMd", value, locale=CLDR_LOCALES[_language])
