"""Webhook signatures: HMAC-SHA256 over "<t>.<body>", checked in constant time, refused when
the body, the secret or the time is not the one signed."""

from __future__ import annotations

import hashlib
import hmac

from tickets.handoff import signing

SECRET = b"0123456789abcdef-secret"
BODY = b'{"event":"ticket.filed"}'


def test_the_header_is_t_and_v1_over_time_dot_body():
    header = signing.signature(SECRET, BODY, 1_800_000_000)
    expected = hmac.new(SECRET, b"1800000000." + BODY, hashlib.sha256).hexdigest()
    assert header == f"t=1800000000,v1={expected}"


def test_verify_accepts_the_signed_body_within_the_tolerance():
    header = signing.signature(SECRET, BODY, 1000)
    assert signing.verify(SECRET, BODY, header, 1000)
    assert signing.verify(SECRET, BODY, header, 1000 + signing.TOLERANCE_SECONDS)


def test_verify_refuses_another_body_secret_or_a_stale_time():
    header = signing.signature(SECRET, BODY, 1000)
    assert not signing.verify(SECRET, BODY + b" ", header, 1000)
    assert not signing.verify(b"another-secret-of-16", BODY, header, 1000)
    assert not signing.verify(SECRET, BODY, header, 1000 + signing.TOLERANCE_SECONDS + 1)
    assert not signing.verify(SECRET, BODY, header.replace("t=1000", "t=1001"), 1001)


def test_verify_refuses_malformed_headers():
    for header in (None, "", "v1=abc", "t=x,v1=abc", "t=1,t=2,v1=abc"):
        assert not signing.verify(SECRET, BODY, header, 1)


def test_a_second_v1_lets_a_receiver_rotate_secrets():
    old = signing.signature(b"old-secret-0123456789", BODY, 5)
    new = signing.signature(SECRET, BODY, 5)
    both = f"{new},v1={old.split('v1=')[1]}"
    assert signing.verify(SECRET, BODY, both, 5) and signing.verify(b"old-secret-0123456789", BODY, both, 5)
