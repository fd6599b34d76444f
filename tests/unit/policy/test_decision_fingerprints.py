"""The policy's answers on thousands of generated cases are the ones recorded (decision_cases):
a change made for speed changes no decision, reason, text, order or pickled byte."""

from __future__ import annotations

from decision_cases import answers, fingerprint, recorded


def test_every_generated_answer_is_the_recorded_one() -> None:
    expected = recorded()
    found = [(label, fingerprint(value)) for label, value in answers()]
    assert len(found) == len(expected)
    differing = [label for (label, got), want in zip(found, expected, strict=True) if got != want]
    assert not differing, f"{len(differing)} answers differ, the first: {differing[:5]}"
