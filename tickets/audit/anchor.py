"""A-1's anchors: the chain head as kept outside the database, `SEQ:HASH` (no database code:
`deskapp export` on SQLite writes one without loading SQLAlchemy; tickets.audit.chain re-exports)."""

from __future__ import annotations

import re

from tickets.errors import InvalidInput
from tickets.frozen import FrozenValue


class Anchor(FrozenValue):
    """The chain head as kept outside the database: `SEQ:HASH`, one line. Immutable, compared
    and hashed by value."""

    __slots__ = ("seq", "hash")
    seq: int
    hash: str

    def __init__(self, seq: int, hash: str) -> None:  # noqa: A002 - the field's name
        self._set(seq=seq, hash=hash)

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash}"

    @classmethod
    def parse(cls, text: str, *, where: str = "--anchor") -> Anchor:
        """`SEQ:HASH` (a line of an anchors file may carry more words after it: the time)."""
        words = text.split()
        match = re.fullmatch(_ANCHOR_RE, words[0]) if words else None
        if match is None:
            raise InvalidInput({where: "expected SEQ:HASH, a whole number and 64 hexadecimal digits (A-1)"})
        return cls(int(match["seq"]), match["hash"].lower())


_ANCHOR_RE = r"(?P<seq>\d{1,18}):(?P<hash>[0-9a-fA-F]{64})"  # compiled when first parsed (re's cache)


def read_anchors(text: str, *, source: str) -> list[Anchor]:
    """Every anchor in an anchors file; blank lines and # comments skipped."""
    anchors = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip() and not line.lstrip().startswith("#"):
            anchors.append(Anchor.parse(line, where=f"{source} line {number}"))
    return anchors
