"""Hostile input: hypothesis strategies for every field an agent or an import file can fill,
and the contract the core must keep whatever comes in.

The contract: the core raises only its own errors (tickets.errors.DeskError subclasses, or
identity.errors.IdentityError from `identity`), each with a clear message: a non-empty text
that names the problem, does not echo a 100 kB value back (at most MAX_MESSAGE characters)
and holds no traceback. Anything else (UnicodeEncodeError from a lone surrogate reaching the
database driver, PostgreSQL's DataError for a NUL character, RecursionError, TypeError ...) is
a finding.

Used by tests/unit/test_hostile_*.py (max_examples 100) and by tests/drills/run.py
(DESKAPP_DRILL_SCALE=full: max_examples 1000).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

from drills.common import full_scale

MAX_MESSAGE = 1000

SQL = [
    "'; DROP TABLE ticket; --", "' OR '1'='1", "\" OR 1=1 --", "%", "_", "\\", "%' AND 1=1 AND '%'='",
    "1; SELECT pg_sleep(5)", "'); DELETE FROM audit_event; --", "$$", "E'\\x00'", "/* */", "`",
]
FORMULA = [
    "=HYPERLINK(\"http://evil.example\",\"x\")", "+1+1", "-2+3", "@SUM(A1:A9)", "\t=1", "\r=1",
    "\uff1d1+1", "\uff0b1", "=cmd|' /C calc'!A0", "DDE(\"cmd\")",
]
CONTROL = [
    "\x00", "\x01", "\x07", "\x08", "\t", "\n", "\r\n", "\x0b", "\x0c", "\x1b[31m", "\x1b]0;owned\x07", "\x7f",
    "\x85", "\u2028", "\u2029", "\u200b", "\u200d", "\u202e", "\u2066", "\ufeff", "\ufffd", "\ufffe",
]
SURROGATES = ["\ud800", "\udfff", "\udc80", "\ud83d"]
UNICODE = [
    "\u00df", "\ufb00", "\u0130", "\u03a3\u03c3\u03c2", "\uff21\uff10", "\u0660\u0661\u0662", "\u06f1\u06f2",
    "\u0966\u0967", "e\u0301", "\u1e9b\u0323", "\U0001f600", "\U0001f468\u200d\U0001f469\u200d\U0001f467",
    "\u4e2d\u6587", "\ud55c\uad6d\uc5b4", "\u0627\u0644\u0639\u0631\u0628\u064a\u0629", "\U00010000",
    "\U0010ffff", "\u3002", "\uff0e", "\u2024", "\u00a0", "\u3000",
]
SHAPES = [
    "ann.admin@fabrikam.co.uk", "a@b", "@@", "a@", "@b.com", "x@" + "a." * 130 + "com", "\"a b\"@c.com",
    "+44 20 7946 0958", "+" + "9" * 30, "020 7946 0958 ext. 12", "tel:+1-206-555-0101",
    "https://user:pw@host.example/", "http://[::1]/", "xn--", "xn--zz.com", "a..b.com", "localhost",
    "1 Market Street", "SW1A 1AA", "GB", "UK", "ZZ", "", " ", "   \t  ", "null", "None", "NaN", "0", "-1",
    "password is Hunter2!xyz", "PIN 1234", "123456 is the OTP", "Tr0ub4dor&3",
]
FRAGMENTS = SQL + FORMULA + CONTROL + UNICODE + SHAPES


def _long(fragment: str, length: int) -> str:
    return (fragment * (length // max(1, len(fragment)) + 1))[:length]


def hostile_text(*, surrogates: bool = True, nul: bool = True, long: bool = True) -> st.SearchStrategy[str]:
    """Arbitrary Unicode (with lone surrogates unless told not to), control characters, SQL and
    formula fragments, look-alikes of real values, and strings up to 100 kB."""
    pieces = [p for p in FRAGMENTS if nul or "\x00" not in p] + (SURROGATES if surrogates else [])
    characters = st.characters(exclude_categories=() if surrogates else ("Cs",))
    if not nul:
        characters = characters.filter(lambda c: c != "\x00")
    parts = st.one_of(st.sampled_from(pieces), st.text(characters, max_size=12))
    strategies = [
        st.text(characters, max_size=40),
        st.lists(parts, max_size=6).map("".join),
    ]
    if long:
        strategies.append(
            st.builds(_long, st.sampled_from([p for p in pieces if p] + ["a", "1", "é", "e\u0301", "中"]),
                      st.sampled_from([201, 2_001, 10_000, 100_000]))
        )
    return st.one_of(*strategies)


def printable_hostile() -> st.SearchStrategy[str]:
    """Hostile text that a database can hold: no lone surrogate, no NUL."""
    return hostile_text(surrogates=False, nul=False)


def regions() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(["GB", "US", "DE", "CN", "JP", "ZZ", "gb", "", "XX", "UK", "001"]),
                     hostile_text(long=False))


def examples(default: int = 100, *, shrink: bool = True) -> settings:
    """Settings for a hostile property: 100 examples in the normal suite, 1000 in the drill.
    Known-bug properties do not shrink (they are expected to fail: fail fast)."""
    count = int(os.environ.get("DESKAPP_HOSTILE_EXAMPLES", 0)) or (1000 if full_scale() else default)
    phases = None if shrink else [Phase.explicit, Phase.reuse, Phase.generate]
    return settings(
        max_examples=count,
        phases=phases or list(Phase),
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                               HealthCheck.data_too_large, HealthCheck.large_base_example],
        database=None,
    )


def assert_clear(error: BaseException, *typed: object) -> None:
    """The error is one of the core's own, with a clear message."""
    from identity.errors import IdentityError
    from tickets.errors import DeskError

    assert isinstance(error, DeskError | IdentityError), (
        f"the core raised {type(error).__module__}.{type(error).__name__}, not one of its own errors: {error!r:.300}"
    )
    message = error.message if isinstance(error, DeskError) else str(error)
    assert isinstance(message, str) and message.strip(), f"{type(error).__name__} has no message"
    assert len(message) <= MAX_MESSAGE, (
        f"{type(error).__name__} message is {len(message)} characters long (echoes the input?): {message[:200]!r}..."
    )
    assert "Traceback" not in message
    for value in typed:
        if isinstance(value, str) and len(value) >= 16 and value.strip() and value in message:
            raise AssertionError(f"the message echoes what was typed (V-4): {message[:200]!r}")

