"""Application-role drill (PostgreSQL): what someone holding the console's database credentials
can do with plain SQL and with the write functions, each attempt refused and the refusal named.

The desk is set up as `deskapp db roles --apply` leaves it (an owner role and an application
role with unique names), the database's own clock (no injected clock), and agents signed in
through the application role. Then, as the application role only:
- plain SQL on every table that matters: UPDATE, DELETE, INSERT on ticket, agent, audit_event,
  call, agent_sign_in (and agent_session, verification_attempt, desk_setting); reading a PIN
  hash or a session's token hash; copying a PIN hash; promoting an agent; adding a supervisor;
  an approved expedited deprovisioning inserted whole; a forged `ticket.approved` event; the
  guards set aside; the internal functions called directly;
- the write functions used against their rules: approving without a callback (V-8), approving
  with another supervisor's identity but one's own session, approving one's own ticket (X-2),
  acting with no session, with an ended one, with a disabled agent's, with a made-up token,
  with another agent's verification (V-7), and agent administration without a supervisor's
  session or beyond it (X-2).
Controls: the same functions used within the rules succeed (a callback, then another
supervisor's approval), `privilege_problems` finds nothing, and the audit chain verifies.

    .venv/bin/python tests/drills/app_role.py      # the table for docs/security.md

The short version in the normal suite is tests/store/test_drill_app_role.py (every attempt).
"""

from __future__ import annotations

import secrets
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

from sqlalchemy.engine import make_url  # noqa: E402

import testkit  # noqa: E402
from drills.common import EXPEDITED_CHECKLIST  # noqa: E402
from drills.tamper import drop_roles  # noqa: E402
from tickets.agents import AgentInfo, authenticate, reset_pin, set_agent_active, set_role, sign_out  # noqa: E402
from tickets.audit.chain import verify_chain  # noqa: E402
from tickets.clock import SystemClock  # noqa: E402
from tickets.enums import TicketKind  # noqa: E402
from tickets.filing import FilingRequest, file_ticket  # noqa: E402
from tickets.lifecycle import approve, record_callback  # noqa: E402
from tickets.store.database import Store, make_engine  # noqa: E402
from tickets.store.roles import apply_roles, privilege_problems  # noqa: E402
from tickets.verification import start_call, verify_caller  # noqa: E402


@dataclass
class Attempt:
    name: str
    expected: str  # words the refusal must contain
    refusal: str | None = None  # the refusal's first line; None: it was allowed

    @property
    def refused_as_expected(self) -> bool:
        return self.refusal is not None and self.expected.lower() in self.refusal.lower()


@dataclass
class Report:
    attempts: list[Attempt]
    controls: list[str]
    problems: list[str]
    chain: str


def _first_line(error: BaseException) -> str:
    return str(getattr(error, "orig", None) or error).strip().splitlines()[0]


class Drill:
    def __init__(self) -> None:
        self.db = testkit.PostgresDatabase()
        self.db.reset()
        suffix = uuid.uuid4().hex[:8]
        self.owner_role, self.app_role = f"dk_owner_{suffix}", f"dk_app_{suffix}"
        self.owner = Store(make_engine(self.db.url), SystemClock())
        with self.owner.engine.begin() as connection:  # a real desk: the database's own clock
            connection.exec_driver_sql("DELETE FROM desk_setting WHERE name = 'client_clock'")
        self.directory = testkit.Directory(self.owner)
        apply_roles(self.owner.engine, owner=self.owner_role, app=self.app_role)
        app_url = make_url(self.db.url).set(username=self.app_role).render_as_string(hide_password=False)
        self.app = Store(make_engine(app_url), SystemClock())
        self.attempts: list[Attempt] = []
        self.controls: list[str] = []

    def close(self) -> None:
        self.app.dispose()
        try:
            drop_roles(self.owner.engine, self.owner_role, self.app_role)
        finally:
            self.owner.dispose()
            self.db.drop()

    # --- helpers ---------------------------------------------------------------------------------

    def sign_in(self, name: str, pin: str) -> AgentInfo:
        return authenticate(self.app, name=name, pin=pin)

    def verified(self, agent: AgentInfo) -> int:
        call_id = start_call(self.app, agent)
        result = verify_caller(self.app, agent=agent, organization_id=self.directory.org.id,
                               claim=self.directory.claim(), call_id=call_id)
        assert result.passed, result
        assert result.verification_id is not None
        return result.verification_id

    def sql(self, name: str, expected: str, statement: str) -> None:
        """One statement as the application role, in a transaction of its own."""
        attempt = Attempt(name, expected)
        try:
            with self.app.engine.begin() as connection:
                connection.exec_driver_sql(statement.replace("%", "%%"))
        except Exception as error:  # noqa: BLE001 - a refusal of any kind is what is looked for
            attempt.refusal = _first_line(error)
        self.attempts.append(attempt)

    def act(self, name: str, expected: str, action: Callable[[], object]) -> None:
        """One use of the write functions (through the console's own code) as the application role."""
        attempt = Attempt(name, expected)
        try:
            action()
        except Exception as error:  # noqa: BLE001
            attempt.refusal = _first_line(error)
        self.attempts.append(attempt)

    # --- the drill -------------------------------------------------------------------------------

    def run(self) -> Report:
        d, app = self.directory, self.app
        ada, grace = self.sign_in("ada", "1111"), self.sign_in("grace", "2222")  # an agent, a supervisor
        linus, alan = self.sign_in("linus", "4444"), self.sign_in("alan", "3333")  # a supervisor, an agent
        request = FilingRequest(kind=TicketKind.EXPEDITED_DEPROVISIONING, subscription_ref="SUB-INT",
                                idempotency_key="drill-x1", confirmed=EXPEDITED_CHECKLIST)
        # The supervisor grace files an expedited deprovisioning herself (allowed: she took the call).
        ticket = file_ticket(app, agent=grace, verification_id=self.verified(grace), request=request).filed[0].id
        self.controls.append(f"grace (supervisor) filed TK-{ticket:06d}, an expedited deprovisioning: pending review")
        ada_verification = self.verified(ada)

        for what in ("ticket", "agent", "audit_event", "call", "agent_sign_in", "agent_session",
                     "verification_attempt", "desk_setting", "ticket_note", "ticket_viewer"):
            self.sql(f"DELETE FROM {what}", "permission denied", f"DELETE FROM {what}")
        self.sql("UPDATE ticket: approved, no callback needed, data deleted today", "permission denied",
                 f"UPDATE ticket SET status = 'approved', needs_callback = false, decided_by_id = {d.supervisor2.id}, "
                 f"data_deletion_date = to_char(now(), 'YYYY-MM-DD') WHERE id = {ticket}")
        self.sql("UPDATE ticket: another filer", "permission denied", f"UPDATE ticket SET filed_by_id = {d.agent.id}")
        self.sql(
            "INSERT ticket: an expedited deprovisioning, approved, no callback",
            "permission denied",
            "INSERT INTO ticket (kind, status, organization_id, subscription_id, filed_by_id, created_at, updated_at, "
            "idempotency_key, content_hash, fields, checklist, consequences, rules, needs_review, needs_callback, "
            f"decided_by_id, decided_at) VALUES ('expedited_deprovisioning', 'approved', {d.org.id}, {d.intune.id}, "
            f"{d.agent.id}, now(), now(), 'forged', 'h', '{{}}', '[]', '{{}}', '[]', true, false, "
            f"{d.supervisor.id}, now())",
        )
        self.sql(
            "INSERT ticket_note: a note with no event",
            "permission denied",
            "INSERT INTO ticket_note (ticket_id, agent_id, created_at, text) "
            f"VALUES ({ticket}, {d.agent.id}, now(), 'x')",
        )
        self.sql("SELECT pin_hash FROM agent", "permission denied", "SELECT pin_hash FROM agent")
        self.sql("SELECT * FROM agent", "permission denied", "SELECT * FROM agent")
        self.sql("SELECT token_hash FROM agent_session", "permission denied", "SELECT token_hash FROM agent_session")
        self.sql("UPDATE agent: copy a supervisor's PIN hash onto another", "permission denied",
                 "UPDATE agent SET pin_hash = (SELECT pin_hash FROM agent WHERE name = 'linus') WHERE name = 'grace'")
        self.sql(
            "UPDATE agent: promote an agent",
            "permission denied",
            "UPDATE agent SET role = 'supervisor' WHERE name = 'ada'",
        )
        self.sql("UPDATE agent: enable, disable", "permission denied", "UPDATE agent SET active = NOT active")
        self.sql("INSERT agent: a new supervisor", "permission denied",
                 "INSERT INTO agent (name, display_name, role, pin_hash, active, created_at) "
                 "VALUES ('mallory', 'Mallory', 'supervisor', 'x', true, now())")
        self.sql("INSERT audit_event: ticket.approved as another supervisor", "permission denied",
                 "INSERT INTO audit_event (seq, at, actor, action, subject, details, prev_hash, hash) "
                 "SELECT seq + 1, now(), 'linus', 'ticket.approved', "
                 f"'ticket:{ticket}', '{{}}', hash, md5('x') FROM audit_head")
        self.sql("UPDATE audit_event", "permission denied", "UPDATE audit_event SET actor = 'linus'")
        self.sql("TRUNCATE audit_event", "permission denied", "TRUNCATE audit_event")
        self.sql("UPDATE audit_head (move it back)", "permission denied", "UPDATE audit_head SET seq = 1")
        self.sql("INSERT call", "permission denied",
                 f"INSERT INTO call (agent_id, started_at) VALUES ({d.agent.id}, now())")
        self.sql("UPDATE call: reopen ended calls", "permission denied", "UPDATE call SET ended_at = NULL")
        self.sql("INSERT agent_sign_in: an unlock", "permission denied",
                 f"INSERT INTO agent_sign_in (agent_id, at, outcome) VALUES ({d.agent.id}, now(), 'unlocked')")
        self.sql("UPDATE agent_sign_in: failures made successes", "permission denied",
                 "UPDATE agent_sign_in SET outcome = 'succeeded'")
        self.sql("INSERT agent_session: a session of one's own making", "permission denied",
                 f"INSERT INTO agent_session (agent_id, token_hash, started_at, expires_at) "
                 f"VALUES ({d.supervisor2.id}, md5('x'), now(), now() + interval '1 day')")
        self.sql(
            "UPDATE agent_session: revive ended sessions",
            "permission denied",
            "UPDATE agent_session SET ended_at = NULL",
        )
        self.sql("INSERT verification_attempt: a pass nobody earned", "permission denied",
                 f"INSERT INTO verification_attempt (organization_id, agent_id, at, passed, failed_factors, roles) "
                 f"VALUES ({d.org.id}, {d.agent.id}, now(), true, '[]', '[]')")
        self.sql("UPDATE desk_setting: the client's clock, a longer lockout window", "permission denied",
                 "UPDATE desk_setting SET value = 'on'")
        self.sql("SET session_replication_role = replica (triggers off)", "permission denied",
                 "SET session_replication_role = replica")
        self.sql(
            "ALTER TABLE audit_event DISABLE TRIGGER", "must be owner", "ALTER TABLE audit_event DISABLE TRIGGER USER"
        )
        self.sql("CREATE FUNCTION in public (to stand in for one)", "permission denied",
                 "CREATE FUNCTION public.crypt(text, text) RETURNS text LANGUAGE sql AS $$ SELECT $2 $$")
        self.sql("the internal append, called directly", "permission denied",
                 "SELECT deskapp_append(now(), 'linus', 'ticket.approved', 'ticket:1', '{}'::jsonb)")
        self.sql("the internal actor check, called directly (owner mode)", "permission denied",
                 f"SELECT deskapp_actor(NULL, {d.supervisor2.id}, now())")
        self.sql("approve with no session (the owner's way), as the application role", "sign in first",
                 f"SELECT deskapp_api_transition(NULL, {d.supervisor2.id}, {ticket}, 'approved', NULL, NULL, now())")

        self.act("approve without the callback (V-8)", "V-8", lambda: approve(app, supervisor=linus, ticket_id=ticket))
        self.act("approve with another supervisor's identity but one's own session", "cannot act as agent",
                 lambda: approve(app, supervisor=AgentInfo(linus.id, linus.name, linus.display_name, linus.role,
                                                           session=grace.session), ticket_id=ticket))
        self.act("an agent approves (X-2)", "only a supervisor", lambda: approve(app, supervisor=ada, ticket_id=ticket))
        self.act("a made-up session token", "not a session of this desk",
                 lambda: start_call(app, AgentInfo(linus.id, linus.name, linus.display_name, linus.role,
                                                   session=secrets.token_hex(32))))
        self.sql(
            "file on another agent's verification (V-7)",
            "V-7",
            f"SELECT * FROM deskapp_api_file('{alan.session}', NULL, {ada_verification}, {d.intune.id}, "
            "'[{\"kind\": \"cancel_end_of_term\", \"idempotency_key\": \"drill-v7\", "
            "\"content_hash\": \"h\"}]', now())",
        )
        record_callback(app, agent=ada, ticket_id=ticket, note="called back on the number on file")
        self.controls.append("ada recorded the callback (V-8)")
        self.act("approve one's own ticket, callback made (X-2)", "four eyes",
                 lambda: approve(app, supervisor=grace, ticket_id=ticket))
        ended = self.sign_in("linus", "4444")
        sign_out(app, ended)
        self.act("act with a session that was signed out", "ended (signed out)", lambda: start_call(app, ended))
        set_agent_active(self.owner, "alan", False)  # the owner disables alan: his open console ...
        self.act("act with a disabled agent's session", "ended (disabled)", lambda: start_call(app, alan))
        self.act("agent administration with no session", "supervisor (--as) or the database owner",
                 lambda: set_role(app, "ada", "supervisor"))
        self.act("agent administration with an agent's session", "only a supervisor administers",
                 lambda: set_role(app, "alan", "agent", actor=ada))
        self.act("a supervisor promotes an agent (X-2)", "owner's credentials",
                 lambda: set_role(app, "ada", "supervisor", actor=linus))
        self.act("a supervisor resets another supervisor's PIN (X-2)", "owner's credentials",
                 lambda: reset_pin(app, "grace", "8888", actor=linus))

        approve(app, supervisor=linus, ticket_id=ticket, reason="callback made")
        self.controls.append("linus, another supervisor, approved it after the callback")
        with self.owner.read() as session:
            chain = str(verify_chain(session))
        return Report(self.attempts, self.controls, privilege_problems(self.owner.engine, self.app_role), chain)


def run() -> Report:
    drill = Drill()
    try:
        return drill.run()
    finally:
        drill.close()


def table(report: Report) -> str:
    lines = ["| as the application role | refused with |", "| --- | --- |"]
    for attempt in report.attempts:
        lines.append(f"| {attempt.name} | {attempt.refusal or 'ALLOWED'} |")
    return "\n".join(lines)


def main() -> int:
    report = run()
    print(table(report))
    refused = sum(a.refused_as_expected for a in report.attempts)
    print(f"\n{refused} of {len(report.attempts)} refused as expected; controls: {'; '.join(report.controls)}")
    print(f"privileges: {report.problems or 'as `deskapp db roles` left them'}; {report.chain}")
    return 0 if refused == len(report.attempts) and not report.problems else 1


if __name__ == "__main__":
    sys.exit(main())
