"""The authorisation a passed verification gives (V-7).

V-7: a passed verification authorises tickets for that organization for the one call, 60
minutes at most, and only the actions the caller's roles allow (the policy in ``tickets``
decides which actions those are). The clock is passed in: nothing here reads the time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from identity.lockout import require_aware

__all__ = ["CALL_AUTHORISATION", "VerifiedCaller"]

CALL_AUTHORISATION = timedelta(minutes=60)


@dataclass(frozen=True)
class VerifiedCaller:
    """A caller who passed verification, for the rest of the call (V-7)."""

    organization_key: str
    person_key: str
    roles: frozenset[str]
    verified_at: datetime

    def __post_init__(self) -> None:
        require_aware(self.verified_at, "verified_at")

    @property
    def expires_at(self) -> datetime:
        """When the call's authorisation ends (verified_at + 60 minutes)."""
        return self.verified_at + CALL_AUTHORISATION

    def is_active(self, now: datetime) -> bool:
        """True from verification until (not including) ``expires_at``."""
        require_aware(now, "now")
        return self.verified_at <= now < self.expires_at
