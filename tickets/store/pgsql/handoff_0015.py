"""The hand-off in the database (migration 0015), PostgreSQL.

- `deskapp_handoff_enqueue`: the trigger after each audit event a ticket's hand-off follows
  (filed, approved, rejected, resolved, withdrawn) writes one outbox row per enabled destination,
  in the transaction that appends the event: whichever function or owner wrote it. Owned by the
  owner, executable by nobody (a trigger function needs no EXECUTE to fire).
- `deskapp_api_handoff_*`: what `deskapp relay` writes, as the application role may (no session:
  the relay is no agent; what it does is audited as the actor `relay`): the destinations from its
  config, claiming due rows with a lease (several relays never take one row at once), and the
  outcome of each attempt with its audit event (no body, no personal data).
The SQLite side is the same SQL run by tickets.handoff.outbox; both write the same events.
"""

from __future__ import annotations

from tickets.store.pgsql.core_0011 import SEARCH_PATH

OCCASIONS = ("filed", "approved", "rejected", "resolved", "withdrawn")
ACTIONS_SQL = ", ".join(f"'ticket.{o}'" for o in OCCASIONS)

HANDOFF = [
    f"""CREATE OR REPLACE FUNCTION deskapp_handoff_enqueue() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
    {SEARCH_PATH} AS $$
    BEGIN
      INSERT INTO handoff_outbox (destination, event_seq, event_key, ticket_id, occasion, created_at, state,
                                  attempts, next_at)
        SELECT d.name, NEW.seq, NEW.hash, substr(NEW.subject, 8)::integer, substr(NEW.action, 8), NEW.at,
               'pending', 0, NEW.at
        FROM handoff_destination d WHERE d.enabled;
      RETURN NULL;
    END $$""",
    "DROP TRIGGER IF EXISTS handoff_outbox_enqueue ON audit_event",
    f"""CREATE TRIGGER handoff_outbox_enqueue AFTER INSERT ON audit_event FOR EACH ROW
      WHEN (NEW.action IN ({ACTIONS_SQL}) AND NEW.subject ~ '^ticket:[0-9]+$')
      EXECUTE FUNCTION deskapp_handoff_enqueue()""",
    # The destinations as the relay's config names them: [{{name, kind, url}}, ...]; the others
    # disabled (their rows stay, pending). Audited when anything changed (a URL by its digest:
    # one may carry a token).
    f"""CREATE OR REPLACE FUNCTION deskapp_api_handoff_sync(p_destinations jsonb, p_at timestamptz)
        RETURNS integer LANGUAGE plpgsql SECURITY DEFINER {SEARCH_PATH} AS $$
    DECLARE now_ timestamptz := deskapp_now(p_at); d record; changed integer := 0; n integer;
    BEGIN
      PERFORM pg_advisory_xact_lock(hashtext('deskapp_handoff_sync'));
      FOR d IN SELECT * FROM jsonb_to_recordset(p_destinations) AS x(name text, kind text, url text) LOOP
        IF d.name IS NULL OR d.name !~ '^[A-Za-z0-9][A-Za-z0-9_.-]{{0,59}}$' THEN
          RAISE EXCEPTION 'name: % is not a destination name', d.name USING ERRCODE = 'DK422';
        ELSIF d.kind IS NULL OR d.kind NOT IN ('webhook', 'email') THEN
          RAISE EXCEPTION 'kind: % is not webhook or email', d.kind USING ERRCODE = 'DK422';
        END IF;
        INSERT INTO handoff_destination (name, kind, url, enabled, updated_at)
          VALUES (d.name, d.kind, d.url, true, now_)
        ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, url = excluded.url, enabled = true, updated_at = now_
          WHERE (handoff_destination.kind, handoff_destination.url, handoff_destination.enabled)
                IS DISTINCT FROM (excluded.kind, excluded.url, true);
        GET DIAGNOSTICS n = ROW_COUNT;
        changed := changed + n;
      END LOOP;
      UPDATE handoff_destination SET enabled = false, updated_at = now_ WHERE enabled
        AND name NOT IN (SELECT x ->> 'name' FROM jsonb_array_elements(p_destinations) x);
      GET DIAGNOSTICS n = ROW_COUNT;
      changed := changed + n;
      IF changed > 0 THEN
        PERFORM deskapp_append(now_, 'relay', 'handoff.destinations', 'handoff', jsonb_build_object('destinations',
          (SELECT coalesce(jsonb_agg(jsonb_build_object('name', name, 'kind', kind, 'enabled', enabled,
             'url_sha256', CASE WHEN url IS NULL THEN NULL ELSE encode(sha256(convert_to(url, 'UTF8')), 'hex') END)
             ORDER BY name COLLATE "C"), '[]'::jsonb) FROM handoff_destination)));
      END IF;
      RETURN changed;
    END $$""",
    # Due rows of the given destinations, leased to p_worker: rows another relay holds (locked
    # now, or leased until later) are skipped, never waited for.
    f"""CREATE OR REPLACE FUNCTION deskapp_api_handoff_claim(p_worker text, p_destinations text[], p_limit integer,
        p_lease_ms integer, p_at timestamptz)
        RETURNS TABLE (id integer, destination text, event_seq integer, event_key text, ticket_id integer,
                       occasion text, created_at timestamptz, attempts integer)
        LANGUAGE sql SECURITY DEFINER {SEARCH_PATH} AS $$
      WITH now_ AS (SELECT deskapp_now(p_at) AS at)
      UPDATE handoff_outbox o SET lease_owner = p_worker,
             lease_until = (SELECT at FROM now_) + make_interval(secs => p_lease_ms / 1000.0)
      WHERE o.id IN (SELECT q.id FROM handoff_outbox q WHERE q.state = 'pending'
                       AND q.next_at <= (SELECT at FROM now_)
                       AND (q.lease_until IS NULL OR q.lease_until <= (SELECT at FROM now_))
                       AND q.destination = ANY (p_destinations)
                     ORDER BY q.id LIMIT p_limit FOR UPDATE SKIP LOCKED)
      RETURNING o.id, o.destination::text, o.event_seq, o.event_key::text, o.ticket_id, o.occasion::text,
                o.created_at, o.attempts $$""",
    # One attempt's outcome, by the relay that holds the row's lease (false: it does not, e.g. its
    # lease ran out and another relay took the row; nothing written), with its audit event.
    f"""CREATE OR REPLACE FUNCTION deskapp_api_handoff_report(p_id integer, p_worker text, p_outcome text,
        p_status integer, p_error text, p_next_at timestamptz, p_at timestamptz)
        RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER {SEARCH_PATH} AS $$
    DECLARE now_ timestamptz := deskapp_now(p_at); o handoff_outbox;
    BEGIN
      IF p_outcome IS NULL OR p_outcome NOT IN ('delivered', 'failed', 'parked') THEN
        RAISE EXCEPTION 'outcome: % is not delivered, failed or parked', p_outcome USING ERRCODE = 'DK422';
      END IF;
      SELECT * INTO o FROM handoff_outbox WHERE handoff_outbox.id = p_id FOR UPDATE;
      IF NOT FOUND OR o.state <> 'pending' OR o.lease_owner IS DISTINCT FROM p_worker THEN
        RETURN false;
      END IF;
      UPDATE handoff_outbox SET attempts = o.attempts + 1, lease_owner = NULL, lease_until = NULL,
        last_status = p_status, last_error = p_error,
        state = CASE p_outcome WHEN 'failed' THEN 'pending' ELSE p_outcome END,
        next_at = CASE p_outcome WHEN 'failed' THEN p_next_at ELSE o.next_at END,
        done_at = CASE p_outcome WHEN 'failed' THEN NULL ELSE now_ END
      WHERE handoff_outbox.id = p_id;
      PERFORM deskapp_append(now_, 'relay',
        'handoff.' || CASE p_outcome WHEN 'failed' THEN 'attempt_failed' ELSE p_outcome END, 'outbox:' || p_id,
        jsonb_build_object('destination', o.destination, 'outbox', p_id, 'ticket', o.ticket_id,
          'event_seq', o.event_seq, 'occasion', o.occasion, 'attempt', o.attempts + 1, 'status_code', p_status,
          'error', p_error, 'worker', p_worker));
      RETURN true;
    END $$""",
]

NAMES = ("deskapp_handoff_enqueue", "deskapp_api_handoff_sync", "deskapp_api_handoff_claim",
         "deskapp_api_handoff_report")
