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
