"""Caller verification as the store records it (V-1 .. V-7).

`identity` decides whether what the caller said matches the directory; this module loads the
directory record, asks `identity`, and records the attempt, the audit event and the lockout
in one transaction. The record on file never leaves this module: callers get pass or fail,
attempts left and, only after a pass, a `VerifiedCall` that opens the account view.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from identity import (
    CallerClaim,
    LockoutPolicy,
    LockoutState,
    check_claim_format,
    lockout_state,
    normalize_org_name,
    normalize_user_id,
    parse_phone,
    verify,
)
from identity import Address as IdentityAddress
from identity import OrganizationOnFile, PersonOnFile
from identity.errors import IdentityError
from identity.session import CALL_AUTHORISATION, VerifiedCaller
from tickets.agents import AgentInfo
from tickets.audit import append_event
from tickets.enums import Product
from tickets.errors import InvalidInput, NotAllowed, NotFound
from tickets.models import (
    Call,
    Organization,
    Person,
    Subscription,
    VerificationAttempt,
    VerificationUnlock,
)
from tickets.store import Store
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


def start_call(store: Store, agent: AgentInfo) -> int:
    from tickets.filing_sql import INSERT_CALL
    from tickets.rawsql import Raw, bind_time

    def work(session: Session) -> int:
        now = store.clock.now()
        raw = Raw(session)
        ((call_id,),) = raw.rows(INSERT_CALL, {"agent_id": agent.id, "started_at": bind_time(now, raw.dialect)})
        # The append last: the chain's lock is held for as short a time as possible (issue 14).
        append_event(session, at=now, actor=agent.name, action="call.started", subject=f"call:{call_id}")
        return call_id

    # Through transaction(): appends lock the audit head, so a deadlock is retried, not shown.
    return store.transaction(work)


def end_call(store: Store, agent: AgentInfo, call_id: int, wrap_up_note: str) -> None:
    """Close the call with its wrap-up note (checked for credentials, V-6)."""
    from tickets.filing_sql import CALL_FOR_END, END_CALL
    from tickets.rawsql import Raw, bind_time

    note = (wrap_up_note or "").strip()
    check_text({"wrap_up_note": note})

    def work(session: Session) -> None:
        now = store.clock.now()
        raw = Raw(session)
        call = raw.first(CALL_FOR_END, {"id": call_id})
        if call is None or call[0] != agent.id:
            raise NotFound(f"call {call_id} is not one of yours")
        if call[2] is not None:
            return
        raw.execute(END_CALL, {"id": call_id, "ended_at": bind_time(now, raw.dialect), "note": note or None})
        # The call's row first, the append last (issue 14).
        append_event(
            session, at=now, actor=agent.name, action="call.ended", subject=f"call:{call_id}",
            details={"organization_id": call[1], "note_length": len(note)},
        )

    store.transaction(work)


# --- finding the organization ----------------------------------------------------------------


def find_organizations(
    store: Store, *, org_name: str = "", user_id: str = "", phone: str = "", region: str = ""
) -> list[OrganizationHandle]:
    """Organizations matching exactly what the caller gave (V-3: no fuzzy search, so that
    the list cannot be used to discover names). Returns handles only (V-4)."""
    with store.read() as session:
        query = select(Organization)
        matched = False
        if org_name.strip():
            try:
                key = normalize_org_name(org_name)
            except IdentityError as error:
                raise InvalidInput({"org_name": error.message}, rule=error.rule) from error
            query = query.where(Organization.name_key == key)
            matched = True
        if user_id.strip():
            try:
                uid = normalize_user_id(user_id)
            except IdentityError as error:
                raise InvalidInput({"user_id": error.message}, rule=error.rule) from error
            query = query.where(
                col(Organization.id).in_(select(Person.organization_id).where(Person.user_id == uid))
            )
            matched = True
        if phone.strip():
            numbers = _phone_candidates(session, phone, region)
            if not numbers:
                raise InvalidInput({"phone": "not a possible phone number; include the country code (V-3)"})
            query = query.where(
                col(Organization.id).in_(
                    select(Person.organization_id).where(col(Person.phone_e164).in_(numbers))
                )
            )
            matched = True
        if not matched:
            raise InvalidInput({"search": "give the organization name, a user ID or a phone number"})
        orgs = session.exec(query.order_by(Organization.ref).limit(20)).all()
        d365 = set(
            session.exec(
                select(Subscription.organization_id).where(
                    col(Subscription.organization_id).in_([o.id for o in orgs]),
                    Subscription.product == Product.D365.value,
                )
            )
        )
        return [OrganizationHandle(o.id, o.ref, o.country, o.id in d365) for o in orgs]


def _phone_candidates(session: Session, phone: str, region: str) -> list[str]:
    """E.164 readings of a number: as international, or local in each country we serve."""
    regions = [region] if region else sorted(set(session.exec(select(Organization.country).distinct())))
    numbers = set()
    for candidate in regions or ["US"]:
        try:
            numbers.add(parse_phone(phone, candidate).e164)
        except IdentityError:
            continue
    return sorted(numbers)


# --- lockout ---------------------------------------------------------------------------------


def _lock_organization(session: Session, organization_id: int) -> Organization:
    """Serialise verifications of one organization across processes (V-5): a row lock on
    PostgreSQL; on SQLite the write transaction (BEGIN IMMEDIATE) already holds the lock."""
    org = session.exec(
        # NO KEY UPDATE: it does not conflict with the KEY SHARE locks that inserting a ticket
        # or a call referring to the organization takes, so filings never deadlock with it.
        select(Organization).where(Organization.id == organization_id).with_for_update(key_share=True)
    ).first()
    if org is None:
        raise NotFound(f"organization {organization_id} does not exist")
    return org


def _lockout(session: Session, organization_id: int, now: datetime) -> LockoutState:
    unlocked_at = session.exec(
        select(VerificationUnlock.at)
        .where(VerificationUnlock.organization_id == organization_id)
        .order_by(col(VerificationUnlock.at).desc())
        .limit(1)
    ).first()
    since = now - POLICY.window - POLICY.lock_for
    failures = session.exec(
        select(VerificationAttempt.at).where(
            VerificationAttempt.organization_id == organization_id,
            VerificationAttempt.passed == False,  # noqa: E712 - SQL comparison
            VerificationAttempt.at > since,
        )
    ).all()
    return lockout_state(list(failures), now, unlocked_at, POLICY)


def lockout_status(store: Store, organization_id: int) -> LockoutState:
    with store.read() as session:
        return _lockout(session, organization_id, store.clock.now())


# --- verification ----------------------------------------------------------------------------


def _requires_url(session: Session, organization_id: int) -> bool:
    """V-1 [D365]: an organization with a Dynamics 365 subscription is also asked its URL."""
    return (
        session.exec(
            select(Subscription.id).where(
                Subscription.organization_id == organization_id, Subscription.product == Product.D365.value
            )
        ).first()
        is not None
    )


def _on_file(session: Session, org: Organization) -> tuple[OrganizationOnFile, dict[str, Person]]:
    people = session.exec(select(Person).where(Person.organization_id == org.id)).all()
    requires_url = _requires_url(session, org.id)
    record = OrganizationOnFile(
        country=org.country,
        name=org.name,
        url=org.url,
        address=IdentityAddress(
            street_lines=tuple(org.street_lines),
            city=org.city,
            region=org.region,
            postal_code=org.postal_code,
            country=org.country,
        ),
        people=tuple(
            PersonOnFile(
                key=str(p.id),
                user_id=p.user_id,
                phone_e164=p.phone_e164,
                first_name=p.first_name,
                last_name=p.last_name,
                is_primary_contact=p.is_primary_contact,
                roles=frozenset(p.roles),
            )
            for p in people
        ),
        requires_url=requires_url,
    )
    return record, {str(p.id): p for p in people}


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
    failure within 24 hours locks the organization for 24 hours.
    """
    with store.read() as session:
        org = session.get(Organization, organization_id)
        if org is None:
            raise NotFound(f"organization {organization_id} does not exist")
        requires_url = _requires_url(session, org.id)
        region = org.country
    problems = check_claim_format(claim, region, requires_url)
    if problems:
        raise InvalidInput(problems, rule="V-4")

    def attempt(session: Session) -> VerificationResult:
        # V-5: read the clock only once the organization is locked, so that attempts are judged
        # and recorded in the order they commit; a "now" read before waiting for the lock is
        # older than the attempts that commit meanwhile and does not see the lock they set.
        org = _lock_organization(session, organization_id)
        now = store.clock.now()
        state = _lockout(session, organization_id, now)
        if state.locked:
            append_event(
                session, at=now, actor=agent.name, action="verification.refused_locked",
                subject=f"organization:{org.id}", details={"call_id": call_id, "rule": "V-5"},
            )
            return VerificationResult(False, 0, state.locked_until)
        record, people = _on_file(session, org)
        outcome = verify(claim, record)
        person = people.get(outcome.person_key) if outcome.passed and outcome.person_key else None
        row = VerificationAttempt(
            organization_id=org.id,
            agent_id=agent.id,
            call_id=call_id,
            at=now,
            passed=outcome.passed,
            failed_factors=sorted(str(f) for f in outcome.failed_factors),
            person_id=person.id if person else None,
            roles=sorted(outcome.roles) if outcome.passed else [],
            expires_at=now + CALL_AUTHORISATION if outcome.passed else None,
        )
        session.add(row)
        session.flush()
        append_event(
            session, at=now, actor=agent.name,
            action="verification.passed" if outcome.passed else "verification.failed",
            subject=f"organization:{org.id}",
            details={
                "attempt_id": row.id,
                "call_id": call_id,
                "failed_factors": row.failed_factors,
                "rule": "V-5",
            },
        )
        if call_id is not None:
            call = session.get(Call, call_id)
            if call is not None and call.organization_id is None:
                call.organization_id = org.id
                session.add(call)
        if outcome.passed:
            return VerificationResult(True, POLICY.max_failures, None, row.id)
        after = _lockout(session, organization_id, now)
        if after.locked:
            append_event(
                session, at=now, actor=agent.name, action="organization.locked",
                subject=f"organization:{org.id}",
                details={"locked_until": after.locked_until.isoformat(), "rule": "V-5"},
            )
        return VerificationResult(False, after.attempts_left, after.locked_until)

    return store.transaction(attempt)


def load_verified_call(session: Session, verification_id: int, agent: AgentInfo, now: datetime) -> VerifiedCall:
    """The passed verification behind an action, or NotAllowed (V-7): passed, by this agent,
    not expired, on a call that has not ended."""
    from tickets.filing_sql import VERIFIED_CALL
    from tickets.rawsql import first, read_json, read_time

    found = first(session, VERIFIED_CALL, {"id": verification_id})
    if found is None or not found[5] or found[6] is None:
        raise NotAllowed("V-1: the caller has not been verified on this call")
    attempt_id, organization_id, agent_id, call_id, at, _, person_id, roles, expires_at, call_ended_at = found
    if agent_id != agent.id:
        raise NotAllowed("V-7: this verification belongs to another agent's call")
    roles, at = frozenset(read_json(roles)), read_time(at)
    # V-7 is identity's rule (VerifiedCaller: the one call, 60 minutes at most); the store adds
    # what only it knows: whose call it is and whether the call has ended.
    caller = VerifiedCaller(str(organization_id), str(person_id), roles, at)
    if expires_at is None or not caller.is_active(now):
        raise NotAllowed("V-7: the verification has expired (60 minutes); verify the caller again")
    if call_ended_at is not None:
        raise NotAllowed("V-7: the call has ended; a new call needs a new verification")
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
            if state.locked:
                org = session.get(Organization, org_id)
                result.append(
                    LockedOrganization(org.id, org.ref, org.name, state.locked_until, POLICY.max_failures)
                )
        return sorted(result, key=lambda o: o.locked_until)


def unlock_organization(store: Store, *, supervisor: AgentInfo, organization_id: int, reason: str) -> None:
    """A supervisor lifts a lockout (V-5), with a reason; audited."""
    if not supervisor.is_supervisor:
        raise NotAllowed("V-5: only a supervisor can unlock an organization")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput({"reason": "a reason is required to unlock (V-5)"})
    check_text({"reason": reason}, max_length=500)

    def work(session: Session) -> None:
        org = _lock_organization(session, organization_id)
        now = store.clock.now()  # after the lock, like verify_caller (V-5)
        session.add(VerificationUnlock(organization_id=org.id, supervisor_id=supervisor.id, at=now, reason=reason[:500]))
        append_event(
            session, at=now, actor=supervisor.name, action="organization.unlocked",
            subject=f"organization:{org.id}", details={"reason": reason[:500], "rule": "V-5"},
        )

    store.transaction(work)


