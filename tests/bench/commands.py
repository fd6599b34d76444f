"""What users run, as they run it: each command a process of its own, against a baseline that is
the physical limit of the same work, also a process (issue: the in-process figures left out the
command's imports and its start).

- 3f-3i: `deskapp export --format csv|jsonl --db URL > FILE` against the `sqlite3` shell's
  `-csv` / `-json` export of the same SELECT (exports.py's), on the 50,000-ticket database and
  the big one, in turns; 3j: the command's peak memory on the big database against the 50,000.
- 5c: the `deskapp --db URL` command to its sign-in screen's first frame on a pseudo-terminal,
  against a bare Textual app script with the same widgets (startup.py's), each process's CPU to
  that frame. Both get the same start-up hook (a sitecustomize on PYTHONPATH: it notes the first
  frame of the named screen, as startup.py's subclass does, and ends the process there).
- 7b: `deskapp audit verify --db URL` against a plain hashlib scan of the same chain (a script:
  sqlite3 and hashlib, each event's two hashes computed and compared, nothing else), and 7c its
  peak memory on the big database against 100 MB. 7d, measured beside (no target): the scan
  plus the least that rebuilding every row asks (the details of ticket and agent events decoded,
  the rows read), against the scan: the highest ratio 7b could reach.

Each run's CPU (user + system) and peak resident memory are the command's own: a small wrapper
process runs it and reports its RUSAGE_CHILDREN (the wrapper's own start is not counted). Runs
alternate subject, baseline, subject ...; judged on the ratio of the CPU medians.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import Result, Skipped, Spread, sqlite_url

HERE = Path(__file__).resolve().parent
WRAPPER = (
    "import resource, subprocess, sys; code = subprocess.run(sys.argv[1:], check=False).returncode; "
    "u = resource.getrusage(resource.RUSAGE_CHILDREN); "
    "print('rusage', u.ru_utime + u.ru_stime, u.ru_maxrss, code, file=sys.stderr)"
)
MEMORY_LIMIT_MB = 100.0  # 7c: `deskapp audit verify` at 1,000,000 tickets
EXPORT_NAMES = {"csv": "`deskapp export --format csv` (the command, a process)",
                "jsonl": "`deskapp export --format jsonl` (the command, a process)"}


def deskapp_command() -> str:
    """The installed `deskapp` console script beside this interpreter (what a user runs), its
    packages byte-compiled first (installed_bytecode)."""
    installed_bytecode()
    found = Path(sys.executable).with_name("deskapp")
    return str(found) if found.exists() else shutil.which("deskapp") or "deskapp"


def run_child(cmd: list[str], *, stdout_path: Path | None = None, env: dict | None = None,
              stdin=None, stdout=None) -> tuple[float, float, float]:
    """CPU seconds, wall seconds and peak resident memory (MB) of the one command."""
    sink = open(stdout_path, "wb") if stdout_path is not None else (stdout or subprocess.DEVNULL)
    try:
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", WRAPPER, *cmd], stdout=sink, stderr=subprocess.PIPE,
                              stdin=stdin, env=env, timeout=3600)
        wall = time.perf_counter() - started
    finally:
        if stdout_path is not None:
            sink.close()
    line = [x for x in done.stderr.decode(errors="replace").splitlines() if x.startswith("rusage ")]
    if not line:
        raise RuntimeError(f"{cmd[0]} gave no usage: {done.stderr[-300:]!r}")
    _, cpu, peak, code = line[-1].split()
    if code != "0":  # a command that failed early would pass for a fast one
        raise RuntimeError(f"{' '.join(cmd[:3])} exited {code}: {done.stderr.decode(errors='replace')[-300:]!r}")
    return float(cpu), wall, int(peak) / 1024


def installed_bytecode() -> None:
    """Compile deskapp's own packages to __pycache__ as `pip install` does for a wheel. An
    editable checkout run with PYTHONDONTWRITEBYTECODE=1 (as CI and the sandboxes set it) would
    otherwise compile every one of its modules from source in every process measured: about
    20 ms of CPU that no installed deskapp spends (its dependencies are compiled already)."""
    import compileall

    root = HERE.parent.parent
    for package in ("deskapp", "tickets", "identity"):
        compileall.compile_dir(root / package, quiet=1)


# --- 3f-3j: `deskapp export` ----------------------------------------------------------------

# 3f-3j: `deskapp export` is measured by exports.bench_export, in the same turns as the in-process
# export and against the same shell runs.


# --- 5c: `deskapp` to its first screen --------------------------------------------------------

# Imported at interpreter start by both sides (PYTHONPATH): Textual's app module, patched to note
# the first frame of the named screen (startup.py's moment) and end the process there.
SITECUSTOMIZE = '''
import os
if os.environ.get("DESKAPP_BENCH_FIRST_FRAME"):
    import time
    from textual.app import App
    _stamp, _screen = os.environ["DESKAPP_BENCH_FIRST_FRAME"], os.environ["DESKAPP_BENCH_SCREEN"]
    _display = App._display
    def _noted(self, screen, renderable):
        _display(self, screen, renderable)
        if renderable is not None and type(screen).__name__ == _screen:
            with open(_stamp, "w") as f:
                f.write(repr((time.time(), time.process_time())))
            os._exit(0)
    App._display = _noted
'''
BARE = '''
import sys
sys.path.insert(0, {here!r})
from startup import _probe
_probe("bare", "/dev/null", None)
'''


def _first_frame(cmd: list[str], screen: str, workdir: Path, hook: Path, timeout: float = 60.0) -> tuple[float, float]:
    """Wall and CPU seconds of the command's process to the first frame of `screen`, on a pty."""
    import fcntl
    import pty
    import struct
    import termios
    import threading

    stamp = workdir / "first-frame.stamp"
    stamp.unlink(missing_ok=True)
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40",
           "PYTHONPATH": str(hook) + os.pathsep + os.environ.get("PYTHONPATH", ""),
           "DESKAPP_BENCH_FIRST_FRAME": str(stamp), "DESKAPP_BENCH_SCREEN": screen}

    def drain() -> None:
        while True:
            try:
                if not os.read(master, 65536):
                    return
            except OSError:
                return

    threading.Thread(target=drain, daemon=True).start()
    started = time.time()
    process = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True,
                               start_new_session=True)
    os.close(slave)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired as error:
        process.kill()
        process.wait()
        raise RuntimeError(f"{cmd[0]} did not paint {screen} within {timeout:.0f} s") from error
    finally:
        os.close(master)
    if not stamp.exists():
        raise RuntimeError(f"{cmd[0]} exited {process.returncode} without painting {screen}")
    painted, cpu = eval(stamp.read_text())  # noqa: S307 - our own hook's tuple of two floats
    stamp.unlink()
    return painted - started, cpu


def bench_console_command(url: str, workdir: Path, *, runs: int = 5) -> Result:
    workdir.mkdir(parents=True, exist_ok=True)
    hook = Path(tempfile.mkdtemp(prefix="first-frame-", dir=workdir))
    (hook / "sitecustomize.py").write_text(SITECUSTOMIZE)
    bare = hook / "bare_app.py"
    bare.write_text(BARE.format(here=str(HERE)))
    desk_cmd = [deskapp_command(), "--db", url]
    bare_cmd = [sys.executable, str(bare)]
    desk, base = Spread([], []), Spread([], [])
    try:
        _first_frame(bare_cmd, "BareSignIn", workdir, hook)  # warm the file cache for both alike
        _first_frame(desk_cmd, "SignInScreen", workdir, hook)
        for _ in range(max(runs, 5)):
            for side, cmd, screen in ((base, bare_cmd, "BareSignIn"), (desk, desk_cmd, "SignInScreen")):
                wall, cpu = _first_frame(cmd, screen, workdir, hook)
                side.wall.append(wall)
                side.cpu.append(cpu)
    finally:
        shutil.rmtree(hook, ignore_errors=True)
    return Result.from_spreads(
        "5c", "Console start-up through the `deskapp` command to the first screen painted", desk, base, unit="ms",
        target=1.2, higher_is_better=False, subject_label="deskapp --db URL (the console script)",
        baseline_label="bare Textual app script, same widgets",
        note=f"{len(desk.cpu)} processes each in turns on a pty, CPU of the process to its first frame "
             f"(interpreter, argument parsing, settings and imports included); deskapp {desk.text()}; "
             f"bare {base.text()}")


# --- 7, 7b, 7c: `deskapp audit verify` ----------------------------------------------------------

# The physical limit of checking the chain: every event read with the standard driver and its two
# hashes (content, link) computed with hashlib and compared; nothing else checked.
_SCAN = '''
import hashlib, sqlite3, sys
{imports}sys.path.insert(0, {root!r})
from tickets.audit.format import GENESIS_HASH, content_text
conn = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
sha, prev, n, bad = hashlib.sha256, GENESIS_HASH, 0, 0
cursor = conn.execute("SELECT seq, at, actor, action, subject, details, prev_hash, hash FROM audit_event ORDER BY seq")
while rows := cursor.fetchmany(10_000):
    for seq, at, actor, action, subject, details, prev_hash, digest in rows:
        content = sha(content_text(at[:10] + "T" + at[11:] + "Z", actor, action, subject, details).encode()).hexdigest()
        bad += prev_hash != prev or sha(f"{{seq}}:{{prev}}:{{content}}".encode()).hexdigest() != digest
{per_event}        prev, n = digest, n + 1
{after}print(n, bad)
'''
HASH_SCAN = _SCAN.replace("{imports}", "").replace("{per_event}", "").replace("{after}", "")
# What any `audit verify` that rebuilds every ticket and agent from the events and compares every
# column (docs/security.md) must do at the least: the scan above, plus each ticket's and agent's
# event details decoded (json.loads, nothing checked) and every ticket and agent row read back
# (nothing compared). Its CPU against the scan's is the highest ratio 7b could reach.
REBUILD_FLOOR = _SCAN.replace("{imports}", "from json import loads\n").replace(
    "{per_event}", """        if subject.startswith(("ticket:", "agent:")):
            loads(details)
""").replace("{after}", """for table in ("ticket", "agent"):
    rows = conn.execute("SELECT * FROM " + table)
    while rows.fetchmany(10_000):
        pass
""")
# Imported at interpreter start by the command (PYTHONPATH): wraps tickets.audit.verify.verify, the
# one pass that verify_chain and the command both run, as that module is loaded, and writes its
# CPU and wall seconds, verdict and events to the stamp file: target 7's in-process figure, taken
# from the very runs 7b times whole (the same verification is not run twice).
VERIFY_HOOK = """
import os
if os.environ.get("DESKAPP_BENCH_VERIFY_STAMP"):
    import sys
    import time
    from importlib.machinery import PathFinder

    class _TimedVerify:
        @staticmethod
        def find_spec(name, path=None, target=None):
            if name != "tickets.audit.verify":
                return None
            spec = PathFinder.find_spec(name, path)
            if spec is None or spec.loader is None:
                return spec
            load = spec.loader.exec_module

            def exec_module(module):
                load(module)
                inner = module.verify

                def verify(*args, **kwargs):
                    cpu, wall = time.process_time(), time.perf_counter()
                    report = inner(*args, **kwargs)
                    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
                    with open(os.environ["DESKAPP_BENCH_VERIFY_STAMP"], "w") as stamp:
                        stamp.write(repr((cpu, wall, report.ok, report.events_checked)))
                    return report

                module.verify = verify

            spec.loader.exec_module = exec_module
            return spec

    sys.meta_path.insert(0, _TimedVerify)
"""
CHAIN_RATE = 40_000  # target 7: events a second, by CPU


def bench_verify_command(path: Path, workdir: Path, *, runs: int = 5) -> list[Result | Skipped]:
    """7, 7b and 7c from one set of runs: `deskapp audit verify` and the hashlib scan, a process
    each, in turns (command, scan, command ...); 7 is the CPU of the verification pass itself
    inside each command process (VERIFY_HOOK: the process's start, imports and schema check left
    out, as an in-process figure leaves them out), 7b the whole process against the scan, 7c its
    peak memory. Each run's own output is checked (the chain verified, the scan found nothing
    bad): no runs apart to check it."""
    import ast

    from exports import total_tickets

    name = "Audit chain verification (`deskapp audit verify`)"
    hook = Path(tempfile.mkdtemp(prefix="verify-hook-", dir=workdir))
    (hook / "sitecustomize.py").write_text(VERIFY_HOOK)
    script, floor_script = hook / "hash_scan.py", hook / "rebuild_floor.py"
    script.write_text(HASH_SCAN.format(root=str(HERE.parents[1])))
    floor_script.write_text(REBUILD_FLOOR.format(root=str(HERE.parents[1])))
    stamp, desk_out, scan_out = hook / "verify.stamp", hook / "verify.out", hook / "scan.out"
    env = {**os.environ, "DESKAPP_BENCH_VERIFY_STAMP": str(stamp),
           "PYTHONPATH": str(hook) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    desk_cmd = [deskapp_command(), "audit", "verify", "--db", sqlite_url(path)]
    scan_cmd = [sys.executable, str(script), str(path)]
    floor_cmd = [sys.executable, str(floor_script), str(path)]
    core, desk, scan, peaks = Spread([], []), Spread([], []), Spread([], []), []
    floor, floor_scan = Spread([], []), Spread([], [])  # 7d's runs, and the scan's of the same turns
    events, verdict = 0, ""
    try:
        for turn in range(max(runs, 5)):
            stamp.unlink(missing_ok=True)
            cpu, wall, peak = run_child(desk_cmd, stdout_path=desk_out, env=env)
            desk.cpu.append(cpu)
            desk.wall.append(wall)
            peaks.append(peak)
            verdict = desk_out.read_text().strip()
            if not stamp.exists():
                return [Skipped("7", name, f"the command's verification pass was not timed: {verdict[:120]}")]
            pass_cpu, pass_wall, ok, events = ast.literal_eval(stamp.read_text())
            if not ok:
                return [Skipped("7", name, f"the chain did not verify: {verdict[:120]}")]
            core.cpu.append(pass_cpu)
            core.wall.append(pass_wall)
            cpu, wall, _peak = run_child(scan_cmd, stdout_path=scan_out)
            scan.cpu.append(cpu)
            scan.wall.append(wall)
            scanned, bad = (int(x) for x in scan_out.read_text().split())
            if bad or scanned != events:
                return [Skipped("7b", "`deskapp audit verify` (the command)",
                                f"the scan found {bad} bad of {scanned:,} events (the command checked {events:,})")]
            if turn % 2 == 0:  # 7d, no target: 3 runs of 5 (the turns 1, 3, 5) keep the full run under 15 minutes
                cpu, wall, _peak = run_child(floor_cmd, stdout_path=scan_out)
                floor.cpu.append(cpu)
                floor.wall.append(wall)
                floor_scan.cpu.append(scan.cpu[-1])
                floor_scan.wall.append(scan.wall[-1])
    finally:
        shutil.rmtree(hook, ignore_errors=True)
    tickets = total_tickets(path)
    # The target rate as a side of its own: the seconds `events` take at 40,000 a second.
    rate = Spread([events / CHAIN_RATE] * len(core.cpu), [events / CHAIN_RATE] * len(core.wall))
    return [
        Result.from_spreads(
            "7", f"{name}, {events:,} events", core, rate, unit="events/s", target=1.0, higher_is_better=True,
            work=events, subject_label="tickets.audit.verify.verify (verify_chain's pass), in the command's process",
            baseline_label="the target rate",
            note=f"{len(core.cpu)} runs by CPU time, the verification pass inside each `deskapp audit verify` "
                 f"process of 7b: {events / core.cpu_median:,.0f} events/s (min {events / max(core.cpu):,.0f}, "
                 f"max {events / min(core.cpu):,.0f}); wall clock {events / core.wall_median:,.0f}; the hashlib "
                 f"scan of 7b {events / scan.cpu_median:,.0f}; `{verdict[:80]}`; ratio = rate / {CHAIN_RATE:,}",
            extra={"scan": scan.as_json()}),
        Result.from_spreads(
            "7b", f"`deskapp audit verify` (the command, a process), {events:,} events", desk, scan,
            unit="events/s", target=0.8, higher_is_better=True, work=events,
            subject_label="deskapp audit verify --db URL", baseline_label="hashlib scan of the chain (a script)",
            note=f"{len(desk.cpu)} processes a side in turns: deskapp {desk.text(1, 's')}; scan {scan.text(1, 's')}; "
                 f"the verification pass in it {core.text(1, 's')}; `{verdict[:100]}`",
            extra={"peak_mb": max(peaks)}),
        Result.from_spreads(
            "7d", f"7b's ceiling: the least a verify that rebuilds every row must do, {events:,} events", floor,
            floor_scan, unit="events/s", target=None, higher_is_better=True, work=events,
            subject_label="the scan + ticket and agent events decoded + their rows read (a script)",
            baseline_label="hashlib scan of the chain (a script)",
            note=f"measured beside 7b, in the same turns: no `audit verify` that decodes the events it replays and "
                 f"reads the rows it compares can pass this ratio; floor {floor.text(1, 's')}"),
        Result("7c", f"`deskapp audit verify` peak memory, {tickets:,} tickets", max(peaks), MEMORY_LIMIT_MB, "MB",
               1.0, False, subject_label="peak RSS of the command", baseline_label=f"{MEMORY_LIMIT_MB:.0f} MB",
               note=f"the largest of {len(peaks)} runs ({min(peaks):.1f}-{max(peaks):.1f} MB)",
               extra={"judged_on": "memory", "peaks_mb": peaks}),
    ]
