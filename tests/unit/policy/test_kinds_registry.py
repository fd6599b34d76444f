"""The registry of ticket kinds (tickets.kinds): every kind described once, and every place
that names kinds reads it."""

from __future__ import annotations

import importlib

from tickets.enums import TicketKind
from tickets.export.records import load_schema
from tickets.kinds import CANCELLATION_KINDS, FORM_FIELDS, KINDS
from tickets.policy import KIND_PRODUCTS, RULES
from tickets.store.models import OPEN_CANCELLATION_WHERE


def test_every_kind_has_one_entry_with_a_distinct_label():
    assert list(KINDS) == list(TicketKind)
    assert len({spec.label for spec in KINDS.values()}) == len(KINDS)
    for kind, spec in KINDS.items():
        assert spec.kind is kind and kind.label == spec.label
        assert spec.products and spec.offered_by in RULES
        assert set(spec.form_fields) <= set(FORM_FIELDS)


def test_each_kind_has_its_policy_module():
    for spec in KINDS.values():
        module = importlib.import_module(f"tickets.policy.{spec.policy_module}")
        assert callable(module.decide_resource if spec.per_resource else module.decide)


def test_the_policy_offers_kinds_where_the_registry_says():
    assert KIND_PRODUCTS == {k: (s.products, s.offered_by) for k, s in KINDS.items()}


def test_the_export_names_are_the_schema_enum():
    assert load_schema()["properties"]["kind"]["enum"] == [spec.export_name for spec in KINDS.values()]


def test_c9_kinds_are_those_of_the_partial_unique_index():
    # A kind that holds the cancellation slot needs the index (and a migration) to list it.
    where = str(OPEN_CANCELLATION_WHERE)
    assert CANCELLATION_KINDS == {TicketKind.CANCEL_END_OF_TERM, TicketKind.CANCEL_EARLY,
                                  TicketKind.EXPEDITED_DEPROVISIONING, TicketKind.MIGRATION}
    for kind in TicketKind:
        assert (f"'{kind.value}'" in where) is (kind in CANCELLATION_KINDS)


# --- every kind-specific fact is in the registry: a new kind that forgets one fails here -----


def test_every_kind_has_a_console_key_a_form_an_export_name_and_a_lifecycle():
    from deskapp.screens.account import KIND_KEYS, AccountScreen
    from tickets.lifecycle import RESOLVERS

    schema_kinds = load_schema()["properties"]["kind"]["enum"]
    other_keys = {b.key for b in AccountScreen.BINDINGS if not (b.id or "").startswith("file_")}
    keys = [spec.console_key.key for spec in KINDS.values() if spec.console_key is not None]
    assert len(keys) == len(set(keys)) == len(KINDS), "one distinct key per kind"
    assert not set(keys) & other_keys, "a kind's key means nothing else on the account screen"
    assert [k for k, kind, _w, _d in KIND_KEYS] == keys
    for kind, spec in KINDS.items():
        assert spec.console_key is not None and spec.console_key.words and spec.console_key.desk_words
        assert all(FORM_FIELDS[name].rule in RULES for name in spec.form_fields)  # the form's own fields
        assert spec.export_name in schema_kinds
        assert spec.resolution in RESOLVERS, f"{kind}: resolving it does nothing the lifecycle knows"


def test_review_and_callback_come_from_the_registry():
    from tickets.kinds import Review
    from tickets.policy.context import review_flags

    for kind, spec in KINDS.items():
        for refund in (False, True):
            assert review_flags(kind, refund) == (spec.review.applies(refund), spec.callback.applies(refund))
    # X-2, V-8: the money and irreversible kinds, and early cancellation with a refund.
    for kind in (TicketKind.EXPEDITED_DEPROVISIONING, TicketKind.REVERSAL):
        assert KINDS[kind].review is KINDS[kind].callback is Review.ALWAYS
    assert KINDS[TicketKind.CANCEL_EARLY].review is KINDS[TicketKind.CANCEL_EARLY].callback is Review.WITH_REFUND
    for kind in (TicketKind.CANCEL_END_OF_TERM, TicketKind.MIGRATION, TicketKind.IMS_CANCELLATION):
        assert KINDS[kind].review is KINDS[kind].callback is Review.NEVER


def test_only_the_expedited_kind_starts_a_deletion_on_approval_three_days_on():
    from datetime import UTC, date, datetime

    approved = datetime(2026, 11, 22, 23, 59, tzinfo=UTC)
    deletions = {k: s.deletion_date(approved) for k, s in KINDS.items()}
    assert deletions.pop(TicketKind.EXPEDITED_DEPROVISIONING) == date(2026, 11, 25)
    assert set(deletions.values()) == {None}


def test_the_d365_billing_actions_are_early_cancellation_and_reversal():
    assert {k for k, s in KINDS.items() if s.billing_action} == {TicketKind.CANCEL_EARLY, TicketKind.REVERSAL}
