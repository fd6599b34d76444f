"""Filing in the database, its event written by the database (migration 0016).

Migration 0011's deskapp_api_file took the `ticket.filed` event's details from the client and
added only the kind, status, subscription and verification to them: the version-2 record from
which `audit verify` rebuilds the row (tickets.audit.record.filing_record) was the client's
word, so a client of its own could write an event that disagrees with the row it filed. Here
the function writes every key of those details itself, from the values it inserts: the row's
columns, their SHA-256 digests (free text as stored, JSON in its canonical text,
deskapp_canon), the resource's ref, the review flag it decided. Only the sentences the caller
confirmed (`confirmed`, the policy's texts, computed in Python) are still taken from the
client, as text.

It also checks, from the kinds' registry as it stands at this revision (KIND_RULES, kept equal
to tickets.kinds by tests/unit/test_kind_rules_frozen.py), that the kind exists, is offered
for the subscription's product (the rule that offers it), names a renewal resource exactly
when it is decided per resource (U-2), and asks for a refund only where the kind allows one
(C-4).
"""

from __future__ import annotations

from tickets.store.pgsql.core_0011 import SEARCH_PATH
from tickets.store.pgsql.desk_0011 import DESK

_FILE_0011 = next(s for s in DESK if "FUNCTION deskapp_api_file(" in s)
# V-1/V-7 on the verification and the subscription on the verified organization: checked as
# migration 0011's function checks them, its own lines.
_CHECKED = _FILE_0011[_FILE_0011.index("      SELECT va.*"):_FILE_0011.index("      FOR t IN SELECT")]
# Each ticket returned, then the events appended last (the head locked to the commit): as 0011's.
_RETURNED = _FILE_0011[_FILE_0011.index("        ticket_id := tid;"):]

# kind -> (the products it is offered for, the rule that offers it, per resource, refund allowed)
KIND_RULES: dict[str, tuple[tuple[str, ...], str, bool, bool]] = {
    "cancel_end_of_term": (("intune",), "C-1", False, False),
    "cancel_early": (("d365", "intune", "o365"), "C-4", False, True),
    "expedited_deprovisioning": (("intune",), "X-1", False, False),
    "migration_on_premises": (("d365",), "M-1", False, False),
    "reversal": (("d365",), "R-1", False, False),
    "ims_cancellation": (("d365",), "I-1", False, False),
    "unsubscribe_resource": (("cloud",), "U-1", True, False),
}


def _kind_rows() -> str:
    return ", ".join(
        f"('{kind}', ARRAY[{', '.join(repr(p) for p in products)}]::text[], '{rule}', {str(per).lower()}, "
        f"{str(refund).lower()})"
        for kind, (products, rule, per, refund) in KIND_RULES.items()
    )


FILE = f"""CREATE OR REPLACE FUNCTION deskapp_api_file(p_token text, p_agent_id integer, p_verification integer,
        p_subscription integer, p_tickets jsonb, p_at timestamptz)
        RETURNS TABLE (ticket_id integer, status text) LANGUAGE plpgsql SECURITY DEFINER {SEARCH_PATH} AS $$
    DECLARE
      now_ timestamptz := deskapp_now(p_at);
      a agent := deskapp_actor(p_token, p_agent_id, now_);
      v record; s record; t jsonb; k record; reviewed boolean; st text; tid integer; res integer; res_ref text;
      fields jsonb; consequences jsonb; reason text; filed jsonb := '[]';
    BEGIN
{_CHECKED}      FOR t IN SELECT * FROM jsonb_array_elements(p_tickets) LOOP
        SELECT * INTO k FROM (VALUES {_kind_rows()}) AS x(kind, products, rule, per_resource, refund)
          WHERE x.kind = t->>'kind';
        IF NOT FOUND THEN
          RAISE EXCEPTION 'kind: no such kind of ticket %', quote_literal(coalesce(t->>'kind', ''))
            USING ERRCODE = 'DK422';
        ELSIF NOT s.product = ANY (k.products) THEN
          RAISE EXCEPTION '%: % is not offered for subscription % (its product is %)', k.rule,
            replace(k.kind, '_', ' '), s.ref, s.product USING ERRCODE = 'DK403';
        END IF;
        res := (t->>'resource_id')::integer;
        IF k.per_resource AND res IS NULL THEN
          RAISE EXCEPTION 'U-2: % is decided per renewal resource: name one', replace(k.kind, '_', ' ')
            USING ERRCODE = 'DK403';
        ELSIF NOT k.per_resource AND res IS NOT NULL THEN
          RAISE EXCEPTION 'U-2: % is not decided per renewal resource', replace(k.kind, '_', ' ')
            USING ERRCODE = 'DK403';
        END IF;
        res_ref := NULL;
        IF res IS NOT NULL THEN
          SELECT ref INTO res_ref FROM renewal_resource WHERE id = res AND subscription_id = s.id;
          IF NOT FOUND THEN
            RAISE EXCEPTION 'renewal resource % is not on subscription %', res, s.ref USING ERRCODE = 'DK404';
          END IF;
        END IF;
        fields := coalesce(nullif(t->'fields', 'null'), '{{}}');
        consequences := coalesce(nullif(t->'consequences', 'null'), '{{}}');
        IF coalesce(fields->>'refund_requested', 'false') = 'true' AND NOT k.refund THEN
          RAISE EXCEPTION 'C-4: a refund is asked for only with an early cancellation' USING ERRCODE = 'DK403';
        END IF;
        reason := t->>'reason';
        reviewed := deskapp_needs_review(k.kind, fields);
        st := CASE WHEN reviewed THEN 'pending_review' ELSE 'open' END;
        INSERT INTO ticket (kind, status, organization_id, subscription_id, resource_id, call_id, verification_id,
          filed_by_id, created_at, updated_at, idempotency_key, content_hash, requested_date, reason, reason_scrubbed,
          fields, checklist, consequences, rules, needs_review, needs_callback, effective_date, data_deletion_date,
          reversal_deadline)
        VALUES (k.kind, st, s.organization_id, s.id, res, v.call_id, v.id, a.id, now_, now_,
          t->>'idempotency_key', t->>'content_hash', t->>'requested_date', reason, t->>'reason_scrubbed',
          fields::json, coalesce(nullif(t->'checklist', 'null'), '[]')::json, consequences::json,
          coalesce(nullif(t->'rules', 'null'), '[]')::json, reviewed, reviewed,
          t->>'effective_date', t->>'data_deletion_date', t->>'reversal_deadline')
        RETURNING id INTO tid;
        -- tickets.filing._row and tickets.audit.record.filing_record, key for key.
        filed := filed || jsonb_build_array(jsonb_build_object('id', tid, 'details', jsonb_build_object(
          'kind', k.kind, 'status', st, 'subscription', s.ref, 'resource', res_ref, 'verification_id', v.id,
          'checklist', coalesce(nullif(t->'checklist', 'null'), '[]'),
          'confirmed', coalesce(nullif(t->'details'->'confirmed', 'null'), '[]'),
          'rules', coalesce(nullif(t->'rules', 'null'), '[]'),
          'time_zone', consequences->'time_zone',
          'history', 2,
          'row', jsonb_build_object(
            'call_id', v.call_id,
            'idempotency_key', t->>'idempotency_key',
            'content_hash', t->>'content_hash',
            'requested_date', t->>'requested_date',
            'reason_sha256', encode(sha256(convert_to(reason, 'UTF8')), 'hex'),
            'fields_sha256', encode(sha256(convert_to(deskapp_canon(fields), 'UTF8')), 'hex'),
            'consequences_sha256', encode(sha256(convert_to(deskapp_canon(consequences), 'UTF8')), 'hex'),
            'refund_requested', coalesce(fields->>'refund_requested', 'false') = 'true',
            'needs_review', reviewed,
            'effective_date', t->>'effective_date',
            'data_deletion_date', t->>'data_deletion_date',
            'reversal_deadline', t->>'reversal_deadline'))));
{_RETURNED}"""

FILING = [FILE]
