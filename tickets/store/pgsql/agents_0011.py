"""Sign-in, sessions and agent administration in the database (migration 0011).

The PIN is checked inside the database with pgcrypto's crypt() (bcrypt); the application role
never reads a PIN hash. A refused sign-in returns no row whatever the reason (unknown name,
disabled, locked, wrong PIN), after the same kind of work: one bcrypt check, a dummy one when
there is no hash to check against, so that neither the answer nor its time tells which names
exist (V-5 for agents: tickets.signin).
"""

from __future__ import annotations

from tickets.store.pgsql.core_0011 import SEARCH_PATH

# A bcrypt hash of a PIN nobody has: checked against when there is no real hash to check, so
# that an unknown, disabled or locked name costs the same time as a real check.
DUMMY_HASH = "$2a$08$9Tm2oG9Vm0tO2rmjJHk3Re1uWbwJtRhE0bq8dZk7cTHz/8h1r0F5K"
BCRYPT_COST = 8  # about 30 ms a check here: the same order as the scrypt of tickets.agents

AGENTS = [
    # The sign-in lock of one agent: until when (NULL: not locked), the failures counted now,
    # and since when it is locked. As tickets.signin._locked_until: a success or an unlock
    # starts the count again; the last run of `failures` within `window` locks from its last one.
    f"""CREATE OR REPLACE FUNCTION deskapp_agent_lock(p_agent_id integer, p_now timestamptz,
        OUT locked_until timestamptz, OUT failures integer, OUT locked_since timestamptz)
        LANGUAGE plpgsql STABLE {SEARCH_PATH} AS $$
    DECLARE
      n integer := deskapp_setting('sign_in_failures', '5')::integer;
      win interval := make_interval(mins => deskapp_setting('sign_in_window_minutes', '15')::integer);
      lck interval := make_interval(mins => deskapp_setting('sign_in_lock_minutes', '15')::integer);
      reset integer;
      times timestamptz[];
    BEGIN
      reset := coalesce((SELECT max(id) FROM agent_sign_in WHERE agent_id = p_agent_id
                         AND outcome IN ('succeeded', 'unlocked')), 0);
      times := ARRAY(SELECT at FROM agent_sign_in WHERE agent_id = p_agent_id AND outcome = 'failed'
                     AND at >= p_now - win - lck AND id > reset ORDER BY id);
      locked_until := NULL;
      FOR i IN n .. coalesce(array_length(times, 1), 0) LOOP
        IF times[i] - times[i - n + 1] <= win THEN
          locked_until := times[i] + lck;
        END IF;
      END LOOP;
      failures := (SELECT count(*) FROM unnest(times) t WHERE t > p_now - win);
      IF locked_until IS NOT NULL AND locked_until <= p_now THEN
        locked_until := NULL;
      END IF;
      locked_since := locked_until - lck;
    END $$""",
    f"""CREATE OR REPLACE FUNCTION deskapp_api_sign_in(p_name text, p_pin text, p_at timestamptz)
        RETURNS TABLE (token text, agent_id integer, name text, display_name text, role text)
        LANGUAGE plpgsql SECURITY DEFINER {SEARCH_PATH} AS $$
    DECLARE
      now_ timestamptz := deskapp_now(p_at);
      a agent;
      lk record;
      ok boolean;
      tok text;
      sid integer;
    BEGIN
      SELECT * INTO a FROM agent WHERE agent.name = lower(btrim(p_name)) FOR UPDATE;
      IF NOT FOUND OR NOT a.active THEN
        PERFORM crypt(p_pin, '{DUMMY_HASH}');
        PERFORM deskapp_append(now_, 'unknown', 'agent.sign_in_failed', 'agent:unknown', '{{}}');
        RETURN;
      END IF;
      lk := deskapp_agent_lock(a.id, now_);
      IF lk.locked_until IS NOT NULL THEN
        PERFORM crypt(p_pin, '{DUMMY_HASH}');
        PERFORM deskapp_append(now_, a.name, 'agent.sign_in_refused', 'agent:' || a.id,
          jsonb_build_object('locked_until', deskapp_iso(lk.locked_until), 'failures', lk.failures));
        RETURN;
      END IF;
      IF a.pin_hash LIKE '$2_$%' THEN
        ok := crypt(p_pin, a.pin_hash) = a.pin_hash;
      ELSE  -- a hash crypt() cannot check (set before migration 0011): the owner resets the PIN
        PERFORM crypt(p_pin, '{DUMMY_HASH}');
        ok := false;
      END IF;
      INSERT INTO agent_sign_in (agent_id, at, outcome)
        VALUES (a.id, now_, CASE WHEN ok THEN 'succeeded' ELSE 'failed' END);
      IF ok THEN
        tok := encode(gen_random_bytes(32), 'hex');
        INSERT INTO agent_session (agent_id, token_hash, started_at, expires_at)
          VALUES (a.id, encode(sha256(convert_to(tok, 'UTF8')), 'hex'), now_,
                  now_ + make_interval(mins => deskapp_setting('session_minutes', '720')::integer))
          RETURNING id INTO sid;
        PERFORM deskapp_append(now_, a.name, 'agent.signed_in', 'agent:' || a.id, jsonb_build_object('session', sid));
        RETURN QUERY SELECT tok, a.id, a.name::text, a.display_name::text, a.role::text;
        RETURN;
      END IF;
      lk := deskapp_agent_lock(a.id, now_);
      PERFORM deskapp_append(now_, 'unknown', 'agent.sign_in_failed', 'agent:' || a.id,
        jsonb_build_object('failures', lk.failures));
      IF lk.locked_until IS NOT NULL AND NOT EXISTS (SELECT 1 FROM audit_event e WHERE e.subject = 'agent:' || a.id
          AND e.action = 'agent.locked' AND e.at >= lk.locked_since) THEN
        PERFORM deskapp_append(now_, 'system', 'agent.locked', 'agent:' || a.id,
          jsonb_build_object('locked_until', deskapp_iso(lk.locked_until), 'failures', lk.failures));
      END IF;
    END $$""",
    f"""CREATE OR REPLACE FUNCTION deskapp_api_sign_out(p_token text, p_at timestamptz) RETURNS void
        LANGUAGE plpgsql SECURITY DEFINER {SEARCH_PATH} AS $$
    DECLARE now_ timestamptz := deskapp_now(p_at); s agent_session; who text;
    BEGIN
      UPDATE agent_session SET ended_at = now_, ended_reason = 'signed_out'
        WHERE token_hash = encode(sha256(convert_to(p_token, 'UTF8')), 'hex') AND ended_at IS NULL
        RETURNING * INTO s;
      IF FOUND THEN
        SELECT agent.name INTO who FROM agent WHERE id = s.agent_id;
        PERFORM deskapp_append(now_, who, 'agent.signed_out', 'agent:' || s.agent_id,
          jsonb_build_object('session', s.id));
      END IF;
    END $$""",
    # Agent administration: a supervisor's session for agents; the database's owner (no
    # session) for anything that makes or changes a supervisor, so that no supervisor can give
    # themselves a second identity to approve their own tickets with.
    f"""CREATE OR REPLACE FUNCTION deskapp_api_agent_admin(p_token text, p_action text, p_name text,
        p_value text, p_role text, p_display_name text, p_at timestamptz)
        RETURNS TABLE (id integer, name text, display_name text, role text, active boolean)
        LANGUAGE plpgsql SECURITY DEFINER {SEARCH_PATH} AS $$
    DECLARE
      now_ timestamptz := deskapp_now(p_at);
      me agent;
      actor text;
      t agent;
      details jsonb;
      action text;
      owner_only boolean := false;
    BEGIN
      IF p_token IS NULL THEN
        IF NOT deskapp_is_owner() THEN
          RAISE EXCEPTION USING ERRCODE = 'DK401',
            MESSAGE = 'agents: administration needs a signed-in supervisor (--as) or the database owner''s credentials';
        END IF;
        actor := 'owner:' || session_user;
      ELSE
        me := deskapp_actor(p_token, NULL, now_);
        IF me.role <> 'supervisor' THEN
          RAISE EXCEPTION 'agents: only a supervisor administers agents' USING ERRCODE = 'DK403';
        END IF;
        actor := me.name;
      END IF;
      IF p_action = 'add' THEN
        IF p_value IS NULL OR NOT (p_value ~ '^[0-9]{{4,64}}$'
                                   OR (length(p_value) BETWEEN 12 AND 128 AND p_value ~ '\\S')) THEN
          RAISE EXCEPTION 'pin: 4 to 64 digits, or a passphrase of 12 to 128 characters' USING ERRCODE = 'DK422';
        END IF;
        IF p_role IS NULL OR p_role NOT IN ('agent', 'supervisor') THEN
          RAISE EXCEPTION 'role: must be ''agent'' or ''supervisor''' USING ERRCODE = 'DK422';
        END IF;
        owner_only := p_role = 'supervisor';
        IF owner_only AND p_token IS NOT NULL THEN
          RAISE EXCEPTION 'X-2: a supervisor is added with the database owner''s credentials, not by another supervisor'
            USING ERRCODE = 'DK403';
        END IF;
        INSERT INTO agent (name, display_name, role, pin_hash, active, created_at)
          VALUES (p_name, p_display_name, p_role,
                  crypt(p_value, gen_salt('bf', {BCRYPT_COST})), true, now_)
          RETURNING * INTO t;
        PERFORM deskapp_append(now_, actor, 'agent.created', 'agent:' || t.id,  -- tickets.audit.record.agent_record
          jsonb_build_object('name', t.name, 'role', t.role, 'history', 2,
            'pin_hash_sha256', encode(sha256(convert_to(t.pin_hash, 'UTF8')), 'hex'),
            'display_name_sha256', encode(sha256(convert_to(t.display_name, 'UTF8')), 'hex')));
        RETURN QUERY SELECT t.id, t.name::text, t.display_name::text, t.role::text, t.active;
        RETURN;
      END IF;
      SELECT * INTO t FROM agent WHERE agent.name = lower(btrim(p_name)) FOR UPDATE;
      IF NOT FOUND THEN
        RAISE EXCEPTION 'name: there is no agent called %', quote_literal(p_name) USING ERRCODE = 'DK404';
      END IF;
      IF p_action IN ('disable', 'enable') AND t.active = (p_action = 'enable') THEN
        -- Asked twice: the state wanted holds; nothing is written or recorded.
        RAISE EXCEPTION '% is already %: nothing changed, nothing recorded', t.name, p_action || 'd'
          USING ERRCODE = 'DK409';
      END IF;
      IF p_action = 'disable' THEN
        IF p_token IS NOT NULL AND t.id = me.id THEN
          RAISE EXCEPTION 'agents: a supervisor does not disable themselves' USING ERRCODE = 'DK403';
        END IF;
        details := jsonb_build_object('name', t.name, 'was_active', t.active);
        UPDATE agent SET active = false WHERE agent.id = t.id;
        UPDATE agent_session SET ended_at = now_, ended_reason = 'disabled' WHERE agent_id = t.id AND ended_at IS NULL;
        action := 'agent.disabled';
      ELSIF p_action = 'enable' THEN
        owner_only := t.role = 'supervisor';
        details := jsonb_build_object('name', t.name, 'was_active', t.active);
        UPDATE agent SET active = true WHERE agent.id = t.id;
        action := 'agent.enabled';
      ELSIF p_action = 'reset_pin' THEN
        IF p_value IS NULL OR NOT (p_value ~ '^[0-9]{{4,64}}$'
                                   OR (length(p_value) BETWEEN 12 AND 128 AND p_value ~ '\\S')) THEN
          RAISE EXCEPTION 'pin: 4 to 64 digits, or a passphrase of 12 to 128 characters' USING ERRCODE = 'DK422';
        END IF;
        owner_only := t.role = 'supervisor' AND (p_token IS NULL OR t.id <> me.id);
        UPDATE agent SET pin_hash = crypt(p_value, gen_salt('bf', {BCRYPT_COST})) WHERE agent.id = t.id
          RETURNING * INTO t;
        details := jsonb_build_object('name', t.name, 'history', 2,
          'pin_hash_sha256', encode(sha256(convert_to(t.pin_hash, 'UTF8')), 'hex'));
        UPDATE agent_session SET ended_at = now_, ended_reason = 'pin_reset' WHERE agent_id = t.id AND ended_at IS NULL;
        action := 'agent.pin_reset';
      ELSIF p_action = 'set_role' THEN
        IF p_value NOT IN ('agent', 'supervisor') THEN
          RAISE EXCEPTION 'role: must be ''agent'' or ''supervisor''' USING ERRCODE = 'DK422';
        END IF;
        owner_only := t.role = 'supervisor' OR p_value = 'supervisor';
        details := jsonb_build_object('name', t.name, 'from', t.role, 'to', p_value);
        UPDATE agent SET role = p_value WHERE agent.id = t.id;
        action := 'agent.role_changed';
      ELSIF p_action = 'unlock' THEN
        details := CASE WHEN coalesce(btrim(p_value), '') = '' THEN '{{}}'::jsonb
                        ELSE jsonb_build_object('reason', btrim(p_value)) END;
        INSERT INTO agent_sign_in (agent_id, at, outcome, by_id) VALUES (t.id, now_, 'unlocked', me.id);
        action := 'agent.unlocked';
      ELSE
        RAISE EXCEPTION 'agents: no such action %', p_action USING ERRCODE = 'DK422';
      END IF;
      IF owner_only AND p_token IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'DK403', MESSAGE = 'X-2: a supervisor''s account is changed with the database '
          || 'owner''s credentials, not by another supervisor';
      END IF;
      PERFORM deskapp_append(now_, actor, action, 'agent:' || t.id, details);
      RETURN QUERY SELECT a.id, a.name::text, a.display_name::text, a.role::text, a.active
        FROM agent a WHERE a.id = t.id;
    END $$""",
]
