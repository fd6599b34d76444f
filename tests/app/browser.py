"""A headless Chromium (Debian's package) driven over the Chrome DevTools Protocol, for the test
of `deskapp serve`. Nothing is downloaded: the browser is /usr/bin/chromium, the protocol goes
over aiohttp's websocket client (aiohttp comes with textual-serve).

Keys go to xterm.js in the page as keyboard events (text as input events, special keys as key
events); what the console draws is read from the websocket frames the page receives (ANSI
stripped), so a test waits for a screen before typing into it.

Nothing is installed here: a machine without Chromium skips the test (.ci/run installs it).
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import aiohttp

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--window-size=1280,900", "--remote-debugging-port=0",
]
# Windows virtual key codes and DOM key names xterm.js reads from a keydown.
KEYS = {
    "enter": ("Enter", "Enter", 13), "tab": ("Tab", "Tab", 9), "escape": ("Escape", "Escape", 27),
    "down": ("ArrowDown", "ArrowDown", 40), "up": ("ArrowUp", "ArrowUp", 38),
}
ANSI = re.compile(r"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[=>78]")


class Browser:
    """One Chromium with one page; `async with Browser(profile_dir) as page:`."""

    def __init__(self, profile: Path) -> None:
        self.profile = profile
        self.process: subprocess.Popen | None = None
        self.session: aiohttp.ClientSession | None = None
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future] = {}
        self._reader: asyncio.Task | None = None
        self.screen = ""  # every frame the console sent, ANSI stripped, since the last mark
        self.frames = 0

    async def __aenter__(self) -> Browser:
        self.process = subprocess.Popen(
            [CHROMIUM, *FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        port_file = self.profile / "DevToolsActivePort"
        for _ in range(300):
            if port_file.exists() and port_file.read_text().strip():
                break
            await asyncio.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        self.session = aiohttp.ClientSession()
        targets = await (await self.session.get(f"http://127.0.0.1:{port}/json/list")).json()
        page = next(t for t in targets if t["type"] == "page")
        self.ws = await self.session.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=0)
        self._reader = asyncio.create_task(self._read())
        await self.send("Network.enable")
        await self.send("Page.enable")
        await self.send("Emulation.setFocusEmulationEnabled", enabled=True)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._reader:
            self._reader.cancel()
        if self.ws:
            await self.ws.close()
        if self.session:
            await self.session.close()
        if self.process:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()

    async def _read(self) -> None:
        assert self.ws is not None
        async for message in self.ws:
            data = json.loads(message.data)
            if "id" in data and data["id"] in self._pending:
                self._pending.pop(data["id"]).set_result(data)
            elif data.get("method") == "Network.webSocketFrameReceived":
                response = data["params"]["response"]
                payload = response["payloadData"]
                raw = base64.b64decode(payload) if response.get("opcode") == 2 else payload.encode()
                self.screen += ANSI.sub("", raw.decode("utf-8", "replace"))
                self.frames += 1

    async def send(self, method: str, **params: Any) -> dict:
        assert self.ws is not None
        message_id = next(self._ids)
        future = asyncio.get_running_loop().create_future()
        self._pending[message_id] = future
        await self.ws.send_json({"id": message_id, "method": method, "params": params})
        reply = await asyncio.wait_for(future, 30)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    async def evaluate(self, expression: str) -> Any:
        result = await self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

    async def open(self, url: str) -> None:
        await self.send("Page.navigate", url=url)

    def mark(self) -> None:
        """Forget what was drawn so far: the next wait_for looks only at what comes after."""
        self.screen = ""

    async def wait_for(self, *texts: str, timeout: float = 30.0) -> None:
        """Until the console has drawn every one of `texts` since the last mark."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not all(t in self.screen for t in texts):
            if loop.time() > deadline:
                tail = self.screen[-1500:]
                raise AssertionError(f"timed out waiting for {texts!r}; {self.frames} frames; last drawn: {tail!r}")
            await asyncio.sleep(0.05)

    async def settle(self, least: float = 0.8, quiet: float = 0.25, timeout: float = 10.0) -> None:
        """After a key that moves the focus (Enter, Tab): at least `least` seconds, and until the
        console has drawn nothing for `quiet` seconds. The browser cannot see the focus, and
        Textual hands keys typed before the move is done to the field that had it (type-ahead
        across a focus move is an upstream Textual limitation, as the console drills found)."""
        loop = asyncio.get_running_loop()
        start = loop.time()
        last, since = self.frames, start
        while loop.time() - start < timeout:
            await asyncio.sleep(0.02)
            if self.frames != last:
                last, since = self.frames, loop.time()
            if loop.time() - start >= least and loop.time() - since >= quiet:
                return

    async def focus_terminal(self) -> None:
        await self.evaluate("document.querySelector('.xterm-helper-textarea').focus()")

    async def type(self, text: str) -> None:
        """Text typed key by key, as a keyboard does (keydown with its text, keyup)."""
        for char in text:
            upper = char.upper()
            vk = ord(upper) if upper.isascii() and upper.isalnum() else (32 if char == " " else 0)
            code = "Space" if char == " " else (f"Key{upper}" if upper.isascii() and upper.isalpha() else "")
            event = dict(key=char, code=code, windowsVirtualKeyCode=vk, nativeVirtualKeyCode=vk)
            await self.send("Input.dispatchKeyEvent", type="keyDown", text=char, unmodifiedText=char, **event)
            await self.send("Input.dispatchKeyEvent", type="keyUp", **event)

    async def press(self, *keys: str) -> None:
        """Special keys (enter, tab, escape, down, up) and ctrl+LETTER, as key events."""
        for key in keys:
            modifiers = 0
            if key.startswith("ctrl+"):
                letter = key.removeprefix("ctrl+")
                name, code, vk, modifiers = letter, f"Key{letter.upper()}", ord(letter.upper()), 2
            else:
                name, code, vk = KEYS[key]
            event = dict(key=name, code=code, windowsVirtualKeyCode=vk, nativeVirtualKeyCode=vk, modifiers=modifiers)
            await self.send("Input.dispatchKeyEvent", type="rawKeyDown", **event)
            await self.send("Input.dispatchKeyEvent", type="keyUp", **event)
