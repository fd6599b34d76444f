"""A-1: the guard triggers the migrations create, by engine (no database code: `audit verify` on
SQLite checks them without loading SQLAlchemy; tickets.store.roles re-exports them)."""

from __future__ import annotations

# the guard triggers migrations 0001 and 0003 create, by engine, with the table each
# guards; `audit verify` checks they are all there and enabled (tickets.audit.guards).
GUARD_TRIGGERS = {
    "sqlite": {"audit_event_no_update": "audit_event", "audit_event_no_delete": "audit_event",
               "audit_head_forward_only": "audit_head", "audit_head_no_delete": "audit_head"},
    "postgresql": {"audit_event_no_change": "audit_event", "audit_event_no_truncate": "audit_event",
                   "audit_head_forward_only": "audit_head", "audit_head_no_truncate": "audit_head"},
}
