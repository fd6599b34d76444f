"""The load test's keeping-up check judges the writes due in the window against those
done in it. The old check (writes done >= 85% of the writes the window's arrivals bring) failed
points that kept up whenever the warm-up was shorter than a call (--quick: 2 s, calls of
4.5 s): the calls in progress had not reached their steady number when the window opened."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from load_model import WRITES, Plan, WorkerReport, _Worker  # noqa: E402
from loadtest import KEEPING_UP, P99_LIMIT, keeps_up, within_limit  # noqa: E402

from tickets.enums import TicketKind  # noqa: E402


def _figures(**changes):
    out = {"worst_p99_ms": 40.0, "errors": {}, "out_of_work": 0, "abandoned": 0, "writes_s": 100.0,
           "writes_due_s": 100.0}
    out.update(changes)
    return out


def test_the_criterion_on_figures():
    assert keeps_up(100.0, 100.0) and keeps_up(KEEPING_UP * 100.0, 100.0)
    assert not keeps_up(80.0, 100.0)
    assert within_limit(_figures())
    assert not within_limit(_figures(writes_s=50.0))
    assert not within_limit(_figures(worst_p99_ms=P99_LIMIT * 1000 + 1))
    assert not within_limit(_figures(errors={"file": 1}))
    assert not within_limit(_figures(abandoned=1))
    assert not within_limit(_figures(out_of_work=1))


def _instant_api(monkeypatch):
    """The tickets API the load model calls, answering at once: a centre that always keeps up."""
    import load_model

    import tickets.account
    import tickets.agents
    import tickets.filing
    import tickets.store.queries
    import tickets.verification

    monkeypatch.setattr(load_model, "claim_for", lambda org: None)
    decision = SimpleNamespace(kind=TicketKind.CANCEL_EARLY, checklist=())
    view = SimpleNamespace(subscription=lambda ref: SimpleNamespace(decisions=(decision,)))
    monkeypatch.setattr(tickets.agents, "get_agent", lambda store, agent_id: SimpleNamespace(id=agent_id))
    monkeypatch.setattr(tickets.verification, "start_call", lambda store, agent: 1)
    monkeypatch.setattr(tickets.verification, "verify_caller",
                        lambda store, **kw: SimpleNamespace(passed=True, verification_id=1))
    monkeypatch.setattr(tickets.verification, "end_call", lambda *a: None)
    monkeypatch.setattr(tickets.account, "account_view", lambda store, **kw: view)
    monkeypatch.setattr(tickets.filing, "file_ticket", lambda store, **kw: SimpleNamespace(filed=()))
    monkeypatch.setattr(tickets.store.queries, "list_tickets", lambda store, **kw: None)


def _run_worker(tmp_path, *, agents: int, pool: int, warmup: float, seconds: float) -> tuple[Plan, WorkerReport]:
    """One real load-model worker, a call every 0.5 s per agent, think times scaled by 0.1."""
    now = time.time()
    plan = Plan(url=f"sqlite:///{tmp_path / 'unused.db'}", pool=pool, agent_ids=list(range(1, agents + 1)),
                work=[(1, f"SUB-{n}", {}) for n in range(2000)], interval=0.5, epoch=now, start=now + 0.2,
                warmup=warmup, seconds=seconds, seed=3, think_scale=0.1)
    report = WorkerReport()
    worker = _Worker(plan, report)
    try:
        asyncio.run(worker.run())
    finally:
        worker.close()
    return plan, report


def test_a_centre_that_keeps_up_passes_with_a_window_opening_before_calls_are_steady(monkeypatch, tmp_path):
    _instant_api(monkeypatch)
    # Calls of about 0.45 s (the model's 4.5 s, think times scaled by 0.1), no warm-up at all and a
    # window of 0.8 s: the harshest case of a warm-up shorter than a call.
    plan, report = _run_worker(tmp_path, agents=60, pool=4, warmup=0.0, seconds=0.8)
    assert report.errors == {}, report.error_samples
    done, due = report.writes_in_window / plan.seconds, report.writes_due_in_window / plan.seconds
    brought = len(WRITES) * report.measured_arrivals / plan.seconds
    assert report.measured_arrivals > 40
    assert keeps_up(done, due), (done, due)
    # What the old check compared: the writes done fall well short of those the arrivals bring.
    assert done < KEEPING_UP * brought, (done, brought)


def test_a_centre_that_falls_behind_fails(monkeypatch, tmp_path):
    """Each call's first write takes 0.1 s on a single thread: the writes pile up past the window."""
    _instant_api(monkeypatch)
    import tickets.verification

    def slow_start(store, agent):
        time.sleep(0.1)
        return 1

    monkeypatch.setattr(tickets.verification, "start_call", slow_start)
    plan, report = _run_worker(tmp_path, agents=20, pool=1, warmup=0.2, seconds=0.5)
    assert not keeps_up(report.writes_in_window / plan.seconds, report.writes_due_in_window / plan.seconds)
