"""The load model's machinery in a few seconds (the real points run in tests/bench):
agent sessions in a worker process over a bounded pool, open-loop arrivals, the warm-up left out
of the figures, and the after-the-fact check: nothing lost, nothing doubled, the counts match
the clients', the chain verified. And the check does catch a lost or a doubled ticket."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import testkit

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from load_db import Databases, check, make_document  # noqa: E402
from loadtest import Point, Settings, run_point  # noqa: E402

pytestmark = pytest.mark.store
AGENTS = 12


@pytest.fixture
def databases(backend, request, tmp_path):
    if backend == "postgresql":
        request.getfixturevalue("postgres_database")  # reachable (else skip, or fail under CI)
        made = Databases.postgresql(testkit.pg_admin_url())
    else:
        made = Databases.sqlite(tmp_path)
    document = make_document(6)  # 48 subscriptions: more than the calls below
    made.build_template(document, AGENTS)
    yield made, document
    made.close()


def test_a_short_load_point_loses_nothing_doubles_nothing_and_keeps_the_chain(databases):
    made, document = databases
    settings = Settings(seconds=2.5, warmup=0.5, workers=2, pool=2, list_share=0.5)
    # A call every 1.5 s per agent (think times shortened alike): about 20 calls in 3 s.
    result = run_point(Point("machinery", made.backend, AGENTS, interval=1.5), settings, made, document)

    assert result["errors"] == {}, result["error_samples"]
    assert result["calls"] >= 8 and result["tickets"] == result["calls"] == result["db_tickets"]
    assert (result["lost"], result["doubled"], result["unreported"]) == (0, 0, 0)
    assert result["counts_match"], result["counts_text"]
    assert result["filed_events"] == result["tickets"]
    assert result["chain_ok"], result["chain_text"]
    # Warm-up calls were made and checked but not measured; every measured step has its latency.
    measured = result["latency_ms"]
    assert 0 < measured["start"]["n"] < result["calls"]
    assert measured["file"]["n"] == measured["page"]["n"] == measured["verify"]["n"] > 0
    assert 0 < measured["file"]["p50"] <= measured["file"]["p99"]
    assert result["client_cpu"] > 0 and result["writes_s"] > 0


def test_the_check_catches_a_lost_and_a_doubled_ticket(databases):
    made, document = databases
    name, url = made.fresh()
    try:
        nothing = {"filed": [], "started": 0, "ended": 0, "verifications": 0}
        assert check(url, [nothing]).lost == 0
        told = dict(nothing, filed=[(999_999, "never-filed")])  # a filing the database never saw
        assert check(url, [told]).lost == 1
        twice = dict(nothing, filed=[(999_999, "never-filed"), (999_999, "never-filed")])
        found = check(url, [twice])
        assert found.doubled == 1 and not found.counts_match
    finally:
        made.drop(name)


def test_the_raw_prototype_replays_the_products_calls_and_loses_nothing(databases, backend):
    """The saturation target's yardstick (load_raw.py): the product's statements, recorded on a
    copy of the template, sent again by psycopg alone under the same load model, each call with
    its own call and attempt ids: the database's check is the product's."""
    if backend != "postgresql":
        pytest.skip("the prototype replays the PostgreSQL functions' calls")
    from load_raw import Recordings

    made, document = databases
    recordings = Recordings(made, document)
    try:
        recorded = recordings.take(4)
        assert [set(call.steps) for call in recorded] == [{"start", "verify", "page", "file", "list", "end"}] * 4
        assert all(any(s.returns for s in call.steps["start"]) for call in recorded)  # the call's id comes back
        settings = Settings(seconds=2.5, warmup=0.5, workers=2, pool=2, list_share=0.5)
        result = run_point(Point("prototype", "postgresql", AGENTS, interval=1.5, side="prototype"), settings, made,
                           document, recordings)
    finally:
        recordings.close()
    assert result["side"] == "prototype" and result["errors"] == {}, result["error_samples"]
    assert result["calls"] >= 8 and result["tickets"] == result["calls"] == result["db_tickets"]
    assert (result["lost"], result["doubled"], result["unreported"]) == (0, 0, 0)
    assert result["counts_match"], result["counts_text"]
    assert result["chain_ok"], result["chain_text"]
    assert result["latency_ms"]["file"]["n"] > 0 and result["client_cpu"] > 0
