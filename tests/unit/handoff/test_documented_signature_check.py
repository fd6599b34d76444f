"""The signature check README and docs/handoff.md give a receiver accepts what the relay signs
and refuses a changed body, another secret and an old timestamp (tickets.handoff.signing)."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from tickets.handoff.signing import signature

ROOT = Path(__file__).resolve().parents[3]


def _documented(path: Path):
    snippet = re.search(r"```python\n(import hashlib, hmac, time\n.+?)```", path.read_text(), re.S)
    assert snippet, f"{path.name} has no signature check"
    namespace: dict = {}
    exec(snippet.group(1), namespace)  # noqa: S102 - our own documentation, run as a receiver would
    return namespace["verified"]


@pytest.mark.parametrize("document", ["README.md", "docs/handoff.md"])
def test_the_documented_check_accepts_the_relays_signature_and_nothing_else(document):
    verified = _documented(ROOT / document)
    secret, body, now = b"s3cret-of-the-desk", b'{"event":"ticket.filed","ticket_number":"TK-000012"}', int(time.time())
    header = signature(secret, body, now)
    assert verified(secret, body, header)
    assert not verified(secret, body.replace(b"filed", b"rejected"), header)
    assert not verified(b"another secret", body, header)
    assert not verified(secret, body, signature(secret, body, now - 3600))  # replayed an hour later
