"""The lifecycle's function in the ticket's time zone, as Python's (migration 0016).

Migration 0011's deskapp_api_transition counted in UTC where tickets.lifecycle counts in the
zone the ticket's days were told in (its filing records it, `consequences.time_zone`, from
migration 0013 on): the data deletion date an approval of an expedited deprovisioning sets is
three days from the local day of the approval (X-1), an early cancellation takes effect from
the start of its effective day there, and the subscription records that zone
(`cancelled_zone`), which 0011's function left empty. Made here from 0011's text with exactly
those changes, each checked to apply.
"""

from __future__ import annotations

from tickets.store.pgsql.lifecycle_0011 import LIFECYCLE

_TRANSITION_0011 = next(s for s in LIFECYCLE if "FUNCTION deskapp_api_transition(" in s)

_CHANGES = (
    ("deletion text; eff timestamptz; sup record;", "deletion text; eff timestamptz; sup record; zone text;"),
    ("      IF p_to IN ('approved', 'rejected') AND t.decided_by_id IS NOT NULL THEN",
     "      zone := coalesce(t.consequences::jsonb->>'time_zone', 'UTC');  -- tickets.lifecycle.ticket_zone\n"
     "      IF p_to IN ('approved', 'rejected') AND t.decided_by_id IS NOT NULL THEN"),
    ("deletion := to_char((now_ AT TIME ZONE 'UTC')::date + 3, 'YYYY-MM-DD');",
     "deletion := to_char((now_ AT TIME ZONE zone)::date + 3, 'YYYY-MM-DD');"),
    ("eff := coalesce((to_date(t.effective_date, 'YYYY-MM-DD')::timestamp AT TIME ZONE 'UTC'), now_);",
     "eff := coalesce((to_date(t.effective_date, 'YYYY-MM-DD')::timestamp AT TIME ZONE zone), now_);"),
    ("UPDATE subscription SET state = 'cancelled', cancelled_at = eff WHERE id = t.subscription_id;",
     "UPDATE subscription SET state = 'cancelled', cancelled_at = eff, cancelled_zone = zone "
     "WHERE id = t.subscription_id;"),
    ("UPDATE subscription SET state = 'cancelled', cancelled_at = coalesce(cancelled_at, now_), expedited_at = now_",
     "UPDATE subscription SET state = 'cancelled', cancelled_at = coalesce(cancelled_at, now_), expedited_at = now_,\n"
     "            cancelled_zone = CASE WHEN cancelled_at IS NULL THEN zone ELSE cancelled_zone END"),
    ("UPDATE subscription SET state = 'active', cancelled_at = NULL WHERE id = t.subscription_id;",
     "UPDATE subscription SET state = 'active', cancelled_at = NULL, cancelled_zone = NULL "
     "WHERE id = t.subscription_id;"),
)


def _changed(text: str) -> str:
    for old, new in _CHANGES:
        if text.count(old) != 1:
            raise AssertionError(f"migration 0016: 0011's transition no longer reads {old!r}")
        text = text.replace(old, new)
    return text


TRANSITION = _changed(_TRANSITION_0011)
PREVIOUS = [_TRANSITION_0011]
