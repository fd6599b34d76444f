"""What the console holds for one call, and nothing longer.

The call object keeps what the agent typed (the search, the blind verification form, each
ticket form per (subscription, kind)) so that Escape steps back without losing input, and the
AccountView after a pass. Ending the call drops the object: every caller detail goes with it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from tickets.account import AccountView
    from tickets.verification import OrganizationHandle


def new_idempotency_key() -> str:
    """T-3: one key per form instance; a retry after an error reuses it."""
    return uuid.uuid4().hex


@dataclass
class FormState:
    """A ticket form's typed values, kept while the agent steps away from it."""

    idempotency_key: str = field(default_factory=new_idempotency_key)
    values: dict[str, str] = field(default_factory=dict)
    refund_requested: bool = False
    confirmed: set[str] = field(default_factory=set)
    resources: set[str] = field(default_factory=set)


@dataclass
class CallState:
    call_id: int | None = None
    started_at: datetime | None = None  # as the console's clock says: the header's call timer
    # Finding the organization: what was typed and what was found (refs only, V-4).
    search: dict[str, str] = field(default_factory=dict)
    handles: list[OrganizationHandle] = field(default_factory=list)
    handle: OrganizationHandle | None = None
    # The blind verification form as typed (never stored values, V-4).
    verify_values: dict[str, str] = field(default_factory=dict)
    attempts_left: int | None = None
    locked_until: Any = None
    verification_id: int | None = None
    account: AccountView | None = None
    account_stale: bool = False
    forms: dict[tuple[str, str], FormState] = field(default_factory=dict)

    @property
    def verified(self) -> bool:
        return self.account is not None

    def form(self, subscription_ref: str, kind: str) -> FormState:
        return self.forms.setdefault((subscription_ref, str(kind)), FormState())

    def forget_form(self, subscription_ref: str, kind: str) -> None:
        self.forms.pop((subscription_ref, str(kind)), None)

    def choose_organization(self, handle: OrganizationHandle) -> None:
        """A different organization: what was typed for the previous one does not carry over."""
        if self.handle is not None and self.handle.id != handle.id:
            self.verify_values.clear()
            self.attempts_left = None
            self.locked_until = None
        self.handle = handle
