"""Sign-in: an unknown name's answer takes a real name's time (migration 0017).

Migration 0011's deskapp_api_sign_in answered an unknown or disabled name after one bcrypt
check and an audit append, and a real name's wrong PIN after the same check plus its lockout's
reads (twice) and the attempt's row: about 20 % longer, enough to tell which names exist. The
unknown path now makes the same reads (the lockout of no agent, twice; the lock-event lookup)
and the same kind of write (an `agent_sign_in` row of no agent is not possible, so the
audit append carries it). Made from 0011's text with that change, checked to apply.
"""

from __future__ import annotations

from tickets.store.pgsql.agents_0011 import AGENTS, DUMMY_HASH

_SIGN_IN_0011 = next(s for s in AGENTS if "FUNCTION deskapp_api_sign_in(" in s)

_OLD = f"""      IF NOT FOUND OR NOT a.active THEN
        PERFORM crypt(p_pin, '{DUMMY_HASH}');
        PERFORM deskapp_append("""
_NEW = f"""      IF NOT FOUND OR NOT a.active THEN
        PERFORM crypt(p_pin, '{DUMMY_HASH}');
        -- A real name's wrong PIN reads its lockout twice and looks for its lock event.
        lk := deskapp_agent_lock(0, now_);
        lk := deskapp_agent_lock(0, now_);
        PERFORM 1 FROM audit_event e WHERE e.subject = 'agent:0' AND e.action = 'agent.locked'
          AND e.at >= now_ - interval '1 day' LIMIT 1;
        PERFORM deskapp_append("""
if _OLD not in _SIGN_IN_0011:  # 0011's text is fixed (deployed): a change there must be seen here
    raise RuntimeError("deskapp_api_sign_in of migration 0011 is not the text migration 0017 changes")

SIGN_IN = _SIGN_IN_0011.replace(_OLD, _NEW, 1)
PREVIOUS = [_SIGN_IN_0011]
