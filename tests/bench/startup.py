"""Target 5: console start-up to the first screen, against a bare Textual app with the same widgets.

Each run is a new process on its own pseudo-terminal (120x40), as a person starts it. The time
is from just before the process is started to the first frame of the first screen written to
the terminal: both apps are subclassed here only to note that moment (the first compositor
update of that screen handed to the terminal, `App._display`) and exit. deskapp starts as
`deskapp --db URL` does (`DeskApp(store_url=...)`: the sign-in screen, the database opening in
a worker). The bare app imports nothing of deskapp and composes the sign-in screen's widgets
(Header, a box with a title, two labelled inputs with their message lines, a button, two
status lines, Footer). Runs alternate, N each; judged on the CPU time of each process (medians).

    python tests/bench/startup.py probe deskapp|bare STAMP_FILE [DB_URL]   (one run, internal)
"""

from __future__ import annotations

import ast
import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve()


def _probe(kind: str, stamp: str, url: str | None) -> None:
    done = False

    def mark(app) -> None:
        nonlocal done
        done = True
        # Wall clock for the parent to compare with its start, and this process's CPU time
        # since it began (interpreter start-up and imports included).
        Path(stamp).write_text(repr((time.time(), time.process_time())))
        app.exit()

    if kind == "deskapp":
        import inspect

        from deskapp.app import DeskApp

        paths = DeskApp.CSS_PATH
        paths = [paths] if isinstance(paths, str | Path) else list(paths or [])
        base = Path(inspect.getfile(DeskApp)).parent

        class Probe(DeskApp):
            CSS_PATH = [str(p if Path(p).is_absolute() else base / p) for p in paths]

            def _display(self, screen, renderable) -> None:
                super()._display(screen, renderable)
                if not done and renderable is not None and type(screen).__name__ == "SignInScreen":
                    mark(self)

        Probe(store_url=url).run()
        return

    from textual.app import App, ComposeResult
    from textual.containers import Center, Horizontal, Vertical
    from textual.screen import Screen
    from textual.widgets import Button, Footer, Header, Input, Label, Static

    class Field(Vertical):
        DEFAULT_CSS = """
        Field { height: auto; }
        Field > Horizontal { height: 1; }
        Field Label { width: 26; }
        Field Input { width: 1fr; }
        Field .field-message { display: none; }
        """

        def __init__(self, label: str, input_id: str, password: bool = False) -> None:
            super().__init__()
            self._label, self._id, self._password = label, input_id, password

        def compose(self) -> ComposeResult:
            with Horizontal():
                yield Label(self._label)
                yield Input(id=self._id, password=self._password, compact=True)
            yield Static("", classes="field-message")

    class BareSignIn(Screen):
        def compose(self) -> ComposeResult:
            yield Header()
            with Center():
                with Vertical(id="signin-box"):
                    yield Static("Sign in to the cancellations desk", id="signin-title")
                    yield Field("Agent name", "agent_name")
                    yield Field("PIN", "pin", password=True)
                    yield Button("Sign in", id="sign-in", variant="primary", compact=True)
                    yield Static("Opening the database…", id="signin-status")
                    yield Static("", id="demo-hint")
            yield Footer()

    class Bare(App):
        CSS = "#signin-box { width: 72; height: auto; border: round $primary; padding: 1 2; }"

        def on_mount(self) -> None:
            self.push_screen(BareSignIn())

        def _display(self, screen, renderable) -> None:
            super()._display(screen, renderable)
            if not done and renderable is not None and type(screen).__name__ == "BareSignIn":
                mark(self)

    Bare().run()


def run_once(kind: str, url: str | None, workdir: Path, timeout: float = 60.0) -> tuple[float, float]:
    """Seconds from starting the process to its first screen's first frame: wall clock, and
    the process's CPU time."""
    workdir.mkdir(parents=True, exist_ok=True)
    stamp = workdir / f"startup-{kind}.stamp"
    stamp.unlink(missing_ok=True)
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40"}
    env.pop("TEXTUAL", None)

    def drain() -> None:
        while True:
            try:
                if not os.read(master, 65536):
                    return
            except OSError:
                return

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    args = [sys.executable, str(HERE), "probe", kind, str(stamp)] + ([url] if url else [])
    started = time.time()
    process = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True,
                               start_new_session=True)
    os.close(slave)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired as error:
        process.kill()
        process.wait()
        raise RuntimeError(f"start-up probe ({kind}) did not paint within {timeout:.0f} s") from error
    finally:
        os.close(master)
    if not stamp.exists():
        raise RuntimeError(f"start-up probe ({kind}) exited {process.returncode} without painting")
    painted, cpu = ast.literal_eval(stamp.read_text())
    stamp.unlink()
    return painted - started, cpu


def bench_startup(url: str, workdir: Path, *, runs: int = 5):
    """Judged on the CPU time each process used to its first frame (interpreter start-up
    included): the wall-clock time of a start on a busy machine measures the machine."""
    from common import Result, Spread

    run_once("bare", None, workdir)  # warm the file cache for all alike
    run_once("deskapp", url, workdir)
    desk, bare = Spread([], []), Spread([], [])
    for _ in range(max(runs, 5)):
        for side, kind, target in ((bare, "bare", None), (desk, "deskapp", url)):
            wall, cpu = run_once(kind, target, workdir)
            side.wall.append(wall)
            side.cpu.append(cpu)
    return Result.from_spreads(
        "5", "Console start-up to the first screen painted", desk, bare, unit="ms", target=1.2,
        higher_is_better=False, subject_label="deskapp (DeskApp(store_url=...))",
        baseline_label="bare Textual app, same widgets",
        note=f"{len(desk.cpu)} processes each in turns, each on a pty, CPU time of the process to its first frame; "
             f"deskapp {desk.text()}; bare {bare.text()}",
    )


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "probe":
        _probe(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else None)
    else:
        sys.path.insert(0, str(HERE.parent))
        result = bench_startup(sys.argv[1] if len(sys.argv) > 1 else "sqlite:////tmp/bench/t1k.db", Path("/tmp/bench"),
                               runs=int(sys.argv[2]) if len(sys.argv) > 2 else 5)
        print(f"ratio {result.ratio:.2f} (CPU {result.ratios('cpu')}, wall {result.ratios('wall')}): {result.note}")
