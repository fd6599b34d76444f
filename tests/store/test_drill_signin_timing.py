"""Sign-in timing drill, short: wrong PINs from 4 processes for real and unknown names on each
engine get one answer, in times within 20 % (medians); the full drill: 200 wrong PINs,
`tests/drills/signin_timing.py` (figures in docs/security.md)."""

from __future__ import annotations

from drills import signin_timing
from drills.common import full_scale


def test_real_and_unknown_names_answer_the_same_in_the_same_time(store_url, backend):
    figures = signin_timing.run(store_url, backend=backend, tries=200 if full_scale() else 48, processes=4,
                                log=lambda *_: None)
    assert figures.failures == []
    assert figures.notes["answers"] == 1
