"""Who has a ticket open in the review queue (tickets.viewers), written through the database's
functions like every other write of the application role (migration 0014): the session's agent
is the viewer; looking is not a change, so nothing is audited."""

from __future__ import annotations

from tickets.store.pgsql.core_0011 import SEARCH_PATH

VIEWERS = [
    f"""CREATE OR REPLACE FUNCTION deskapp_api_view_ticket(p_token text, p_agent_id integer, p_ticket integer,
        p_at timestamptz) RETURNS void LANGUAGE plpgsql SECURITY DEFINER {SEARCH_PATH} AS $$
    DECLARE now_ timestamptz := deskapp_now(p_at); a agent := deskapp_actor(p_token, p_agent_id, now_);
    BEGIN
      INSERT INTO ticket_viewer (agent_id, ticket_id, since, seen_at) VALUES (a.id, p_ticket, now_, now_)
      ON CONFLICT (agent_id) DO UPDATE SET ticket_id = excluded.ticket_id, seen_at = excluded.seen_at,
        since = CASE WHEN ticket_viewer.ticket_id = excluded.ticket_id THEN ticket_viewer.since ELSE excluded.since END;
    END $$""",
    # Leaving needs no live session: a console signing out leaves the queue after its session
    # ended; the token still names whose row goes (and only theirs).
    f"""CREATE OR REPLACE FUNCTION deskapp_api_leave_tickets(p_token text, p_agent_id integer, p_at timestamptz)
        RETURNS void LANGUAGE plpgsql SECURITY DEFINER {SEARCH_PATH} AS $$
    DECLARE aid integer;
    BEGIN
      IF p_token IS NULL THEN
        aid := (deskapp_actor(NULL, p_agent_id, deskapp_now(p_at))).id;
      ELSE
        SELECT agent_id INTO aid FROM agent_session
          WHERE token_hash = encode(sha256(convert_to(p_token, 'UTF8')), 'hex');
      END IF;
      DELETE FROM ticket_viewer WHERE agent_id = aid;
    END $$""",
]
