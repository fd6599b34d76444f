"""The rule catalog (tickets.policy.catalog): every rule of the spec names the one function
that implements it, and every entry resolves."""

from __future__ import annotations

import inspect

import pytest

from tickets.policy import RULES
from tickets.policy.catalog import RULE_CATALOG, implementation

# Every rule ID of ../shared/spec/domain.md, copied here so the test needs nothing outside
# the repository: when the spec gains a rule, add its ID here and its function to the catalog.
SPEC_RULE_IDS = (
    "V-1 V-2 V-3 V-4 V-5 V-6 V-7 V-8 "
    "C-1 C-2 C-3 C-4 C-5 C-6 C-7 C-8 C-9 "
    "X-1 X-2 X-3 "
    "M-1 M-2 M-3 M-4 "
    "R-1 R-2 R-3 "
    "I-1 I-2 "
    "U-1 U-2 U-3 U-4 "
    "T-1 T-2 T-3 "
    "A-1 "
    "E-1 E-2 E-3"
).split()


def test_every_spec_rule_is_in_the_catalog_and_nothing_else():
    assert len(SPEC_RULE_IDS) == len(set(SPEC_RULE_IDS)) == 40
    assert set(RULE_CATALOG) == set(SPEC_RULE_IDS)


def test_the_policy_rule_data_names_only_spec_rules():
    assert set(RULES) <= set(SPEC_RULE_IDS)


@pytest.mark.parametrize("rule_id", SPEC_RULE_IDS)
def test_each_entry_resolves_to_a_function_that_names_its_rule(rule_id):
    function = implementation(rule_id)
    assert callable(function)
    # The function (its docstring, comments or the reasons it gives) says which rule it is,
    # so the catalog cannot silently point at the wrong place.
    assert rule_id in inspect.getsource(function), f"{RULE_CATALOG[rule_id]} does not mention {rule_id}"


def test_an_unknown_rule_is_a_key_error():
    with pytest.raises(KeyError):
        implementation("Z-9")
