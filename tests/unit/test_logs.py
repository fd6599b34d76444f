"""deskapp.logs: a rotating file in the user's state directory; stacks without messages."""

from __future__ import annotations

import logging

import deskapp.logs as logs
from tickets.errors import InvalidInput


def _fail(typed: str) -> BaseException:
    try:
        try:
            raise ValueError(f"bad phone {typed}")
        except ValueError as inner:
            raise InvalidInput({"phone": f"{typed} is not a number"}, rule="V-3") from inner
    except InvalidInput as error:
        return error


def test_the_log_lives_in_the_state_directory_and_rotates(monkeypatch):
    monkeypatch.setattr(logs, "MAX_BYTES", 2_000)
    monkeypatch.setattr(logs, "_handler", None)
    path = logs.setup_logging()
    assert path == logs.log_file() and "state" in str(path) and path.name == "deskapp.log"
    for _ in range(40):
        logs.log_failure("worker verify", _fail("+44 20 7946 0958"))
    logging.getLogger("deskapp").handlers[-1].flush()
    rotated = sorted(p.name for p in path.parent.iterdir())
    assert rotated[:3] == ["deskapp.log", "deskapp.log.1", "deskapp.log.2"]
    assert len(rotated) <= 1 + logs.BACKUPS
    assert all(p.stat().st_size <= 2_000 + 1_500 for p in path.parent.iterdir())


def test_a_chained_failure_keeps_both_stacks_the_rule_and_field_but_no_value(monkeypatch):
    monkeypatch.setattr(logs, "_handler", None)
    path = logs.setup_logging()
    logs.log_failure("worker verify", _fail("+44 20 7946 0958"))
    text = path.read_text(encoding="utf-8")
    assert "worker verify failed: tickets.errors.InvalidInput rule=V-3 field=phone" in text
    assert "builtins.ValueError\nwhich caused:\nTraceback" in text and text.count("in _fail") == 2
    assert "7946" not in text, text
