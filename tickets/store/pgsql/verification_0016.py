"""A verification attempt's outcome checked against what the database holds (migration 0016).

Whether the caller's answers matched the directory is identity's comparison, in the console:
what the caller said is never stored, so the database cannot redo it. What it can check of the
outcome it is given, it checks here, added to migration 0011's deskapp_api_record_verification
(its text, with exactly this change): a pass has no failed factor and a failure at least one
(identity: passed = no factor failed); the factors are identity's (`identity.Factor`); the
person passed holds a role that may ask (V-2, `identity.verification.CALLER_ROLES`); the
roles recorded for the call are that person's roles on file, not the client's list.
"""

from __future__ import annotations

from tickets.store.pgsql.desk_0011 import DESK

FACTORS = ("user_id", "phone", "contact_name", "org_name", "address", "org_url", "admin_role")
CALLER_ROLES = ("admin", "billing_admin", "ims_billing_admin")

_RECORD_0011 = next(s for s in DESK if "FUNCTION deskapp_api_record_verification(" in s)
_AFTER = """        RAISE EXCEPTION 'V-2: the verified person is not on this organization' USING ERRCODE = 'DK403';
      END IF;
"""
_CHECKS = f"""      IF p_passed = (jsonb_array_length(coalesce(p_failed, '[]')) > 0) THEN
        RAISE EXCEPTION 'V-1: a pass has no failed factor, a failure at least one' USING ERRCODE = 'DK422';
      ELSIF EXISTS (SELECT 1 FROM jsonb_array_elements_text(coalesce(p_failed, '[]')) f
                    WHERE f NOT IN ({", ".join(f"'{f}'" for f in FACTORS)})) THEN
        RAISE EXCEPTION 'V-1: not a factor of verification' USING ERRCODE = 'DK422';
      ELSIF p_passed AND NOT EXISTS (SELECT 1 FROM person p, jsonb_array_elements_text(p.roles::jsonb) r
                                     WHERE p.id = p_person AND r IN ({", ".join(f"'{r}'" for r in CALLER_ROLES)})) THEN
        RAISE EXCEPTION 'V-2: the verified person holds no role that may ask for this' USING ERRCODE = 'DK403';
      ELSIF p_passed AND NOT EXISTS (SELECT 1 FROM person p WHERE p.id = p_person
                                     AND p.roles::jsonb @> coalesce(p_roles, '[]')
                                     AND coalesce(p_roles, '[]') @> p.roles::jsonb) THEN
        RAISE EXCEPTION 'V-2: the roles given are not the verified person''s on file' USING ERRCODE = 'DK403';
      END IF;
"""
if _RECORD_0011.count(_AFTER) != 1:
    raise AssertionError("migration 0016: 0011's verification no longer reads as it did")
RECORD = _RECORD_0011.replace(_AFTER, _AFTER + _CHECKS)
PREVIOUS = [_RECORD_0011]
