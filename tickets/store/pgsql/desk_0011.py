"""The desk's writes in the database (migration 0011): calls, verification attempts, filing,
callbacks, the lifecycle (T-2 with X-2 and V-8), organization unlocks and export events.

Each checks the rule itself, with the acting agent taken from the session (deskapp_actor), and
changes the rows and appends the event (A-1) in the one statement's transaction. What only
Python computes (whether what the caller said matches the directory, the policy's decision and
its texts) is passed in; what the rules of four eyes rest on (who files, who decides, whether a
kind needs review and a callback, the callback before the approval, the order of statuses) is
decided here from the rows.
"""

from __future__ import annotations

from tickets.store.pgsql.core_0011 import SEARCH_PATH

_REVIEWED = (  # X-2, V-8: as tickets.policy.context.review_flags
    "(%(kind)s IN ('expedited_deprovisioning', 'reversal') "
    "OR (%(kind)s = 'cancel_early' AND coalesce((%(fields)s)->>'refund_requested', 'false') = 'true'))"
)

DESK = [
    f"""CREATE OR REPLACE FUNCTION deskapp_needs_review(p_kind text, p_fields jsonb) RETURNS boolean LANGUAGE sql
    IMMUTABLE {SEARCH_PATH} AS $$ SELECT {_REVIEWED % {"kind": "p_kind", "fields": "p_fields"}} $$""",
    f"""CREATE OR REPLACE FUNCTION deskapp_api_start_call(p_token text, p_agent_id integer, p_at timestamptz)
        RETURNS integer LANGUAGE plpgsql SECURITY DEFINER {SEARCH_PATH} AS $$
    DECLARE now_ timestamptz := deskapp_now(p_at); a agent := deskapp_actor(p_token, p_agent_id, now_); cid integer;
    BEGIN
      INSERT INTO call (agent_id, started_at) VALUES (a.id, now_) RETURNING id INTO cid;
      PERFORM deskapp_append(now_, a.name, 'call.started', 'call:' || cid, '{{}}');
      RETURN cid;
    END $$""",
    f"""CREATE OR REPLACE FUNCTION deskapp_api_end_call(p_token text, p_agent_id integer, p_call integer, p_note text,
        p_at timestamptz) RETURNS void LANGUAGE plpgsql SECURITY DEFINER {SEARCH_PATH} AS $$
    DECLARE now_ timestamptz := deskapp_now(p_at); a agent := deskapp_actor(p_token, p_agent_id, now_); org integer;
    BEGIN
      UPDATE call SET ended_at = now_, wrap_up_note = nullif(p_note, '')
        WHERE id = p_call AND agent_id = a.id AND ended_at IS NULL RETURNING organization_id INTO org;
      IF NOT FOUND THEN
        IF NOT EXISTS (SELECT 1 FROM call WHERE id = p_call AND agent_id = a.id) THEN
          RAISE EXCEPTION 'call % is not one of yours', p_call USING ERRCODE = 'DK404';
        END IF;
        RETURN;  -- already ended
      END IF;
      PERFORM deskapp_append(now_, a.name, 'call.ended', 'call:' || p_call,
        jsonb_build_object('organization_id', org, 'note_length', coalesce(length(p_note), 0)));
    END $$""",
    # V-5: an organization's lockout, as identity.lockout.lockout_state decides it.
    f"""CREATE OR REPLACE FUNCTION deskapp_org_lock(p_org integer, p_now timestamptz,
        OUT locked_until timestamptz, OUT attempts_left integer) LANGUAGE plpgsql STABLE {SEARCH_PATH} AS $$
    DECLARE
      n integer := deskapp_setting('verification_failures', '3')::integer;
      win interval := make_interval(hours => deskapp_setting('verification_window_hours', '24')::integer);
      lck interval := make_interval(hours => deskapp_setting('verification_lock_hours', '24')::integer);
      unlocked timestamptz := (SELECT max(at) FROM verification_unlock WHERE organization_id = p_org);
      counting timestamptz[] := '{{}}';
      f timestamptz;
    BEGIN
      locked_until := NULL;
      FOR f IN SELECT at FROM verification_attempt WHERE organization_id = p_org AND NOT passed
               AND at > p_now - win - lck ORDER BY at LOOP
        CONTINUE WHEN unlocked IS NOT NULL AND f <= unlocked;
        EXIT WHEN f > p_now;
        CONTINUE WHEN locked_until IS NOT NULL AND f < locked_until;
        counting := ARRAY(SELECT c FROM unnest(counting) c WHERE f - c < win) || f;
        IF array_length(counting, 1) >= n THEN
          locked_until := f + lck;
          counting := '{{}}';
        END IF;
      END LOOP;
      IF locked_until IS NOT NULL AND p_now < locked_until THEN
        attempts_left := 0;
        RETURN;
      END IF;
      locked_until := NULL;
      attempts_left := greatest(0, n - (SELECT count(*) FROM unnest(counting) c WHERE p_now - c < win));
    END $$""",
    # One verification attempt (V-1..V-5): whether the caller's answers matched is the console's
    # comparison (identity); the lockout, the call's owner and the 60 minutes (V-7) are decided here.
    f"""CREATE OR REPLACE FUNCTION deskapp_api_record_verification(p_token text, p_agent_id integer, p_org integer,
        p_call integer, p_passed boolean, p_failed jsonb, p_person integer, p_roles jsonb, p_at timestamptz)
        RETURNS TABLE (attempt_id integer, locked_until timestamptz, attempts_left integer)
        LANGUAGE plpgsql SECURITY DEFINER {SEARCH_PATH} AS $$
    DECLARE now_ timestamptz; a agent; st record; aid integer; subj text := 'organization:' || p_org;
    BEGIN
      PERFORM 1 FROM organization WHERE id = p_org FOR NO KEY UPDATE;
      IF NOT FOUND THEN
        RAISE EXCEPTION 'organization % does not exist', p_org USING ERRCODE = 'DK404';
      END IF;
      -- After the lock, and never before the organization's last attempt: attempts are judged
      -- in the order they commit (V-5), whatever clock the client read before it waited here.
      now_ := greatest(deskapp_now(p_at), (SELECT max(at) FROM verification_attempt WHERE organization_id = p_org));
      a := deskapp_actor(p_token, p_agent_id, now_);
      IF p_call IS NOT NULL AND NOT EXISTS (SELECT 1 FROM call WHERE id = p_call AND agent_id = a.id) THEN
        RAISE EXCEPTION 'call % is not one of yours', p_call USING ERRCODE = 'DK404';
      END IF;
      IF p_passed AND NOT EXISTS (SELECT 1 FROM person WHERE id = p_person AND organization_id = p_org) THEN
        RAISE EXCEPTION 'V-2: the verified person is not on this organization' USING ERRCODE = 'DK403';
      END IF;
      st := deskapp_org_lock(p_org, now_);
      IF st.locked_until IS NOT NULL THEN
        PERFORM deskapp_append(now_, a.name, 'verification.refused_locked', subj,
          jsonb_build_object('call_id', p_call, 'rule', 'V-5'));
        RETURN QUERY SELECT NULL::integer, st.locked_until, 0;
        RETURN;
      END IF;
      UPDATE call SET organization_id = p_org WHERE id = p_call AND organization_id IS NULL;
      INSERT INTO verification_attempt (organization_id, agent_id, call_id, at, passed, failed_factors, person_id,
                                        roles, expires_at)
        VALUES (p_org, a.id, p_call, now_, p_passed, coalesce(p_failed, '[]')::json,
                CASE WHEN p_passed THEN p_person END,
                CASE WHEN p_passed THEN coalesce(p_roles, '[]') ELSE '[]' END::json,
                CASE WHEN p_passed THEN now_ + interval '60 minutes' END)
        RETURNING id INTO aid;
      PERFORM deskapp_append(now_, a.name, CASE WHEN p_passed THEN 'verification.passed' ELSE 'verification.failed' END,
        subj, jsonb_build_object('attempt_id', aid, 'call_id', p_call, 'failed_factors', coalesce(p_failed, '[]'),
                                 'rule', 'V-5'));
      IF p_passed THEN
        RETURN QUERY SELECT aid, NULL::timestamptz, deskapp_setting('verification_failures', '3')::integer;
        RETURN;
      END IF;
      st := deskapp_org_lock(p_org, now_);
      IF st.locked_until IS NOT NULL THEN
        PERFORM deskapp_append(now_, a.name, 'organization.locked', subj,
          jsonb_build_object('locked_until', deskapp_iso(st.locked_until), 'rule', 'V-5'));
      END IF;
      RETURN QUERY SELECT NULL::integer, st.locked_until, st.attempts_left;
    END $$""",
    # Filing (V-7, X-2, V-8, C-9, T-3): the verification must be this agent's, passed, live and
    # on a call still open; the kind fixes whether the ticket waits for review and a callback.
    f"""CREATE OR REPLACE FUNCTION deskapp_api_file(p_token text, p_agent_id integer, p_verification integer,
        p_subscription integer, p_tickets jsonb, p_at timestamptz)
        RETURNS TABLE (ticket_id integer, status text) LANGUAGE plpgsql SECURITY DEFINER {SEARCH_PATH} AS $$
    DECLARE
      now_ timestamptz := deskapp_now(p_at);
      a agent := deskapp_actor(p_token, p_agent_id, now_);
      v record; s record; t jsonb; reviewed boolean; st text; tid integer; res integer;
      filed jsonb := '[]';
    BEGIN
      SELECT va.*, c.ended_at AS call_ended_at INTO v FROM verification_attempt va
        LEFT JOIN call c ON c.id = va.call_id WHERE va.id = p_verification;
      IF NOT FOUND OR NOT v.passed OR v.person_id IS NULL THEN
        RAISE EXCEPTION 'V-1: the caller has not been verified on this call' USING ERRCODE = 'DK403';
      ELSIF v.agent_id <> a.id THEN
        RAISE EXCEPTION 'V-7: this verification belongs to another agent''s call' USING ERRCODE = 'DK403';
      ELSIF v.expires_at IS NULL OR now_ >= v.expires_at OR now_ >= v.at + interval '60 minutes' THEN
        RAISE EXCEPTION 'V-7: the verification has expired (60 minutes); verify the caller again'
          USING ERRCODE = 'DK403';
      ELSIF v.call_ended_at IS NOT NULL THEN
        RAISE EXCEPTION 'V-7: the call has ended; a new call needs a new verification' USING ERRCODE = 'DK403';
      END IF;
      SELECT * INTO s FROM subscription WHERE id = p_subscription;
      IF NOT FOUND OR s.organization_id <> v.organization_id THEN
        RAISE EXCEPTION 'subscription % is not on the verified caller''s account', coalesce(s.ref, p_subscription::text)
          USING ERRCODE = 'DK404';
      END IF;
      FOR t IN SELECT * FROM jsonb_array_elements(p_tickets) LOOP
        res := (t->>'resource_id')::integer;
        IF res IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM renewal_resource WHERE id = res AND subscription_id = s.id) THEN
          RAISE EXCEPTION 'renewal resource % is not on subscription %', res, s.ref USING ERRCODE = 'DK404';
        END IF;
        reviewed := deskapp_needs_review(t->>'kind', t->'fields');
        st := CASE WHEN reviewed THEN 'pending_review' ELSE 'open' END;
        INSERT INTO ticket (kind, status, organization_id, subscription_id, resource_id, call_id, verification_id,
          filed_by_id, created_at, updated_at, idempotency_key, content_hash, requested_date, reason, reason_scrubbed,
          fields, checklist, consequences, rules, needs_review, needs_callback, effective_date, data_deletion_date,
          reversal_deadline)
        VALUES (t->>'kind', st, s.organization_id, s.id, res, v.call_id, v.id, a.id, now_, now_,
          t->>'idempotency_key', t->>'content_hash', t->>'requested_date', t->>'reason', t->>'reason_scrubbed',
          coalesce(t->'fields', '{{}}')::json, coalesce(t->'checklist', '[]')::json,
          coalesce(t->'consequences', '{{}}')::json, coalesce(t->'rules', '[]')::json, reviewed, reviewed,
          t->>'effective_date', t->>'data_deletion_date', t->>'reversal_deadline')
        RETURNING id INTO tid;
        filed := filed || jsonb_build_array(jsonb_build_object('id', tid, 'details',
          coalesce(t->'details', '{{}}') || jsonb_build_object('kind', t->>'kind', 'status', st, 'subscription', s.ref,
                                                              'verification_id', v.id)));
        ticket_id := tid;
        status := st;
        RETURN NEXT;
      END LOOP;
      FOR t IN SELECT * FROM jsonb_array_elements(filed) LOOP  -- appends last: head locked to the commit
        PERFORM deskapp_append(now_, a.name, 'ticket.filed', 'ticket:' || (t->>'id'), t->'details');
      END LOOP;
    END $$""",
    f"""CREATE OR REPLACE FUNCTION deskapp_api_record_callback(p_token text, p_agent_id integer, p_ticket integer,
        p_note text, p_at timestamptz) RETURNS timestamptz LANGUAGE plpgsql SECURITY DEFINER {SEARCH_PATH} AS $$
    DECLARE now_ timestamptz; a agent; t ticket;
    BEGIN
      SELECT * INTO t FROM ticket WHERE id = p_ticket FOR NO KEY UPDATE;
      now_ := deskapp_now(p_at);
      a := deskapp_actor(p_token, p_agent_id, now_);
      IF t.id IS NULL THEN
        RAISE EXCEPTION 'ticket TK-% does not exist', lpad(p_ticket::text, 6, '0') USING ERRCODE = 'DK404';
      ELSIF NOT (t.needs_callback OR deskapp_needs_review(t.kind, t.fields::jsonb)) THEN
        RAISE EXCEPTION 'V-8: this kind of ticket needs no callback' USING ERRCODE = 'DK403';
      ELSIF t.status NOT IN ('open', 'pending_review') THEN
        RAISE EXCEPTION 'V-8: the ticket is %; callbacks are recorded before the decision', replace(t.status, '_', ' ')
          USING ERRCODE = 'DK403';
      END IF;
      UPDATE ticket SET callback_at = now_, callback_by_id = a.id, callback_note = left(nullif(p_note, ''), 500),
        updated_at = now_ WHERE id = p_ticket;
      t.callback_note := left(nullif(p_note, ''), 500);  -- as stored; tickets.audit.record.callback_record
      PERFORM deskapp_append(now_, a.name, 'ticket.callback_recorded', 'ticket:' || p_ticket,
        jsonb_build_object('history', 2, 'rule', 'V-8', 'note_length', coalesce(length(t.callback_note), 0),
          'note_sha256', encode(sha256(convert_to(t.callback_note, 'UTF8')), 'hex')));
      RETURN now_;
    END $$""",
]
