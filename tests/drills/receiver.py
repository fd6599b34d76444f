"""A webhook receiver for the tests and the relay drill, on 127.0.0.1 in a thread of the test:
it checks each request's signature, may answer 500 a few times per event first (`fail_first`),
or be down (`down`: 503 to everything), and hands each event to its "application" once,
deduplicated by the Idempotency-Key, counting what it received and what the application saw."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tickets.handoff import signing


class Receiver:
    def __init__(self, secret: bytes, now: Callable[[], int], *, fail_first: int = 0, latency: float = 0.0) -> None:
        self.secret = secret
        self.latency = latency  # seconds each answer takes, as a remote system's would
        self.now = now
        self.fail_first = fail_first
        self.down = False
        self.lock = threading.Lock()
        self.posts: Counter[str] = Counter()  # requests per key, whatever the answer
        self.applied: Counter[str] = Counter()  # events the application took, per key (must be 1)
        self.bodies: dict[str, dict] = {}
        self.bad_signatures = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if receiver.latency:
                    time.sleep(receiver.latency)
                self.send_response(receiver.answer(body, self.headers.get(signing.HEADER),
                                                   self.headers.get(signing.IDEMPOTENCY_HEADER)))
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.handler = Handler
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/deskapp"

    def go_down(self) -> None:
        """Stop listening: connections are refused until `come_back`."""
        self.server.shutdown()
        self.server.server_close()

    def come_back(self) -> None:
        """Listen again on the same port."""
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), self.handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def answer(self, body: bytes, header: str | None, key: str | None) -> int:
        with self.lock:
            if self.down:
                return 503
            if not key or not signing.verify(self.secret, body, header, self.now()):
                self.bad_signatures += 1
                return 401
            self.posts[key] += 1
            if self.posts[key] <= self.fail_first:
                return 500
            if key not in self.bodies:  # the application: each event once, by its key
                self.bodies[key] = json.loads(body)
                self.applied[key] += 1
            return 200

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        if self.thread.is_alive():
            self.server.shutdown()
            self.server.server_close()
