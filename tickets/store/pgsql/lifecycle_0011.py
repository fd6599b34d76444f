"""The ticket lifecycle in the database (migration 0011): T-2's transitions with X-2 (a
supervisor other than the filer decides) and V-8 (the callback before an approval), what
resolving does to the directory, organization unlocks (V-5) and the export's events (E-1)."""

from __future__ import annotations

from tickets.store.pgsql.core_0011 import SEARCH_PATH

LIFECYCLE = [
    f"""CREATE OR REPLACE FUNCTION deskapp_api_transition(p_token text, p_agent_id integer, p_ticket integer,
        p_to text, p_reason text, p_reason_scrubbed text, p_at timestamptz) RETURNS timestamptz
        LANGUAGE plpgsql SECURITY DEFINER {SEARCH_PATH} AS $$
    DECLARE
      now_ timestamptz; a agent; t ticket; problems text[] := '{{}}'; allowed text[]; details jsonb;
      deletion text; eff timestamptz; sup record;
    BEGIN
      SELECT * INTO t FROM ticket WHERE id = p_ticket FOR NO KEY UPDATE;
      now_ := deskapp_now(p_at);
      a := deskapp_actor(p_token, p_agent_id, now_);
      IF t.id IS NULL THEN
        RAISE EXCEPTION 'ticket TK-% does not exist', lpad(p_ticket::text, 6, '0') USING ERRCODE = 'DK404';
      END IF;
      IF p_to IN ('approved', 'rejected') AND t.decided_by_id IS NOT NULL THEN
        RAISE EXCEPTION 'T-2: already decided' USING ERRCODE = 'DK409';
      END IF;
      IF p_to IN ('rejected', 'withdrawn') AND coalesce(btrim(p_reason), '') = '' THEN
        RAISE EXCEPTION 'reason: a reason is required to mark a ticket % (T-2)', p_to USING ERRCODE = 'DK422';
      END IF;
      allowed := CASE t.status
        WHEN 'open' THEN ARRAY['in_progress', 'withdrawn']
        WHEN 'pending_review' THEN ARRAY['approved', 'rejected', 'withdrawn']
        WHEN 'approved' THEN ARRAY['in_progress', 'withdrawn']
        WHEN 'in_progress' THEN ARRAY['resolved']
        ELSE ARRAY[]::text[] END;
      IF NOT p_to = ANY (allowed) THEN
        RAISE EXCEPTION 'T-2: a % ticket cannot become %; it can become %', replace(t.status, '_', ' '),
          replace(p_to, '_', ' '),
          coalesce((SELECT string_agg(replace(x, '_', ' '), ', ' ORDER BY replace(x, '_', ' ')) FROM unnest(allowed) x),
                   'nothing (final)') USING ERRCODE = 'DK403';
      END IF;
      IF p_to IN ('approved', 'rejected') THEN
        IF a.role <> 'supervisor' THEN
          problems := problems || 'X-2: only a supervisor can approve or reject'::text;
        END IF;
        IF a.id = t.filed_by_id THEN
          problems := problems || 'X-2: four eyes: the agent who filed a ticket cannot decide it'::text;
        END IF;
        IF p_to = 'approved' AND (t.needs_callback OR deskapp_needs_review(t.kind, t.fields::jsonb))
           AND t.callback_at IS NULL THEN
          problems := problems || 'V-8: record the callback to the phone number on file before approving'::text;
        END IF;
      END IF;
      IF p_to = 'withdrawn' AND NOT (a.role = 'supervisor' OR a.id = t.filed_by_id) THEN
        problems := problems || 'T-2: only the filing agent or a supervisor can withdraw a ticket'::text;
      END IF;
      IF cardinality(problems) > 0 THEN
        RAISE EXCEPTION '%', array_to_string(problems, '; ') USING ERRCODE = 'DK403';
      END IF;
      details := jsonb_build_object('from', t.status, 'to', p_to);
      UPDATE ticket SET status = p_to, updated_at = now_ WHERE id = p_ticket;
      IF p_to IN ('approved', 'rejected') THEN
        UPDATE ticket SET decided_by_id = a.id, decided_at = now_, decision_reason = nullif(p_reason, ''),
          decision_reason_scrubbed = p_reason_scrubbed WHERE id = p_ticket;
        IF p_to = 'approved' AND t.kind = 'expedited_deprovisioning' THEN  -- X-1: 3 days from the approval
          deletion := to_char((now_ AT TIME ZONE 'UTC')::date + 3, 'YYYY-MM-DD');
          UPDATE ticket SET data_deletion_date = deletion WHERE id = p_ticket;
          details := details || jsonb_build_object('data_deletion_date', deletion);
        END IF;
      END IF;
      IF p_to = 'resolved' THEN
        UPDATE ticket SET resolved_at = now_ WHERE id = p_ticket;
        eff := coalesce((to_date(t.effective_date, 'YYYY-MM-DD')::timestamp AT TIME ZONE 'UTC'), now_);
        IF t.kind = 'cancel_end_of_term' THEN  -- C-1: it expires at term end
          UPDATE subscription SET auto_renew = false WHERE id = t.subscription_id;
        ELSIF t.kind = 'cancel_early' THEN
          UPDATE subscription SET state = 'cancelled', cancelled_at = eff WHERE id = t.subscription_id;
        ELSIF t.kind = 'expedited_deprovisioning' THEN
          UPDATE subscription SET state = 'cancelled', cancelled_at = coalesce(cancelled_at, now_), expedited_at = now_
            WHERE id = t.subscription_id;
        ELSIF t.kind = 'reversal' THEN  -- R-1
          UPDATE subscription SET state = 'active', cancelled_at = NULL WHERE id = t.subscription_id;
        ELSIF t.kind = 'ims_cancellation' THEN  -- I-2, R-2
          UPDATE ims_campaign SET state = 'cancelled'
            WHERE subscription_id = t.subscription_id AND state <> 'cancelled';
        ELSIF t.kind = 'unsubscribe_resource' AND t.resource_id IS NOT NULL THEN
          UPDATE renewal_resource SET state = 'unsubscribed' WHERE id = t.resource_id;
        END IF;
      END IF;
      IF coalesce(p_reason, '') <> '' THEN
        details := details || jsonb_build_object('reason', p_reason);
      END IF;
      PERFORM deskapp_append(now_, a.name, 'ticket.' || p_to, 'ticket:' || p_ticket, details);
      RETURN now_;
    END $$""",
    # V-5: a supervisor lifts an organization's lockout, with a reason; or the owner does.
    f"""CREATE OR REPLACE FUNCTION deskapp_api_unlock_organization(p_token text, p_agent_id integer, p_org integer,
        p_reason text, p_at timestamptz) RETURNS void LANGUAGE plpgsql SECURITY DEFINER {SEARCH_PATH} AS $$
    DECLARE now_ timestamptz; a agent;
    BEGIN
      PERFORM 1 FROM organization WHERE id = p_org FOR NO KEY UPDATE;
      IF NOT FOUND THEN
        RAISE EXCEPTION 'organization % does not exist', p_org USING ERRCODE = 'DK404';
      END IF;
      now_ := deskapp_now(p_at);
      a := deskapp_actor(p_token, p_agent_id, now_);
      IF a.role <> 'supervisor' THEN
        RAISE EXCEPTION 'V-5: only a supervisor can unlock an organization' USING ERRCODE = 'DK403';
      ELSIF coalesce(btrim(p_reason), '') = '' THEN
        RAISE EXCEPTION 'reason: a reason is required to unlock (V-5)' USING ERRCODE = 'DK422';
      END IF;
      INSERT INTO verification_unlock (organization_id, supervisor_id, at, reason)
        VALUES (p_org, a.id, now_, left(p_reason, 500));
      PERFORM deskapp_append(now_, a.name, 'organization.unlocked', 'organization:' || p_org,
        jsonb_build_object('reason', left(p_reason, 500), 'rule', 'V-5'));
    END $$""",
    # An internal note on a ticket (tickets.notes): its row and its event, which records the
    # note's length and SHA-256, never the text.
    f"""CREATE OR REPLACE FUNCTION deskapp_api_add_note(p_token text, p_agent_id integer, p_ticket integer,
        p_text text, p_at timestamptz) RETURNS TABLE (note_id integer, created_at timestamptz)
        LANGUAGE plpgsql SECURITY DEFINER {SEARCH_PATH} AS $$
    DECLARE now_ timestamptz := deskapp_now(p_at); a agent := deskapp_actor(p_token, p_agent_id, now_); nid integer;
    BEGIN
      IF NOT EXISTS (SELECT 1 FROM ticket WHERE id = p_ticket) THEN
        RAISE EXCEPTION 'ticket TK-% does not exist', lpad(p_ticket::text, 6, '0') USING ERRCODE = 'DK404';
      ELSIF coalesce(length(p_text), 0) NOT BETWEEN 1 AND 1000 THEN
        RAISE EXCEPTION 'note: a note needs some text, at most 1000 characters' USING ERRCODE = 'DK422';
      END IF;
      INSERT INTO ticket_note (ticket_id, agent_id, created_at, text) VALUES (p_ticket, a.id, now_, p_text)
        RETURNING id INTO nid;
      PERFORM deskapp_append(now_, a.name, 'ticket.noted', 'ticket:' || p_ticket, jsonb_build_object(
        'note_id', nid, 'length', length(p_text), 'sha256', encode(sha256(convert_to(p_text, 'UTF8')), 'hex')));
      RETURN QUERY SELECT nid, now_;
    END $$""",
    # E-1: an export's events (the export itself only reads). A supervisor's session, or the
    # owner with no agent (the command line's anonymous export).
    f"""CREATE OR REPLACE FUNCTION deskapp_api_audit_export(p_token text, p_agent_id integer, p_action text,
        p_details jsonb, p_at timestamptz) RETURNS TABLE (seq bigint, hash text)
        LANGUAGE plpgsql SECURITY DEFINER {SEARCH_PATH} AS $$
    DECLARE now_ timestamptz := deskapp_now(p_at); who text; n bigint;
    BEGIN
      IF p_action NOT IN ('export.started', 'export.created', 'export.failed') THEN
        RAISE EXCEPTION 'export: no such event %', p_action USING ERRCODE = 'DK422';
      END IF;
      IF p_token IS NULL AND p_agent_id IS NULL THEN
        IF NOT deskapp_is_owner() THEN
          RAISE EXCEPTION 'session: sign in first (without a session only the database''s owner acts)'
            USING ERRCODE = 'DK401';
        END IF;
        who := 'cli';
      ELSE
        who := (deskapp_actor(p_token, p_agent_id, now_)).name;
      END IF;
      n := deskapp_append(now_, who, p_action, 'export', p_details);
      RETURN QUERY SELECT e.seq::bigint, e.hash::text FROM audit_event e WHERE e.seq = n;
    END $$""",
]
