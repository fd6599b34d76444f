"""the database enforces who may write what: sessions, and (PostgreSQL) every write a function

- `agent_session`: a signed-in agent's session, a random token stored only as its SHA-256,
  expiring, ended by signing out, by a PIN reset or by disabling the agent.
- `desk_setting`: the desk's settings every console must agree on, held in the database
  (the sign-in lockout's count and lengths, the session's length); written by the owner.
- PostgreSQL: the functions every write of the console and `deskapp serve` goes through
  (tickets.store.pgsql), SECURITY DEFINER with a fixed search_path, executable by nobody until
  `deskapp db roles` grants the application role EXECUTE on the `deskapp_api_*` ones. PINs set
  from here on are bcrypt hashes made by pgcrypto's crypt(); a PIN set before (scrypt, which
  crypt() cannot check) is reset by the owner (`deskapp agents reset-pin NAME` on the owner's URL).

Revision ID: 0011_database_enforces_writes
Revises: 0010_ticket_notes
Create Date: 2026-12-07
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

from tickets.store.pgsql.agents_0011 import AGENTS
from tickets.store.pgsql.core_0011 import CORE
from tickets.store.pgsql.desk_0011 import DESK
from tickets.store.pgsql.lifecycle_0011 import LIFECYCLE
from tickets.store.types import UTCDateTime

revision = "0011_database_enforces_writes"
down_revision = "0010_ticket_notes"
branch_labels = None
depends_on = None

FUNCTIONS = CORE + AGENTS + DESK + LIFECYCLE
DEFAULTS = {  # the desk's settings as they were in code before this revision
    "sign_in_failures": "5", "sign_in_window_minutes": "15", "sign_in_lock_minutes": "15", "session_minutes": "720",
}
_NAME = re.compile(r"CREATE OR REPLACE FUNCTION (deskapp_\w+)")


def upgrade() -> None:
    op.create_table(
        "agent_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.Column("ended_reason", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(["agent_id"], ["agent.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_agent_session_agent", "agent_session", ["agent_id"])
    setting = op.create_table(
        "desk_setting",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.bulk_insert(setting, [{"name": k, "value": v} for k, v in DEFAULTS.items()])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pgcrypto")
        for statement in FUNCTIONS:
            op.execute(statement)
        for name in sorted({m for s in FUNCTIONS for m in _NAME.findall(s)}):
            op.execute(
                f"DO $$ DECLARE f regprocedure; BEGIN FOR f IN SELECT oid::regprocedure FROM pg_proc WHERE proname = '{name}' "
                "LOOP EXECUTE 'REVOKE ALL ON FUNCTION ' || f || ' FROM PUBLIC'; END LOOP; END $$"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in sorted({m for s in FUNCTIONS for m in _NAME.findall(s)}, reverse=True):
            op.execute(
                f"DO $$ DECLARE f regprocedure; BEGIN FOR f IN SELECT oid::regprocedure FROM pg_proc WHERE proname = '{name}' "
                "LOOP EXECUTE 'DROP FUNCTION ' || f || ' CASCADE'; END LOOP; END $$"
            )
    op.drop_table("desk_setting")
    op.drop_index("ix_agent_session_agent", table_name="agent_session")
    op.drop_table("agent_session")
