"""The export's events with its refusal, and the agents' rows for `audit verify` (migration 0017).

Migration 0011's deskapp_api_audit_export took `export.started`, `export.created` and
`export.failed` only, so on PostgreSQL an unmasked export refused by E-1 left no event (A-1),
where SQLite records `export.refused` (tickets.export.run.authorise_unmasked). Made here from
0011's text with exactly that change, checked to apply. Who may record it is unchanged: the
session's agent, or the owner for the command line's anonymous export.
"""

from __future__ import annotations

from tickets.store.pgsql.core_0011 import SEARCH_PATH
from tickets.store.pgsql.lifecycle_0011 import LIFECYCLE

_AUDIT_EXPORT_0011 = next(s for s in LIFECYCLE if "FUNCTION deskapp_api_audit_export(" in s)

_OLD = "IF p_action NOT IN ('export.started', 'export.created', 'export.failed') THEN"
_NEW = "IF p_action NOT IN ('export.started', 'export.created', 'export.failed', 'export.refused') THEN"
if _OLD not in _AUDIT_EXPORT_0011:  # 0011's text is fixed (deployed): a change there must be seen here
    raise RuntimeError("deskapp_api_audit_export of migration 0011 is not the text migration 0017 changes")

AUDIT_EXPORT = _AUDIT_EXPORT_0011.replace(_OLD, _NEW)
PREVIOUS = [_AUDIT_EXPORT_0011]

# `audit verify` compares each agent's row with its events, the PIN hash by its SHA-256 (the
# events record only that: tickets.audit.record.agent_record). The application role may not
# read pin_hash (migration 0011): this function gives it the digest, never the hash, so verify
# runs with the console's own credentials (through PgBouncer too).
AGENT_ROWS = f"""CREATE OR REPLACE FUNCTION deskapp_api_audit_agents(p_after bigint, p_limit bigint)
    RETURNS TABLE (id integer, name text, display_name text, role text, pin_hash_sha256 text, active boolean)
    LANGUAGE sql STABLE SECURITY DEFINER {SEARCH_PATH} AS $$
      SELECT a.id, a.name::text, a.display_name::text, a.role::text,
             encode(sha256(convert_to(a.pin_hash, 'UTF8')), 'hex'), a.active
      FROM agent a WHERE a.id > p_after ORDER BY a.id LIMIT p_limit
    $$"""
DROP_AGENT_ROWS = "DROP FUNCTION IF EXISTS deskapp_api_audit_agents(bigint, bigint)"
