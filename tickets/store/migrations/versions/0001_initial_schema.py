"""initial schema: the directory, the desk, tickets and the append-only audit chain

Revision ID: 0001
Revises: 
Create Date: 2026-11-22 19:33:34.299820
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import tickets.store.types

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('agent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('display_name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('pin_hash', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', tickets.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('audit_event',
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('at', tickets.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('prev_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq'),
    sa.UniqueConstraint('hash')
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_event_subject'), ['subject'], unique=False)

    op.create_table('audit_head',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.CheckConstraint('id = 1', name='ck_audit_head_single'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('organization',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ref', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('url', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.Column('country', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('street_lines', sa.JSON(), nullable=False),
    sa.Column('city', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('region', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('postal_code', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('name_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('updated_at', tickets.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('ref')
    )
    with op.batch_alter_table('organization', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organization_name_key'), ['name_key'], unique=False)

    op.create_table('call',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=True),
    sa.Column('started_at', tickets.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', tickets.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('wrap_up_note', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.ForeignKeyConstraint(['agent_id'], ['agent.id'], ),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('call', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_call_agent_id'), ['agent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_call_started_at'), ['started_at'], unique=False)

    op.create_table('person',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
    sa.Column('first_name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('last_name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('phone_e164', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('is_primary_contact', sa.Boolean(), nullable=False),
    sa.Column('roles', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id')
    )
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_person_phone_e164'), ['phone_e164'], unique=False)

    op.create_table('subscription',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ref', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('product', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('platform', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('purchased_at', tickets.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('term_start', tickets.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('term_end', tickets.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('auto_renew', sa.Boolean(), nullable=False),
    sa.Column('licenses_assigned', sa.Integer(), nullable=False),
    sa.Column('custom_domains', sa.JSON(), nullable=False),
    sa.Column('cancelled_at', tickets.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('expedited_at', tickets.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('data_deleted_at', tickets.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('licenses_assigned >= 0', name='ck_subscription_licenses'),
    sa.CheckConstraint('term_end > term_start', name='ck_subscription_term'),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('ref')
    )
    with op.batch_alter_table('subscription', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subscription_organization_id'), ['organization_id'], unique=False)

    op.create_table('verification_unlock',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('supervisor_id', sa.Integer(), nullable=False),
    sa.Column('at', tickets.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], ),
    sa.ForeignKeyConstraint(['supervisor_id'], ['agent.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('verification_unlock', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_verification_unlock_organization_id'), ['organization_id'], unique=False)

    op.create_table('ims_campaign',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ref', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('subscription_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('billing_admin_user_id', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.ForeignKeyConstraint(['subscription_id'], ['subscription.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('ref')
    )
    with op.batch_alter_table('ims_campaign', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ims_campaign_subscription_id'), ['subscription_id'], unique=False)

    op.create_table('renewal_resource',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ref', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('subscription_id', sa.Integer(), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('effective_at', tickets.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('transaction_in_progress', sa.Boolean(), nullable=False),
    sa.Column('special_unsubscription_pending', sa.Boolean(), nullable=False),
    sa.Column('in_promotion', sa.Boolean(), nullable=False),
    sa.Column('invoice_issued', sa.Boolean(), nullable=False),
    sa.Column('cash_coupons_used', sa.Integer(), nullable=False),
    sa.Column('discount_coupons_used', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['subscription_id'], ['subscription.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('ref')
    )
    with op.batch_alter_table('renewal_resource', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_renewal_resource_subscription_id'), ['subscription_id'], unique=False)

    op.create_table('verification_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=True),
    sa.Column('at', tickets.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.Column('failed_factors', sa.JSON(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('roles', sa.JSON(), nullable=False),
    sa.Column('expires_at', tickets.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['agent_id'], ['agent.id'], ),
    sa.ForeignKeyConstraint(['call_id'], ['call.id'], ),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], ),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('verification_attempt', schema=None) as batch_op:
        batch_op.create_index('ix_verification_org_at', ['organization_id', 'at'], unique=False)

    op.create_table('ticket',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('subscription_id', sa.Integer(), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=True),
    sa.Column('call_id', sa.Integer(), nullable=True),
    sa.Column('verification_id', sa.Integer(), nullable=True),
    sa.Column('filed_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', tickets.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', tickets.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('idempotency_key', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('content_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('requested_date', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('checklist', sa.JSON(), nullable=False),
    sa.Column('consequences', sa.JSON(), nullable=False),
    sa.Column('rules', sa.JSON(), nullable=False),
    sa.Column('needs_review', sa.Boolean(), nullable=False),
    sa.Column('needs_callback', sa.Boolean(), nullable=False),
    sa.Column('callback_at', tickets.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('callback_by_id', sa.Integer(), nullable=True),
    sa.Column('callback_note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', tickets.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decision_reason', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('effective_date', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
    sa.Column('data_deletion_date', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
    sa.Column('reversal_deadline', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
    sa.Column('resolved_at', tickets.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('decided_by_id IS NULL OR decided_by_id <> filed_by_id', name='ck_ticket_four_eyes'),
    sa.ForeignKeyConstraint(['call_id'], ['call.id'], ),
    sa.ForeignKeyConstraint(['callback_by_id'], ['agent.id'], ),
    sa.ForeignKeyConstraint(['decided_by_id'], ['agent.id'], ),
    sa.ForeignKeyConstraint(['filed_by_id'], ['agent.id'], ),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], ),
    sa.ForeignKeyConstraint(['resource_id'], ['renewal_resource.id'], ),
    sa.ForeignKeyConstraint(['subscription_id'], ['subscription.id'], ),
    sa.ForeignKeyConstraint(['verification_id'], ['verification_attempt.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('idempotency_key')
    )
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.create_index('ix_ticket_created', ['created_at', 'id'], unique=False)
        batch_op.create_index('ix_ticket_filed_by_created', ['filed_by_id', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_ticket_org_created', ['organization_id', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_ticket_status_created', ['status', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_ticket_subscription', ['subscription_id'], unique=False)
        batch_op.create_index('uq_ticket_open_cancellation', ['subscription_id'], unique=True, sqlite_where=sa.text("kind IN ('cancel_early', 'cancel_end_of_term', 'expedited_deprovisioning', 'migration_on_premises') AND status IN ('approved', 'in_progress', 'open', 'pending_review')"), postgresql_where=sa.text("kind IN ('cancel_early', 'cancel_end_of_term', 'expedited_deprovisioning', 'migration_on_premises') AND status IN ('approved', 'in_progress', 'open', 'pending_review')"))
        batch_op.create_index('uq_ticket_open_unsubscription', ['resource_id'], unique=True, sqlite_where=sa.text("kind = 'unsubscribe_resource' AND status IN ('approved', 'in_progress', 'open', 'pending_review')"), postgresql_where=sa.text("kind = 'unsubscribe_resource' AND status IN ('approved', 'in_progress', 'open', 'pending_review')"))

    # the audit chain's genesis, and no UPDATE, DELETE or TRUNCATE of events.
    op.execute(
        "INSERT INTO audit_head (id, seq, hash) VALUES "
        "(1, 0, '0000000000000000000000000000000000000000000000000000000000000000')"
    )
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_event_no_{verb.lower()} BEFORE {verb} ON audit_event "
                "BEGIN SELECT RAISE(ABORT, 'A-1: audit events are append-only'); END"
            )
    else:
        op.execute(
            "CREATE FUNCTION deskapp_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'A-1: audit events are append-only'; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON audit_event "
            "FOR EACH ROW EXECUTE FUNCTION deskapp_audit_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event "
            "FOR EACH STATEMENT EXECUTE FUNCTION deskapp_audit_append_only()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_change ON audit_event")
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event")
        op.execute("DROP FUNCTION IF EXISTS deskapp_audit_append_only()")
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_index('uq_ticket_open_unsubscription', sqlite_where=sa.text("kind = 'unsubscribe_resource' AND status IN ('approved', 'in_progress', 'open', 'pending_review')"), postgresql_where=sa.text("kind = 'unsubscribe_resource' AND status IN ('approved', 'in_progress', 'open', 'pending_review')"))
        batch_op.drop_index('uq_ticket_open_cancellation', sqlite_where=sa.text("kind IN ('cancel_early', 'cancel_end_of_term', 'expedited_deprovisioning', 'migration_on_premises') AND status IN ('approved', 'in_progress', 'open', 'pending_review')"), postgresql_where=sa.text("kind IN ('cancel_early', 'cancel_end_of_term', 'expedited_deprovisioning', 'migration_on_premises') AND status IN ('approved', 'in_progress', 'open', 'pending_review')"))
        batch_op.drop_index('ix_ticket_subscription')
        batch_op.drop_index('ix_ticket_status_created')
        batch_op.drop_index('ix_ticket_org_created')
        batch_op.drop_index('ix_ticket_filed_by_created')
        batch_op.drop_index('ix_ticket_created')

    op.drop_table('ticket')
    with op.batch_alter_table('verification_attempt', schema=None) as batch_op:
        batch_op.drop_index('ix_verification_org_at')

    op.drop_table('verification_attempt')
    with op.batch_alter_table('renewal_resource', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_renewal_resource_subscription_id'))

    op.drop_table('renewal_resource')
    with op.batch_alter_table('ims_campaign', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ims_campaign_subscription_id'))

    op.drop_table('ims_campaign')
    with op.batch_alter_table('verification_unlock', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_verification_unlock_organization_id'))

    op.drop_table('verification_unlock')
    with op.batch_alter_table('subscription', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subscription_organization_id'))

    op.drop_table('subscription')
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_phone_e164'))
        batch_op.drop_index(batch_op.f('ix_person_organization_id'))

    op.drop_table('person')
    with op.batch_alter_table('call', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_call_started_at'))
        batch_op.drop_index(batch_op.f('ix_call_agent_id'))

    op.drop_table('call')
    with op.batch_alter_table('organization', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organization_name_key'))

    op.drop_table('organization')
    op.drop_table('audit_head')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_event_subject'))

    op.drop_table('audit_event')
    op.drop_table('agent')
