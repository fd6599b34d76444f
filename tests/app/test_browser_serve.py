"""`deskapp serve` in a real headless Chromium: a tab gets the desk's sign-in screen, and an
agent signs in, takes a call, files a ticket by keys typed into the page; the ticket is then
read from the database. Chromium is Debian's package (installed here when missing, and by
.ci/run); nothing is downloaded at run time.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request

import pytest
from browser import CHROMIUM, Browser

import testkit
from screenshots import VERIFY_ORDER, caller_values, demo_caller
from tickets.clock import SystemClock
from tickets.demo import create_demo_store

pytestmark = [pytest.mark.slow, pytest.mark.skipif(sys.platform != "linux", reason="Debian's chromium")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def chromium():
    return testkit.require_program(CHROMIUM, "chromium")


@pytest.fixture
def served(tmp_path):
    """A demo database (dated today: the served console runs on the real clock) served on a free
    local port; yields (url, store)."""
    store = create_demo_store(tmp_path / "served.db", SystemClock())
    port = free_port()
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data")}
    env.pop("DESKAPP_DATABASE_URL", None)
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "deskapp.cli",
            "serve",
            "--db",
            f"sqlite:///{tmp_path / 'served.db'}",
            "--port",
            str(port),
        ],
        env=env,
        # textual-serve writes a tab's failed start (the console's own error) to its stdout.
        stdout=(log := open(tmp_path / "serve.log", "wb")),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    page = response.read().decode()
                break
            except OSError as error:
                if time.monotonic() > deadline or server.poll() is not None:
                    log = (tmp_path / "serve.log").read_text()
                    raise AssertionError("deskapp serve did not answer: " + log) from error
                time.sleep(0.2)
        assert f"ws://127.0.0.1:{port}/ws" in page  # the page opens the console's websocket, nothing else
        yield url, store
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        store.dispose()
        print((tmp_path / "serve.log").read_text(errors="replace")[-3000:])  # shown if the test failed


async def wait_for_row(store, sql: str, timeout: float = 30.0, page=None):
    """The first row of `sql`, read afresh from the served database file until there is one."""
    from sqlalchemy.engine import make_url

    path = make_url(store.engine.url).database
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.closing(sqlite3.connect(path)) as connection:
            row = connection.execute(sql).fetchone()
        if row is not None:
            return row
        if time.monotonic() > deadline:
            shown = " ".join(page.screen.split())[-1500:] if page is not None else ""
            raise AssertionError(f"nothing in the database for: {sql}; the tab last drew: {shown}")
        await asyncio.sleep(0.2)


async def test_a_browser_tab_signs_in_takes_a_call_and_files_a_ticket(chromium, served, tmp_path):
    url, store = served
    caller = demo_caller("intune-expedited")  # Fabrikam UK Ltd: SUB-0003 first, end of term first
    values = caller_values(caller)
    started = time.monotonic()
    async with Browser(tmp_path / "profile") as page:
        await page.open(url)
        # Nothing before the desk's own sign-in: the first screen the tab draws asks for it.
        await page.wait_for("Sign in", "PIN", timeout=45)
        await page.focus_terminal()
        await page.type("ada")
        await page.press("enter")
        await page.settle()
        await page.type("1111")
        # Enter signs in once the tab's console has opened the database (until then the
        # button is greyed out and the PIN stays typed): press it again until it has.
        for _ in range(20):
            await page.press("enter")
            try:
                await wait_for_row(store, "SELECT id FROM agent_sign_in WHERE outcome = 'succeeded'", timeout=3)
                break
            except AssertionError:
                continue
        await wait_for_row(store, "SELECT id FROM agent_sign_in WHERE outcome = 'succeeded'", timeout=1)

        page.mark()
        await page.type("n")
        await page.wait_for("Organization")
        await page.type(caller["org_name"])
        await page.press("enter")
        await page.wait_for("ORG-0002")
        page.mark()
        await page.press("enter")
        await page.wait_for("name@example.com")  # the user ID field, focused
        for field, _ in VERIFY_ORDER:
            if field == "org_url":  # Fabrikam has no Dynamics 365: the form has no URL field
                continue
            await page.type(values[field])
            await page.press("tab")
            await page.settle()
        page.mark()
        await page.press("ctrl+s")
        await wait_for_row(store, "SELECT id FROM verification_attempt WHERE passed", page=page)
        await page.wait_for("SUB-0003")

        page.mark()
        await page.press("enter")  # SUB-0003
        await page.settle()
        await page.press("enter")  # end-of-term cancellation
        await page.wait_for("Effective date")
        await page.settle()
        await page.type(" ")  # tick the one checklist item
        await page.settle()
        await page.press("ctrl+s")
        await page.wait_for("File the ticket?")
        await page.type("y")
        row = await wait_for_row(
            store,
            "SELECT t.kind, t.status, s.ref, a.name FROM ticket t JOIN subscription s ON s.id = t.subscription_id "
            "JOIN agent a ON a.id = t.filed_by_id",
            page=page,
        )
    assert tuple(row) == ("cancel_end_of_term", "open", "SUB-0003", "ada")
    assert time.monotonic() - started < 90
