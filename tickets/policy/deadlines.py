"""Every day-counted deadline of the rules, each in one function, counted in the desk's days
(tickets.desk_time): the policy modules, the filing and the console ask these, never a
`timedelta(days=...)` of their own."""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo

from tickets.desk_time import is_within, last_day, local_day
from tickets.enums import TicketKind
from tickets.kinds import kind_spec
from tickets.policy.rules import (
    DATA_RETENTION_DAYS,
    REVERSAL_DAYS,
    SELF_SERVICE_WINDOW_DAYS,
)

__all__ = [
    "data_deletion_day",
    "data_still_kept",
    "expedited_deletion_day",
    "reversal_deadline",
    "reversal_open",
    "self_service_last_day",
    "self_service_open",
]


def reversal_deadline(cancelled: datetime | date, zone: tzinfo) -> date:
    """R-1: the last local day a cancellation can be reversed, 30 days after the local day it
    took effect (a reversal is allowed up to 23:59:59 of that day at the desk)."""
    return last_day(cancelled, REVERSAL_DAYS, zone)


def reversal_open(now: datetime, cancelled: datetime | date, zone: tzinfo) -> bool:
    """R-1: whether `now` is still inside the 30 days."""
    return is_within(now, reversal_deadline(cancelled, zone), zone)


def self_service_last_day(purchased_at: datetime, zone: tzinfo) -> date:
    """C-6: the last local day of "the first 30 days after purchase"."""
    return last_day(purchased_at, SELF_SERVICE_WINDOW_DAYS, zone)


def self_service_open(now: datetime, purchased_at: datetime, zone: tzinfo) -> bool:
    return is_within(now, self_service_last_day(purchased_at, zone), zone)


def data_deletion_day(effective: date) -> date:
    """C-8: the local day the data left behind is deleted, 90 days after the cancellation
    takes effect (the data is kept through the day before)."""
    return effective + timedelta(days=DATA_RETENTION_DAYS)


def data_still_kept(now: datetime, cancelled_on: date, zone: tzinfo) -> bool:
    """C-8, X-3: the data exists until its deletion day begins at the desk."""
    return local_day(now, zone) < data_deletion_day(cancelled_on)


def expedited_deletion_day(approved_at: datetime, zone: tzinfo) -> date:
    """X-1, X-2: all data is deleted within 3 days, counted from the local day of approval
    (the registry of kinds holds the 3: KindSpec.deletion_days_after_approval)."""
    deletion = kind_spec(TicketKind.EXPEDITED_DEPROVISIONING).deletion_date(approved_at, zone)
    assert deletion is not None  # the registry gives the expedited kind its days
    return deletion
