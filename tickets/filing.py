"""Filing a ticket: one transaction writes the ticket(s) and the audit event (A-1), exactly
once (T-3), never a second open cancellation for a subscription (C-9, enforced by a partial
unique index on both engines, not by check-then-insert).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import Any

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session

from tickets import policy
from tickets.account import PersonFacts, caller_facts, resource_facts, subscription_facts
from tickets.agents import AgentInfo
from tickets.audit.chain import append_text
from tickets.audit.format import decoded_text
from tickets.audit.record import filing_record
from tickets.desk_time import local_wall_time, zone_key
from tickets.enums import TicketKind, TicketStatus
from tickets.errors import Conflict, InvalidInput, NotAllowed, NotFound
from tickets.i18n import _
from tickets.jsontext import encoder
from tickets.kinds import FORM_FIELDS, FieldType, kind_spec
from tickets.masking import scrub_stored
from tickets.sessions import check_actor
from tickets.store import filing_sql as sql
from tickets.store.calls import refusal
from tickets.store.database import Store
from tickets.store.models import TICKET_FIELD_COLUMNS, ticket_ref
from tickets.store.rawsql import Raw, Sql, bind_json, bind_time, read_json
from tickets.text import check_text
from tickets.verification import verified_call

# json.dumps(..., sort_keys=True) without a new encoder each call (filing's hot path); the
# body hashed is made here of the request's values (no cycles to look for).
_SORTED_JSON = encoder(sort_keys=True, check_circular=False)

@dataclass(frozen=True)
class FilingRequest:
    kind: TicketKind
    subscription_ref: str
    idempotency_key: str
    resource_refs: tuple[str, ...] = ()
    requested_date: date | None = None
    refund_requested: bool = False
    reason: str = ""
    fields: dict[str, str] = field(default_factory=dict)  # transfer_at, it_contact, note ...
    confirmed: frozenset[str] = frozenset()

    def content_hash(self) -> str:
        """What a retry must repeat exactly (T-3); the key itself is not part of it."""
        body = {
            "kind": str(self.kind),
            "subscription": self.subscription_ref,
            "resources": sorted(self.resource_refs),
            "requested_date": self.requested_date.isoformat() if self.requested_date else None,
            "refund": self.refund_requested,
            "reason": self.reason,
            "fields": self.fields,  # its keys sorted by the encoder, as every dict's
            "confirmed": sorted(self.confirmed),
        }
        return hashlib.sha256(_SORTED_JSON(body).encode()).hexdigest()


@dataclass(frozen=True)
class FiledTicket:
    id: int
    ref: str
    kind: TicketKind
    status: TicketStatus
    resource_ref: str | None = None


@dataclass(frozen=True)
class FilingResult:
    filed: tuple[FiledTicket, ...]
    refused: tuple[tuple[str, tuple[policy.Reason, ...]], ...] = ()  # batch: resource ref, why
    replayed: bool = False  # T-3: this was a retry of a filing already made


def typed_times(fields: dict[str, str], zone: tzinfo) -> dict[str, Any]:
    """The fields with each date-time the agent typed (in the desk's zone, or with an explicit
    offset) as a UTC instant, ISO with Z, as it is checked and stored (M-3's transfer time).
    A time the zone skips raises InvalidInput (tickets.desk_time); text that is no date-time is
    left for validate_filing to name."""
    out: dict[str, Any] = dict(fields)
    for key, value in fields.items():
        spec = FORM_FIELDS.get(key)
        if spec is None or spec.type is not FieldType.DATETIME or not isinstance(value, str):
            continue
        try:
            typed = datetime.fromisoformat(value.strip())
        except ValueError:
            continue
        out[key] = local_wall_time(typed, zone, field=key).strftime("%Y-%m-%dT%H:%M:%SZ")
    return out


def _keys(request: FilingRequest) -> list[str]:
    """Every key a filing of this request can have written: exact values, so that the lookup
    uses the unique index (a LIKE prefix would scan a million tickets). A batch's first ticket
    carries the bare key, so a different batch under the same key always meets it (T-3)."""
    keys = [request.idempotency_key]
    if kind_spec(request.kind).per_resource:
        keys += [f"{request.idempotency_key}#{ref}" for ref in sorted(set(request.resource_refs))]
    return keys


# T-3's lookup for a filing of one key (a kind not per resource): REPLAY.bind's statement and its
# parameter's name for one key, bound once.
_REPLAY_ONE, _ONE_KEY_BOUND = sql.REPLAY.bind({"keys": [""]})
(_REPLAY_ONE_KEY,) = _ONE_KEY_BOUND


def _replay(session: Session | Raw, request: FilingRequest, digest: str) -> FilingResult | None:
    return _replayed(Raw(session).rows(*sql.REPLAY.bind({"keys": _keys(request)})), request, digest)


def _replayed(existing: list[Any], request: FilingRequest, digest: str) -> FilingResult | None:
    """T-3: the filing these rows (REPLAY's, by the request's keys) already made, or None."""
    if not existing:
        return None
    if any(row.content_hash != digest for row in existing):
        raise Conflict(
            "T-3: this filing key was already used for a different ticket; start a new filing",
            rule="T-3",
        )
    return FilingResult(
        filed=tuple(
            FiledTicket(row.id, ticket_ref(row.id), TicketKind(row.kind), TicketStatus(row.status),
                        read_json(row.fields).get("resource_ref"))
            for row in sorted(existing, key=lambda row: row.id)
        ),
        replayed=True,
    )


def _check_text(request: FilingRequest) -> None:
    """Keys and refs must be storable; what the agent typed must also hold no credential (V-6)."""
    # Plain loops, not comprehensions (a Python frame each, on every filing).
    names = {"idempotency_key": request.idempotency_key, "subscription_ref": request.subscription_ref}
    for i, ref in enumerate(request.resource_refs):
        names[f"resource_refs[{i}]"] = ref
    for i, key in enumerate(request.fields):
        names[f"fields[{i}]"] = key
    check_text(names, free_text=False, max_length=200)
    if request.reason != "" or request.fields:  # nothing typed: nothing to check (check_text skips "")
        check_text({"reason": request.reason, **request.fields})


def file_ticket(store: Store, *, agent: AgentInfo, verification_id: int, request: FilingRequest) -> FilingResult:
    """File what the verified caller asked for, or raise with every reason it cannot be."""
    if not request.idempotency_key or len(request.idempotency_key) > 60:
        raise InvalidInput({"idempotency_key": "required, at most 60 characters (T-3)"})
    _check_text(request)
    digest = request.content_hash()

    def work(raw: Raw) -> FilingResult:
        # T-3's keys, V-7 with the caller's facts, the subscription with its active tickets:
        # one round trip on PostgreSQL (Raw.batch), then the filing's function call.
        per_resource = kind_spec(request.kind).per_resource
        if per_resource:
            replay_sql, keys = sql.REPLAY.bind({"keys": _keys(request)})
        else:  # one key: REPLAY.bind's statement and parameter for it, bound once
            replay_sql, keys = _REPLAY_ONE, {_REPLAY_ONE_KEY: request.idempotency_key}
        if raw.dialect == "sqlite":  # one after another, as batch sends them there, without its frames
            existing = raw.rows(replay_sql, keys)
            verifying = raw.rows(sql.VERIFIED_CALLER, {"id": verification_id})
            found = raw.rows(sql.SUBSCRIPTION_WITH_TICKETS, {"ref": request.subscription_ref})
        else:
            existing, verifying, found = raw.batch([
                (replay_sql, keys), (sql.VERIFIED_CALLER, {"id": verification_id}),
                (sql.SUBSCRIPTION_WITH_TICKETS, {"ref": request.subscription_ref})])
        replay = _replayed(existing, request, digest)
        if replay is not None:
            return replay
        now = store.clock.now()
        if raw.dialect == "sqlite":  # PostgreSQL: the filing's function checks (deskapp_actor)
            check_actor(raw, agent, now)
        verified = verifying[0] if verifying else None
        call = verified_call(verified, agent, now)
        assert verified is not None  # verified_call refused a missing verification
        sub = sql.SubscriptionRow.read(found[0]) if found else None
        if sub is None or sub.organization_id != call.organization_id:
            raise NotFound(
                _("subscription {ref} is not on the verified caller's account").format(ref=request.subscription_ref)
            )
        caller = caller_facts(PersonFacts(verified.user_id, bool(verified.is_primary_contact)), call.roles)
        active = [sql.ActiveTicket(row.ticket_id, row.ticket_kind, row.ticket_status, row.ticket_created_at,
                                   row.ticket_resolved_at, sub.id) for row in found if row.ticket_id is not None]
        facts = subscription_facts(raw, [sub], active)[sub.id]
        # What validate_filing checks: the kind's fields and the values that have their own columns.
        fields: dict[str, Any] = typed_times(request.fields, store.zone)
        if request.requested_date:
            fields["requested_date"] = request.requested_date.isoformat()
        if request.reason:
            fields["reason"] = request.reason

        if per_resource:
            resources = {r.ref: r for r in resource_facts(raw, {sub.id: sub})[sub.id]}
            missing = [ref for ref in request.resource_refs if ref not in resources]
            if missing or not request.resource_refs:
                raise NotFound(
                    f"renewal resources not on subscription {sub.ref}: {', '.join(missing) or 'none chosen'}"
                )
            batch = policy.decide_batch([resources[r] for r in sorted(set(request.resource_refs))], caller, now,
                                        store.zone)
            plans = []
            for res, decision in batch.allowed:
                blocking = policy.validate_filing(decision, confirmed=request.confirmed, fields=fields, now=now,
                                                  zone=store.zone)
                if blocking:
                    raise InvalidInput([str(r) for r in blocking], rule=blocking[0].rule)
                plans.append((res, decision))
            if not plans:
                raise NotAllowed(
                    "U-1: none of the chosen resources can be unsubscribed: "
                    + "; ".join(f"{res.ref}: {', '.join(str(r) for r in d.reasons)}" for res, d in batch.refused),
                    rule="U-1",
                )
            filed = _file(raw, agent, call, sub, request, digest, now, store.zone, [
                (decision, res, request.idempotency_key if index == 0 else f"{request.idempotency_key}#{res.ref}")
                for index, (res, decision) in enumerate(plans)
            ])
            return FilingResult(
                filed=filed,
                refused=tuple((res.ref, d.reasons) for res, d in batch.refused),
            )

        decision = policy.decide(
            request.kind, facts, caller, now,
            requested_date=request.requested_date, refund_requested=request.refund_requested, zone=store.zone,
        )
        if not decision.allowed:
            raise NotAllowed("; ".join(str(r) for r in decision.reasons), rule=decision.reasons[0].rule)
        blocking = policy.validate_filing(decision, confirmed=request.confirmed, fields=fields, now=now,
                                          zone=store.zone)
        if blocking:
            raise InvalidInput([str(r) for r in blocking], rule=blocking[0].rule)
        return FilingResult(filed=_file(raw, agent, call, sub, request, digest, now, store.zone,
                                        [(decision, None, request.idempotency_key)]))

    try:
        # On the driver's connection, no Session, with the store's retries; PostgreSQL: the
        # reads in autocommit, the filing one call of the database's function (_file).
        return store.autocommit(work) if store.postgres else store.raw_transaction(work)
    except IntegrityError as error:
        # A concurrent filing won: either the same retry (T-3) or another open cancellation (C-9).
        with store.read() as session:
            replay = _replay(session, request, digest)
            if replay is not None:
                return replay
        raise Conflict(
            "C-9: another agent has just filed a cancellation-type ticket for this subscription; "
            "open the account again to see it",
            rule="C-9",
        ) from error
    except DBAPIError as error:
        desk = refusal(error)
        if desk is None:
            raise
        raise desk from None


def _file(raw: Raw, agent: AgentInfo, call, sub: sql.SubscriptionRow, request: FilingRequest,
          digest: str, now, zone: tzinfo, plans: list[tuple[policy.Decision, Any, str]]) -> tuple[FiledTicket, ...]:
    """Insert every planned ticket, then append their events: the appends are the transaction's
    last statements, so the chain's lock is held for as short a time as possible."""
    if raw.dialect == "postgresql":
        return _file_pg(raw, agent, call, sub, request, digest, now, zone, plans)
    events, filed = [], []
    at = bind_time(now, raw.dialect)  # the ticket's created_at and its event's at, bound once
    for decision, resource, key in plans:
        ticket_id, details = _insert(raw, agent, call, sub, request, digest, decision, at, now, zone, key=key,
                                     resource=resource)
        # A-1: the details' canonical text by the encoder without a cycle check (decoded_text):
        # _row builds them of typed text, policy sentences and digests, never containing themselves.
        events.append((f"ticket:{ticket_id}", decoded_text(details)))
        status = _PENDING_REVIEW_STATUS if decision.needs_review else _OPEN_STATUS  # as _row stores it
        filed.append(FiledTicket(ticket_id, ticket_ref(ticket_id), request.kind, status,
                                 resource.ref if resource is not None else None))
    for subject, text in events:
        append_text(raw, at=now, bound_at=at, actor=agent.name, action="ticket.filed", subject=subject, text=text)
    return tuple(filed)


def _insert(
    raw: Raw,
    agent: AgentInfo,
    call,
    sub: sql.SubscriptionRow,
    request: FilingRequest,
    digest: str,
    decision: policy.Decision,
    at: Any,
    now,
    zone: tzinfo,
    *,
    key: str,
    resource=None,
) -> tuple[int, dict[str, Any]]:
    """One ticket row (A-1: its event is appended by the caller), created `at` (`now` bound);
    its id and its event's details."""
    row, details = _row(agent, call, sub, request, digest, decision, now, zone, key=key, resource=resource)
    row["created_at"] = row["updated_at"] = at
    ((ticket_id,),) = raw.rows(sql.INSERT_TICKET, row)
    return ticket_id, details


# bind_json's text (json.dumps' defaults) for the values _row builds, which never contain themselves.
_ROW_JSON = encoder(check_circular=False)
_NO_FIELDS = _ROW_JSON({})  # a filing's usual fields: none beyond their own columns


_FILE = Sql(
    "SELECT ticket_id, status FROM deskapp_api_file(:token, :agent, :verification, :subscription, "
    "CAST(:tickets AS jsonb), :at)"
)


def _file_pg(raw: Raw, agent: AgentInfo, call, sub: sql.SubscriptionRow, request: FilingRequest, digest: str, now,
             zone: tzinfo, plans: list[tuple[policy.Decision, Any, str]]) -> tuple[FiledTicket, ...]:
    """PostgreSQL: every planned ticket and its event in one call of the database's function,
    which checks the verification (V-7) and the kind (offered for the product, per resource,
    refund), decides review and callback from the kind (X-2, V-8), names the session's agent
    as the filer and writes the event from what it filed (migrations 0011, 0016)."""
    tickets, resources = [], []
    for decision, resource, key in plans:
        # The event's details are the database's, from the row it files (migration 0016); only
        # the sentences the caller confirmed (the policy's texts) are the client's.
        row, details = _row(agent, call, sub, request, digest, decision, now, zone, key=key, resource=resource,
                            whole_event=False)
        tickets.append({**{k: row[k] for k in _FILED}, "details": details})
        resources.append(resource.ref if resource is not None else None)
    found = raw.rows(_FILE, {"token": agent.session, "agent": agent.id, "verification": call.verification_id,
                             "subscription": sub.id, "tickets": bind_json(tickets), "at": now})
    return tuple(FiledTicket(ticket_id, ticket_ref(ticket_id), request.kind, TicketStatus(status), ref)
                 for (ticket_id, status), ref in zip(found, resources, strict=True))


# What the filing's function takes of each row; it sets the rest itself.
_FILED = ("kind", "resource_id", "idempotency_key", "content_hash", "requested_date", "reason", "reason_scrubbed",
          "fields", "checklist", "consequences", "rules", "effective_date", "data_deletion_date", "reversal_deadline")


_PENDING_REVIEW_STATUS, _OPEN_STATUS = TicketStatus.PENDING_REVIEW, TicketStatus.OPEN
_PENDING_REVIEW, _OPEN = _PENDING_REVIEW_STATUS.value, _OPEN_STATUS.value


def _row(agent: AgentInfo, call, sub: sql.SubscriptionRow, request: FilingRequest, digest: str,
         decision: policy.Decision, now, zone: tzinfo, *, key: str,
         resource=None, whole_event: bool = True) -> tuple[dict[str, Any], dict[str, Any]]:
    """A ticket's column values and its ticket.filed event's details. The JSON columns as their
    text (bind_json's), or with `whole_event=False` as values and the details only the sentences
    the caller confirmed: what PostgreSQL's function takes of them."""
    # The zone its days were counted and told in: a later change of the desk's setting cannot
    # move them (the cancellation it leads to keeps it, tickets.lifecycle).
    time_zone = zone_key(zone)
    kept_consequences, effective_date, data_deletion_date, reversal_deadline = stored_consequences(
        decision.consequences, time_zone)
    # The stored values, read once (an enum's .value is two Python frames).
    kind = request.kind.value
    status = _PENDING_REVIEW if decision.needs_review else _OPEN
    # requested_date and reason have their own columns: stored there only.
    typed = typed_times(request.fields, zone)
    row_fields: dict[str, Any] = {k: v for k, v in typed.items() if k not in TICKET_FIELD_COLUMNS}
    if resource is not None:
        row_fields["resource_ref"] = resource.ref
    if request.refund_requested:
        row_fields["refund_requested"] = True
    # The checklist's keys the caller confirmed, and their sentences as the desk read them (policy
    # text, never typed), in one plain loop (comprehensions are a Python frame each).
    asked, confirmed_keys, confirmed = request.confirmed, set(), []
    for item in decision.checklist:
        if item.key in asked:
            confirmed_keys.add(item.key)
            confirmed.append(f"{item.text} ({item.rule})")
    checklist = sorted(confirmed_keys)
    rules_named = set()
    for reason in decision.reasons:
        rules_named.add(reason.rule)
    if decision.consequences is not None:
        for note in decision.consequences.notes:
            rules_named.add(note.rule)
    rules = sorted(rules_named)
    requested_date = request.requested_date.isoformat() if request.requested_date else None
    row = {
        "kind": kind,
        "status": status,
        "organization_id": sub.organization_id,
        "subscription_id": sub.id,
        "resource_id": resource.id if resource is not None else None,
        "call_id": call.call_id,
        "verification_id": call.verification_id,
        "filed_by_id": agent.id,
        "idempotency_key": key,
        "content_hash": digest,
        "requested_date": requested_date,
        "reason": request.reason or None,
        "reason_scrubbed": scrub_stored(request.reason or None),
        "fields": row_fields,
        "checklist": checklist,
        "consequences": kept_consequences,
        "rules": rules,
        "needs_review": decision.needs_review,
        "needs_callback": decision.needs_callback,
        "effective_date": effective_date,
        "data_deletion_date": data_deletion_date,
        "reversal_deadline": reversal_deadline,
    }
    if not whole_event:
        return row, {"confirmed": confirmed}
    # The JSON columns as bind_json makes them, by an encoder without its cycle check (made once,
    # not one a value): built here of typed text and policy sentences. The consequences' text also
    # keys its A-1 digest (a decision's consequences repeat from filing to filing).
    consequences_text = _ROW_JSON(kept_consequences)
    row["fields"] = _NO_FIELDS if not row_fields else _ROW_JSON(row_fields)
    row["checklist"], row["consequences"], row["rules"] = _ROW_JSON(checklist), consequences_text, _ROW_JSON(rules)
    return row, {
        "kind": kind,
        "status": status,
        "subscription": sub.ref,
        "resource": resource.ref if resource is not None else None,
        "verification_id": call.verification_id,
        "checklist": checklist,
        "confirmed": confirmed,
        "rules": rules,
        "time_zone": time_zone,
        # every other column, so that `audit verify` rebuilds the row from the events alone.
        **filing_record(
            call_id=call.call_id, idempotency_key=key, content_hash=digest, requested_date=requested_date,
            reason=request.reason or None, fields=row_fields, consequences=kept_consequences,
            refund_requested=request.refund_requested, needs_review=decision.needs_review,
            effective_date=effective_date, data_deletion_date=data_deletion_date,
            reversal_deadline=reversal_deadline, consequences_text=consequences_text,
        ),
    }


def stored_consequences(consequences: policy.Consequences | None,
                        time_zone: str) -> tuple[dict[str, Any], str | None, str | None, str | None]:
    """What a ticket stores of its decision's consequences: the JSON column (`as_dict()` with
    the desk's zone, less the three dates that have columns of their own, in that order) and
    those three dates as ISO text. Written out, not filtered from as_dict (a filing's)."""
    if consequences is None:
        return {"time_zone": time_zone}, None, None, None
    effective, deletion, deadline = (consequences.effective_date, consequences.data_deletion_date,
                                     consequences.reversal_deadline)
    return {
        "early_termination_fee_may_apply": consequences.early_termination_fee_may_apply,
        "refund": consequences.refund,
        "self_service": consequences.self_service,
        "data_deletion_note": consequences.data_deletion_note,
        "coupon_handling": consequences.coupon_handling,
        "routing_queue": consequences.routing_queue,
        "notes": [{"rule": n.rule, "text": n.text} for n in consequences.notes],  # Reason.as_dict's
        "time_zone": time_zone,
    }, (None if effective is None else effective.isoformat()), (None if deletion is None else deletion.isoformat()), (
        None if deadline is None else deadline.isoformat())
