"""The early-cancel form on a loaded machine, read from the real terminal: its "Confirm each
item" checklist is drawn with its items from the first frame that shows the form, never as an
empty "nothing to confirm" box while the screen mounts (issue: over 2 s of an empty box under
load)."""

from __future__ import annotations

import random
import subprocess
import sys
import time
from datetime import UTC, datetime

from desk_terminal import CTRL_S, DOWN, ENTER, KIND_ORDER, TAB, DeskTerminal, caller_fields, subscription_index

BURNER = "while True: pass"  # as the type-ahead drill's CPU burners


def empty_box(text: str) -> bool:
    """The checklist drawn without its items: between its heading and the next section (both
    drawn, so the lines between are too: Textual writes a frame top to bottom) only the box's
    border, or its "nothing to confirm" placeholder."""
    if "nothing to confirm" in text:
        return True
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if "Confirm each item" in line), None)
    end = next((i for i, line in enumerate(lines) if "Details" in line), None)
    if start is None or end is None or end <= start:
        return False
    return not any(ch.isalnum() for line in lines[start + 1:end] for ch in line)


def test_the_checklist_is_never_an_empty_box_under_load(tmp_path):
    from tickets.demo import DEMO_CALLERS

    now = datetime.now(UTC)
    caller = next(c for c in DEMO_CALLERS if c["key"] == "o365-support-only")
    keys: list[str] = ["n", caller["org_name"], ENTER, ENTER]
    for i, (_, value) in enumerate(caller_fields(caller)):
        keys += ([TAB] if i else []) + ([value] if value else [])
    rng = random.Random(5)
    with DeskTerminal.demo(tmp_path) as desk:
        assert desk.wait_for("Demo: sign in")
        desk.type("ada", TAB, "1111", ENTER, rng=rng)
        assert desk.wait_for("Ready for the next call")
        desk.type(*keys, rng=rng)
        desk.type(CTRL_S, rng=rng)
        assert desk.wait_for("SUB-0031"), desk.text()
        burners = [subprocess.Popen([sys.executable, "-c", BURNER]) for _ in range(3)]
        try:
            desk.type(*[DOWN] * subscription_index("o365-support-only", "SUB-0031", now), ENTER,
                      *[DOWN] * KIND_ORDER.index("cancel_early"), ENTER, rng=rng)
            frames = empty = 0
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                text = desk.text()
                if "Confirm each item" in text:
                    frames += 1
                    empty += empty_box(text)
                    if "remove the custom domains" in text:
                        break
                time.sleep(0.002)
            else:
                raise AssertionError(f"the form's checklist did not show its items:\n{desk.text()}")
        finally:
            for burner in burners:
                burner.kill()
                burner.wait()
    assert empty == 0, f"{empty} of {frames} frames showed the checklist as an empty box"
