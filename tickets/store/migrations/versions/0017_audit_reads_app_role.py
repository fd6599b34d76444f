"""PostgreSQL: an unmasked export refused by E-1 is recorded; `audit verify` runs as the application role

deskapp_api_audit_export (migration 0011) is replaced (CREATE OR REPLACE: the same signature,
so the application role's EXECUTE stays) by tickets.store.pgsql.export_0017's, which also takes
`export.refused`, as SQLite records it. deskapp_api_audit_agents gives `audit verify` each
agent's row with the SHA-256 of its PIN hash, which the application role may not read itself
(`deskapp db roles --apply` grants EXECUTE on it). deskapp_api_sign_in answers an unknown
name after the same reads a real name's wrong PIN makes (tickets.store.pgsql.signin_0017). Downgrade restores 0011's body and drops the
new function. SQLite: nothing to do.

Revision ID: 0017_audit_reads_app_role
Revises: 0016_filing_event_by_database
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

from tickets.store.pgsql import export_0017, signin_0017

revision = "0017_audit_reads_app_role"
down_revision = "0016_filing_event_by_database"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(export_0017.AUDIT_EXPORT)
    op.execute(export_0017.AGENT_ROWS)
    op.execute(signin_0017.SIGN_IN)
    # Nobody but the roles `deskapp db roles` grants it to (a new function is PUBLIC's to run).
    op.execute("REVOKE ALL ON FUNCTION deskapp_api_audit_agents(bigint, bigint) FROM PUBLIC")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in [*export_0017.PREVIOUS, export_0017.DROP_AGENT_ROWS, *signin_0017.PREVIOUS]:
        op.execute(statement)
