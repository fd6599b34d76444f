"""A-1: what `audit verify` reports (no database code: tickets.audit.verify runs on a plain sqlite3
connection too; tickets.audit.chain re-exports it)."""

from __future__ import annotations

from dataclasses import dataclass

from tickets.audit.anchor import Anchor


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    events_checked: int
    first_bad_seq: int | None = None
    problem: str | None = None

    head: Anchor | None = None  # SEQ:HASH of the verified head, to publish or compare

    def __str__(self) -> str:
        if self.ok:
            head = f"; head {self.head}" if self.head is not None else ""
            return f"audit chain verified: {self.events_checked} events, no edits, gaps or cut tail{head}"
        where = f" at event {self.first_bad_seq}" if self.first_bad_seq is not None else ""
        return f"audit chain BROKEN{where}: {self.problem}"
