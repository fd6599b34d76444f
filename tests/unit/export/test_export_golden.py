"""E-1 golden test: the default export of the demo data holds no phone number, e-mail address,
full name or street line of the directory, in either format, even where an agent typed the
caller's phone number and address into the free-text reason."""

from __future__ import annotations

import csv
import io
import json
import re

import phonenumbers
import pytest
from sqlmodel import select
from test_export_support import T0, add_ticket

from tickets.demo import DEMO_CALLERS, seed_demo
from tickets.enums import TicketKind, TicketStatus
from tickets.export.run import write_export
from tickets.store.models import Agent, Organization, Person, Subscription


@pytest.fixture
def demo_store(store):
    seed_demo(store, T0)
    with store.read() as session:
        agent = session.exec(select(Agent).where(Agent.name == "ada")).one()
        supervisor = session.exec(select(Agent).where(Agent.name == "linus")).one()
        people = {p.user_id: p for p in session.exec(select(Person))}
        subs = {s.ref: s for s in session.exec(select(Subscription))}
    contacts = sorted(people)
    for n, caller in enumerate(DEMO_CALLERS):
        person, sub = people[caller["user_id"]], subs[caller["subscription_ref"]]
        free_text = (
            f"caller {caller['caller']} asked us to ring {caller['phone']} or write to {caller['user_id']}"
            if n % 2 == 0
            else "customer is moving to another provider"
        )
        add_ticket(
            store, organization_id=person.organization_id, subscription_id=sub.id, agent_id=agent.id,
            person_id=person.id, kind=TicketKind.MIGRATION if sub.product == "d365" else TicketKind.CANCEL_EARLY,
            status=TicketStatus.APPROVED if n % 3 == 0 else TicketStatus.RESOLVED,
            decided_by_id=supervisor.id if n % 3 == 0 else None,
            decision_reason=f"called back on {caller['phone']}" if n % 3 == 0 else None,
            fields={"it_contact": contacts[n]} if sub.product == "d365" else {}, reason=free_text,
            needs_callback=n % 3 == 0,
        )
    return store


def _values(text: str, fmt: str) -> list[str]:
    if fmt == "csv":
        return [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row]
    values: list[str] = []
    for line in text.splitlines():
        for value in json.loads(line).values():
            values.extend(value if isinstance(value, list) else [str(value)])
    return values


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_e1_masked_demo_export_leaks_no_phone_email_name_or_street(demo_store, fmt):
    out = io.StringIO(newline="")
    rows = write_export(demo_store, out, fmt=fmt)
    assert rows == len(DEMO_CALLERS)
    text = out.getvalue()
    values = _values(text, fmt)
    digit_values = [re.sub(r"\D", "", v) for v in values]
    with demo_store.read() as session:
        people = list(session.exec(select(Person)))
        organizations = list(session.exec(select(Organization)))
    lowered = text.lower()
    for person in people:
        national = str(phonenumbers.parse(person.phone_e164).national_number)
        assert len(national) >= 7
        assert person.phone_e164 not in text
        assert not any(national in digits for digits in digit_values), person.phone_e164
        assert person.user_id.lower() not in lowered
        assert f"{person.first_name} {person.last_name}" not in text
    for org in organizations:
        for line in org.street_lines:
            assert line not in text
    # Not vacuous: every ticket has a caller, shown masked.
    callers = {c["user_id"] for c in DEMO_CALLERS}
    assert {p.user_id for p in people} > callers
    assert text.count("***") >= 3 * rows
    assert "@" in text  # masked addresses keep their domain
