"""Wrap-up and reason templates (macros) a desk defines in its config file:

    [templates.wrap_up]            # offered in the wrap-up note
    filed = "Ticket filed; the caller was told the dates and the consequences."
    [templates.reason]             # offered in every other free-text field: reasons, notes
    moving = "The organization moves to another provider."

ctrl+t in a free-text field inserts the field's template at the cursor (one template) or offers
its templates to pick from (digit or Enter). The config is checked when the console starts
(deskapp.config): a template that is not one line of storable text, too long, or that looks
like it holds a password, PIN or code (V-6) stops the start with one sentence.

Light: no Textual here (the command line checks the config before any screen exists).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from tickets.i18n import N_, _

GROUPS = {"wrap_up": N_("the wrap-up note"), "reason": N_("reasons and notes")}  # shown: _(GROUPS[group])
MAX_TEXT = 500  # well inside the shortest field a template goes into (a callback note: 500)
MAX_PER_GROUP = 9  # each picked by its digit
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,39}$")


class TemplateError(ValueError):
    """One sentence saying which template is wrong and why."""


def check_templates(value: Any, where: str = "") -> dict[str, dict[str, str]]:
    """The `templates` setting checked: {group: {name: text}}; TemplateError if not usable."""
    suffix = f" {where}".rstrip()
    example = _('e.g. [templates.reason] then moving = "The organization moves to another provider."')
    if not isinstance(value, dict):
        raise TemplateError(_("templates: a table of wrap_up and reason templates, {example}{where}").format(
            example=example, where=suffix))
    checked: dict[str, dict[str, str]] = {}
    for group, entries in value.items():
        if group not in GROUPS:
            raise TemplateError(_("templates: unknown group {group}; use wrap_up or reason{where}").format(
                group=repr(group), where=suffix))
        if not isinstance(entries, dict) or not entries:
            raise TemplateError(_('templates.{group}: a table of name = "text", {example}{where}').format(
                group=group, example=example, where=suffix))
        if len(entries) > MAX_PER_GROUP:
            raise TemplateError(_("templates.{group}: at most {most} templates (one digit each){where}").format(
                group=group, most=MAX_PER_GROUP, where=suffix))
        checked[group] = {}
        for name, text in entries.items():
            checked[group][name] = _check_one(f"templates.{group}.{name}", name, text, suffix)
    return checked


def _check_one(setting: str, name: str, text: Any, suffix: str) -> str:
    if not _NAME.match(name):
        raise TemplateError(_("{setting}: a name is a letter then letters, digits, _ or -, at most 40{where}").format(
            setting=setting, where=suffix))
    if not isinstance(text, str) or not text.strip():
        raise TemplateError(_("{setting}: must be some text in quotes{where}").format(setting=setting, where=suffix))
    text = text.strip()
    if len(text) > MAX_TEXT:
        raise TemplateError(_("{setting}: at most {most} characters, not {length}{where}").format(
            setting=setting, most=MAX_TEXT, length=len(text), where=suffix))
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp") for ch in text):
        raise TemplateError(_("{setting}: one line of plain text: no line breaks or control characters{where}").format(
            setting=setting, where=" (V-3)" + suffix))
    from deskapp.identity_words import identity_text
    from identity.credentials import find_credential  # only when a desk has templates

    reason = find_credential(text)
    if reason:
        reason = identity_text(reason)
        raise TemplateError(_("{setting}: {reason}; a template must never hold a password, PIN or code{where}").format(
            setting=setting, reason=reason, where=" (V-6)" + suffix))
    return text


def group_of(input_id: str | None) -> str:
    """Which templates a free-text field offers: the wrap-up note its own, every other the reasons."""
    return "wrap_up" if input_id == "wrap_up_note" else "reason"
