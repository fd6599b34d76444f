"""A differential check of `tickets.filing.file_ticket` on SQLite: one fixed sequence of filings
(desks in UTC and in Asia/Shanghai; allowed, replayed, refused, T-3 clashes, V-6 and V-7
refusals, a batch, typed times, a signed-in session and a bogus one), each outcome written out
with every ticket row, every new audit event and the chain's head after it. Run it on two
versions of the code and compare the files: they must be byte-identical.

    python tests/bench/filing_differential.py OUT.jsonl           # this checkout
    PYTHONPATH=/tmp/main-src python tests/bench/filing_differential.py MAIN.jsonl
    cmp OUT.jsonl MAIN.jsonl
"""

from __future__ import annotations

import json
import random
import secrets
import sqlite3
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: testkit

import testkit  # noqa: E402
from tickets.agents import AgentInfo, authenticate, set_agent_active  # noqa: E402
from tickets.clock import FixedClock  # noqa: E402
from tickets.enums import TicketKind  # noqa: E402
from tickets.filing import FilingRequest, file_ticket  # noqa: E402
from tickets.store.database import Store, make_engine  # noqa: E402
from tickets.store.schema import upgrade  # noqa: E402
from tickets.verification import end_call  # noqa: E402

# PIN salts and session tokens drawn in order from a seeded generator: the same on both runs.
_random = random.Random(1)
secrets.token_bytes = lambda n=32: _random.randbytes(n)
secrets.token_hex = lambda n=32: _random.randbytes(n).hex()

CHECKS = frozenset({"remove_domains", "update_dns", "save_data"})


def _outcome(run) -> dict:
    try:
        result = run()
    except Exception as error:  # the refusal itself is the outcome compared
        return {"error": type(error).__name__, "text": str(error), "rule": getattr(error, "rule", None),
                "details": getattr(error, "details", None) or getattr(error, "errors", None)}
    return {"filed": [[t.id, t.ref, t.kind.value, t.status.value, t.resource_ref] for t in result.filed],
            "refused": [[ref, [str(r) for r in reasons]] for ref, reasons in result.refused],
            "replayed": result.replayed}


class Recorder:
    def __init__(self, path: Path, out) -> None:
        self.db = sqlite3.connect(path)
        self.out = out
        self.seq = 0

    def step(self, name: str, run) -> None:
        outcome = _outcome(run)
        tickets = [list(r) for r in self.db.execute("SELECT * FROM ticket ORDER BY id")]
        events = [list(r) for r in self.db.execute("SELECT * FROM audit_event WHERE seq > ? ORDER BY seq", (self.seq,))]
        head = list(self.db.execute("SELECT seq, hash FROM audit_head").fetchone())
        self.seq = head[0]
        self.out.write(json.dumps({"step": name, "outcome": outcome, "tickets": tickets, "events": events,
                                   "head": head}, default=str, ensure_ascii=False) + "\n")


def scenario(zone_name: str, work: Path, out) -> None:
    path = work / f"{zone_name.replace('/', '_')}.db"
    clock = FixedClock(testkit.T0)
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    store = Store(engine, clock, zone=ZoneInfo(zone_name))
    d = testkit.Directory(store)
    rec = Recorder(path, out)
    agent: AgentInfo = d.agent

    def file(key: str, v: int, who: AgentInfo | None = None, **changes):
        values = dict(kind=TicketKind.CANCEL_EARLY, subscription_ref="SUB-INT", idempotency_key=key,
                      confirmed=CHECKS)
        values.update(changes)
        return lambda: file_ticket(store, agent=who or agent, verification_id=v, request=FilingRequest(**values))

    v = d.verified()
    rec.step("early", file("k1", v))
    rec.step("replay", file("k1", v))
    rec.step("t3 clash", file("k1", v, refund_requested=True))
    rec.step("c9", file("k2", v, kind=TicketKind.CANCEL_END_OF_TERM, confirmed=frozenset()))
    rec.step("missing checklist", file("k3", v, subscription_ref="SUB-O365", confirmed=frozenset()))
    rec.step("v6 credential", file("k4", v, subscription_ref="SUB-O365", reason="my password is hunter2!"))
    rec.step("o365 refund reason", file("k5", v, subscription_ref="SUB-O365", refund_requested=True,
                                        reason="moving to another provider, 3 sites", confirmed=frozenset(
                                            {"remove_domains", "update_dns", "save_data", "export_mail"})))
    rec.step("o365 replay", file("k5", v, subscription_ref="SUB-O365", refund_requested=True,
                                 reason="moving to another provider, 3 sites", confirmed=frozenset(
                                     {"remove_domains", "update_dns", "save_data", "export_mail"})))
    rec.step("key too long", file("k" * 61, v))
    rec.step("key not storable", file("k\x00", v))
    rec.step("unknown subscription", file("k6", v, subscription_ref="SUB-NONE"))
    rec.step("requested date", file("k7", v, subscription_ref="SUB-CLD",
                                    requested_date=testkit.T0.date() + timedelta(days=20)))
    rec.step("batch unconfirmed", file("k8", v, kind=TicketKind.UNSUBSCRIBE_RESOURCE, subscription_ref="SUB-CLD",
                                       resource_refs=tuple(f"RES-{i:02d}" for i in (9, 0, 5, 3, 7)),
                                       confirmed=frozenset()))
    rec.step("batch", file("k8", v, kind=TicketKind.UNSUBSCRIBE_RESOURCE, subscription_ref="SUB-CLD",
                           resource_refs=tuple(f"RES-{i:02d}" for i in (9, 0, 5, 3, 7)),
                           reason="budget cut: 4 renewals",
                           confirmed=frozenset({"confirm_unsubscription"})))
    rec.step("batch replay", file("k8", v, kind=TicketKind.UNSUBSCRIBE_RESOURCE, subscription_ref="SUB-CLD",
                                  resource_refs=tuple(f"RES-{i:02d}" for i in (9, 0, 5, 3, 7)),
                                  reason="budget cut: 4 renewals", confirmed=frozenset({"confirm_unsubscription"})))
    rec.step("reversal unconfirmed", file("k9", v, kind=TicketKind.REVERSAL, subscription_ref="SUB-D365",
                                          confirmed=frozenset(), fields={"note": "caller asked twice"}))
    rec.step("reversal", file("k9", v, kind=TicketKind.REVERSAL, subscription_ref="SUB-D365",
                              confirmed=frozenset({"same_identity", "campaigns_not_reinstated"}),
                              fields={"note": "caller asked twice"}))
    rec.step("typed time", file("k10", v, kind=TicketKind.MIGRATION, subscription_ref="SUB-D365",
                                fields={"transfer_at": "2026-12-01 09:30", "it_contact": "it@fabrikam.co.uk"}))
    rec.step("v7 other agent", file("k11", v, who=d.agent2, subscription_ref="SUB-O365"))
    signed = authenticate(store, name="ada", pin="1111")
    v2 = d.verified(signed)
    rec.step("session", file("k12", v2, who=signed, kind=TicketKind.CANCEL_END_OF_TERM, subscription_ref="SUB-CLD",
                             confirmed=frozenset({"turn_off_auto_renew"})))
    bogus = AgentInfo(**{**signed.__dict__, "session": "0" * 64})
    rec.step("bogus session", file("k13", v2, who=bogus))
    set_agent_active(store, "alan", False)
    rec.step("disabled agent", file("k14", v, who=d.agent2))
    clock.advance(timedelta(minutes=61))
    rec.step("v7 expired", file("k15", v, subscription_ref="SUB-O365"))
    v4 = d.verified()
    end_call(store, agent, _call_of(path, v4), "done")
    rec.step("v7 call ended", file("k16", v4, subscription_ref="SUB-O365"))
    v5 = d.verified()
    rec.step("after expiry", file("k17", v5, subscription_ref="SUB-CLD", requested_date=date(2027, 1, 4)))
    store.dispose()


def _call_of(path: Path, verification_id: int) -> int:
    db = sqlite3.connect(path)
    try:
        return db.execute("SELECT call_id FROM verification_attempt WHERE id = ?", (verification_id,)).fetchone()[0]
    finally:
        db.close()


def main(out_path: str) -> None:
    with tempfile.TemporaryDirectory() as work, open(out_path, "w") as out:
        for zone in ("UTC", "Asia/Shanghai"):
            scenario(zone, Path(work), out)


if __name__ == "__main__":
    main(sys.argv[1])
