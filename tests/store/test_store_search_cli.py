"""`deskapp search TEXT` (and --json): the console's search rules on the command line, the
caller's personal data never printed (E-1, V-4); on both engines, over the demo directory."""

from __future__ import annotations

import json

from deskapp.cli import main
from testkit import file_demo_ticket as file_ticket
from tickets.store.models import ticket_ref


def _url(store) -> str:
    return store.engine.url.render_as_string(hide_password=False)


def _search(store, capsys, *args: str) -> tuple[int, str, str]:
    code = main(["search", *args, "--db", _url(store), "--time-zone", "Asia/Shanghai"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_ticket_number_in_lines_and_json(demo_store, capsys):
    tid = file_ticket(demo_store, user_id="raj.kumar@northwindtraders.co.uk")
    code, out, err = _search(demo_store, capsys, f"tk{tid}")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "taken as ticket number: 1 ticket"
    assert lines[1].startswith(f"{ticket_ref(tid)}  ") and " CST by " in lines[1] and "ORG-0003" in lines[1]
    code, out, _ = _search(demo_store, capsys, str(tid), "--json")
    found = json.loads(out)
    assert code == 0 and found["taken_as"] == "ticket number" and found["organizations"] == []
    (ticket,) = found["tickets"]
    assert ticket["ref"] == ticket_ref(tid) and ticket["organization_ref"] == "ORG-0003"
    assert ticket["created_at"].endswith("+00:00")


def test_an_organization_name_lists_it_and_its_tickets(demo_store, capsys):
    tid = file_ticket(demo_store, user_id="raj.kumar@northwindtraders.co.uk")
    code, out, _ = _search(demo_store, capsys, "northwind")
    lines = out.splitlines()
    assert code == 0 and lines[0] == "taken as organization name: 1 organization, 1 ticket"
    assert lines[1].startswith("ORG-0003  ") and lines[2].startswith(ticket_ref(tid))
    code, out, _ = _search(demo_store, capsys, "Ltd", "--json")
    several = json.loads(out)
    assert len(several["organizations"]) > 1 and several["tickets"] == []


def test_a_caller_user_id_is_echoed_masked_and_an_unknown_one_answers_alike(demo_store, capsys):
    file_ticket(demo_store, user_id="raj.kumar@northwindtraders.co.uk")
    code, out, _ = _search(demo_store, capsys, "Raj.Kumar@northwindtraders.co.uk", "--json")
    found = json.loads(out)
    assert code == 0 and found["taken_as"] == "caller user ID" and len(found["tickets"]) == 1
    assert found["text"] == "R***@northwindtraders.co.uk" and "raj.kumar" not in out.lower()
    # In the directory without tickets, and a stranger: the same answer (V-4), masked too.
    known = _search(demo_store, capsys, "margaret.jones@northwindtraders.co.uk")[1]
    stranger = _search(demo_store, capsys, "nobody@northwindtraders.co.uk")[1]
    assert known == "nothing found for 'm***@northwindtraders.co.uk' (taken as caller user ID)\n"
    assert stranger == "nothing found for 'n***@northwindtraders.co.uk' (taken as caller user ID)\n"
    assert "margaret" not in known


def test_bad_text_is_one_line_naming_the_field(demo_store, capsys):
    code, out, err = _search(demo_store, capsys, "x@")
    assert code == 1 and out == ""
    assert err.startswith("deskapp: error: search: not a valid user ID (V-3)") and err.count("\n") == 1
