"""Console fuzzing: Pilot sends thousands of random keys and pastes to every screen of
the console (deskapp.factory.make_app(store, clock)) on a store seeded with the demo directory.

Each scenario drives the console with keys to one screen (sign-in, home, new call,
verification, account after a pass, a ticket form, the ticket list and one ticket, the
supervisor's screens, and a second call after a first one ended), then sends random keys:
printable characters, Tab, Enter, Escape, arrows, ctrl+p, the screen's own bindings, and
pastes (events.Paste) of hostile text. Throughout:

- the app never crashes: no exception reaches Textual (app._exception), it is still running;
- it never shows a traceback, and no worker fails with an error that is not the core's own
  (the console's "Unexpected error" notification);
- before a passed verification on the current call, nothing the screen shows (the rendered
  screen, and the text of every widget on every screen of the stack) holds a stored personal
  detail of the demo directory: phone numbers (E.164, national and international format, and
  as written in the directory), e-mail addresses (user IDs), street lines, contact names. The
  random text never contains those values, so whatever shows was not typed by the fuzzer.

    .venv/bin/python tests/drills/console.py --keys 3000
"""

from __future__ import annotations

import argparse
import asyncio
import io
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
# The key drivers (tools/screenshots.py) are a developer tool, not part of the installed package.
TOOLS = str(Path(__file__).resolve().parents[2] / "tools")
if TOOLS not in sys.path:
    sys.path.insert(0, TOOLS)

import testkit  # noqa: E402
from drills.common import Figures, markdown  # noqa: E402
from drills.hostile import CONTROL, FORMULA, SQL, UNICODE  # noqa: E402

SIZE = (100, 30)
BURST = 20  # keys sent between two checks
NAVIGATION = ["tab", "shift+tab", "enter", "up", "down", "left", "right", "home", "end", "pageup",
              "pagedown", "backspace", "delete", "space", "ctrl+p", "escape"]
ACTION_KEYS = ["ctrl+s", "ctrl+r", "ctrl+g", "f5", "ctrl+a", "ctrl+e", "ctrl+k", "ctrl+u", "ctrl+w", "ctrl+z",
               "ctrl+c", "ctrl+v", "ctrl+x", "f1", "f2", "f10"]
PRINTABLE = [chr(c) for c in range(0x21, 0x7F)] + list("éßøł中文ÄÖ€")
SCENARIOS = ["sign-in", "home", "new call", "verification", "account", "ticket form", "ticket list",
             "ticket view", "supervisor", "second call"]


# --- what must never show before a pass -------------------------------------------------------


def forbidden_values() -> dict[str, str]:
    """value -> what it is, for every stored personal detail of the demo directory."""
    import phonenumbers

    from tickets.demo import demo_directory

    values: dict[str, str] = {}
    for org in demo_directory(testkit.T0)["organizations"]:
        for line in org["address"]["street_lines"]:
            values[line] = f"street line of {org['ref']}"
        for person in org["people"]:
            values[person["user_id"]] = "e-mail address"
            values[person["phone"]] = "phone as written"
            number = phonenumbers.parse(person["phone"], org["country"])
            for style in (phonenumbers.PhoneNumberFormat.E164, phonenumbers.PhoneNumberFormat.NATIONAL,
                          phonenumbers.PhoneNumberFormat.INTERNATIONAL):
                values[phonenumbers.format_number(number, style)] = "phone number"
            values[f"{person['first_name']} {person['last_name']}"] = "contact name"
            values[f"{person['last_name']}, {person['first_name']}"] = "contact name"
            if len(person["last_name"]) >= 5:
                values[person["last_name"]] = "contact last name"
    return {v: k for v, k in values.items() if len(v) >= 5}


def rendered_text(app) -> str:
    """The text the agent sees: the screen as composed (with the screens behind a modal)."""
    from rich.console import Console

    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True,
                      color_system="truecolor", record=True, legacy_windows=False, safe_box=False)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text(styles=False)


def widget_texts(app) -> str:
    """The text every widget of every screen in the stack holds, shown or scrolled away."""
    from textual.widgets import DataTable, Input, OptionList, Static

    out = []
    for screen in app.screen_stack:
        for widget in screen.walk_children(with_self=False):
            try:
                if isinstance(widget, Input):
                    out.append(widget.value)
                elif isinstance(widget, OptionList):
                    out.extend(str(widget.get_option_at_index(i).prompt) for i in range(widget.option_count))
                elif isinstance(widget, DataTable):
                    out.extend(" | ".join(str(c) for c in widget.get_row_at(i)) for i in range(widget.row_count))
                elif isinstance(widget, Static):
                    out.append(str(widget.render()))
            except Exception:  # noqa: BLE001 - a widget mid-update: read it next time
                continue
    return "\n".join(out)


# --- the fuzzer -------------------------------------------------------------------------------


@dataclass
class FuzzResult:
    scenario: str
    keys: int = 0
    pastes: int = 0
    leak_checks: int = 0
    screens: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    target: str = ""
    on_target: int = 0
    quits: int = 0
    sessions: int = 0


def _paste_text(rng: random.Random, forbidden: list[str]) -> str:
    pieces = SQL + FORMULA + CONTROL + UNICODE + ["".join(rng.choices(PRINTABLE, k=rng.randrange(1, 30)))]
    text = "".join(rng.choice(pieces) for _ in range(rng.randrange(1, 6)))
    if rng.random() < 0.05:
        text = text * (10_000 // max(1, len(text)))  # ~10 kB
    folded = text.casefold()
    if any(value.casefold() in folded for value in forbidden):
        return "paste"
    return text


def _post_keys(app, keys: list[str]) -> None:
    """Key events as Pilot.press makes them, queued at once (Pilot waits ~90 ms for idle
    after every key; an agent typing fast does not wait either)."""
    from deskapp.textual_compat import key_event, send_key

    for key in keys:
        send_key(app, key_event(key))


async def _send(pilot, keys: list[str], *, type_ahead: bool, careful: bool = False) -> None:
    """Send keys. Without type-ahead each key is handled (and a screen it opens mounted) before
    the next; with type-ahead they are all queued at once, as a terminal delivers keys typed
    faster than the console handles them (what a fast agent, a key repeat or a macro does)."""
    app = pilot.app
    if type_ahead:
        _post_keys(app, keys)
        return
    for key in keys:
        before = app.screen
        _post_keys(app, [key])
        await pilot._wait_for_screen()
        if careful and len(key) > 1:  # enter, tab ...: what they set off (a focus change) is done too
            await pilot.pause()
        if app.screen is not before:
            await pilot._wait_for_screen()
            await pilot.pause()


async def _fast_type(pilot, text: str, **_: object) -> None:
    """screenshots.type_text (tools/screenshots.py), fast: a value is pasted into the focused field (one
    change, not one per character: the verification form validates every change)."""
    from textual import events

    if len(text) <= 1:
        await _send(pilot, list(text), type_ahead=False, careful=True)
        return
    pilot.app.post_message(events.Paste(text))
    await pilot._wait_for_screen()
    await pilot.pause()


def _binding_keys(app) -> list[str]:
    keys = []
    for screen in (app.screen,):
        for binding in getattr(screen, "BINDINGS", []):
            key = binding.key if hasattr(binding, "key") else binding[0]
            keys.extend(k.strip() for k in key.split(","))
    return [k for k in keys if k != "escape"]  # escape has its own (low) share


def _unverified(app) -> bool:
    call = getattr(app, "call", None)
    return call is not None and getattr(call, "account", None) is None


def _check(app, result: FuzzResult, forbidden: dict[str, str], typed: str, where: str) -> None:
    from textual.widgets import Input

    if app._exception is not None:
        import traceback

        frames = traceback.extract_tb(app._exception.__traceback__)
        last = frames[-1] if frames else None
        ours = next((f for f in reversed(frames) if "/deskapp/" in f.filename or "/tickets/" in f.filename), None)
        at = f"at {last.filename.split('site-packages/')[-1]}:{last.lineno} in {last.name}" if last else "at ?"
        if ours:
            at += f"; last console frame {ours.filename.split('/work/main/')[-1]}:{ours.lineno} in {ours.name}"
        stack = [type(s).__name__ for s in app.screen_stack]
        result.failures.append(
            f"{where}: the app raised {type(app._exception).__name__}: {app._exception} ({at}; screens {stack})"
        )
        return
    if not app.is_running:
        if app.return_code not in (0, None):
            result.failures.append(f"{where}: the app stopped (return code {app.return_code})")
        return  # quit by keys (ctrl+q, the palette's Quit): the session ends
    text = rendered_text(app)
    if "Traceback" in text:
        result.failures.append(f"{where}: a traceback is on the screen")
    screen_name = type(app.screen).__name__
    if _unverified(app) or screen_name == "SignInScreen":
        result.leak_checks += 1
        everything = text + "\n" + widget_texts(app)
        # Input values hold what the fuzzer typed; every other text is the console's own.
        typed_folded = typed.casefold()
        for value, what in forbidden.items():
            if value in everything and value.casefold() not in typed_folded:
                shown_in = "on the screen" if value in text else "in a widget"
                inputs = [w.id for w in app.screen.query(Input) if value in w.value]
                result.failures.append(
                    f"{where}: V-4: {what} {value!r} shows {shown_in} on {screen_name} before the caller "
                    f"passed verification{f' (inputs {inputs})' if inputs else ''}"
                )


async def _settle(pilot, timeout: float = 20.0) -> None:
    from screenshots import settle

    try:
        await settle(pilot, timeout)
    except TimeoutError:
        pass  # a slow worker is not a finding by itself; the checks look at what shows


async def _reach(pilot, scenario: str, store) -> None:
    """Drive the console, with keys only, to the scenario's screen (tools/screenshots.py's
    drivers, typing faster)."""
    from unittest import mock

    from textual.pilot import Pilot

    import screenshots

    async def press(self, *keys: str) -> None:
        await _send(self, list(keys), type_ahead=False, careful=True)

    with mock.patch.object(screenshots, "type_text", _fast_type), mock.patch.object(Pilot, "press", press):
        await _drive(pilot, scenario)


async def _drive(pilot, scenario: str) -> None:
    from screenshots import demo_caller, new_call_and_find, open_form, settle, sign_in, take_call, type_text

    await settle(pilot)
    if scenario == "sign-in":
        return
    supervisor = scenario == "supervisor"
    await sign_in(pilot, "linus" if supervisor else "ada", "3333" if supervisor else "1111")
    caller = demo_caller("intune-expedited")
    if scenario == "new call":
        await pilot.press("n")
    elif scenario == "verification":
        await new_call_and_find(pilot, caller["org_name"])
    elif scenario in ("account", "ticket form"):
        await take_call(pilot, caller)
        if scenario == "ticket form":
            await open_form(pilot, caller["subscription_ref"], "expedited_deprovisioning")
    elif scenario in ("ticket list", "ticket view"):
        await pilot.press("t")
        await settle(pilot)
        if scenario == "ticket view":
            await pilot.press("enter")
    elif scenario == "second call":
        await take_call(pilot, caller)
        await pilot.press("ctrl+g")
        await settle(pilot)
        await type_text(pilot, "caller will think about it")
        await pilot.press("ctrl+s")
        await settle(pilot)
        await new_call_and_find(pilot, caller["org_name"])  # the same organization again
    await settle(pilot)


def _file_demo_tickets(store) -> None:
    """A few tickets by ada, so that the ticket list and view have rows (filed as an agent would,
    after verifying the caller, through the core)."""
    from drills.common import EXPEDITED_CHECKLIST
    from identity import Address, CallerClaim
    from screenshots import demo_caller
    from tickets.agents import list_agents
    from tickets.enums import TicketKind
    from tickets.filing import FilingRequest, file_ticket
    from tickets.verification import find_organizations, start_call, verify_caller

    ada = next(a for a in list_agents(store) if a.name == "ada")
    caller = demo_caller("intune-expedited")
    handle = find_organizations(store, org_name=caller["org_name"])[0]
    claim = CallerClaim(
        user_id=caller["user_id"], phone=caller["phone"], contact_first_name=caller["contact_first_name"],
        contact_last_name=caller["contact_last_name"], org_name=caller["org_name"],
        address=Address(tuple(caller["street_lines"]), caller["city"], caller["region"], caller["postal_code"],
                        caller["country"]),
        org_url=caller["url"] or "",
    )
    verification = verify_caller(
        store, agent=ada, organization_id=handle.id, claim=claim, call_id=start_call(store, ada)
    )
    assert verification.passed, "the demo caller no longer passes verification"
    file_ticket(
        store,
        agent=ada,
        verification_id=verification.verification_id,
        request=FilingRequest(
            kind=TicketKind.EXPEDITED_DEPROVISIONING,
            subscription_ref=caller["subscription_ref"],
            idempotency_key="fuzz-x",
            confirmed=EXPEDITED_CHECKLIST,
        ),
    )


async def fuzz(store, clock, scenario: str, *, keys: int = 300, seed: int = 1, type_ahead: bool = False,
               sessions_max: int = 1) -> FuzzResult:
    """Reach `scenario`'s screen, then send `keys` random keys and pastes, checking as it goes.
    A key that leads elsewhere is followed there; after two bursts away, escape leads back (keys
    only); if the screen is gone (the call ended, the agent signed out) the fuzzer carries on
    where it is, or starts the console again and drives it back (`sessions_max` sessions)."""
    from textual import events

    from deskapp.factory import make_app

    rng = random.Random(f"{scenario}-{seed}")
    forbidden = forbidden_values()
    forbidden_list = list(forbidden)
    result = FuzzResult(scenario)
    if scenario in ("ticket list", "ticket view"):
        try:
            _file_demo_tickets(store)
        except Exception as error:  # noqa: BLE001 - the list is fuzzed empty then
            result.failures.append(f"setup: could not file demo tickets: {type(error).__name__}: {error}")
    navigation = [k for k in NAVIGATION if k not in ("escape", "ctrl+p")]
    sessions = 0
    while result.keys < keys and sessions < sessions_max + result.quits and not result.failures:
        sessions += 1
        app = make_app(store, clock)
        notes: list[tuple[str, str]] = []
        original_notify = app.notify

        def notify(message, *, title="", severity="information", _notes=notes, _notify=original_notify, **kwargs):
            _notes.append((str(title), str(message)))
            return _notify(message, title=title, severity=severity, **kwargs)

        app.notify = notify  # type: ignore[method-assign]
        typed = ""
        try:
            async with app.run_test(size=SIZE) as pilot:
                try:
                    await _reach(pilot, scenario, store)
                except Exception as error:  # noqa: BLE001 - the drivers could not get there
                    result.failures.append(f"{scenario}: could not reach the screen: {type(error).__name__}: {error}")
                    break
                target = type(app.screen).__name__  # any screen of this class counts
                result.target = target
                _check(app, result, forbidden, typed, f"{scenario} (reached {result.target})")
                away = 0
                lost = False
                while result.keys < keys and not result.failures:
                    burst: list[str] = []
                    here = type(app.screen).__name__ == target
                    for _ in range(BURST):
                        roll = rng.random()
                        if roll < 0.04:
                            text = _paste_text(rng, forbidden_list)
                            typed += text
                            await _send(pilot, burst, type_ahead=type_ahead)
                            burst = []
                            app.post_message(events.Paste(text))
                            result.pastes += 1
                            continue
                        if roll < 0.55:
                            key = rng.choice(PRINTABLE)
                            typed += key
                        elif roll < 0.865:
                            key = rng.choice(navigation)
                        elif roll < 0.87:
                            key = "escape"
                        elif roll < 0.875:
                            key = "ctrl+p"
                        elif roll < 0.95:
                            key = rng.choice(_binding_keys(app) or navigation)
                        else:
                            key = rng.choice(ACTION_KEYS)
                        burst.append(key)
                        result.keys += 1
                        result.on_target += here
                    await _send(pilot, burst, type_ahead=type_ahead)
                    await pilot.pause()
                    result.screens[type(app.screen).__name__] += BURST
                    _check(app, result, forbidden, typed, f"{scenario} key {result.keys}")
                    if not app.is_running:
                        result.quits += 1
                        break
                    if result.keys % 100 < BURST:
                        await _settle(pilot, 10)
                    away = 0 if type(app.screen).__name__ == target else away + 1
                    if away >= 2 and not lost:
                        if any(type(s).__name__ == target for s in app.screen_stack):
                            for _ in range(8):
                                if type(app.screen).__name__ == target:
                                    break
                                await pilot.press("escape")
                                await _settle(pilot, 10)
                        away = 0
                        if type(app.screen).__name__ != target:
                            if sessions < sessions_max:
                                break  # the screen is gone: start again
                            lost = True  # carry on wherever the keys lead
                if app.is_running:
                    await _settle(pilot, 20)
                    _check(app, result, forbidden, typed, f"{scenario} end")
        except Exception as error:  # noqa: BLE001 - the app crashed: run_test re-raises its exception
            if not result.failures:
                result.failures.append(f"{scenario}: the app crashed: {type(error).__name__}: {error}")
        for title, message in notes:
            if "Unexpected" in title or "unexpected error" in message:
                result.failures.append(
                    f"{scenario}: a worker failed with an error that is not the core's own: {title}: {message}"
                )
    result.sessions = sessions
    return result


# --- the drill --------------------------------------------------------------------------------


def seeded_store(directory: Path, template: Path | None = None):
    """A store holding the demo directory (dated relative to testkit.T0) on a fixed clock."""
    import shutil
    import uuid

    from tickets.clock import FixedClock
    from tickets.demo import create_demo_store

    clock = FixedClock(testkit.T0)
    if template is None or not template.exists():
        template = directory / "seeded-template.db"
        create_demo_store(template, clock).dispose()
    target = directory / f"fuzz-{uuid.uuid4().hex[:8]}.db"
    shutil.copyfile(template, target)
    return testkit.make_store(f"sqlite:///{target}", clock), clock, template


def run(workdir: Path, *, keys: int = 3000, seed: int = 1, scenarios=SCENARIOS, type_ahead: bool = False,
        log=print) -> Figures:
    started = time.monotonic()
    workdir.mkdir(parents=True, exist_ok=True)
    figures = Figures(f"console fuzz ({'type-ahead' if type_ahead else 'key by key'}, demo store)")
    template = None
    screens: Counter = Counter()
    for scenario in scenarios:
        store, clock, template = seeded_store(workdir, template)
        try:
            result = asyncio.run(fuzz(store, clock, scenario, keys=keys, seed=seed, type_ahead=type_ahead,
                                      sessions_max=3))
        finally:
            store.dispose()
        figures.runs += 1
        figures.checks += result.leak_checks
        figures.failures.extend(result.failures)
        screens.update(result.screens)
        figures.notes[scenario] = f"{result.keys} keys, {result.pastes} pastes"
        log(f"console fuzz {scenario}: {result.keys} keys ({result.on_target} on {result.target}), "
            f"{result.pastes} pastes, {result.leak_checks} leak checks, {result.sessions} sessions, "
            f"{result.quits} quit by keys, "
            f"screens {dict(result.screens)}, {len(result.failures)} failures")
    figures.notes = {"keys": sum(int(v.split()[0]) for v in figures.notes.values()),
                     "pastes": sum(int(v.split()[2]) for v in figures.notes.values()),
                     "screens visited": len(screens)}
    figures.seconds = time.monotonic() - started
    return figures


def main(argv: list[str] | None = None) -> int:
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scenario", action="append", choices=SCENARIOS)
    parser.add_argument("--type-ahead", action="store_true", help="queue each burst of keys at once")
    args = parser.parse_args(argv)
    figures = run(Path(tempfile.mkdtemp(prefix="deskapp-fuzz-")), keys=args.keys, seed=args.seed,
                  scenarios=args.scenario or SCENARIOS, type_ahead=args.type_ahead)
    print(markdown([figures]))
    for failure in figures.failures:
        print("FAILURE:", failure)
    return 0 if figures.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
