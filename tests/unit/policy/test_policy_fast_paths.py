"""The policy's cheaper ways of making the same answers, each against the general one on
generated inputs: results.built against the dataclasses' own __init__, decide_all's one
context against decide() kind by kind."""

from __future__ import annotations

import pickle
from dataclasses import fields
from datetime import UTC
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st
from test_policy_properties import callers, scenarios

from tickets.enums import Product, TicketKind
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
