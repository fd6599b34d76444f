"""The real `deskapp` process on a pseudo-terminal, typed at in bursts of 0 to 5 ms a key,
as a fast agent types: every key lands where it would land if typed one at a time with a pause.

The long version (every kind, at least 50 calls, also on a loaded machine) is the type-ahead
drill: `.venv/bin/python tests/drills/typeahead.py`.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime

from desk_terminal import (
    CTRL_S,
    ENTER,
    EXPEDITED,
    TAB,
    DeskTerminal,
    calls,
    check_review,
    check_ticket,
    field_on_screen,
    run_call,
    run_review,
)


def test_sign_in_burst_typed_while_the_database_opens(tmp_path):
    """`ada` Tab `1111` Enter in one burst, sent as soon as the sign-in form shows (the database
    still opening): the name and PIN land in their fields and the Enter waits for the database."""
    with DeskTerminal.demo(tmp_path) as desk:
        assert desk.wait_for("Sign in to the cancellations desk")
        desk.type("ada", TAB, "1111", ENTER, max_gap_ms=0)
        assert desk.wait_for("Ready for the next call"), desk.text()
        assert "Ada Lovelace (ada, agent)" in desk.text()


def test_whole_calls_in_bursts_file_the_tickets_typed(tmp_path):
    """Three whole calls (an end-of-term cancellation, a migration with its fields, a batch
    unsubscription), each in three bursts: 0 keys misrouted or lost, on screen and in the store."""
    from tickets.store.database import Store

    now = datetime.now(UTC)
    rng = random.Random(11)
    chosen = [
        c for c in calls(now) if c.kind in ("cancel_end_of_term", "migration_on_premises", "unsubscribe_resource")
    ]
    with DeskTerminal.demo(tmp_path) as desk:
        assert desk.wait_for("Demo: sign in")
        desk.type("ada", TAB, "1111", ENTER, rng=rng)
        assert desk.wait_for("Ready for the next call")
        results = [run_call(desk, call, rng, now) for call in chosen]
        store = Store.from_url(desk.database_url)
        try:
            seen: set[int] = set()
            for result in results:
                check_ticket(store, result.call, result, seen)
        finally:
            store.dispose()
    problems = [p for r in results for p in r.problems]
    assert sum(r.missed for r in results) == 0, "\n".join(problems)
    assert sum(r.keys for r in results) > 500


def test_keys_typed_across_screen_changes_and_workers_then_a_burst_after_ctrl_s(tmp_path):
    """`n` then the organization name at once (a screen push), then Enter twice (a search worker,
    then the verification screen): every character is in the right field. Then, in the same
    console (one start for two checks), the rest of the form, and ctrl+s then Tab Down Down
    Enter at once on the complete form: the keys wait for the verification and the account,
    then open the third ticket kind of the subscription."""
    with DeskTerminal.demo(tmp_path) as desk:
        assert desk.wait_for("Demo: sign in")
        desk.type("ada", TAB, "1111", ENTER, "n", "Fabrikam UK Ltd", ENTER, ENTER,
                  "james.oconnor@fabrikam.co.uk", TAB, "0161 496 0101", TAB, "James", TAB, "O'Connor", max_gap_ms=0)
        assert desk.wait_for("O'Connor"), desk.text()
        text = desk.text()
        assert field_on_screen(text, "Sign-in user ID") == "james.oconnor@fabrikam.co.uk"
        assert field_on_screen(text, "Contact first name") == "James"
        assert field_on_screen(text, "Contact last name") == "O'Connor"

        desk.type(TAB, "Fabrikam UK Ltd", TAB, "Unit 4, Pomona Strand", TAB, TAB, "Manchester", TAB,
                  "Greater Manchester", TAB, "M16 0BA", TAB, "GB", max_gap_ms=2)
        assert desk.wait_for("M16 0BA")
        desk.type(CTRL_S, TAB, "\x1b[B", "\x1b[B", ENTER, max_gap_ms=0)
        assert desk.wait_for("Expedited deprovisioning ·"), desk.text()


def test_supervisor_review_in_bursts_records_the_callback_and_approves(tmp_path):
    """ada files the Fabrikam expedited deprovisioning (X-2: a second person approves, V-8: a
    callback first); then, in bursts, sign out (asked first), sign in as linus, `r`, `c` with a
    note, Enter, `a` `y`: the note shows in its field as typed, and the database has the ticket
    approved by linus with his callback and that note."""
    from tickets.store.database import Store

    now = datetime.now(UTC)
    rng = random.Random(8)
    with DeskTerminal.demo(tmp_path) as desk:
        assert desk.wait_for("Demo: sign in")
        desk.type("ada", TAB, "1111", ENTER, rng=rng)
        assert desk.wait_for("Ready for the next call")
        filed = run_call(desk, EXPEDITED, rng, now)
        result = run_review(desk, rng)
        store = Store.from_url(desk.database_url)
        try:
            check_ticket(store, EXPEDITED, filed, set())
            check_review(store, result)
        finally:
            store.dispose()
    problems = filed.problems + result.problems
    assert filed.missed + result.missed == 0, "\n".join(problems)
    assert result.keys > 50
