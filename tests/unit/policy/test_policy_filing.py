"""validate_filing: what still blocks a ticket once the decision allows it."""

from __future__ import annotations

from datetime import UTC

import pytest
from policy_factories import NOW, d, days, make_caller, make_res, make_sub

from identity import find_credential
from tickets.enums import Product, Role, TicketKind
from tickets.policy import decide, decide_resource, validate_filing
from tickets.policy.catalog import implementation

BILLING = make_caller(Role.BILLING_ADMIN)


def rules_of(reasons):
    return [r.rule for r in reasons]


def test_refused_decision_cannot_be_filed():
    dec = decide(TicketKind.CANCEL_END_OF_TERM, make_sub(Product.O365), make_caller(), NOW)
    assert validate_filing(dec, confirmed=(), fields={}, now=NOW) == list(dec.reasons)


def test_checklist_items_must_be_confirmed_by_key():
    sub = make_sub(Product.O365, custom_domains=("contoso.cn",))
    dec = decide(TicketKind.CANCEL_EARLY, sub, make_caller(), NOW)
    blocking = validate_filing(dec, confirmed={"update_dns"}, fields={}, now=NOW)
    assert rules_of(blocking) == ["C-7", "C-7"]
    assert blocking[0].text.startswith("not yet confirmed with the caller: remove the custom domains contoso.cn")
    assert validate_filing(dec, confirmed={"remove_domains", "update_dns", "save_data"},
                           fields={}, now=NOW) == []


def test_v1_d365_requested_date_required_in_range_and_matching_the_consequences():
    sub = make_sub(Product.D365)
    keys = {"keep_data_decision"}
    undated = decide(TicketKind.CANCEL_EARLY, sub, BILLING, NOW)
    assert [str(r) for r in validate_filing(undated, confirmed=keys, fields={}, now=NOW)] == [
        "V-1: the day the customer wants Dynamics 365 Sales terminated is required"]
    stale = validate_filing(undated, confirmed=keys, fields={"requested_date": "2026-07-01"}, now=NOW)
    assert rules_of(stale) == ["T-1"]
    dated = decide(TicketKind.CANCEL_EARLY, sub, BILLING, NOW, requested_date=d("2026-07-01"))
    assert validate_filing(dated, confirmed=keys, fields={"requested_date": d("2026-07-01")}, now=NOW) == []
    late = validate_filing(dated, confirmed=keys, fields={"requested_date": "2027-02-01"}, now=NOW)
    assert "V-1: the requested date 2027-02-01 is after the term ends on 2027-01-04" in map(str, late)
    # The clock moves past the requested date before filing.
    moved = validate_filing(dated, confirmed=keys, fields={"requested_date": d("2026-07-01")},
                            now=days(20))
    assert "V-1: the requested date 2026-07-01 is in the past (today is 2026-07-05)" in map(str, moved)
    garbage = validate_filing(dated, confirmed=keys, fields={"requested_date": "soon"}, now=NOW)
    assert rules_of(garbage) == ["V-1"]


def test_m3_transfer_time_in_future_and_it_contact_an_email():
    dec = decide(TicketKind.MIGRATION, make_sub(Product.D365), make_caller(), NOW)
    keys = {"migrate_first", "it_contact_confirmed"}
    ok = {"transfer_at": days(2), "it_contact": "it@contoso.cn"}
    assert validate_filing(dec, confirmed=keys, fields=ok, now=NOW) == []
    assert validate_filing(dec, confirmed=keys, fields={**ok, "transfer_at": days(2).isoformat()},
                           now=NOW) == []
    missing = validate_filing(dec, confirmed=keys, fields={}, now=NOW)
    assert [str(r) for r in missing] == ["M-3: the transfer time is required",
                                         "M-3: the IT contact's e-mail address is required"]
    past = validate_filing(dec, confirmed=keys, fields={**ok, "transfer_at": NOW}, now=NOW)
    assert [str(r) for r in past] == [
        "M-3: the transfer time must be in the future: 2026-06-15 12:00 UTC is not"]
    bad = validate_filing(dec, confirmed=keys, fields={**ok, "it_contact": "it at contoso"}, now=NOW)
    assert rules_of(bad) == ["M-3"] and "must be an e-mail address" in bad[0].text
    naive = validate_filing(dec, confirmed=keys,
                            fields={**ok, "transfer_at": days(1).replace(tzinfo=None)}, now=NOW)
    assert naive == []  # naive is read as UTC
    assert days(1).tzinfo is UTC


def test_u2_reason_required_and_no_passwords_in_it():
    dec = decide_resource(make_res(), make_caller(), NOW)
    keys = {"confirm_unsubscription"}
    assert [str(r) for r in validate_filing(dec, confirmed=keys, fields={"reason": "  "}, now=NOW)] == [
        "U-2: the unsubscription reason is required"]
    assert validate_filing(dec, confirmed=keys, fields={"reason": "project ended"}, now=NOW) == []
    leak = validate_filing(dec, confirmed=keys, fields={"reason": "my password: hunter2"}, now=NOW)
    assert rules_of(leak) == ["V-6"]
    unconfirmed = validate_filing(dec, confirmed=(), fields={"reason": "x"}, now=NOW)
    assert rules_of(unconfirmed) == ["U-2"]


# identity.find_credential and the policy's filing check used to disagree on these.
# Decided by V-6 ("refuse free text that looks like a credential"): a sentence about a password
# is not one; a value after a password word is, in any language; so are PINs and
# generated-looking tokens. Now there is one check, and both places give its answer.
@pytest.mark.parametrize(
    ("text", "refused"),
    [
        ("the password is reset by IT", False),
        ("kennwort: abc", True),
        ("Kennwort ist geändert", False),
        ("mot de passe: soleil", True),
        ("contraseña: gato", True),
        ("密码：abc123", True),
        ("密码是abc123", True),
        ("PIN 1234 given", True),
        ("Tr0ub4dor&3 was said", True),
    ],
)
def test_v6_one_answer_for_free_text_in_identity_and_in_filing(text, refused):
    assert bool(find_credential(text)) is refused
    assert implementation("V-6") is find_credential
    decision = decide_resource(make_res(), make_caller(), NOW)
    problems = validate_filing(decision, confirmed={"confirm_unsubscription"}, fields={"reason": text}, now=NOW)
    assert [p.rule for p in problems] == (["V-6"] if refused else [])
