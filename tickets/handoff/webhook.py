"""One webhook attempt: an HTTP POST of the signed body, no redirects followed (a redirect could
take the body somewhere else), with a timeout. What comes back is only the status code (the
response body is never read into the audit: a receiver may echo what it received)."""

from __future__ import annotations

import http.client
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from tickets.handoff import signing

USER_AGENT = "deskapp-relay/1"


@dataclass(frozen=True)
class Attempt:
    delivered: bool
    status: int | None  # the HTTP status, None when no answer came
    error: str | None  # a short reason, never a response body: "HTTP 500", "timeout", "ConnectionRefusedError"
    final: bool = False  # no later try can succeed: parked at once


def post(url: str, body: bytes, *, secret: bytes, key: str, at: int, timeout: float) -> Attempt:
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(parts.hostname or "", parts.port, timeout=timeout,
                                                 context=ssl.create_default_context())
    else:
        connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=timeout)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        signing.HEADER: signing.signature(secret, body, at),
        signing.IDEMPOTENCY_HEADER: key,
    }
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(1 << 16)  # drained, not kept
        status = response.status
    except TimeoutError:
        return Attempt(False, None, "timeout")
    except (OSError, http.client.HTTPException) as error:
        return Attempt(False, None, type(error).__name__)
    finally:
        connection.close()
    if 200 <= status < 300:
        return Attempt(True, status, None)
    return Attempt(False, status, f"HTTP {status}")
