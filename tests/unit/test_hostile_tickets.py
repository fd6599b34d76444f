"""Hostile input to the ticket core, on each configured engine: finding organizations,
verifying callers, filing tickets (reason, fields, idempotency key, subscription and resource
refs), lifecycle reasons and callback notes. The core answers or raises one of its own errors
(tickets.errors.DeskError) with a clear message; never UnicodeEncodeError, DataError,
IntegrityError, TypeError ...

Text that no database can hold (a lone surrogate; NUL, which PostgreSQL refuses) has tests of
its own: it must be refused as InvalidInput naming the field, on both engines (tickets.text).
"""

from __future__ import annotations

import itertools
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

import testkit
from drills.common import EARLY_CHECKLIST, EXPEDITED_CHECKLIST
from drills.hostile import assert_clear, examples, hostile_text, printable_hostile, regions
from identity import Address, CallerClaim
from tickets.enums import TicketKind, TicketStatus
from tickets.errors import DeskError, InvalidInput
from tickets.filing import FilingRequest, file_ticket
from tickets.lifecycle import record_callback, transition
from tickets.verification import find_organizations, verify_caller


@pytest.fixture
def desk(engine_url):
    store = testkit.make_store(engine_url)
    directory = testkit.Directory(store)
    directory.verification = directory.verified()
    yield directory
    store.dispose()


# The form's field names are the console's, not typed; their values are typed.
FIELD_NAMES = ["note", "transfer_at", "it_contact", "it_contact_note", "requested_date", "reason", "resource_ref"]


def _requests(text, ref_text=None):
    """Filing requests with `text` in every typed value; refs are picked in the console, but a
    hostile one (`ref_text`, default `text`) must still be refused clearly."""
    ref_text = text if ref_text is None else ref_text
    return st.builds(
        FilingRequest,
        kind=st.sampled_from(list(TicketKind)),
        subscription_ref=st.one_of(st.sampled_from(["SUB-INT", "SUB-O365", "SUB-CLD", "SUB-D365"]), ref_text),
        idempotency_key=st.one_of(st.uuids().map(str), text),
        resource_refs=st.lists(st.one_of(st.sampled_from([f"RES-{i:02d}" for i in range(10)]), ref_text),
                               max_size=3).map(tuple),
        requested_date=st.one_of(st.none(), st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1))),
        refund_requested=st.booleans(),
        reason=text,
        fields=st.dictionaries(st.sampled_from(FIELD_NAMES), text, max_size=3),
        confirmed=st.sets(st.one_of(st.sampled_from(sorted(EXPEDITED_CHECKLIST | EARLY_CHECKLIST)), text),
                          max_size=5).map(frozenset),
    )


def _file(desk, request):
    """File; withdraw what was filed so that C-9 does not refuse every later example."""
    try:
        result = file_ticket(desk.store, agent=desk.agent, verification_id=desk.verification, request=request)
    except Exception as error:  # noqa: BLE001 - checked: the core's own, with a clear message
        assert_clear(error)
        return
    for ticket in result.filed:
        if ticket.status in (TicketStatus.OPEN, TicketStatus.PENDING_REVIEW):
            transition(desk.store, actor=desk.agent, ticket_id=ticket.id, to=TicketStatus.WITHDRAWN,
                       reason="hostile input drill")


@examples()
@given(request=_requests(printable_hostile()))
def test_file_ticket_hostile_text_gets_a_ticket_or_a_clear_refusal(desk, request):
    _file(desk, request)


@pytest.mark.parametrize("where", ["subscription_ref", "resource_refs"])
def test_file_ticket_refuses_a_100_kb_ref_with_a_short_message(desk, where):
    values = dict(kind=TicketKind.UNSUBSCRIBE_RESOURCE, subscription_ref="SUB-CLD", idempotency_key="long-ref",
                  resource_refs=("RES-05",), reason="moving to another provider",
                  confirmed=frozenset({"confirm_unsubscription"}))
    values[where] = "R" * 100_000 if where == "subscription_ref" else ("R" * 100_000,)
    with pytest.raises(DeskError) as caught:
        file_ticket(desk.store, agent=desk.agent, verification_id=desk.verification,
                    request=FilingRequest(**values))
    assert_clear(caught.value)


@examples()
@given(request=_requests(hostile_text()))
def test_file_ticket_any_text_at_all_gets_a_ticket_or_a_clear_refusal(desk, request):
    _file(desk, request)


@pytest.mark.parametrize("bad", ["\ud800", "\x00"], ids=["lone-surrogate", "nul"])
@pytest.mark.parametrize("where", ["subscription_ref", "idempotency_key", "reason"])
def test_file_ticket_refuses_text_no_database_can_hold(desk, where, bad):
    values = dict(kind=TicketKind.CANCEL_EARLY, subscription_ref="SUB-INT", idempotency_key="k1",
                  reason="moving to another provider", confirmed=EARLY_CHECKLIST)
    values[where] = values[where][:3] + bad + values[where][3:]
    with pytest.raises(InvalidInput) as caught:
        file_ticket(desk.store, agent=desk.agent, verification_id=desk.verification,
                    request=FilingRequest(**values))
    assert_clear(caught.value)


def _ticket(desk, key="life"):
    result = file_ticket(
        desk.store, agent=desk.agent, verification_id=desk.verification,
        request=FilingRequest(kind=TicketKind.EXPEDITED_DEPROVISIONING, subscription_ref="SUB-INT",
                              idempotency_key=key, confirmed=EXPEDITED_CHECKLIST),
    )
    return result.filed[0].id


def _lifecycle(desk, ticket_id, reason, note):
    for action in (
        lambda: record_callback(desk.store, agent=desk.agent, ticket_id=ticket_id, note=note),
        lambda: transition(desk.store, actor=desk.supervisor, ticket_id=ticket_id, to=TicketStatus.REJECTED,
                           reason=reason),
        lambda: transition(desk.store, actor=desk.agent, ticket_id=ticket_id, to=TicketStatus.WITHDRAWN,
                           reason=reason),
    ):
        try:
            action()
        except Exception as error:  # noqa: BLE001 - checked
            assert_clear(error)


_LIFECYCLE_KEYS = itertools.count()


@examples()
@given(reason=printable_hostile(), note=printable_hostile())
def test_lifecycle_reasons_and_notes_get_a_clear_answer(desk, reason, note):
    # A fresh pending ticket for every example (a new idempotency key each time, T-3): the first
    # decision is the one that writes the reason.
    ticket_id = _ticket(desk, key=f"life-{next(_LIFECYCLE_KEYS)}")
    _lifecycle(desk, ticket_id, reason, note)
    # Closed either way, so that the next example may file on the same subscription (C-9).
    try:
        transition(desk.store, actor=desk.agent, ticket_id=ticket_id, to=TicketStatus.WITHDRAWN, reason="x")
    except DeskError:
        pass


@pytest.mark.parametrize("bad", ["\ud800", "\x00"], ids=["lone-surrogate", "nul"])
def test_lifecycle_refuses_text_no_database_can_hold(desk, bad):
    ticket_id = _ticket(desk)
    with pytest.raises(InvalidInput) as caught:
        transition(desk.store, actor=desk.supervisor, ticket_id=ticket_id, to=TicketStatus.REJECTED,
                   reason=f"caller {bad} hesitated")
        # InvalidInput naming the field, on both engines (SQLite would store NUL as it is).
    assert_clear(caught.value)


@examples()
@given(org_name=hostile_text(), user_id=hostile_text(), phone=hostile_text(), region=regions())
def test_find_organizations_answers_handles_or_a_clear_refusal(desk, org_name, user_id, phone, region):
    try:
        handles = find_organizations(desk.store, org_name=org_name, user_id=user_id, phone=phone, region=region)
    except Exception as error:  # noqa: BLE001 - checked
        assert_clear(error, org_name, user_id, phone)
        return
    assert all(h.ref.startswith("ORG-") for h in handles)


def _hostile_claims(text):
    good = testkit.Directory.claim(None)
    address = st.builds(Address, street_lines=st.lists(text, max_size=3).map(tuple), city=text, region=text,
                        postal_code=text, country=st.one_of(st.just("GB"), text))
    return st.builds(
        CallerClaim,
        user_id=st.one_of(st.just(good.user_id), text), phone=st.one_of(st.just(good.phone), text),
        contact_first_name=st.one_of(st.just("Ann"), text), contact_last_name=st.one_of(st.just("Admin"), text),
        org_name=st.one_of(st.just(good.org_name), text), address=st.one_of(st.just(good.address), address),
        org_url=st.one_of(st.just(good.org_url), text),
    )


@examples()
@given(claim=_hostile_claims(hostile_text()))
def test_verify_caller_hostile_claims_fail_or_are_refused_clearly(desk, claim):
    try:
        result = verify_caller(desk.store, agent=desk.agent2, organization_id=desk.org.id, claim=claim)
    except Exception as error:  # noqa: BLE001 - checked
        assert_clear(error, claim.user_id, claim.phone, claim.org_name, claim.org_url)
        return
    assert not result.passed or claim == testkit.Directory.claim(None) or result.verification_id


@examples()
@given(name=hostile_text(), pin=hostile_text())
def test_sign_in_with_any_name_and_pin_is_refused_clearly(desk, name, pin):
    from tickets.agents import authenticate

    try:
        agent = authenticate(desk.store, name=name, pin=pin)
    except Exception as error:  # noqa: BLE001 - checked
        assert_clear(error, name, pin)
        return
    assert (agent.name, pin) in {("ada", "1111"), ("alan", "3333"), ("grace", "2222"), ("linus", "4444")}
