"""Messages the console's workers post back to the screens ("attributes down, messages up").

Plain `@dataclass` subclasses of `Message` (darrenburns/posting `messages.py`). Workers run in
threads; `post_message` is thread-safe, so each worker hands its plain result back this way and
the screen updates itself on the UI thread.

The payload types come from `tickets`, which is imported lazily (start-up): they are named
here for readers and type checkers only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from textual.message import Message

if TYPE_CHECKING:  # pragma: no cover - names only
    from deskapp.screens.export import ExportRequest
    from tickets.account import AccountView
    from tickets.agents import AgentInfo
    from tickets.dashboard import Dashboard
    from tickets.filing import FilingResult
    from tickets.lifecycle import TransitionResult
    from tickets.signin import SignInLock
    from tickets.store.database import Store
    from tickets.store.queries import TicketDetail, TicketPage
    from tickets.verification import LockedOrganization, OrganizationHandle, VerificationResult


# --- start-up and sign-in --------------------------------------------------------------------


@dataclass
class StoreOpened(Message):
    """The database is open and its schema matches; `demo_hint` lists demo agents."""

    store: Store
    demo_hint: str = ""


@dataclass
class StoreFailed(Message):
    """The database cannot be used (out-of-date schema, unreachable): sign-in stays disabled."""

    message: str


@dataclass
class SignedIn(Message):
    agent: AgentInfo


@dataclass
class SignInRefused(Message):
    message: str


# --- a call ----------------------------------------------------------------------------------


@dataclass
class CallStarted(Message):
    call_id: int


@dataclass
class OrganizationsFound(Message):
    handles: list[OrganizationHandle]


@dataclass
class LockoutChecked(Message):
    """The organization's lockout state before an attempt (V-5): `state` is a LockoutState."""

    state: Any


@dataclass
class VerificationDone(Message):
    result: VerificationResult


@dataclass
class AccountLoaded(Message):
    account: AccountView


@dataclass
class TicketFiled(Message):
    result: FilingResult


@dataclass
class CallEnded(Message):
    call_id: int | None


# --- tickets ---------------------------------------------------------------------------------


@dataclass
class TicketPageLoaded(Message):
    page: TicketPage
    page_number: int


@dataclass
class TicketLoaded(Message):
    detail: TicketDetail
    viewers: tuple[Any, ...] = ()  # the review queue: other supervisors with it open (tickets.viewers)


@dataclass
class TicketChanged(Message):
    """A lifecycle step or a callback was recorded; `what` says which, for the status line."""

    what: str
    result: TransitionResult | datetime | Any = None


# --- supervisors -----------------------------------------------------------------------------


@dataclass
class DashboardLoaded(Message):
    board: Dashboard


@dataclass
class LockoutsLoaded(Message):
    locked: list[LockedOrganization]
    agents: list[SignInLock]  # agents locked out of signing in


@dataclass
class OrganizationUnlocked(Message):
    organization: LockedOrganization
    reason: str


@dataclass
class ExportStarted(Message):
    total: int


@dataclass
class ExportProgress(Message):
    count: int


@dataclass
class ExportFinished(Message):
    rows: int
    request: ExportRequest
