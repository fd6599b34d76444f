"""`deskapp export ... | head -1` through a real shell pipe: the reader takes one line and goes
away, and deskapp ends quietly (exit 0, nothing on standard error) every time, as sqlite3 and
git log do. The database holds more than a pipe's buffer (64 KiB) of records, so every run hits
the closed pipe part-way instead of finishing into the buffer."""

from __future__ import annotations

import subprocess
import sys

import pytest
from sqlalchemy import text
from test_export_support import desk_ticket, small_desk

RUNS = 50


@pytest.fixture
def big_desk(store, backend):
    desk_ticket(store, small_desk(store), 0)
    with store.engine.begin() as connection:
        # Free text as filing stores it beside its masked copy, so that every row takes the SQL's
        # lines (a row without it is written by the Python code, which loads SQLAlchemy: 0.8 s a run).
        connection.execute(text("UPDATE ticket SET reason_scrubbed = reason, "
                                "decision_reason_scrubbed = decision_reason"))
        columns = [c for c in connection.execute(text("SELECT * FROM ticket LIMIT 0")).keys() if c != "id"]
        listed = ", ".join(columns)
        for _ in range(11):  # 2**11 = 2,048 tickets, about 0.5 MB of CSV
            picked = listed.replace("idempotency_key", "idempotency_key || '.' || (SELECT MAX(id) FROM ticket)")
            connection.execute(text(f"INSERT INTO ticket ({listed}) SELECT {picked} FROM ticket"))
    return store


@pytest.mark.engine("sqlite")  # the pipe is the command's; one engine is enough
def test_export_into_head_ends_quietly_every_time(big_desk):
    url = big_desk.engine.url.render_as_string(hide_password=False)
    command = (f"{sys.executable} -m deskapp.cli export --format csv --db '{url}' | head -1;"
               " echo \"exit=${PIPESTATUS[0]}\" >&2")
    outcomes = []
    for _ in range(RUNS):
        result = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=120)
        outcomes.append((result.stdout.count("\n"), result.stderr))
    assert outcomes == [(1, "exit=0\n")] * RUNS
    with big_desk.read() as session:
        events = session.execute(text("SELECT action, COUNT(*) FROM audit_event WHERE action LIKE 'export.%'"
                                      " GROUP BY action ORDER BY action")).all()
    assert [tuple(e) for e in events] == [("export.failed", RUNS), ("export.started", RUNS)]
