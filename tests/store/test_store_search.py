"""tickets.search: a ticket number, an organization ref or name, a caller's user ID; on both
engines, over the demo directory."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from testkit import file_demo_ticket as file_ticket
from tickets.errors import InvalidInput
from tickets.search import search
from tickets.store.models import Organization, ticket_ref


def test_by_ticket_number_in_any_form(demo_store):
    tid = file_ticket(demo_store, user_id="raj.kumar@northwindtraders.co.uk")
    for text in (ticket_ref(tid), ticket_ref(tid).lower(), f"TK{tid}", str(tid), f" {ticket_ref(tid)} "):
        result = search(demo_store, text)
        assert result.taken_as == "ticket number" and [t.id for t in result.tickets] == [tid], text
    assert search(demo_store, "TK-999999").empty


def test_by_organization_ref_and_name(demo_store):
    tid = file_ticket(demo_store, user_id="raj.kumar@northwindtraders.co.uk")
    with demo_store.read() as session:
        org = session.exec(select(Organization).where(Organization.ref == "ORG-0003")).one()
    result = search(demo_store, "org-0003")
    assert result.taken_as == "organization ref"
    assert [o.ref for o in result.organizations] == ["ORG-0003"] and [t.id for t in result.tickets] == [tid]
    result = search(demo_store, "northwind")  # part of the name, any case
    assert result.taken_as == "organization name" and [o.name for o in result.organizations] == [org.name]
    assert [t.id for t in result.tickets] == [tid]
    several = search(demo_store, "Ltd")
    assert len(several.organizations) > 1 and several.tickets == ()  # choose an organization first
    assert search(demo_store, "100%_").empty  # LIKE wildcards are matched as themselves


def test_by_caller_user_id_shows_only_their_tickets(demo_store):
    mine = file_ticket(demo_store, user_id="raj.kumar@northwindtraders.co.uk")
    file_ticket(demo_store, user_id="james.oconnor@fabrikam.co.uk")
    result = search(demo_store, "  Raj.Kumar@NorthwindTraders.co.uk ")
    assert result.taken_as == "caller user ID" and result.organizations == ()
    assert [t.id for t in result.tickets] == [mine]
    # In the directory but no tickets: the same answer as a stranger (V-4).
    assert search(demo_store, "margaret.jones@northwindtraders.co.uk").empty
    assert search(demo_store, "nobody@example.com").empty


@pytest.mark.parametrize("text", ["", "   ", "x@", "a" * 400])
def test_bad_text_names_the_field(demo_store, text):
    with pytest.raises(InvalidInput) as caught:
        search(demo_store, text)
    assert "search:" in str(caught.value)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=40))
def test_any_text_is_a_result_or_one_invalid_input(demo_store, text):
    try:
        result = search(demo_store, text)
    except InvalidInput as error:
        assert str(error).startswith("search: ")
    else:
        assert result.taken_as in {"ticket number", "organization ref", "organization name", "caller user ID"}
