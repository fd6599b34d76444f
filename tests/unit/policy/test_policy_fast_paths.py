"""The policy's cheaper ways of making the same answers, each against the general one on
generated inputs: results.built against the dataclasses' own __init__, decide_all's one
context against decide() kind by kind."""

from __future__ import annotations

import pickle
from dataclasses import fields, replace
from datetime import UTC
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st
from test_policy_properties import callers, scenarios, subscriptions

from tickets.enums import Product, TicketKind
from tickets.facts import SubscriptionFacts
from tickets.policy import _SUBSCRIPTION_KINDS, Consequences, Decision, Reason, decide, decide_all
from tickets.policy.results import ChecklistItem, built

texts = st.text(max_size=8)
reasons = st.builds(Reason, rule=st.sampled_from(["C-4", "V-2"]), text=texts)
maybe_day = st.none() | st.dates()
consequences = st.builds(
    Consequences, effective_date=maybe_day, early_termination_fee_may_apply=st.booleans(),
    refund=st.none() | texts, self_service=st.none() | texts, data_deletion_date=maybe_day,
    data_deletion_note=st.none() | texts, reversal_deadline=maybe_day, coupon_handling=st.none() | texts,
    routing_queue=st.none() | texts, notes=st.lists(reasons, max_size=3).map(tuple))
decisions = st.builds(
    Decision, kind=st.sampled_from(TicketKind), allowed=st.booleans(), reasons=st.lists(reasons, max_size=3).map(tuple),
    checklist=st.lists(st.builds(ChecklistItem, key=texts, rule=st.just("C-7"), text=texts), max_size=2).map(tuple),
    consequences=st.none() | consequences, needs_review=st.booleans(), needs_callback=st.booleans(),
    required_fields=st.lists(texts, max_size=2).map(tuple), product=st.none() | st.sampled_from(Product),
    subject_ref=texts, subject_name=texts, requested_date_range=st.none() | st.tuples(st.dates(), st.dates()),
    refund_requested=st.booleans(), refund_offered=st.booleans())


def _same_object(made: object, reference: object) -> None:
    assert made == reference and hash(made) == hash(reference) and repr(made) == repr(reference)
    assert list(vars(made).items()) == list(vars(reference).items())  # the same attributes, in order
    assert pickle.dumps(made) == pickle.dumps(reference)


@settings(max_examples=200, deadline=None)
@given(reference=decisions)
def test_built_makes_what_the_dataclass_init_makes(reference: Decision) -> None:
    _same_object(built(Decision, *(getattr(reference, f.name) for f in fields(Decision))), reference)
    if reference.consequences is not None:
        c = reference.consequences
        _same_object(built(Consequences, *(getattr(c, f.name) for f in fields(Consequences))), c)


def test_built_takes_every_field_and_no_more() -> None:
    values = [getattr(Consequences(None, False, None, None, None, None, None, None, None, ()), f.name)
              for f in fields(Consequences)]
    for wrong in (values[:-1], [*values, None]):
        try:
            built(Consequences, *wrong)
        except ValueError:
            continue
        raise AssertionError("built() took a wrong number of fields")


@settings(max_examples=300, deadline=None)
@given(data=st.data(), caller=callers, zone=st.sampled_from([UTC, ZoneInfo("Asia/Shanghai"),
                                                             ZoneInfo("Pacific/Kiritimati")]))
def test_decide_all_is_decide_kind_by_kind(data, caller, zone) -> None:
    sub, now = data.draw(scenarios())
    every = decide_all(sub, caller, now, zone)
    assert every == tuple(decide(kind, sub, caller, now, zone=zone) for kind in _SUBSCRIPTION_KINDS)
    assert [repr(d) for d in every] == [repr(decide(d.kind, sub, caller, now, zone=zone)) for d in every]
    # A naive now is UTC, as in decide().
    assert decide_all(sub, caller, now.replace(tzinfo=None), zone) == every


def _forget_kept_answers() -> None:
    """Empty every cache of the policy's modules (sentences, grants, refusals)."""
    import sys

    for name, module in list(sys.modules.items()):
        if name.startswith("tickets.policy") and module is not None:
            for value in vars(module).values():
                if callable(getattr(value, "cache_clear", None)):
                    value.cache_clear()


# The facts a near miss changes (the days, which most sentences name, more often).
FIELDS = [f.name for f in fields(SubscriptionFacts) if f.name not in ("id", "ref")] + [
    "term_end", "purchased_at", "cancelled_at"] * 3


@settings(max_examples=150, deadline=None)
@given(data=st.data(), kind=st.sampled_from(TicketKind), caller=callers,
       cases=st.lists(st.tuples(st.booleans(), st.none() | st.dates(), st.sampled_from(FIELDS)), min_size=2,
                      max_size=6))
def test_kept_sentences_and_grants_are_what_a_fresh_decision_makes(data, kind, caller, cases) -> None:
    """Decisions made with the caches warm from other cases (sharing them, as a process does)
    equal the ones made with every cache empty: no kept value is found for facts it was not
    made from. The cases are near misses: one subscription, each case with one fact of another."""
    base, now = data.draw(scenarios(kind))
    drawn = []
    for refund, requested, field in cases:
        other = data.draw(subscriptions(near=now, kind=kind))
        drawn.append((kind, replace(base, **{field: getattr(other, field)}), caller, refund, requested))
    warm = [decide(kind, sub, caller, now, refund_requested=refund, requested_date=requested)
            for kind, sub, caller, refund, requested in drawn]
    warm += [decide_all(sub, caller, now) for _, sub, caller, _, _ in drawn]
    fresh = []
    for kind, sub, caller, refund, requested in drawn:
        _forget_kept_answers()
        fresh.append(decide(kind, sub, caller, now, refund_requested=refund, requested_date=requested))
    for _, sub, caller, _, _ in drawn:
        _forget_kept_answers()
        fresh.append(decide_all(sub, caller, now))
    assert [repr(d) for d in warm] == [repr(d) for d in fresh]
