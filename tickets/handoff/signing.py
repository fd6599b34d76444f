"""Webhook signatures: HMAC-SHA256 over "<unix time>.<body>", sent as

    Deskapp-Signature: t=<unix time>,v1=<hex digest>

The receiver recomputes the digest with the shared secret over the exact bytes it received,
compares in constant time, and refuses a time too far from its own (a replayed request). The
verification a receiver runs is `verify` (docs/handoff.md shows the same in a few lines).
"""

from __future__ import annotations

import hashlib
import hmac

HEADER = "Deskapp-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
TOLERANCE_SECONDS = 300


def digest(secret: bytes, body: bytes, at: int) -> str:
    return hmac.new(secret, str(at).encode() + b"." + body, hashlib.sha256).hexdigest()


def signature(secret: bytes, body: bytes, at: int) -> str:
    """The header's value for `body` sent at unix time `at`."""
    return f"t={at},v1={digest(secret, body, at)}"


def verify(secret: bytes, body: bytes, header: str | None, now: int, tolerance: int = TOLERANCE_SECONDS) -> bool:
    """Whether `header` signs `body` with `secret` at a time within `tolerance` seconds of `now`."""
    if not header:
        return False
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        parts.setdefault(key, []).append(value)
    try:
        (at_text,) = parts.get("t", [])
        at = int(at_text)
    except ValueError:
        return False
    if abs(now - at) > tolerance:
        return False
    expected = digest(secret, body, at)
    return any(hmac.compare_digest(expected, given) for given in parts.get("v1", []))
