"""Two supervisors' consoles, two real `deskapp` processes on one database (SQLite, then
PostgreSQL): margaret opens the review queue, then linus does; his console names her and the
time she opened the ticket, hers does not name him until she reads it again. When she leaves
the queue, his next look no longer names her."""

from __future__ import annotations

import re
import time

from desk_queue import console, needs_engine, queue_database, shows_ticket, sign_in
from desk_terminal import ESC


def flat(desk) -> str:
    """The ticket pane's text (right of the queue at 100 columns), its line breaks and hanging
    indents taken out: the pane wraps."""
    pane = [line.split("▏", 1)[1] for line in desk.text().splitlines() if "▏" in line]
    return " ".join(" ".join(pane).split())


def says(desk, pattern: str, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if re.search(pattern, flat(desk)):
            return True
        time.sleep(0.05)
    return False


def test_two_consoles_see_who_has_the_ticket_open(tmp_path, backend):
    engine = needs_engine(backend)
    with queue_database(tmp_path, engine, 3) as (url, ids):
        with console(url, tmp_path / "margaret") as hers, console(url, tmp_path / "linus") as his:
            sign_in(hers, "margaret", "4444")
            hers.type("r")
            assert shows_ticket(hers, ids[0], timeout=30), hers.text()
            sign_in(his, "linus", "3333")
            his.type("r")
            assert shows_ticket(his, ids[0], timeout=30), his.text()
            assert says(his, r"Also open by Margaret Hamilton since \d{4}-\d\d-\d\d \d\d:\d\d UTC"), his.text()
            hers.type("r")  # she reads it again: now he is named on hers
            assert says(hers, "Also open by Linus Pauling since"), hers.text()
            hers.type(ESC)
            assert hers.wait_for("Ready for the next call", timeout=10), hers.text()
            deadline = time.monotonic() + 15
            while "Also open by" in flat(his) and time.monotonic() < deadline:
                his.type("r")  # her row goes in a worker as she leaves: look again until it has
                shows_ticket(his, ids[0], timeout=5)
            assert "Also open by" not in flat(his), his.text()
