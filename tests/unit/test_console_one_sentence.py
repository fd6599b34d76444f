"""A batch's checklist item is read to the caller once (deskapp.widgets.format.one_sentence):
the shared words once, what differs per resource listed, never a cut inside parentheses."""

from __future__ import annotations

from deskapp.widgets.format import one_sentence

FRAME = "the caller confirms unsubscribing from {} ({}, effective {}) for the reason given"


def test_per_resource_sentences_become_one():
    texts = [FRAME.format("EIP 100 Mbps", "RES-0009", "2027-02-20"),
             FRAME.format("Web Application Firewall (12 months)", "RES-0010", "2027-02-20")]
    merged = one_sentence(texts)
    assert merged == ("the caller confirms unsubscribing from EIP 100 Mbps (RES-0009, effective 2027-02-20); "
                      "Web Application Firewall (12 months) (RES-0010, effective 2027-02-20) for the reason given")
    assert merged.count("the caller confirms") == 1 and merged.count("for the reason given") == 1


def test_identical_sentences_are_said_once_and_one_stays_as_it_is():
    text = "save the data elsewhere before the cancellation takes effect"
    assert one_sentence([text, text, text]) == text
    assert one_sentence([text]) == text
    assert one_sentence([]) == ""
