"""The functions every write shares (migration 0011): the desk's clock and settings, the
canonical JSON of an event's details, the A-1 append, and who is acting (a session, or the
database's owner).

Errors are raised with SQLSTATEs of deskapp's own (tickets.store.calls maps them):
DK401 the session is not good (unknown, ended, expired, the agent disabled), DK403 a rule
refuses, DK404 not found, DK409 someone else changed it first, DK422 a value is malformed.
"""

from __future__ import annotations

# Every function runs with this search_path: the app role cannot CREATE in public (roles.py),
# so nothing it makes can stand in for a table or function the owner's code names.
SEARCH_PATH = "SET search_path = public, pg_temp"

CORE = [
    # The desk's clock: the database's, unless the owner lets the client's stand (a test desk
    # with an injected clock: desk_setting client_clock = on, writable by the owner only).
    f"""CREATE OR REPLACE FUNCTION deskapp_now(p_at timestamptz) RETURNS timestamptz LANGUAGE sql STABLE
    {SEARCH_PATH} AS $$
      SELECT CASE WHEN p_at IS NOT NULL
                  AND coalesce((SELECT value FROM desk_setting WHERE name = 'client_clock'), 'off') = 'on'
             THEN p_at ELSE clock_timestamp() END $$""",
    f"""CREATE OR REPLACE FUNCTION deskapp_setting(p_name text, p_default text) RETURNS text LANGUAGE sql STABLE
    {SEARCH_PATH} AS $$ SELECT coalesce((SELECT value FROM desk_setting WHERE name = p_name), p_default) $$""",
    # A moment as Python's datetime.isoformat() writes an aware UTC one.
    f"""CREATE OR REPLACE FUNCTION deskapp_iso(p_at timestamptz) RETURNS text LANGUAGE sql IMMUTABLE
    {SEARCH_PATH} AS $$
      SELECT to_char(p_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS')
        || CASE WHEN (date_part('microseconds', p_at)::bigint % 1000000) <> 0
                THEN to_char(p_at AT TIME ZONE 'UTC', '.US') ELSE '' END || '+00:00' $$""",
    # details as tickets.audit.format.details_text writes them (sorted keys by code point,
    # no spaces, non-ASCII as it is): the bytes the content hash covers.
    f"""CREATE OR REPLACE FUNCTION deskapp_canon(v jsonb) RETURNS text LANGUAGE plpgsql IMMUTABLE
    {SEARCH_PATH} AS $$
    BEGIN
      IF jsonb_typeof(v) = 'object' THEN
        RETURN '{{' || coalesce((SELECT string_agg(to_json(k)::text || ':' || deskapp_canon(e), ','
                                                  ORDER BY k COLLATE "C")
                                FROM jsonb_each(v) AS x(k, e)), '') || '}}';
      ELSIF jsonb_typeof(v) = 'array' THEN
        RETURN '[' || coalesce((SELECT string_agg(deskapp_canon(e), ',' ORDER BY i)
                               FROM jsonb_array_elements(v) WITH ORDINALITY AS x(e, i)), '') || ']';
      END IF;
      RETURN v::text;
    END $$""",
    # one event, hashed in format 2 (tickets.audit.format) and linked to the head it locks.
    f"""CREATE OR REPLACE FUNCTION deskapp_append(p_at timestamptz, p_actor text, p_action text, p_subject text,
        p_details jsonb) RETURNS bigint LANGUAGE plpgsql {SEARCH_PATH} AS $$
    DECLARE
      d text := deskapp_canon(coalesce(p_details, '{{}}'::jsonb));
      at_t text := to_char(p_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');
      content text;
      h record;
      link text;
    BEGIN
      content := encode(sha256(convert_to(length(at_t) || ':' || at_t || length(p_actor) || ':' || p_actor
        || length(p_action) || ':' || p_action || length(p_subject) || ':' || p_subject || d, 'UTF8')), 'hex');
      SELECT seq, hash INTO h FROM audit_head WHERE id = 1 FOR UPDATE;
      link := encode(sha256(convert_to((h.seq + 1)::text || ':' || h.hash || ':' || content, 'UTF8')), 'hex');
      INSERT INTO audit_event (seq, at, actor, action, subject, details, prev_hash, hash)
        VALUES (h.seq + 1, p_at, p_actor, p_action, p_subject, d::json, h.hash, link);
      UPDATE audit_head SET seq = h.seq + 1, hash = link WHERE id = 1;
      RETURN h.seq + 1;
    END $$""",
    # Who acts: the agent of a live session (p_agent_id, when given, must be that agent: a
    # session never acts as anyone else), or, with no session, the database's owner (a member of
    # the role that owns these functions, e.g. a migration or `deskapp agents unlock`), as the
    # agent named. The agent must be enabled either way.
    f"""CREATE OR REPLACE FUNCTION deskapp_actor(p_token text, p_agent_id integer, p_now timestamptz)
        RETURNS agent LANGUAGE plpgsql {SEARCH_PATH} AS $$
    DECLARE s agent_session; a agent;
    BEGIN
      IF p_token IS NULL THEN
        IF NOT pg_has_role(session_user, current_user, 'MEMBER') THEN
          RAISE EXCEPTION 'session: sign in first (without a session only the database''s owner acts)'
            USING ERRCODE = 'DK401';
        END IF;
        SELECT * INTO a FROM agent WHERE id = p_agent_id;
        IF NOT FOUND THEN
          RAISE EXCEPTION 'agent % does not exist', p_agent_id USING ERRCODE = 'DK404';
        END IF;
      ELSE
        SELECT * INTO s FROM agent_session WHERE token_hash = encode(sha256(convert_to(p_token, 'UTF8')), 'hex');
        IF NOT FOUND THEN
          RAISE EXCEPTION 'session: not a session of this desk; sign in again' USING ERRCODE = 'DK401';
        ELSIF s.ended_at IS NOT NULL THEN
          RAISE EXCEPTION 'session: ended (%); sign in again', replace(s.ended_reason, '_', ' ')
            USING ERRCODE = 'DK401';
        ELSIF s.expires_at <= p_now THEN
          RAISE EXCEPTION 'session: expired; sign in again' USING ERRCODE = 'DK401';
        END IF;
        SELECT * INTO a FROM agent WHERE id = s.agent_id;
        IF p_agent_id IS NOT NULL AND p_agent_id <> a.id THEN
          RAISE EXCEPTION 'session: this session is %''s; it cannot act as agent %', a.name, p_agent_id
            USING ERRCODE = 'DK401';
        END IF;
      END IF;
      IF NOT a.active THEN
        RAISE EXCEPTION 'session: % is disabled', a.name USING ERRCODE = 'DK401';
      END IF;
      RETURN a;
    END $$""",
    f"""CREATE OR REPLACE FUNCTION deskapp_is_owner() RETURNS boolean LANGUAGE sql STABLE {SEARCH_PATH} AS $$
      SELECT pg_has_role(session_user, current_user, 'MEMBER') $$""",
]
