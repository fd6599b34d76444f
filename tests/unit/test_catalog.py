"""The zh-CN catalog (deskapp/locale, Babel): every text the code marks for translation is in
it and translated, each translation keeps its msgid's placeholders, and the compiled .mo that
ships is the .po compiled; the language setting picks it (flag, environment, locale)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po
from hypothesis import given
from hypothesis import strategies as st

from deskapp.config import ConfigError, load_settings
from deskapp.language import LOCALE_DIR
from tickets.i18n import _, catalog, language_from_locale, normalise_language, use_language

ROOT = Path(__file__).resolve().parents[2]
PO = LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / "deskapp.po"
MO = PO.with_suffix(".mo")
PLACEHOLDER = re.compile(r"\{[^{}]*\}|%\([a-z_]+\)[sdr]|%[sdr]")  # str.format's and argparse's


def _catalog():
    with PO.open("rb") as stream:
        return read_po(stream, locale="zh_CN")


def _marked() -> set[str]:
    """Every msgid the code marks, extracted as `tools/catalog.sh` does (babel.cfg)."""
    method_map = [("deskapp/**.py", "python"), ("tickets/**.py", "python")]
    keywords = {"_": None, "N_": None, "ngettext": (1, 2)}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT, method_map=method_map, keywords=keywords):
        found.add(message if isinstance(message, str) else message[0])
    return found - {""}


def test_every_marked_text_is_translated_in_zh_cn():
    catalog = _catalog()
    missing = sorted(m for m in _marked() if m not in catalog)
    untranslated = sorted(
        m.id if isinstance(m.id, str) else m.id[0] for m in catalog
        if m.id and (m.fuzzy or not (m.string if isinstance(m.string, str) else all(m.string)))
    )
    assert missing == [], f"not in the catalog (run tools/catalog.sh): {missing[:5]}"
    assert untranslated == [], f"untranslated or fuzzy: {untranslated[:5]}"


def test_translations_keep_their_placeholders():
    for message in _catalog():
        if not message.id:
            continue
        source = message.id if isinstance(message.id, str) else message.id[-1]
        targets = [message.string] if isinstance(message.string, str) else list(message.string)
        for target in targets:
            assert set(PLACEHOLDER.findall(target)) <= set(PLACEHOLDER.findall(source)), message.id


def test_the_shipped_mo_is_the_po_compiled():
    """The wheel ships deskapp/locale/*/LC_MESSAGES/deskapp.mo: it must say what the .po says."""
    with MO.open("rb") as stream:
        shipped = read_mo(stream)
    compiled = io.BytesIO()
    write_mo(compiled, _catalog())
    compiled.seek(0)
    fresh = read_mo(compiled)
    def table(catalog) -> dict:
        return {str(m.id): str(m.string) for m in catalog if m.id}

    assert table(shipped) == table(fresh)


def test_chinese_is_chosen_by_setting_environment_or_locale():
    assert normalise_language("zh_CN.UTF-8") == "zh-CN" == normalise_language("zh-Hans")
    assert normalise_language("fr_FR") is None
    assert language_from_locale({"LANG": "zh_CN.UTF-8"}) == "zh-CN"
    assert language_from_locale({"LANG": "en_GB.UTF-8", "LC_ALL": "zh_CN.UTF-8"}) == "zh-CN"
    assert language_from_locale({"LANG": "C.UTF-8"}) == "en"
    assert load_settings({"language": "zh_CN"}, environ={}).language == "zh-CN"
    assert load_settings(environ={"DESKAPP_LANGUAGE": "zh-CN"}).items["language"].source.startswith("environment")
    with pytest.raises(ConfigError, match="language: 'fr' has no catalog"):
        load_settings({"language": "fr"}, environ={})


def test_a_rule_reason_reads_in_chinese_with_its_rule_id_kept():
    from datetime import UTC, datetime

    from tickets.enums import Channel, Product, SubscriptionState, TicketKind
    from tickets.facts import CallerFacts, SubscriptionFacts
    from tickets.policy import decide

    sub = SubscriptionFacts(
        id=1, ref="SUB-1", name="Microsoft Intune", product=Product.INTUNE, channel=Channel.TRIAL, platform=None,
        state=SubscriptionState.ACTIVE, purchased_at=datetime(2026, 1, 1, tzinfo=UTC),
        term_start=datetime(2026, 1, 1, tzinfo=UTC), term_end=datetime(2026, 2, 1, tzinfo=UTC),
        auto_renew=False, licenses_assigned=5)
    caller = CallerFacts("ann@example.com", frozenset())
    use_language("zh-CN", LOCALE_DIR)
    refused = decide(TicketKind.CANCEL_EARLY, sub, caller, datetime(2026, 1, 10, tzinfo=UTC))
    assert [str(r) for r in refused.reasons] == [
        "V-2: 来电者必须登记为 Microsoft Intune 的管理员；ann@example.com 的角色为：无管理员角色",
        "C-3: Intune 试用订阅不能取消；它于 2026-02-01 到期，届时数据被删除",
    ]
    assert _("Sign in") == "登录"


def test_a_reason_made_in_english_is_made_again_in_chinese():
    """The offer refusal is cached (the account view decides every kind for every
    subscription): the cache keeps one answer per language, not the first one made."""
    from tickets.enums import Product, TicketKind
    from tickets.policy.shared import offer_refusal

    english = offer_refusal(TicketKind.MIGRATION, Product.INTUNE)
    use_language("zh-CN", LOCALE_DIR)
    chinese = offer_refusal(TicketKind.MIGRATION, Product.INTUNE)
    assert english is not None and chinese is not None
    assert str(english) == "M-1: migration to on-premises is offered for Dynamics 365 subscriptions"
    assert str(chinese) == "M-1: 迁移到本地适用于 Dynamics 365 订阅"


def test_a_granted_decision_is_told_again_in_each_language():
    """The sentences of an allowed early cancellation (V-2, C-4, C-7, C-8, V-8) are kept
    once made, by the catalog they were read from: after a change of language the same facts
    are told in the new one, and in English again after it, exactly as when first made."""
    from datetime import UTC, datetime

    from tickets.enums import Channel, Product, Role, SubscriptionState, TicketKind
    from tickets.facts import CallerFacts, SubscriptionFacts
    from tickets.policy import decide

    sub = SubscriptionFacts(
        id=1, ref="SUB-1", name="Microsoft Intune", product=Product.INTUNE, channel=Channel.ONLINE,
        platform=None, state=SubscriptionState.ACTIVE, purchased_at=datetime(2026, 1, 1, tzinfo=UTC),
        term_start=datetime(2026, 1, 1, tzinfo=UTC), term_end=datetime(2027, 1, 1, tzinfo=UTC),
        auto_renew=True, licenses_assigned=5, custom_domains=("contoso.cn",))
    caller = CallerFacts("ann@example.com", frozenset({Role.ADMIN}))
    now = datetime(2026, 3, 10, tzinfo=UTC)

    def told() -> list[str]:
        granted = decide(TicketKind.CANCEL_EARLY, sub, caller, now, refund_requested=True)
        assert granted.allowed and granted.consequences is not None
        return ([str(r) for r in granted.reasons] + [item.text for item in granted.checklist]
                + [str(n) for n in granted.consequences.notes])

    english = told()
    use_language("zh-CN", LOCALE_DIR)
    chinese = told()
    use_language("en", LOCALE_DIR)
    assert told() == english
    assert "V-2: the caller is listed as admin of Microsoft Intune" in english
    assert any(text.startswith("C-8: ") and "2026-06-08" in text for text in english)
    assert len(chinese) == len(english) and not set(chinese) & set(english)
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in text) for text in chinese)


@given(name=st.text(max_size=30), term_end=st.dates(), language=st.sampled_from(["en", "zh-CN"]))
def test_the_kept_early_cancellation_sentences_are_the_ones_made_afresh(name, term_end, language):
    """C-4's two sentences on the plan's term, kept per catalog (tickets.policy.cancel_early): the
    same text as formatted at the decision, in the language in use."""
    from tickets.policy.cancel_early import _cancellable_before, _fee_until
    from tickets.policy.results import Reason

    use_language(language, LOCALE_DIR)
    try:
        assert _cancellable_before(name, term_end, catalog()) == Reason("C-4", _(
            "{name} can be cancelled before its term ends on {term_end}").format(name=name, term_end=term_end))
        assert _fee_until(term_end, catalog()) == Reason("C-4", _(
            "early termination fees may apply: the term runs until {term_end}").format(term_end=term_end))
    finally:
        use_language("en", LOCALE_DIR)
