"""The export screen by keys (E-1): masked by default, unmasked only for a supervisor who
confirms it, filters, a progress bar, the row count and where it wrote; audited."""

from __future__ import annotations

import csv
import json

import pytest
from deskapp_testing import landed_on, make_app, sign_in_as, text_of, wait_until
from sqlmodel import col, select
from test_supervisor_review import file_expedited  # noqa: E402 - the same filing through the core

from tickets.agents import list_agents
from tickets.demo import DEMO_CALLERS
from tickets.store.models import AuditEvent

SIZE = (110, 40)
CALLER = next(c for c in DEMO_CALLERS if c["key"] == "intune-expedited")


@pytest.fixture
def store(seeded):
    return seeded


@pytest.fixture
def agents(store):
    return {a.name: a for a in list_agents(store)}


async def open_export(pilot, name: str):
    from deskapp.screens.export import ExportScreen

    app = pilot.app
    await sign_in_as(pilot, name)
    await pilot.press("x")
    await wait_until(pilot, lambda: landed_on(app, ExportScreen) and app.screen.query("#export-path"))
    await pilot.pause()
    return app.screen


async def type_path(pilot, path) -> None:
    await pilot.press("ctrl+a", "ctrl+k", *str(path))


def last_export_event(store) -> AuditEvent:
    with store.read() as session:
        return session.exec(
            select(AuditEvent).where(AuditEvent.action == "export.created").order_by(col(AuditEvent.seq).desc())
        ).first()


async def test_e1_masked_csv_by_default(store, clock, agents, tmp_path):
    ticket_id = file_expedited(store, agents["ada"])
    target = tmp_path / "tickets.csv"
    app = make_app(store, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_export(pilot, "linus")
        assert "masked (E-1)" in text_of(app, "#export-masking")
        await pilot.press("tab", "tab", "tab", "tab", "tab", "tab")  # to the file name
        assert app.focused.id == "export-path"
        await type_path(pilot, target)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: screen.result is not None)
        await wait_until(pilot, lambda: "1 tickets written to" in text_of(app, "#export-result"))
        assert str(target) in text_of(app, "#export-result")
        assert "masked (E-1)" in text_of(app, "#export-result")
        assert screen.query_one("#export-progress").percentage == 1.0
        await pilot.press("ctrl+s")  # again: the file exists, nothing is overwritten
        await pilot.pause()
        assert "a file of that name exists" in screen.query_one("#field-export-path").message

    with target.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [r["ticket_ref"] for r in rows] == [f"TK-{ticket_id:06d}"]
    assert rows[0]["caller_phone"].startswith("***") and CALLER["user_id"] not in rows[0]["caller_user_id"]
    event = last_export_event(store)
    assert event.actor == "linus" and event.details["masked"] is True and event.details["rows"] == 1
    assert not list(tmp_path.glob("*.part"))
    # the export's anchor (its export.started event) beside the file and in the event.
    sidecar = [p for p in tmp_path.iterdir() if p.name.endswith(".anchor")]
    assert len(sidecar) == 1 and sidecar[0].read_text(encoding="utf-8").split()[0] == event.details["anchor"]


async def test_e1_unmasked_jsonl_with_a_kind_filter_after_confirming(store, clock, agents, tmp_path):
    file_expedited(store, agents["ada"])
    target = tmp_path / "tickets.jsonl"
    app = make_app(store, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_export(pilot, "margaret")
        await pilot.press("enter", "down", "enter")  # format: JSON Lines
        await wait_until(pilot, lambda: screen.query_one("#export-format").value == "jsonl")
        assert screen.query_one("#export-path").value.endswith(".jsonl")
        await pilot.press("tab", "space")  # unmasked
        assert "UNMASKED" in text_of(app, "#export-masking")
        await pilot.press("tab", "tab", *"2026-11-23", "tab")  # created before tomorrow
        await pilot.press("enter", "down", "down", "down", "enter")  # kind: expedited deprovisioning
        await wait_until(pilot, lambda: screen.query_one("#export-kind").value == "expedited_deprovisioning")
        await pilot.press("tab", "tab")
        await type_path(pilot, target)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen.query("#confirm-body"))
        assert "Export personal data unmasked?" in " ".join(str(w.visual) for w in app.screen.query("Static"))
        await pilot.press("y")
        await wait_until(pilot, lambda: screen.result is not None)
        await wait_until(pilot, lambda: "1 tickets written to" in text_of(app, "#export-result"))
        assert "UNMASKED" in text_of(app, "#export-result")

    records = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 1 and records[0]["kind"] == "expedited_deprovisioning"
    assert records[0]["caller_user_id"] == CALLER["user_id"].lower()
    event = last_export_event(store)
    assert event.actor == "margaret" and event.details["masked"] is False
    assert event.details["filters"]["kinds"] == ["expedited_deprovisioning"]
    assert event.details["filters"]["until"] == "2026-11-23T00:00:00Z"


async def test_e1_an_agent_can_only_export_masked(store, clock, agents):
    from deskapp.screens.export import ExportScreen

    app = make_app(store, clock)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in_as(pilot, "ada")
        await pilot.pause()
        app.push_screen(ExportScreen())
        await wait_until(pilot, lambda: landed_on(app, ExportScreen) and app.screen.query("#export-masking"))
        await pilot.pause()
        assert app.screen.query_one("#export-unmasked").disabled
        assert "only supervisors may export unmasked" in text_of(app, "#export-masking")


async def test_the_default_export_file_is_in_the_export_folder_not_the_current_directory(
        store, clock, agents, tmp_path, monkeypatch):
    """The export folder is deskapp.paths.default_export_dir(), created on demand."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    file_expedited(store, agents["ada"])
    app = make_app(store, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_export(pilot, "linus")
        folder = tmp_path / "data" / "deskapp" / "exports"
        assert screen.query_one("#export-path").value == str(folder / "deskapp-tickets-20261122-1200.csv")
        await pilot.press("ctrl+s")  # the default as it stands
        await wait_until(pilot, lambda: "1 tickets written to" in text_of(app, "#export-result"))
    # The export and its audit anchor beside it (tickets.export.run: FILE.anchor).
    assert sorted(p.name for p in folder.iterdir()) == [
        "deskapp-tickets-20261122-1200.csv", "deskapp-tickets-20261122-1200.csv.anchor"]
    assert oct(folder.stat().st_mode & 0o777) == oct(0o700)
    assert not list(tmp_path.glob("*.csv"))  # the tests run in tmp_path: nothing in the current directory


async def test_a_path_under_an_unknown_users_home_is_refused_at_the_field(store, clock, agents):
    """`~nosuchuser/x.csv` ended the app with WorkerFailed."""
    app = make_app(store, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_export(pilot, "linus")
        await pilot.press("tab", "tab", "tab", "tab", "tab", "tab")
        assert app.focused.id == "export-path"
        await type_path(pilot, "~nosuchuser-deskapp/x.csv")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: "no home folder for ~nosuchuser-deskapp" in
                         screen.query_one("#field-export-path").message)
        assert app.is_running and app.screen is screen and screen.result is None
        await type_path(pilot, "~nosuchuser-deskapp")  # without a slash too
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.is_running and "no home folder" in screen.query_one("#field-export-path").message
