"""The real `deskapp` process in a pseudo-terminal, typed at in bursts (0 to 5 ms a key), its
screen read back through a terminal emulator (pyte). Not Pilot: Pilot waits for every key to be
handled, an agent's keyboard does not.

    with DeskTerminal.demo(tmp_path) as desk:        # `deskapp --demo`, 100x30
        desk.wait_for("Demo: sign in")
        desk.type("ada", TAB, "1111", ENTER)          # one burst
        desk.wait_for("Ready for the next call")

`run_call` types one whole call (find, verify, file one ticket kind, end the call) in three
bursts, each crossing screen changes and database workers, and returns what was misrouted or
lost: field values on screen that differ from what was typed, and the ticket in the database.
`run_review` then signs out and, as a supervisor, records the callback and approves the ticket
that needs a review (X-2, V-8); `check_review` reads the decision back from the database.
"""

from __future__ import annotations

import difflib
import fcntl
import os
import pty
import random
import re
import signal
import struct
import sys
import termios
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyte

TAB, ENTER, SPACE, DOWN, UP = "\t", "\r", " ", "\x1b[B", "\x1b[A"
PAGE_DOWN, PAGE_UP, HOME, END, ESC = "\x1b[6~", "\x1b[5~", "\x1b[H", "\x1b[F", "\x1b"
CTRL_S, CTRL_G, CTRL_Q, CTRL_P = "\x13", "\x07", "\x11", "\x10"
SPECIAL = {TAB, ENTER, DOWN, UP, PAGE_DOWN, PAGE_UP, HOME, END, ESC, CTRL_S, CTRL_G, CTRL_Q, CTRL_P}


class DeskTerminal:
    """`deskapp` on a pseudo-terminal; a reader thread feeds its output to a pyte screen."""

    def __init__(self, argv: list[str], env: dict[str, str], cols: int = 100, rows: int = 30) -> None:
        self.screen = pyte.Screen(cols, rows)
        self.stream = pyte.ByteStream(self.screen)
        self._lock = threading.Lock()
        self.database_url = ""
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: the console itself
            try:
                os.execvpe(argv[0], argv, env)
            finally:
                os._exit(127)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    @classmethod
    @contextmanager
    def demo(cls, data_home: Path, *extra: str, cols: int = 100, rows: int = 30) -> Iterator[DeskTerminal]:
        """`deskapp --demo` with its demo database in `data_home` (a fresh one each start)."""
        data_home.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, XDG_DATA_HOME=str(data_home), TERM="xterm-256color", COLUMNS=str(cols),
                   LINES=str(rows))
        env.pop("DESKAPP_DATABASE_URL", None)
        deskapp = str(Path(sys.executable).with_name("deskapp"))
        terminal = cls([deskapp, "--demo", *extra], env, cols, rows)
        terminal.database_url = f"sqlite:///{data_home / 'deskapp' / 'demo.db'}"
        try:
            yield terminal
        finally:
            terminal.close()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.fd, 65536)
            except OSError:
                return
            if not data:
                return
            with self._lock:
                self.stream.feed(data)

    def text(self) -> str:
        with self._lock:
            return "\n".join(line.rstrip() for line in self.screen.display)

    def wait_for(self, needle: str | re.Pattern, timeout: float = 30.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.text()
            if (needle.search(text) if isinstance(needle, re.Pattern) else needle in text):
                return True
            if not self.alive():
                return False
            time.sleep(0.05)
        return False

    def type(self, *keys: str, rng: random.Random | None = None, max_gap_ms: float = 5.0) -> int:
        """Write every key (a special key, or each character of a text) with 0 to `max_gap_ms`
        between keys, as one burst. Returns the number of keys."""
        rng = rng or random.Random(0)
        count = 0
        for chunk in keys:
            for key in ([chunk] if chunk in SPECIAL else list(chunk)):
                os.write(self.fd, key.encode())
                count += 1
                gap = rng.uniform(0, max_gap_ms) / 1000
                if gap > 0.0005:
                    time.sleep(gap)
        return count

    def alive(self) -> bool:
        try:
            pid, _ = os.waitpid(self.pid, os.WNOHANG)
        except ChildProcessError:
            return False
        return pid == 0

    def close(self) -> None:
        if self.alive():
            os.kill(self.pid, signal.SIGTERM)
            deadline = time.monotonic() + 5
            while self.alive() and time.monotonic() < deadline:
                time.sleep(0.05)
            if self.alive():
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
        try:
            os.close(self.fd)
        except OSError:
            pass


# --- whole calls --------------------------------------------------------------------------------

VERIFY_LABELS = (
    ("user_id", "Sign-in user ID"), ("phone", "Phone on account"), ("first_name", "Contact first name"),
    ("last_name", "Contact last name"), ("org_name", "Organization name"), ("street1", "Street line 1"),
    ("street2", "Street line 2"), ("city", "City"), ("region", "Region / state"), ("postal_code", "Postal code"),
    ("country", "Country (2 letters)"), ("org_url", "Organization URL"),
)
KIND_ORDER = ("cancel_end_of_term", "cancel_early", "expedited_deprovisioning", "migration_on_premises",
              "reversal", "ims_cancellation", "unsubscribe_resource")
KIND_LABELS = {
    "cancel_end_of_term": "End-of-term cancellation", "cancel_early": "Early cancellation",
    "expedited_deprovisioning": "Expedited deprovisioning", "migration_on_premises": "Migration to on-premises",
    "reversal": "30-day reversal", "ims_cancellation": "Internet Marketing cancellation",
    "unsubscribe_resource": "Unsubscribe",
}


@dataclass
class Call:
    """One call: who calls, which subscription, which kind, and the form's keys after the
    checklist (texts are checked on screen and in the ticket)."""

    caller: str
    subscription: str
    kind: str
    form_keys: tuple[str, ...]
    texts: dict[str, str] = field(default_factory=dict)  # ticket field -> typed text


def calls(now: datetime) -> list[Call]:
    """Every ticket kind, with the demo callers (README). The transfer time is a week ahead."""
    transfer = (now + timedelta(days=7)).strftime("%Y-%m-%d 09:00")
    return [
        Call("intune-expedited", "SUB-0003", "cancel_end_of_term", (SPACE, TAB, "budget cut"),
             {"reason": "budget cut"}),
        Call("o365-support-only", "SUB-0031", "cancel_early",
             (SPACE, DOWN, SPACE, DOWN, SPACE, TAB, TAB, TAB, "moving to another provider"),
             {"reason": "moving to another provider"}),
        Call("d365-migration", "SUB-0018", "migration_on_premises",
             (SPACE, DOWN, SPACE, TAB, transfer, TAB, "it-ops@mueller-praezision.de"),
             {"it_contact": "it-ops@mueller-praezision.de", "transfer_at": transfer}),
        Call("d365-reversal", "SUB-0010", "reversal", (SPACE, DOWN, SPACE, TAB, "changed their mind"),
             {"reason": "changed their mind"}),
        Call("d365-ims-campaign-admin", "SUB-0001", "ims_cancellation",
             (SPACE, DOWN, SPACE, TAB, "campaign over"), {"reason": "campaign over"}),
        Call("cloud-batch-unsubscribe", "SUB-0036", "unsubscribe_resource",
             (SPACE, TAB, SPACE, TAB, "project cancelled"), {"reason": "project cancelled"}),
    ]


EXPEDITED = Call("intune-expedited", "SUB-0003", "expedited_deprovisioning",
                 (SPACE, DOWN, SPACE, DOWN, SPACE, DOWN, SPACE), {})


def caller_fields(caller: dict) -> list[tuple[str, str]]:
    lines = list(caller["street_lines"])
    values = {
        "user_id": caller["user_id"], "phone": caller["phone"], "first_name": caller["contact_first_name"],
        "last_name": caller["contact_last_name"], "org_name": caller["org_name"], "street1": lines[0],
        "street2": " ".join(lines[1:]), "city": caller["city"], "region": caller["region"],
        "postal_code": caller["postal_code"], "country": caller["country"], "org_url": caller["url"] or "",
    }
    names = [name for name, _ in VERIFY_LABELS if name != "org_url" or values["org_url"]]
    return [(name, values[name]) for name in names]


def field_on_screen(text: str, label: str, *, dialog: bool = False) -> str | None:
    """The value shown after a field label (`Label *   value`), or None when the label is not there.
    With `dialog`, only inside a dialog's frame (`█  Label   value  █`), the screen behind it aside."""
    for line in text.splitlines():
        if dialog:
            parts = line.split("█")
            if len(parts) < 3:
                continue
            line = parts[1]
        stripped = line.strip(" │")
        if stripped.startswith(label):
            rest = stripped[len(label):]
            return rest.lstrip(" *").strip(" │")
    return None


def misses(expected: str, shown: str | None) -> int:
    """Keys lost or misrouted for one field: characters not in common, by a diff."""
    if shown is None:
        return max(1, len(expected))
    matcher = difflib.SequenceMatcher(a=expected, b=shown, autojunk=False)
    same = sum(block.size for block in matcher.get_matching_blocks())
    return len(expected) + len(shown) - 2 * same


def digits(text: str | None) -> str | None:
    return None if text is None else re.sub(r"\D", "", text)


@dataclass
class CallResult:
    call: Call
    keys: int = 0
    missed: int = 0
    problems: list[str] = field(default_factory=list)

    def miss(self, count: int, problem: str) -> None:
        self.missed += count
        self.problems.append(problem)


def subscription_index(caller_key: str, subscription: str, now: datetime) -> int:
    from tickets.demo import DEMO_CALLERS, demo_directory

    caller = next(c for c in DEMO_CALLERS if c["key"] == caller_key)
    org = next(o for o in demo_directory(now)["organizations"] if o["ref"] == caller["org_ref"])
    return sorted(s["ref"] for s in org["subscriptions"]).index(subscription)


def run_call(desk: DeskTerminal, call: Call, rng: random.Random, now: datetime, max_gap_ms: float = 5.0) -> CallResult:
    """From the home screen, one whole call in three bursts; back on the home screen after."""
    from tickets.demo import DEMO_CALLERS

    caller = next(c for c in DEMO_CALLERS if c["key"] == call.caller)
    result = CallResult(call)
    fields = caller_fields(caller)
    # 1. New call, search, choose the organization, type every fact (two screen changes, a worker).
    verify_keys: list[str] = ["n", caller["org_name"], ENTER, ENTER]
    for i, (_, value) in enumerate(fields):
        verify_keys += ([TAB] if i else []) + ([value] if value else [])
    result.keys += desk.type(*verify_keys, rng=rng, max_gap_ms=max_gap_ms)
    last_label = dict(VERIFY_LABELS)[fields[-1][0]]
    desk.wait_for(re.compile(re.escape(last_label) + r"[ *]+" + re.escape(fields[-1][1])), timeout=30)
    text = desk.text()
    for name, value in fields:
        shown = field_on_screen(text, dict(VERIFY_LABELS)[name])
        if name == "phone":
            value, shown = digits(value), digits(shown)
        if not value and shown is not None and shown in ("", "name@example.com", "US"):
            shown = ""  # an empty field shows its placeholder, if any
        missed = misses(value, shown)
        if missed:
            result.miss(missed, f"{call.caller}: {name} shows {shown!r}, typed {value!r}")
    # 2. Verify, choose the subscription and the kind, tick the checklist, type the fields
    #    (two workers, a screen switch, a screen push).
    kind_keys = [CTRL_S] + [DOWN] * subscription_index(call.caller, call.subscription, now) + [ENTER]
    kind_keys += [DOWN] * KIND_ORDER.index(call.kind) + [ENTER, *call.form_keys]
    result.keys += desk.type(*kind_keys, rng=rng, max_gap_ms=max_gap_ms)
    label = KIND_LABELS[call.kind]
    if not desk.wait_for(label, timeout=30):
        result.miss(1, f"{call.caller}: the {label} form did not show")
    for typed in call.texts.values():
        # An input narrower than its text scrolls with the cursor: it shows the start of the
        # text, or (while focused, the cursor at the end) its end. The store has it whole.
        if not desk.wait_for(re.compile(f"{re.escape(typed[:12])}|{re.escape(typed[-12:])}"), timeout=10):
            result.miss(len(typed), f"{call.caller}: {typed!r} is not on the form:\n{desk.text()}")
    # 3. File, confirm, close the filed dialog, end the call with a note (a dialog, a worker,
    #    two screens, the wrap-up and its worker).
    note = f"filed {call.kind}"
    result.keys += desk.type(CTRL_S, "y", ENTER, CTRL_G, note, ENTER, rng=rng, max_gap_ms=max_gap_ms)
    if not desk.wait_for("Ready for the next call", timeout=30):
        result.miss(1, f"{call.caller}: not back on the home screen after filing:\n{desk.text()}")
    return result


def check_ticket(store, call: Call, result: CallResult, seen: set[int]) -> None:
    """The newest ticket not checked yet is this call's: its kind, subscription and texts."""
    from tickets.store.queries import list_tickets, ticket_detail

    rows = [r for r in reversed(list_tickets(store, limit=500).rows) if r.id not in seen]  # oldest first
    if not rows:
        result.miss(1, f"{call.caller}: no ticket filed for {call.kind}")
        return
    row = rows[0]
    seen.add(row.id)
    if (row.kind.value, row.subscription_ref) != (call.kind, call.subscription):
        result.miss(1, f"{call.caller}: ticket {row.ref} is {row.kind.value} on {row.subscription_ref}")
        return
    detail = ticket_detail(store, row.id)
    for name, typed in call.texts.items():
        stored = detail.reason if name == "reason" else detail.fields.get(name)
        if name == "transfer_at" and stored:
            stored = datetime.fromisoformat(str(stored)).astimezone(UTC).strftime("%Y-%m-%d %H:%M")
        missed = misses(typed, None if stored is None else str(stored))
        if missed:
            result.miss(missed, f"{call.caller}: ticket {row.ref} {name} is {stored!r}, typed {typed!r}")


# --- the supervisor's review (X-2, V-8) ----------------------------------------------------------

SUPERVISOR = ("linus", "3333", "Linus Pauling")  # README: demo sign-ins
CALLBACK_NOTE = "caller confirmed on the number on file"


def run_review(desk: DeskTerminal, rng: random.Random, note: str = CALLBACK_NOTE, max_gap_ms: float = 5.0,
               supervisor: tuple[str, str, str] = SUPERVISOR) -> CallResult:
    """From the agent's home screen, after `EXPEDITED` was filed (the only ticket waiting): sign
    out, sign in as the supervisor, open the review queue, record the callback with `note` and
    approve, in four bursts. The note is checked in its dialog field as it shows."""
    name, pin, _ = supervisor
    result = CallResult(EXPEDITED)
    # 1. Sign out (it asks first), sign in, open the review queue (two screen changes, a worker).
    result.keys += desk.type("s", "y", name, TAB, pin, ENTER, "r", rng=rng, max_gap_ms=max_gap_ms)
    if not desk.wait_for("c Callback done", timeout=30):  # the ticket's detail is read: c is offered
        result.miss(1, f"review: the queue did not offer the callback (c):\n{desk.text()}")
        return result
    # 2. The callback dialog and its note.
    result.keys += desk.type("c", note, rng=rng, max_gap_ms=max_gap_ms)
    desk.wait_for(re.compile(r"Note \(optional\) +" + re.escape(note)), timeout=30)  # every key handled
    missed = misses(note, field_on_screen(desk.text(), "Note (optional)", dialog=True))
    if missed:
        result.miss(missed, f"review: the callback note shows differently from {note!r}:\n{desk.text()}")
    # 3. Record it (a worker), then 4. approve and confirm (a dialog, a worker).
    result.keys += desk.type(ENTER, rng=rng, max_gap_ms=max_gap_ms)
    if not desk.wait_for("You can approve (a)", timeout=30):
        result.miss(1, f"review: approval not offered after the callback:\n{desk.text()}")
        return result
    result.keys += desk.type("a", "y", rng=rng, max_gap_ms=max_gap_ms)
    if not desk.wait_for(f"Approved by {supervisor[2]}", timeout=30):
        result.miss(1, f"review: the ticket does not show as approved:\n{desk.text()}")
    return result


def check_review(store, result: CallResult, note: str = CALLBACK_NOTE,
                 supervisor: tuple[str, str, str] = SUPERVISOR) -> None:
    """The newest expedited deprovisioning in the database is approved by the supervisor, with
    the callback recorded by them and the note as typed."""
    from tickets.enums import TicketStatus
    from tickets.store.models import Ticket
    from tickets.store.queries import list_tickets, ticket_detail

    rows = [r for r in list_tickets(store, limit=500).rows
            if (r.kind.value, r.subscription_ref) == (EXPEDITED.kind, EXPEDITED.subscription)]
    if not rows:
        result.miss(1, "review: no expedited deprovisioning in the database")
        return
    row = max(rows, key=lambda r: r.id)
    detail = ticket_detail(store, row.id)
    with store.read() as session:
        stored_note = session.get(Ticket, row.id).callback_note
    shown = supervisor[2]
    if detail.row.status is not TicketStatus.APPROVED or detail.decided_by != shown:
        result.miss(1, f"review: {row.ref} is {detail.row.status.label}, decided by {detail.decided_by!r}")
    if detail.callback_at is None or detail.callback_by != shown:
        result.miss(1, f"review: {row.ref} callback at {detail.callback_at} by {detail.callback_by!r}")
    missed = misses(note, stored_note)
    if missed:
        result.miss(missed, f"review: {row.ref} callback note is {stored_note!r}, typed {note!r}")
