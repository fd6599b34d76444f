"""Prebuilt SQL for the filing side's hot paths: a call started and ended, the verified call
behind an action, the facts the rules read, and the ticket row itself.

Each statement is text written once (`tickets.store.rawsql`), run on the session's own connection in
its transaction. The rows come back as the models would give them: aware UTC datetimes,
decoded JSON, booleans (SQLite hands back 0/1), so the rules see the same values either way.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple

from tickets.enums import ACTIVE_STATUSES
from tickets.store.rawsql import Sql, SqlList, read_json, read_time
from tickets.store.sqltext import json_as_text

# Only tickets still under way matter to the rules (C-9, M-4): fixed values, written inline.
_ACTIVE = ", ".join(f"'{s.value}'" for s in ACTIVE_STATUSES)

# --- calls -----------------------------------------------------------------------------------

INSERT_CALL = Sql("INSERT INTO call (agent_id, started_at) VALUES (:agent_id, :started_at) RETURNING id")
CALL_FOR_END = Sql("SELECT agent_id, organization_id, ended_at FROM call WHERE id = :id")
# The agent's own call, if still open, ended; its organization back (no row: not theirs, or ended).
END_OWN_OPEN_CALL = Sql(
    "UPDATE call SET ended_at = :ended_at, wrap_up_note = :note "
    "WHERE id = :id AND agent_id = :agent_id AND ended_at IS NULL RETURNING organization_id"
)

# V-7: the attempt and whether its call has ended, in one round trip.
_VERIFIED_COLUMNS = (
    "a.id AS attempt_id, a.organization_id, a.agent_id, a.call_id, a.at, a.passed, a.person_id, a.roles, "
    "a.expires_at, c.ended_at AS call_ended_at"
)


def _sql(text: str, *json_columns: str) -> Sql:
    """A statement, sent to PostgreSQL with its JSON columns as their text (`json_as_text`)."""
    return Sql(text, postgresql=json_as_text(text, *json_columns))


# V-7 and what the rules read of the caller, in one round trip: _VERIFIED_COLUMNS,
# then the verified person's user ID and primary-contact flag.
VERIFIED_CALLER = _sql(
    f"SELECT {_VERIFIED_COLUMNS}, p.user_id, p.is_primary_contact FROM verification_attempt a "
    "LEFT OUTER JOIN call c ON c.id = a.call_id LEFT OUTER JOIN person p ON p.id = a.person_id WHERE a.id = :id",
    "a.roles",
)
# The account view's head in one round trip: _VERIFIED_COLUMNS, then the
# organization's and the verified person's (NULL when the attempt did not pass).
ACCOUNT_HEAD = _sql(
    f"SELECT {_VERIFIED_COLUMNS}, o.ref, o.name, o.url, o.country, o.street_lines, o.postal_code, o.city, "
    "o.region, p.first_name, p.last_name, p.user_id, p.is_primary_contact, p.phone_e164 "
    "FROM verification_attempt a LEFT OUTER JOIN call c ON c.id = a.call_id "
    "JOIN organization o ON o.id = a.organization_id LEFT OUTER JOIN person p ON p.id = a.person_id "
    "WHERE a.id = :id",
    "a.roles", "o.street_lines",
)

# --- what the rules read ---------------------------------------------------------------------


_SUBSCRIPTION_COLUMNS = (
    "id, ref, organization_id, name, product, channel, platform, state, purchased_at, term_start, term_end, "
    "auto_renew, licenses_assigned, custom_domains, cancelled_at, expedited_at, data_deleted_at, cancelled_zone"
)
# A subscription and its active tickets (ACTIVE_TICKETS' columns as ticket_*, but the
# subscription's; newest first; NULLs when it has none) in one round trip.
SUBSCRIPTION_WITH_TICKETS = _sql(
    "SELECT " + ", ".join(f"s.{c}" for c in _SUBSCRIPTION_COLUMNS.split(", "))
    + ", t.id AS ticket_id, t.kind AS ticket_kind, t.status AS ticket_status, "
    "t.created_at AS ticket_created_at, t.resolved_at AS ticket_resolved_at FROM subscription s "
    f"LEFT OUTER JOIN ticket t ON t.subscription_id = s.id AND t.status IN ({_ACTIVE}) "
    "WHERE s.ref = :ref ORDER BY t.created_at DESC",
    "s.custom_domains",
)
SUBSCRIPTIONS_OF = Sql(f"SELECT {_SUBSCRIPTION_COLUMNS} FROM subscription WHERE organization_id = :org ORDER BY ref")


class SubscriptionRow(NamedTuple):
    """A subscription row with the model's attribute names and value types."""

    id: int
    ref: str
    organization_id: int
    name: str
    product: str
    channel: str
    platform: str | None
    state: str
    purchased_at: Any
    term_start: Any
    term_end: Any
    auto_renew: bool
    licenses_assigned: int
    custom_domains: list[str]
    cancelled_at: Any
    expedited_at: Any
    data_deleted_at: Any
    cancelled_zone: str | None

    @classmethod
    def read(cls, row: Any) -> SubscriptionRow:
        """From a row with the subscription's columns by name (and any others)."""
        purchased_at, term_start, term_end = row.purchased_at, row.term_start, row.term_end
        if purchased_at.__class__ is str and term_start.__class__ is str and term_end.__class__ is str:
            # SQLite's text, as read_time parses it, without its frame for each (a filing reads one row).
            purchased_at, term_start, term_end = (_from_iso(purchased_at + "+00:00"), _from_iso(term_start + "+00:00"),
                                                  _from_iso(term_end + "+00:00"))
        else:
            purchased_at, term_start, term_end = read_time(purchased_at), read_time(term_start), read_time(term_end)
        cancelled_at, expedited_at, deleted_at = row.cancelled_at, row.expedited_at, row.data_deleted_at
        # tuple.__new__ of the named tuple, as its own __new__ does, without that frame of 18 arguments.
        return _tuple_new(cls, (
            row.id, row.ref, row.organization_id, row.name, row.product, row.channel, row.platform, row.state,
            purchased_at, term_start, term_end, bool(row.auto_renew), row.licenses_assigned,
            _domains(row.custom_domains), None if cancelled_at is None else read_time(cancelled_at),
            None if expedited_at is None else read_time(expedited_at),
            None if deleted_at is None else read_time(deleted_at), row.cancelled_zone))


_tuple_new = tuple.__new__
_from_iso = datetime.fromisoformat


@lru_cache(maxsize=256)  # most subscriptions have none or the organization's one domain
def _domains_of_text(text: str) -> tuple[str, ...] | None:
    value = read_json(text)
    return tuple(value) if isinstance(value, list) else None


def _domains(stored: Any) -> Any:
    """The custom domains as stored: JSON text on SQLite (a list decoded once per text, a fresh
    copy each time), a list on PostgreSQL; anything else as read_json gives it."""
    if isinstance(stored, str):
        kept = _domains_of_text(stored)
        if kept is not None:
            return list(kept)
    return read_json(stored)


class ActiveTicket(NamedTuple):
    """ACTIVE_TICKETS' row: what the rules read of a ticket still under way (C-9, M-4)."""

    id: int
    kind: str
    status: str
    created_at: Any
    resolved_at: Any
    subscription_id: int


# The account view's reads in one round trip with its head (ACCOUNT_HEAD, by the attempt's id),
# each by the attempt's organization, read only for an attempt that passed and is the agent's
# (the rest of V-7 is checked on the head before anything is shown): the same rows, in the same order, as
# SUBSCRIPTIONS_OF, then CAMPAIGNS of its D365 subscriptions, ACTIVE_TICKETS, RESOURCES and
# RESOURCE_TICKETS read one after another.
_PASSED_ORG = "(SELECT organization_id FROM verification_attempt WHERE id = :id AND passed AND agent_id = :agent)"
_ORG_SUBS = f"SELECT id FROM subscription WHERE organization_id = {_PASSED_ORG}"
ACCOUNT_READS = (
    ACCOUNT_HEAD,
    _sql(f"SELECT {_SUBSCRIPTION_COLUMNS} FROM subscription WHERE organization_id = {_PASSED_ORG} ORDER BY ref",
         "custom_domains"),
    Sql("SELECT subscription_id, ref, name, billing_admin_user_id, state FROM ims_campaign "
        f"WHERE subscription_id IN ({_ORG_SUBS} AND product = :d365) ORDER BY ref"),
    Sql("SELECT id, kind, status, created_at, resolved_at, subscription_id FROM ticket "
        f"WHERE subscription_id IN ({_ORG_SUBS}) AND status IN ({_ACTIVE}) ORDER BY created_at DESC"),
    Sql("SELECT id, ref, subscription_id, description, effective_at, state, transaction_in_progress, "
        "special_unsubscription_pending, in_promotion, invoice_issued, cash_coupons_used, discount_coupons_used "
        f"FROM renewal_resource WHERE subscription_id IN ({_ORG_SUBS}) ORDER BY ref"),
    Sql("SELECT id, kind, status, created_at, resolved_at, resource_id FROM ticket WHERE resource_id IN "
        f"(SELECT id FROM renewal_resource WHERE subscription_id IN ({_ORG_SUBS})) AND status IN ({_ACTIVE})"),
)

CAMPAIGNS = SqlList(
    "SELECT subscription_id, ref, name, billing_admin_user_id, state FROM ims_campaign "
    "WHERE subscription_id IN (:subs) ORDER BY ref", "subs",
)
ACTIVE_TICKETS = SqlList(
    "SELECT id, kind, status, created_at, resolved_at, subscription_id FROM ticket "
    f"WHERE subscription_id IN (:subs) AND status IN ({_ACTIVE}) ORDER BY created_at DESC", "subs",
)
RESOURCES = SqlList(
    "SELECT id, ref, subscription_id, description, effective_at, state, transaction_in_progress, "
    "special_unsubscription_pending, in_promotion, invoice_issued, cash_coupons_used, discount_coupons_used "
    "FROM renewal_resource WHERE subscription_id IN (:subs) ORDER BY ref", "subs",
)
RESOURCE_TICKETS = SqlList(
    "SELECT id, kind, status, created_at, resolved_at, resource_id FROM ticket "
    f"WHERE resource_id IN (:resources) AND status IN ({_ACTIVE})", "resources",
)

# --- filing ----------------------------------------------------------------------------------

# T-3: only the columns a replay needs, looked up by exact keys (the unique index).
REPLAY = SqlList("SELECT id, kind, status, content_hash, fields FROM ticket WHERE idempotency_key IN (:keys)", "keys")

TICKET_INSERT_COLUMNS = (
    "kind", "status", "organization_id", "subscription_id", "resource_id", "call_id", "verification_id",
    "filed_by_id", "created_at", "updated_at", "idempotency_key", "content_hash", "requested_date", "reason",
    "reason_scrubbed",
    "fields", "checklist", "consequences", "rules", "needs_review", "needs_callback", "effective_date",
    "data_deletion_date", "reversal_deadline",
)
INSERT_TICKET = Sql(
    f"INSERT INTO ticket ({', '.join(TICKET_INSERT_COLUMNS)}) "
    f"VALUES ({', '.join(':' + c for c in TICKET_INSERT_COLUMNS)}) RETURNING id"
)
