"""The rule catalog (tickets.policy.catalog): every rule of the spec names the one function
that implements it, and that function is on the live path: calling the desk's public API runs
it, and the rule's ID is in the reason the API gives."""

from __future__ import annotations

import inspect
import io
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from types import CodeType

import pytest
from policy_factories import NOW, cancelled, days, make_caller, make_campaign, make_res, make_sub, make_ticket
from sqlmodel import select

import testkit
from tickets.enums import CampaignState, Channel, Product, Role, SubscriptionState, TicketKind, TicketStatus
from tickets.errors import Conflict, InvalidInput, NotAllowed
from tickets.export.run import write_export
from tickets.filing import FilingRequest, file_ticket
from tickets.lifecycle import approve, record_callback, transition
from tickets.policy import RULES, decide, decide_batch, decide_resource, validate_filing
from tickets.policy.catalog import DATABASE_CATALOG, RULE_CATALOG, implementation
from tickets.store.models import AuditEvent
from tickets.verification import find_organizations, start_call, verify_caller

# Every rule ID of ../shared/spec/domain.md, copied here so the test needs nothing outside
# the repository: when the spec gains a rule, add its ID here and its function to the catalog.
SPEC_RULE_IDS = (
    "V-1 V-2 V-3 V-4 V-5 V-6 V-7 V-8 "
    "C-1 C-2 C-3 C-4 C-5 C-6 C-7 C-8 C-9 "
    "X-1 X-2 X-3 "
    "M-1 M-2 M-3 M-4 "
    "R-1 R-2 R-3 "
    "I-1 I-2 "
    "U-1 U-2 U-3 U-4 "
    "T-1 T-2 T-3 "
    "A-1 "
    "E-1 E-2 E-3"
).split()


def test_every_spec_rule_is_in_the_catalog_and_nothing_else():
    assert len(SPEC_RULE_IDS) == len(set(SPEC_RULE_IDS)) == 40
    assert set(RULE_CATALOG) == set(SPEC_RULE_IDS)


def test_the_policy_rule_data_names_only_spec_rules():
    assert set(RULES) <= set(SPEC_RULE_IDS)


# --- each entry is on the live path --------------------------------------------------------
#
# For every rule: a scenario calls the desk through its public API (the policy's decide, the
# store's verification, filing, lifecycle and export) and returns what the caller of that API
# sees (a Decision, an error, what was written). The test checks that the catalog's function ran
# during the call (a profiler hook records every Python function entered) and that the rule's
# ID is in what was returned: a catalog entry naming a function nothing calls fails here, as
# does a rule whose reason no longer carries its ID.


def traced(scenario: Callable[[], object]) -> tuple[str, set[CodeType]]:
    """Run `scenario`; what it returned or raised, as text, and every code object entered."""
    entered: set[CodeType] = set()

    def profile(frame, event, _arg):
        if event == "call":
            entered.add(frame.f_code)

    sys.setprofile(profile)
    try:
        outcome = repr(scenario())
    except (NotAllowed, InvalidInput, Conflict) as error:
        outcome = f"{type(error).__name__}: {error} (rule {getattr(error, 'rule', None)})"
    finally:
        sys.setprofile(None)
    return outcome, entered


def assert_live(rule_id: str, scenario: Callable[[], object], *, shown: bool = True) -> str:
    function = inspect.unwrap(implementation(rule_id))
    outcome, entered = traced(scenario)
    assert function.__code__ in entered, (
        f"{RULE_CATALOG[rule_id]} is not on the live path of the {rule_id} scenario")
    if shown:
        assert rule_id in outcome, f"{rule_id} is not in what the API gave: {outcome[:500]}"
    return outcome


EARLY, END, X, M, R, IMS = (TicketKind.CANCEL_EARLY, TicketKind.CANCEL_END_OF_TERM,
                            TicketKind.EXPEDITED_DEPROVISIONING, TicketKind.MIGRATION,
                            TicketKind.REVERSAL, TicketKind.IMS_CANCELLATION)
INTUNE, D365, O365 = Product.INTUNE, Product.D365, Product.O365
CALLER, BILLING = make_caller(), make_caller(Role.BILLING_ADMIN)


def _consequences_for_another_date() -> object:
    # T-1: the decision computes the dates (make_consequences); filing with another date than
    # the one they were computed for is refused, naming T-1.
    dec = decide(EARLY, make_sub(D365), BILLING, NOW, requested_date=days(10).date())
    return validate_filing(dec, confirmed={item.key for item in dec.checklist},
                           fields={"requested_date": days(11).date().isoformat()}, now=NOW)


def _migration_filing() -> object:
    dec = decide(M, make_sub(D365), CALLER, NOW)
    return validate_filing(dec, confirmed={"migrate_first", "it_contact_confirmed"}, fields={}, now=NOW)


# Rules the policy decides from facts alone: rule ID -> the public call.
POLICY_SCENARIOS: dict[str, Callable[[], object]] = {
    "V-2": lambda: decide(EARLY, make_sub(D365), make_caller(Role.ADMIN), NOW),
    "V-8": lambda: decide(X, make_sub(INTUNE), CALLER, NOW),
    "C-1": lambda: decide(END, make_sub(INTUNE), CALLER, NOW),
    "C-2": lambda: decide(END, make_sub(INTUNE, channel=Channel.OPEN), CALLER, NOW),
    "C-3": lambda: decide(EARLY, make_sub(INTUNE, channel=Channel.TRIAL), CALLER, NOW),
    "C-4": lambda: decide(EARLY, make_sub(O365), CALLER, NOW),
    "C-5": lambda: decide(EARLY, make_sub(INTUNE, channel=Channel.PRODUCT_KEY), CALLER, NOW,
                          refund_requested=True),
    "C-6": lambda: decide(EARLY, make_sub(O365, licenses_assigned=24, purchased_at=days(-400)), CALLER, NOW),
    "C-7": lambda: decide(EARLY, make_sub(O365, custom_domains=("contoso.cn",)), CALLER, NOW),
    "C-8": lambda: decide(EARLY, make_sub(O365), CALLER, NOW),
    "C-9": lambda: decide(EARLY, make_sub(O365, tickets=(make_ticket(END),)), CALLER, NOW),
    "X-1": lambda: decide(X, make_sub(INTUNE), CALLER, NOW),
    "X-3": lambda: decide(X, make_sub(INTUNE, state=SubscriptionState.DELETED), CALLER, NOW),
    "M-1": lambda: decide(M, make_sub(D365), CALLER, NOW),
    "M-2": lambda: decide(M, make_sub(D365, platform=None), CALLER, NOW),
    "M-3": _migration_filing,
    "M-4": lambda: decide(EARLY, make_sub(D365, tickets=(make_ticket(M, TicketStatus.IN_PROGRESS),)),
                          BILLING, NOW),
    "R-1": lambda: decide(R, make_sub(D365), BILLING, NOW),
    "R-2": lambda: decide(R, cancelled(make_sub(D365, campaigns=(make_campaign(state=CampaignState.CANCELLED),)),
                                       days(-2)), BILLING, NOW),
    "R-3": lambda: decide(R, cancelled(make_sub(D365), days(-5), data_deleted_at=days(-1)), BILLING, NOW),
    "I-1": lambda: decide(IMS, make_sub(D365), BILLING, NOW),
    "I-2": lambda: decide(IMS, make_sub(D365, campaigns=(make_campaign(),)), BILLING, NOW),
    "U-1": lambda: decide_resource(make_res(invoice_issued=True), CALLER, NOW),
    "U-2": lambda: decide_batch([make_res(1), make_res(2)], CALLER, NOW),
    "U-3": lambda: decide_resource(make_res(), CALLER, NOW),
    "U-4": lambda: decide_resource(make_res(), CALLER, NOW),
    "T-1": _consequences_for_another_date,
}


@pytest.mark.parametrize("rule_id", sorted(POLICY_SCENARIOS))
def test_each_policy_rule_is_decided_by_its_catalog_function_and_named_in_the_reason(rule_id):
    assert_live(rule_id, POLICY_SCENARIOS[rule_id])


# Rules the store applies (verification, filing, the lifecycle, the audit trail, the export):
# rule ID -> scenario(directory). `shown` is False where the API returns no worded reason (the
# name is normalised, the event appended, the export written): its effect is checked instead.
def _file(directory, key: str = "k1", **changes) -> object:
    values = dict(kind=EARLY, subscription_ref="SUB-INT", idempotency_key=key,
                  confirmed=frozenset({"remove_domains", "update_dns", "save_data"}))
    values.update(changes)
    return file_ticket(directory.store, agent=directory.agent, verification_id=directory.verified(),
                       request=FilingRequest(**values))


def _expedited_approved_by_its_filer(directory) -> object:
    filed = _file(directory, kind=X, confirmed=frozenset(
        {"acknowledge_data_loss", "remove_domains", "update_dns", "save_data"}))
    ticket_id = filed.filed[0].id
    record_callback(directory.store, agent=directory.agent, ticket_id=ticket_id, note="confirmed by phone")
    return approve(directory.store, supervisor=directory.agent, ticket_id=ticket_id)


def _three_failures(directory) -> object:
    call_id = start_call(directory.store, directory.agent)
    for _ in range(3):
        verify_caller(directory.store, agent=directory.agent, organization_id=directory.org.id,
                      claim=directory.claim(contact_first_name="Eve"), call_id=call_id)
    with directory.store.read() as session:
        return [e.details for e in session.exec(select(AuditEvent)) if e.action == "organization.locked"]


def _expired_verification(directory) -> object:
    verification = directory.verified()
    directory.store.clock.advance(timedelta(minutes=61))
    return file_ticket(directory.store, agent=directory.agent, verification_id=verification,
                       request=FilingRequest(kind=EARLY, subscription_ref="SUB-INT", idempotency_key="k1"))


def _replayed_differently(directory) -> object:
    _file(directory)
    return _file(directory, refund_requested=True)


def _resolved_while_open(directory) -> object:
    ticket_id = _file(directory).filed[0].id
    return transition(directory.store, actor=directory.agent, ticket_id=ticket_id, to=TicketStatus.RESOLVED)


def _export(directory, *, masked: bool = True) -> str:
    _file(directory, reason="=HYPERLINK(1) moving to another supplier")
    out = io.StringIO()
    count = write_export(directory.store, out, fmt="csv", masked=masked, actor=directory.supervisor)
    return f"{count} records: {out.getvalue()}"


STORE_SCENARIOS: dict[str, tuple[Callable[..., object], bool, Callable[[str], bool]]] = {
    # rule: (scenario, rule ID shown in what it returns, the effect seen in what it returns)
    "V-1": (lambda d: verify_caller(d.store, agent=d.agent, organization_id=d.org.id,
                                    claim=d.claim(contact_first_name="Eve")), False,
            lambda out: "passed=False" in out),
    "V-3": (lambda d: find_organizations(d.store, org_name="  FABRIKAM   ltd. "), False,
            lambda out: "ORG-T1" in out),
    "V-4": (lambda d: verify_caller(d.store, agent=d.agent, organization_id=d.org.id,
                                    claim=d.claim(phone="12")), True, lambda out: "phone" in out),
    "V-5": (_three_failures, True, lambda out: "locked_until" in out),
    "V-6": (lambda d: _file(d, reason="caller said password is Hunter2!xyz"), True, lambda out: True),
    "V-7": (_expired_verification, True, lambda out: "expired" in out),
    "X-2": (_expedited_approved_by_its_filer, True, lambda out: True),
    "T-2": (_resolved_while_open, True, lambda out: "cannot become resolved" in out),
    "T-3": (_replayed_differently, True, lambda out: "Conflict" in out),
    "A-1": (lambda d: _file(d), False, lambda out: "TK-" in out),
    "E-1": (_export, False, lambda out: "1 records: " in out),
    "E-2": (_export, False, lambda out: "'=HYPERLINK" in out),
    # Unmasked: SQLite's masked export takes its own fast path (tickets.export.sql.write_lines),
    # which streams in batches too; iter_records serves every other export.
    "E-3": (lambda d: _export(d, masked=False), False, lambda out: "cancel_early" in out),
}


@pytest.mark.parametrize("rule_id", sorted(STORE_SCENARIOS))
def test_each_store_rule_is_applied_by_its_catalog_function(rule_id, store):
    scenario, shown, effect = STORE_SCENARIOS[rule_id]
    directory = testkit.Directory(store)
    if store.postgres and rule_id in DATABASE_CATALOG:
        outcome = assert_live_in_database(store, rule_id, lambda: scenario(directory), shown=shown)
    else:
        outcome = assert_live(rule_id, lambda: scenario(directory), shown=shown)
    assert effect(outcome), outcome[:500]


def assert_live_in_database(store, rule_id: str, scenario: Callable[[], object], *, shown: bool) -> str:
    """On PostgreSQL: the database function DATABASE_CATALOG names for `rule_id` ran during the
    scenario (PostgreSQL's own count of its calls, pg_stat_user_functions, with track_functions
    on for the scenario's connections)."""
    from sqlalchemy import text

    function = DATABASE_CATALOG[rule_id]
    with store.engine.connect() as connection:
        database = connection.execute(text("SELECT current_database()")).scalar_one()
        connection.execute(text(f'ALTER DATABASE "{database}" SET track_functions = \'pl\''))
        connection.commit()
    store.engine.dispose()  # the scenario's connections are new: they take the setting

    def calls() -> int:
        with store.engine.connect() as connection:
            connection.execute(text("SELECT pg_stat_clear_snapshot()"))
            return int(connection.execute(text(
                "SELECT coalesce(sum(calls), 0) FROM pg_stat_user_functions WHERE funcname = :f"), {"f": function},
            ).scalar_one())

    try:
        before = calls()
        refused_in = ""
        try:
            outcome = repr(scenario())
        except (NotAllowed, InvalidInput, Conflict) as error:  # as traced() reads a refusal
            outcome = f"{type(error).__name__}: {error} (rule {getattr(error, 'rule', None)})"
            # A function that raises is not counted by PostgreSQL: its refusal names it instead.
            refused_in = getattr(error, "database_context", None) or ""
        store.engine.dispose()  # a backend's function counts reach the statistics when it ends
        deadline = time.monotonic() + 10
        while (after := calls()) <= before and time.monotonic() < deadline:
            store.engine.dispose()
            time.sleep(0.1)
    finally:
        with store.engine.connect() as connection:
            connection.execute(text(f'ALTER DATABASE "{database}" RESET track_functions'))
            connection.commit()
    ran = after > before or f"function {function}(" in refused_in
    assert ran, f"{function} (the database's {rule_id}) did not run in the {rule_id} scenario"
    if shown:
        assert rule_id in outcome, f"{rule_id} is not in what the API gave: {outcome[:500]}"
    return outcome


def test_every_spec_rule_has_a_live_scenario():
    assert set(POLICY_SCENARIOS) | set(STORE_SCENARIOS) == set(SPEC_RULE_IDS)
    assert not set(POLICY_SCENARIOS) & set(STORE_SCENARIOS)


def test_an_unknown_rule_is_a_key_error():
    with pytest.raises(KeyError):
        implementation("Z-9")
