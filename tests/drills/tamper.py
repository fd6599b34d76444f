"""Tamper drill (A-1): every way an insider rewrites the desk's record, tried on each engine.

A small desk is built (two expedited deprovisionings, a callback and an approval on the first,
a masked export), its head is anchored outside the database after every event the forms edit,
and then an insider with the owner's rights (SQLite: whoever can write the file; PostgreSQL:
the owner role or a superuser) rewrites it in one of FORMS, putting the guards back after.
Each form must fail `audit verify --anchor`; most fail plain `audit verify` already.

- rows edited without an event: a ticket's filer, subscription, reason, kind, fields, status,
  a silent approval, its needs_callback flipped, its data deletion date moved, its row deleted;
  an agent promoted, a supervisor's PIN hash copied onto an agent, a supervisor inserted;
- events: a duplicated JSON key (`{"status":"withdrawn",...,"status":"pending_review"}`: Python
  reads the last key, SQLite's json_extract the first), a byte edited, an event deleted, two
  swapped, the tail cut, the middle re-hashed, the last edited and re-hashed, everything wiped;
  a well-formed approval appended with no callback; the guard triggers dropped; (PostgreSQL)
  the grants widened;
- the limit: a complete forged history (a callback, then an approval, each a well-formed
  event, and the rows to match) appended after the newest anchor by someone holding the owner's
  rights verifies. Only an anchor taken after it, or a copy kept elsewhere, tells.

On PostgreSQL the rewrites of the trail are also tried as the application role of
`deskapp db roles` (APP_TAMPERS): each statement that rewrites the trail, moves the head back or
sets a guard aside must be refused, and what the role may do must fail `audit verify`.

    .venv/bin/python tests/drills/tamper.py [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Engine  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

import testkit  # noqa: E402
from drills.common import Figures  # noqa: E402
from drills.tamper_forms import DESCRIBE, FORMS, LIMITS, Desk, build, forge, insider  # noqa: E402
from tickets.audit.chain import Anchor, verify_chain  # noqa: E402
from tickets.audit.verify import verify_file  # noqa: E402
from tickets.store.database import Store, make_engine, sqlite_path  # noqa: E402
from tickets.store.roles import apply_roles  # noqa: E402

TAMPERS = tuple(FORMS)
ENGINE_ONLY = {"widened_grants": "postgresql"}  # SQLite has no grants: its file's owner is all-powerful

# The rewrites of the trail also tried as the application role on PostgreSQL.
APP_TAMPERS = ("cut_tail", "middle_rehash", "edit_last", "delete_all", "forge_approval", "silent_approval")
# What the application role is refused on PostgreSQL: the guards and every rewrite.
GUARD_STATEMENTS = {
    "disable the event triggers": "ALTER TABLE audit_event DISABLE TRIGGER USER",
    "drop an event trigger": "DROP TRIGGER audit_event_no_change ON audit_event",
    "replace the trigger function": "CREATE OR REPLACE FUNCTION deskapp_audit_append_only() RETURNS trigger "
                                    "LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
    "skip triggers (session_replication_role)": "SET session_replication_role = replica",
    "disable the head trigger": "ALTER TABLE audit_head DISABLE TRIGGER USER",
    "delete the head": "DELETE FROM audit_head",
    "truncate the head": "TRUNCATE audit_head",
    "truncate the events": "TRUNCATE audit_event",
    "wipe sign-in failures": "DELETE FROM agent_sign_in",
}


@dataclass
class Outcome:
    engine: str
    tamper: str
    as_role: str
    refused: list[str] = field(default_factory=list)  # statements the database refused
    allowed: list[str] = field(default_factory=list)  # statements it let through
    plain: str = ""  # audit verify without anchors
    anchored: str = ""  # audit verify --anchor
    detected: bool = False

    @property
    def rewrites_allowed(self) -> list[str]:
        return [a for a in self.allowed if "own rights" not in a]

    @property
    def result(self) -> str:
        """"detected" (verify --anchor fails), "refused" (every rewrite refused, the chain intact),
        "the limit" (the complete forged history, expected to verify)."""
        if self.detected:
            return "detected"
        if self.refused and not self.rewrites_allowed:
            return "refused"
        if self.tamper in LIMITS:
            return "the limit"
        return "NOT DETECTED"


# --- the application role (PostgreSQL) -------------------------------------------------------


def app_role_statements(desk: Desk, tamper: str) -> dict[str, str]:
    """The statements of each rewrite, as the application role would have to run them."""
    back = desk.callback_seq - 1
    return {
        "cut_tail": {
            "delete the last events": f"DELETE FROM audit_event WHERE seq >= {desk.callback_seq}",
            "move the head back": f"UPDATE audit_head SET seq = {back}, hash = "
            f"(SELECT hash FROM audit_event WHERE seq = {back}) WHERE id = 1",
        },
        "middle_rehash": {
            "delete an event in the middle": f"DELETE FROM audit_event WHERE seq = {desk.anchor.seq // 2}",
            "renumber the rest": f"UPDATE audit_event SET seq = seq - 1 WHERE seq > {desk.anchor.seq // 2}",
        },
        "edit_last": {"edit the last event": f"UPDATE audit_event SET details = '{{}}' WHERE seq = {desk.anchor.seq}"},
        "delete_all": {
            "delete every event": "DELETE FROM audit_event",
            "reset the head": f"UPDATE audit_head SET seq = 0, hash = '{'0' * 64}' WHERE id = 1",
        },
    }.get(tamper, {})


def try_each(engine: Engine, statements: dict[str, str], outcome: Outcome) -> None:
    for what, statement in statements.items():
        try:
            with engine.begin() as connection:
                connection.exec_driver_sql(statement)
            outcome.allowed.append(what)
        except Exception as error:  # noqa: BLE001 - any refusal counts; which is noted
            first = str(getattr(error, "orig", error)).splitlines()[0]
            outcome.refused.append(f"{what}: {first}")


def verify(store: Store, outcome: Outcome, anchor: Anchor) -> None:
    with store.read() as session:
        plain = verify_chain(session)
        anchored = verify_chain(session, [anchor])
    path = sqlite_path(store.engine.url.render_as_string(hide_password=False))
    if path is not None:  # `deskapp audit verify` on SQLite reads with sqlite3 alone: the same verdicts
        for anchors, report in (([], plain), ([anchor], anchored)):
            alone = verify_file(path, anchors)
            assert alone == report, f"{outcome.tamper}: the command's reading says {alone}, the store's {report}"
    outcome.plain = "passes" if plain.ok else f"fails: {plain}"
    outcome.anchored = "passes" if anchored.ok else f"fails: {anchored}"
    outcome.detected = not anchored.ok


# --- running ---------------------------------------------------------------------------------


class Databases:
    """A fresh migrated database per tamper: a SQLite file, or one PostgreSQL database of the
    drill's own, emptied between tampers (testkit.PostgresDatabase.reset)."""

    def __init__(self, backend: str, workdir: Path) -> None:
        self.backend, self.workdir = backend, workdir
        self.template = testkit.SqliteTemplate(workdir) if backend == "sqlite" else None
        self.pg = testkit.PostgresDatabase() if backend == "postgresql" else None

    def new(self) -> str:
        if self.template is not None:
            return self.template.new_url(self.workdir)
        self.pg.reset()
        return self.pg.url

    def close(self) -> None:
        if self.pg is not None:
            self.pg.drop()


def run_one(url: str, backend: str, tamper: str, *, as_app: bool) -> Outcome:
    desk = build(url)
    outcome = Outcome(backend, tamper, "application role" if as_app else "owner")
    try:
        if not as_app:
            with desk.store.engine.begin() as connection:
                insider(desk, tamper, connection)
        else:
            suffix = uuid.uuid4().hex[:8]
            owner, app = f"dk_owner_{suffix}", f"dk_app_{suffix}"
            apply_roles(desk.store.engine, owner=owner, app=app)
            app_engine = make_engine(make_url(url).set(username=app).render_as_string(hide_password=False))
            try:
                statements = dict(app_role_statements(desk, tamper))
                if tamper == "cut_tail":
                    statements.update(GUARD_STATEMENTS)  # tried once per engine
                try_each(app_engine, statements, outcome)
                if tamper in ("forge_approval", "silent_approval"):
                    # Migration 0011: the application role writes only through the database's
                    # functions, so appending an event or updating a ticket itself is refused.
                    what = "append an event and update the ticket"
                    try:
                        with app_engine.begin() as connection:
                            forge(desk, connection, event=tamper == "forge_approval")
                        outcome.allowed.append(f"{what} (the application's own rights)")
                    except Exception as error:  # noqa: BLE001 - a refusal of any kind; which is noted
                        outcome.refused.append(f"{what}: {str(getattr(error, 'orig', error)).splitlines()[0]}")
            finally:
                app_engine.dispose()
                drop_roles(desk.store.engine, owner, app)
        verify(desk.store, outcome, desk.anchor)
    finally:
        if tamper == "widened_grants":  # grants outlive the drill's reset of its database
            with desk.store.engine.begin() as connection:
                connection.exec_driver_sql("REVOKE UPDATE, DELETE ON audit_event FROM PUBLIC")
        desk.store.dispose()
    return outcome


def drop_roles(engine: Engine, owner: str, app: str) -> None:
    """Give the objects back and drop the drill's own roles (unique names: never a fixed one)."""
    with engine.begin() as connection:
        connection.exec_driver_sql(f"REASSIGN OWNED BY {owner} TO CURRENT_USER")
        connection.exec_driver_sql(f"DROP OWNED BY {owner}, {app}")
        connection.exec_driver_sql(f"DROP ROLE {app}")
        connection.exec_driver_sql(f"DROP ROLE {owner}")


def run(backends: list[str], workdir: Path, tampers=TAMPERS, log=print) -> tuple[Figures, list[Outcome]]:
    started = time.monotonic()
    figures = Figures(f"tamper ({'+'.join(backends)})")
    outcomes: list[Outcome] = []
    for backend in backends:
        databases = Databases(backend, workdir)
        try:
            for tamper in tampers:
                if ENGINE_ONLY.get(tamper, backend) != backend:
                    continue
                for as_app in ([False, True] if backend == "postgresql" and tamper in APP_TAMPERS else [False]):
                    outcome = run_one(databases.new(), backend, tamper, as_app=as_app)
                    outcomes.append(outcome)
                    figures.runs += 1
                    figures.checks += 1 + len(outcome.refused) + len(outcome.allowed)
                    if outcome.result == "NOT DETECTED":
                        figures.failures.append(f"{backend} {tamper} as {outcome.as_role}: not detected")
                    if as_app and outcome.rewrites_allowed:
                        figures.failures.append(
                            f"{backend} {tamper}: the application role was allowed to {outcome.rewrites_allowed}")
                    log(f"{backend:<10} {tamper:<24} {outcome.as_role:<17} refused {len(outcome.refused)} "
                        f"allowed {len(outcome.allowed)}  verify: {outcome.plain[:40]} | "
                        f"anchored: {outcome.anchored[:60]}")
        finally:
            databases.close()
    figures.seconds = time.monotonic() - started
    figures.notes = {"tampers": len(tampers), "detected": sum(o.result == "detected" for o in outcomes),
                     "refused": sum(o.result == "refused" for o in outcomes),
                     "limit": sum(o.result == "the limit" for o in outcomes), "of": len(outcomes)}
    return figures, outcomes


def table(outcomes: list[Outcome]) -> str:
    """One table per engine (docs/security.md)."""
    out: list[str] = []
    for engine in dict.fromkeys(o.engine for o in outcomes):
        out += [f"{engine}:", "", "| form | what was done | as | statements refused | `audit verify` | "
                "`audit verify --anchor` | result |", "| --- | --- | --- | --- | --- | --- | --- |"]
        for o in (o for o in outcomes if o.engine == engine):
            refused = f"{len(o.refused)} of {len(o.refused) + len(o.allowed)}" if o.refused or o.allowed else "-"
            out.append(f"| {o.tamper} | {DESCRIBE.get(o.tamper, '')} | {o.as_role} | {refused} | {_short(o.plain)} "
                       f"| {_short(o.anchored)} | {o.result} |")
        out.append("")
    return "\n".join(out)


def _short(text: str) -> str:
    return text.replace("fails: audit chain BROKEN", "fails").replace("|", "/")[:110]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default=None, help="comma list (default: sqlite, and postgresql when it answers)")
    args = parser.parse_args(argv)
    backends = args.backends.split(",") if args.backends else ["sqlite"] + (
        [] if testkit.postgres_reachable() else ["postgresql"])
    figures, outcomes = run(backends, Path(tempfile.mkdtemp(prefix="deskapp-tamper-")))
    print(table(outcomes))
    print(f"\n{figures.runs} runs, {len(figures.failures)} failures, {figures.seconds:.0f} s")
    for failure in figures.failures:
        print("FAILURE:", failure)
    for o in outcomes:
        for refusal in o.refused:
            print(f"refused ({o.engine}, {o.tamper}): {refusal}")
    return 0 if figures.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
