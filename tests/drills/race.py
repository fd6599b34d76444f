"""Race drill: agents filing, supervisors approving and rejecting, callers failing verification
and supervisors unlocking, all at once from many processes, on SQLite and on PostgreSQL.

Every process is spawned (its own interpreter, its own connections), waits at one barrier and
then runs its loop as fast as it can:

- agents (ada, alan) verify the caller, then file early cancellations and expedited
  deprovisionings on a *small* shared pool of subscriptions (so that C-9 races are constant),
  record the callback on most expedited tickets (V-8), withdraw some of their open tickets and
  now and then verify again;
- supervisors (grace, linus) take tickets from the review queue and approve or reject them
  (X-2; two supervisors on one ticket: one wins), withdraw approved ones to free the slot, file
  expedited tickets of their own and try to approve them (must be refused: four eyes), and
  unlock organizations with a reason (V-5);
- impostors fail verification on a few organizations as fast as they can (V-5 lockout).

Afterwards drills.common.check_invariants must hold: one open cancellation per subscription,
four eyes, at most 3 failed verifications per organization since its last unlock (in commit
order), a valid chain, exactly one ticket.filed event per ticket and no half-written ticket.
Any error that is not one of the core's own refusals (Conflict, NotAllowed: C-9, T-2, X-2, V-5,
V-8) is a failure: a "database is locked", a deadlock that escaped the retry, an IntegrityError.

    .venv/bin/python tests/drills/race.py --ops 150 --backends sqlite,postgresql
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import sys
import time
import traceback
from collections import Counter
from functools import partial
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import testkit  # noqa: E402
from drills.common import (  # noqa: E402
    EARLY_CHECKLIST,
    EXPEDITED_CHECKLIST,
    DrillDirectory,
    Figures,
    caller_claim,
    check_invariants,
    markdown,
)
from drills.crash import WallClock  # noqa: E402

POOL = 6  # subscriptions every agent files on: constant C-9 races


def _kind_request(kind: str, sub_ref: str, key: str):
    from tickets.enums import TicketKind
    from tickets.filing import FilingRequest

    if kind == "expedited":
        return FilingRequest(kind=TicketKind.EXPEDITED_DEPROVISIONING, subscription_ref=sub_ref,
                             idempotency_key=key, confirmed=EXPEDITED_CHECKLIST)
    return FilingRequest(kind=TicketKind.CANCEL_EARLY, subscription_ref=sub_ref, idempotency_key=key,
                         reason="race drill", confirmed=EARLY_CHECKLIST)


def worker(role: str, index: int, url: str, epoch: float, ids: dict, ops: int, seed: int, barrier) -> dict:
    """One process of the drill; returns its counts and every unexpected error."""
    from sqlmodel import col, select

    from tickets.agents import get_agent
    from tickets.enums import TicketStatus
    from tickets.errors import Conflict, DeskError, NotAllowed
    from tickets.filing import file_ticket
    from tickets.lifecycle import approve, record_callback, reject, transition
    from tickets.store.database import Store, make_engine
    from tickets.store.models import Ticket
    from tickets.store.queries import review_queue
    from tickets.verification import start_call, unlock_organization, verify_caller

    rng = random.Random(seed * 1000 + index)
    store = Store(make_engine(url), WallClock(epoch))
    counts: Counter[str] = Counter()
    unexpected: list[str] = []
    agent = get_agent(store, ids["agents"][index % len(ids["agents"])] if role == "agent"
                      else ids["supervisors"][index % len(ids["supervisors"])] if role == "supervisor"
                      else ids["agents"][index % len(ids["agents"])])

    def verified() -> int:
        call_id = start_call(store, agent)
        result = verify_caller(store, agent=agent, organization_id=ids["org"], claim=caller_claim(), call_id=call_id)
        if not result.passed:
            raise AssertionError(f"the real caller failed verification: {result}")
        return result.verification_id

    def attempt(name: str, action) -> object:
        try:
            value = action()
            counts[name] += 1
            return value
        except (Conflict, NotAllowed) as error:
            counts[f"{name} refused ({error.rule or type(error).__name__})"] += 1
        except DeskError as error:
            unexpected.append(f"{role}{index} {name}: {type(error).__name__}: {error}")
        except Exception as error:  # noqa: BLE001 - every other error is a finding
            unexpected.append(f"{role}{index} {name}: {type(error).__name__}: {str(error).splitlines()[0]}"
                              f" | {traceback.format_exc(limit=-2).splitlines()[-3].strip()}")
        return None

    verification = verified() if role in ("agent", "supervisor") else None
    barrier.wait()
    for op in range(ops):
        sub_ref = ids["pool"][rng.randrange(len(ids["pool"]))]
        key = f"{role}{index}-{op}"
        if role == "agent":
            roll = rng.random()
            if roll < 0.05:
                verification = attempt("verify (pass)", verified) or verification
            elif roll < 0.25:
                with store.read() as session:
                    mine = session.exec(
                        select(Ticket.id).where(Ticket.filed_by_id == agent.id,
                                                col(Ticket.status).in_(["open", "pending_review"]))
                    ).all()
                if mine:
                    ticket_id = rng.choice(mine)
                    attempt(
                        "withdraw",
                        partial(transition,
                            store,
                            actor=agent,
                            ticket_id=ticket_id,
                            to=TicketStatus.WITHDRAWN,
                            reason="caller changed their mind",
                        ),
                    )
            else:
                kind = "expedited" if rng.random() < 0.5 else "early"
                result = attempt(f"file {kind}", partial(file_ticket,
                    store, agent=agent, verification_id=verification, request=_kind_request(kind, sub_ref, key)))
                if result is not None and kind == "expedited" and rng.random() < 0.8:
                    ticket_id = result.filed[0].id
                    attempt(
                        "callback", partial(record_callback, store, agent=agent, ticket_id=ticket_id, note="confirmed")
                    )
        elif role == "supervisor":
            roll = rng.random()
            if roll < 0.55:
                queue = review_queue(store, limit=20).rows
                if queue:
                    ticket_id = rng.choice(queue).id
                    if rng.random() < 0.6:
                        attempt("approve", partial(approve, store, supervisor=agent, ticket_id=ticket_id))
                    else:
                        attempt(
                            "reject",
                            partial(reject, store, supervisor=agent, ticket_id=ticket_id, reason="caller hesitated"),
                        )
            elif roll < 0.7:
                with store.read() as session:
                    approved = session.exec(select(Ticket.id).where(Ticket.status == "approved")).all()
                if approved:
                    ticket_id = rng.choice(approved)
                    attempt(
                        "withdraw approved",
                        partial(transition,
                            store,
                            actor=agent,
                            ticket_id=ticket_id,
                            to=TicketStatus.WITHDRAWN,
                            reason="customer withdrew",
                        ),
                    )
            elif roll < 0.85:
                result = attempt("file own expedited", partial(file_ticket,
                    store, agent=agent, verification_id=verification, request=_kind_request("expedited", sub_ref, key)))
                if result is not None:
                    ticket_id = result.filed[0].id
                    attempt("callback", partial(record_callback, store, agent=agent, ticket_id=ticket_id))
                    attempt(
                        "approve own (must be refused)", partial(approve, store, supervisor=agent, ticket_id=ticket_id)
                    )
            else:
                org_id = rng.choice(ids["lockout_orgs"])
                attempt("unlock", partial(unlock_organization, store, supervisor=agent, organization_id=org_id,
                                                              reason="caller proved identity by letter"))
        else:  # impostor
            org_id = rng.choice(ids["lockout_orgs"])
            claim = caller_claim(user_id=f"lee.lock{ids['lockout_orgs'].index(org_id)}@lockout.example",
                                 phone=f"+44 113 496 01{rng.randrange(100):02d}")
            result = attempt(
                "verify (impostor)", partial(verify_caller, store, agent=agent, organization_id=org_id, claim=claim)
            )
            if result is not None:
                counts["impostor locked out" if result.locked else "impostor failed"] += 1
                if result.passed:
                    unexpected.append(f"impostor{index}: an impostor passed verification")
    store.dispose()
    return {"counts": dict(counts), "unexpected": unexpected}


def run(url: str, *, backend: str, agents: int = 3, supervisors: int = 2, impostors: int = 2, ops: int = 100,
        seed: int = 1, log=print) -> Figures:
    from tickets.store.database import Store, make_engine

    started = time.monotonic()
    figures = Figures(f"race ({backend}, {agents + supervisors + impostors} processes)")
    epoch = time.time()
    store = Store(make_engine(url), WallClock(epoch))
    directory = DrillDirectory(store, extra_subscriptions=POOL, lockout_orgs=3)
    ids = {
        "org": directory.org.id,
        "agents": [directory.agent.id, directory.agent2.id],
        "supervisors": [directory.supervisor.id, directory.supervisor2.id],
        "pool": directory.sub_refs,
        "lockout_orgs": directory.lockout_org_ids,
    }
    roles = ["agent"] * agents + ["supervisor"] * supervisors + ["impostor"] * impostors
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        barrier = manager.Barrier(len(roles))
        with context.Pool(len(roles)) as pool:
            results = pool.starmap(
                worker, [(role, i, url, epoch, ids, ops, seed, barrier) for i, role in enumerate(roles)]
            )
    counts: Counter[str] = Counter()
    for result in results:
        counts.update(result["counts"])
        figures.failures.extend(result["unexpected"])
    figures.runs = sum(counts.values())
    checks, problems = check_invariants(store)
    figures.add(checks, problems)
    store.dispose()
    figures.seconds = time.monotonic() - started
    interesting = ("file early", "file expedited", "approve", "reject", "verify (impostor)", "unlock")
    figures.notes = {
        name: counts[name] for name in interesting if counts[name]
    } | {
        "C-9 refused": sum(v for k, v in counts.items() if "C-9" in k),
        "four eyes refused": counts.get("approve own (must be refused) refused (X-2)", 0),
        "lost decisions": sum(v for k, v in counts.items() if k.startswith(("approve refused", "reject refused"))),
        "locked out": counts["impostor locked out"],
    }
    log(f"race on {backend}: {dict(sorted(counts.items()))}")
    return figures


def main(argv: list[str] | None = None) -> int:
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=150)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    all_figures = []
    for backend in args.backends.split(","):
        if backend == "sqlite":
            workdir = Path(tempfile.mkdtemp(prefix="deskapp-race-"))
            url = testkit.SqliteTemplate(workdir).new_url(workdir)
            all_figures.append(run(url, backend=backend, ops=args.ops, seed=args.seed))
        else:
            database = testkit.PostgresDatabase()
            try:
                database.reset()
                all_figures.append(run(database.url, backend=backend, ops=args.ops, seed=args.seed))
            finally:
                database.drop()
    print(markdown(all_figures))
    for figures in all_figures:
        for failure in figures.failures:
            print("FAILURE:", failure)
    return 0 if all(f.ok for f in all_figures) else 1


if __name__ == "__main__":
    raise SystemExit(main())


# --- the V-5 race, made deterministic ----------------------------------------------------------


class _HookClock:
    """A clock whose first reading lets another desk's attempt run (and commit, if it can)
    before the time is handed back: what happens when a verification reads "now" and then
    waits for the organization's lock while another agent's attempt commits."""

    def __init__(self, at, hook) -> None:
        self.at, self.hook, self.fired = at, hook, False

    def now(self):
        if not self.fired:
            self.fired = True
            self.hook()
        return self.at


def lockout_race(url: str, *, wait: float = 1.5) -> dict:
    """Two failed attempts on an organization, then two more at once: the one that reads the
    clock first commits last. V-5 allows 3 failures; returns the failures recorded and both
    outcomes. With "now" read before the organization's lock, the late reader evaluates a
    4th attempt on an organization that is already locked."""
    import threading
    from datetime import timedelta

    from sqlmodel import func, select

    from tickets.clock import FixedClock
    from tickets.store.database import Store, make_engine
    from tickets.store.models import VerificationAttempt
    from tickets.verification import verify_caller

    t0 = testkit.T0
    setup = Store(make_engine(url), FixedClock(t0))
    directory = DrillDirectory(setup, lockout_orgs=1)
    org_id = directory.lockout_org_ids[0]
    impostor = caller_claim(user_id="lee.lock0@lockout.example")
    for second in (1, 2):
        setup.clock.set(t0 + timedelta(seconds=second))
        verify_caller(setup, agent=directory.agent, organization_id=org_id, claim=impostor)
    outcomes: dict[str, object] = {}

    def other_desk() -> None:
        store_b = Store(make_engine(url), FixedClock(t0 + timedelta(seconds=4)))
        try:
            outcomes["other"] = verify_caller(store_b, agent=directory.agent2, organization_id=org_id, claim=impostor)
        except Exception as error:  # noqa: BLE001 - reported by the caller
            outcomes["other"] = error
        finally:
            store_b.dispose()

    thread = threading.Thread(target=other_desk)

    def hook() -> None:
        thread.start()
        thread.join(wait)  # returns at once if the other desk could commit, else after `wait`

    store_a = Store(make_engine(url), _HookClock(t0 + timedelta(seconds=3), hook))
    outcomes["this"] = verify_caller(store_a, agent=directory.agent, organization_id=org_id, claim=impostor)
    thread.join()
    with setup.read() as session:
        failed = session.exec(
            select(func.count()).where(VerificationAttempt.organization_id == org_id,
                                       VerificationAttempt.passed == False)  # noqa: E712
        ).one()
    store_a.dispose()
    setup.dispose()
    return {"failed": failed, **outcomes}

