"""Caller verification as the store records it (V-1 .. V-7).

`identity` decides whether what the caller said matches the directory; this module loads the
directory record, asks `identity`, and records the attempt, the audit event and the lockout
in one transaction. The record on file never leaves this module: callers get pass or fail,
attempts left and, only after a pass, a `VerifiedCall` that opens the account view.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlmodel import Session, select

from identity import (
    CallerClaim,
    LockoutPolicy,
    LockoutState,
    claim_keys,
    lockout_state,
    normalize_org_name,
    normalize_user_id,
    parse_phone,
    verify_keys,
)
from identity.errors import IdentityError
from identity.session import CALL_AUTHORISATION, VerifiedCaller
from tickets.agents import AgentInfo
from tickets.audit.chain import append_event
from tickets.errors import InvalidInput, NotAllowed, NotFound
from tickets.i18n import _
from tickets.sessions import check_actor
from tickets.store import verification_sql as sql
from tickets.store.calls import call, call_void, on_connection
from tickets.store.database import Store
from tickets.store.filing_sql import CALL_FOR_END, END_OWN_OPEN_CALL, INSERT_CALL
from tickets.store.models import (
    Organization,
    VerificationAttempt,
    VerificationUnlock,
)
from tickets.store.rawsql import Raw, Sql, bind_json, bind_time, read_json, read_time
from tickets.text import check_text

POLICY = LockoutPolicy()


@dataclass(frozen=True)
class OrganizationHandle:
    """What a search reveals before verification: an opaque key, nothing the caller could be
    fed (V-4). `region` is used only to read phone numbers; the console does not show it."""

    id: int
    ref: str
    region: str
    requires_url: bool


@dataclass(frozen=True)
class VerificationResult:
    passed: bool
    attempts_left: int
    locked_until: datetime | None
    verification_id: int | None = None

    @property
    def locked(self) -> bool:
        return self.locked_until is not None


@dataclass(frozen=True)
class VerifiedCall:
    """A passed verification, good for one call and 60 minutes (V-7)."""

    verification_id: int
    call_id: int | None
    organization_id: int
    person_id: int
    agent_id: int
    roles: frozenset[str]
    verified_at: datetime
    expires_at: datetime


# --- calls -----------------------------------------------------------------------------------


# PostgreSQL: each write one call of the database's function (migration 0011, tickets.store.calls).
_START_CALL = Sql("SELECT deskapp_api_start_call(:token, :agent, :at)")
_END_CALL = Sql("SELECT deskapp_api_end_call(:token, :agent, :call, :note, :at)")
_RECORD = Sql(
    "SELECT attempt_id, locked_until, attempts_left FROM deskapp_api_record_verification(:token, :agent, :org, "
    ":call, :passed, CAST(:failed AS jsonb), :person, CAST(:roles AS jsonb), :at)"
)
_UNLOCK_ORG = Sql("SELECT deskapp_api_unlock_organization(:token, :agent, :org, :reason, :at)")


def acting(agent: AgentInfo) -> dict:
    """The parameters naming the actor of a function call: their session, and who they say they are."""
    return {"token": agent.session, "agent": agent.id}


def start_call(store: Store, agent: AgentInfo) -> int:
    if store.postgres:
        ((call_id,),) = call(store, _START_CALL, {**acting(agent), "at": store.clock.now()})
        return call_id

    def work(raw: Raw) -> int:
        now = store.clock.now()
        check_actor(raw, agent, now)
        (inserted,) = raw.rows(INSERT_CALL, {"agent_id": agent.id, "started_at": bind_time(now, raw.dialect)})
        call_id = inserted.id
        # The append last: the chain's lock is held for as short a time as possible.
        append_event(raw, at=now, actor=agent.name, action="call.started", subject=f"call:{call_id}",
                     returning=False)
        return call_id

    # Through a transaction with retries: appends lock the audit head, so a deadlock is retried,
    # not shown. On the driver's connection, no Session.
    return store.raw_transaction(work)


def end_call(store: Store, agent: AgentInfo, call_id: int, wrap_up_note: str) -> None:
    """Close the call with its wrap-up note (checked for credentials, V-6)."""
    note = (wrap_up_note or "").strip()
    check_text({"wrap_up_note": note})
    if store.postgres:
        call_void(store, _END_CALL, {**acting(agent), "call": call_id, "note": note, "at": store.clock.now()})
        return

    def work(raw: Raw) -> None:
        now = store.clock.now()
        check_actor(raw, agent, now)
        # The agent's own open call ended in one round trip; if none was, why not.
        ended = raw.first(END_OWN_OPEN_CALL, {"id": call_id, "agent_id": agent.id,
                                              "ended_at": bind_time(now, raw.dialect), "note": note or None})
        if ended is None:
            call = raw.first(CALL_FOR_END, {"id": call_id})
            if call is None or call.agent_id != agent.id:
                raise NotFound(_("call {id} is not one of yours").format(id=call_id))
            return  # already ended
        # The call's row first, the append last.
        append_event(
            raw, at=now, actor=agent.name, action="call.ended", subject=f"call:{call_id}",
            details={"organization_id": ended.organization_id, "note_length": len(note)}, returning=False,
        )

    store.raw_transaction(work)


# --- finding the organization ----------------------------------------------------------------


def find_organizations(
    store: Store, *, org_name: str = "", user_id: str = "", phone: str = "", region: str = ""
) -> list[OrganizationHandle]:
    """Organizations matching exactly what the caller gave (V-3: no fuzzy search, so that
    the list cannot be used to discover names). Returns handles only (V-4)."""
    with store.read() as session:
        key = uid = None
        numbers: list[str] = []
        if org_name.strip():
            try:
                key = normalize_org_name(org_name)
            except IdentityError as error:
                raise InvalidInput({"org_name": error.message}, rule=error.rule) from error
        if user_id.strip():
            try:
                uid = normalize_user_id(user_id)
            except IdentityError as error:
                raise InvalidInput({"user_id": error.message}, rule=error.rule) from error
        if phone.strip():
            numbers = _phone_candidates(session, phone, region)
            if not numbers:
                raise InvalidInput({"phone": _("not a possible phone number; include the country code") + " (V-3)"})
        if key is None and uid is None and not numbers:
            raise InvalidInput({"search": _("give the organization name, a user ID or a phone number")})
        return [OrganizationHandle(o.id, o.ref, o.country, bool(o.requires_url))
                for o in sql.find(session, key, uid, numbers)]


def _phone_candidates(session: Session, phone: str, region: str) -> list[str]:
    """E.164 readings of a number: as international, or local in each country we serve."""
    regions = [region] if region else sql.countries(session)
    numbers = set()
    for candidate in regions or ["US"]:
        try:
            numbers.add(parse_phone(phone, candidate).e164)
        except IdentityError:
            continue
    return sorted(numbers)


# --- lockout ---------------------------------------------------------------------------------


def _lock_organization(session: Session | Raw, organization_id: int) -> Any:
    """Serialise verifications of one organization across processes (V-5): a row lock on
    PostgreSQL; on SQLite the write transaction (BEGIN IMMEDIATE) already holds the lock.
    The organization with its people (tickets.store.verification_sql.lock_organization)."""
    org = sql.lock_organization(session, organization_id)
    if org is None:
        raise NotFound(_("organization {id} does not exist").format(id=organization_id))
    return org


def _lockout(session: Session | Raw, organization_id: int, now: datetime) -> LockoutState:
    failures, unlocked_at = sql.lockout_history(session, organization_id, now - POLICY.window - POLICY.lock_for)
    return lockout_state(failures, now, unlocked_at, POLICY)


def lockout_status(store: Store, organization_id: int) -> LockoutState:
    with store.read() as session:
        return _lockout(session, organization_id, store.clock.now())


# --- verification ----------------------------------------------------------------------------


def verify_caller(
    store: Store,
    *,
    agent: AgentInfo,
    organization_id: int,
    claim: CallerClaim,
    call_id: int | None = None,
) -> VerificationResult:
    """One verification attempt (V-1 .. V-5).

    Malformed input raises InvalidInput (per field, V-4) and costs no attempt. Otherwise the
    attempt is recorded with the factors that failed (never the typed values), and a third
    failure within 24 hours locks the organization for 24 hours. The claim is normalised once
    and compared with the directory's stored keys, every factor evaluated.
    """
    if store.postgres:
        return _verify_pg(store, agent, organization_id, claim, call_id)

    def attempt(session: Raw) -> VerificationResult:
        # The organization's row, its people and their keys in one read, under the lock; its
        # country reads the claim. A malformed claim raises here: the transaction is rolled
        # back with nothing written (V-4: no attempt spent).
        org = _lock_organization(session, organization_id)
        keys = _claim_keys(claim, org.row.country, bool(org.row.requires_url))
        # V-5: read the clock only once the organization is locked, so that attempts are judged
        # and recorded in the order they commit; a "now" read before waiting for the lock is
        # older than the attempts that commit meanwhile and does not see the lock they set.
        now = store.clock.now()
        check_actor(session, agent, now)
        subject = f"organization:{organization_id}"
        state = _lockout(session, organization_id, now)
        if state.locked:
            append_event(
                session, at=now, actor=agent.name, action="verification.refused_locked",
                subject=subject, details={"call_id": call_id, "rule": "V-5"}, returning=False,
            )
            return VerificationResult(False, 0, state.locked_until)
        outcome = verify_keys(keys, sql.keys_on_file(session, org))
        person_id = int(outcome.person_key) if outcome.passed and outcome.person_key else None
        failed_factors = sorted(str(f) for f in outcome.failed_factors)
        attempt_id = sql.record_attempt(
            session, organization_id=organization_id, agent_id=agent.id, call_id=call_id, at=now,
            passed=outcome.passed, failed_factors=failed_factors, person_id=person_id,
            roles=sorted(outcome.roles) if outcome.passed else [],
            expires_at=now + CALL_AUTHORISATION if outcome.passed else None,
            claim=True,  # the call, if any, becomes about the organization (one round trip on PostgreSQL)
        )
        after = None if outcome.passed else _lockout(session, organization_id, now)
        # Every other statement first, the appends last: the chain's lock is held from the first
        # append to the commit.
        append_event(
            session, at=now, actor=agent.name,
            action="verification.passed" if outcome.passed else "verification.failed",
            subject=subject,
            details={"attempt_id": attempt_id, "call_id": call_id, "failed_factors": failed_factors, "rule": "V-5"},
            returning=False,
        )
        if after is None:
            return VerificationResult(True, POLICY.max_failures, None, attempt_id)
        if after.locked and after.locked_until is not None:  # locked: until a time (V-5)
            append_event(
                session, at=now, actor=agent.name, action="organization.locked", subject=subject,
                details={"locked_until": after.locked_until.isoformat(), "rule": "V-5"}, returning=False,
            )
        return VerificationResult(False, after.attempts_left, after.locked_until)

    # On the driver's connection, no Session, with the store's retries.
    return store.raw_transaction(attempt)


def _claim_keys(claim: CallerClaim, region: str, requires_url: bool) -> Any:
    """The claim normalised once (V-4: malformed input raises InvalidInput and costs no attempt)."""
    keys = claim_keys(claim, region, requires_url)
    if keys.error is not None:
        raise keys.error
    if keys.problems:
        raise InvalidInput(keys.problems, rule="V-4")
    return keys


def _verify_pg(store: Store, agent: AgentInfo, organization_id: int, claim: CallerClaim,
               call_id: int | None) -> VerificationResult:
    """PostgreSQL: the organization (its country reads the caller's phone number) and its keys
    on file read in one round trip on a connection in autocommit (without a lock: they change only with a
    directory import), the answers compared here, the attempt recorded by the database's
    function, which holds the lockout (V-5), the call's owner and the 60 minutes (V-7)."""

    def work(raw: Raw) -> tuple:
        org = sql.organization_row(raw, organization_id)
        if org is None:
            raise NotFound(_("organization {id} does not exist").format(id=organization_id))
        keys = _claim_keys(claim, org.row.country, bool(org.row.requires_url))
        outcome = verify_keys(keys, sql.keys_on_file(raw, org))
        person_id = int(outcome.person_key) if outcome.passed and outcome.person_key else None
        (found,) = raw.rows(_RECORD, {
            **acting(agent), "org": organization_id, "call": call_id, "passed": outcome.passed,
            "failed": bind_json(sorted(str(f) for f in outcome.failed_factors)), "person": person_id,
            "roles": bind_json(sorted(outcome.roles) if outcome.passed else []), "at": store.clock.now(),
        })
        return found

    # The reads and the function's call on one connection (one checkout), each statement its
    # own transaction: the function takes the organization's lock itself.
    attempt_id, locked, left = on_connection(store, work)
    if attempt_id is not None:
        return VerificationResult(True, left, None, attempt_id)
    return VerificationResult(False, left, read_time(locked))


@lru_cache(maxsize=64)  # the stored texts are a few sorted role lists ('["admin", "billing_admin"]')
def _roles_of_text(text: str) -> frozenset[str]:
    return frozenset(read_json(text))


def _roles(stored: Any) -> frozenset[str]:
    """An attempt's roles as stored: JSON text on SQLite (read once per text), a list on PostgreSQL."""
    return _roles_of_text(stored) if isinstance(stored, str) else frozenset(read_json(stored))


def verified_call(found: Any | None, agent: AgentInfo, now: datetime) -> VerifiedCall:
    """V-7 on a row with filing_sql's _VERIFIED_COLUMNS by name (or None): passed, by this
    agent, not expired, on a call that has not ended."""
    if found is None or not found.passed or found.person_id is None:
        raise NotAllowed("V-1: " + _("the caller has not been verified on this call"))
    attempt_id, organization_id, agent_id = found.attempt_id, found.organization_id, found.agent_id
    call_id, person_id, roles, at = found.call_id, found.person_id, found.roles, found.at
    expires_at, call_ended_at = found.expires_at, found.call_ended_at
    if agent_id != agent.id:
        raise NotAllowed("V-7: " + _("this verification belongs to another agent's call"))
    roles, at = _roles(roles), read_time(at)
    # V-7 is identity's rule (VerifiedCaller: the one call, 60 minutes at most); the store adds
    # what only it knows: whose call it is and whether the call has ended.
    caller = VerifiedCaller(str(organization_id), str(person_id), roles, at)
    if expires_at is None or not caller.is_active(now):
        raise NotAllowed("V-7: " + _("the verification has expired (60 minutes); verify the caller again"))
    if call_ended_at is not None:
        raise NotAllowed("V-7: " + _("the call has ended; a new call needs a new verification"))
    return VerifiedCall(
        verification_id=attempt_id,
        call_id=call_id,
        organization_id=organization_id,
        person_id=person_id,
        agent_id=agent_id,
        roles=roles,
        verified_at=at,
        expires_at=caller.expires_at,
    )


# --- supervisors: lockouts -------------------------------------------------------------------


@dataclass(frozen=True)
class LockedOrganization:
    id: int
    ref: str
    name: str
    locked_until: datetime
    failures: int
    locked_since: datetime  # the failure that locked it (V-5: the lock lasts lock_for from there)


def locked_organizations(store: Store) -> list[LockedOrganization]:
    """Organizations locked for verification now (V-5), for supervisors."""
    now = store.clock.now()
    since = now - POLICY.window - POLICY.lock_for
    with store.read() as session:
        candidates = session.exec(
            select(VerificationAttempt.organization_id)
            .where(VerificationAttempt.passed == False, VerificationAttempt.at > since)  # noqa: E712
            .distinct()
        ).all()
        result = []
        for org_id in candidates:
            state = _lockout(session, org_id, now)
            if state.locked and state.locked_until is not None:  # locked: until a time (V-5)
                org = session.get_one(Organization, org_id)
                result.append(
                    LockedOrganization(org.id, org.ref, org.name, state.locked_until, POLICY.max_failures,
                                       state.locked_until - POLICY.lock_for)
                )
        return sorted(result, key=lambda o: o.locked_until)


def unlock_organization(store: Store, *, supervisor: AgentInfo, organization_id: int, reason: str) -> None:
    """A supervisor lifts a lockout (V-5), with a reason; audited."""
    if not supervisor.is_supervisor:
        raise NotAllowed("V-5: " + _("only a supervisor can unlock an organization"))
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput({"reason": _("a reason is required to unlock") + " (V-5)"})

    check_text({"reason": reason}, max_length=500)
    if store.postgres:
        call_void(store, _UNLOCK_ORG, {**acting(supervisor), "org": organization_id, "reason": reason[:500],
                                       "at": store.clock.now()})
        return

    def work(session: Session) -> None:
        _lock_organization(session, organization_id)
        now = store.clock.now()  # after the lock, like verify_caller (V-5)
        check_actor(session, supervisor, now)
        session.add(VerificationUnlock(organization_id=organization_id, supervisor_id=supervisor.id, at=now,
                                       reason=reason[:500]))
        append_event(
            session, at=now, actor=supervisor.name, action="organization.unlocked",
            subject=f"organization:{organization_id}", details={"reason": reason[:500], "rule": "V-5"},
        )

    store.transaction(work)


