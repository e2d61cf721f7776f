"""How an SSE request that went wrong is told: httpx's exceptions, HTTP statuses and
error events, each turned into one redacted ProbeError line.

Apart from the client because it is a table of cases, not streaming: `SseErrors` knows
the target, the timeout and the secrets to mask, nothing of a request in flight.
"""

from __future__ import annotations

import json
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from app.core.errors import (
    AppError,
    AuthError,
    ClosedError,
    ConnectError,
    ProbeError,
    ProbeTimeout,
    ProtocolError,
    TargetError,
)
from app.core.text import one_line, redact

MAX_ERROR_BODY = 64 * 1024  # bytes of an error response read for its `detail`
MAX_DETAIL = 300  # characters of a detail put into a message
AUTH_STATUSES = (401, 403)
TARGET_STATUSES = (404, 405)  # the URL or method is wrong: fix the target
INPUT_STATUSES = (400, 422)  # the app rejected the input
GATEWAY_STATUSES = (502, 503, 504)  # nothing (healthy) behind the front door


@dataclass(frozen=True)
class SseErrors:
    """One client's error wording: where (the target as shown), its timeout, its secrets."""

    where: str
    url: str
    timeout_s: float
    secrets: tuple[str, ...] = field(default=(), repr=False)

    def redact(self, text: str) -> str:
        return redact(text, *self.secrets)

    def status_error(self, status: int, detail: str, response: httpx.Response) -> ProbeError:
        """A status that cannot carry the stream, with the server's `detail` (redacted)."""
        where = self.where
        detail = self.redact(detail)
        said = f": {detail}" if detail else ""
        if status in AUTH_STATUSES:
            return AuthError(f"{where}: HTTP {status}, credentials refused{said}")
        if status in TARGET_STATUSES:
            return TargetError(f"{where}: HTTP {status}{said}")
        if status in INPUT_STATUSES or status == 500:
            return AppError(f"HTTP {status}", detail or response.reason_phrase)
        if status in GATEWAY_STATUSES:
            return ConnectError(f"{where}: HTTP {status}, server unavailable{said}")
        if 300 <= status < 400:
            location = self.redact(response.headers.get("location", "?"))
            return ProtocolError(f"{where}: HTTP {status} redirect to {location} (use that URL)")
        return ProtocolError(f"{where}: HTTP {status}{said}")

    def translate(self, exc: httpx.HTTPError, status: int, events: int) -> ProbeError:
        """httpx's exception → one ProbeError line, told apart by when it happened
        (`status` 0: before a response; `events`: how many had arrived)."""
        where = self.where
        if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
            return ProbeTimeout(f"{where}: no connection within {self.timeout_s:g} s")
        if isinstance(exc, httpx.TimeoutException):
            if not status:
                return ProbeTimeout(f"{where}: no response within {self.timeout_s:g} s")
            return ProbeTimeout(f"{where}: no data for {self.timeout_s:g} s after {events} events")
        if isinstance(exc, httpx.ConnectError):
            return self.connect_error(exc)
        if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
            reason = self.redact(one_line(str(exc))) or type(exc).__name__
            if not status:
                return ClosedError(f"{where}: connection closed before a response ({reason})")
            return ClosedError(f"{where}: stream cut after {events} events ({reason})")
        if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
            return TargetError(f"{where}: {self.redact(one_line(str(exc)))}")
        if isinstance(exc, httpx.DecodingError):
            return ProtocolError(f"{where}: undecodable response body: {one_line(str(exc))}")
        return ProtocolError(f"{where}: {type(exc).__name__}: {self.redact(one_line(str(exc)))}")

    def connect_error(self, exc: BaseException) -> ProbeError:
        """Connecting failed: said by the root cause, not by httpx's wrapper."""
        where = self.where
        root = root_cause(exc)
        if isinstance(root, ConnectionRefusedError):
            return ConnectError(f"{where}: connection refused (is the server running?)")
        if isinstance(root, socket.gaierror):
            host = urlsplit(self.url).hostname
            return ConnectError(f"{where}: cannot resolve host {host!r}")
        if isinstance(root, ssl.SSLError):
            return ConnectError(f"{where}: TLS failed: {root.reason or one_line(str(root))}")
        if isinstance(root, OSError) and root.strerror:
            return ConnectError(f"{where}: cannot connect: {root.strerror}")
        text = self.redact(one_line(str(root) or str(exc))) or type(root).__name__
        return ConnectError(f"{where}: cannot connect: {text}")


def app_error(value: Any, redact: Callable[[str], str]) -> AppError:
    """fal sends `{"error": "…"}`; accept `{"error": {"message"/"detail", "type"/"code"}}` too."""
    code = "SSE"
    if isinstance(value, dict):
        code = str(value.get("type") or value.get("code") or code)
        value = value.get("message") or value.get("detail") or value
    return AppError(redact(one_line(str(code))), redact(one_line(str(value))[:MAX_DETAIL]))


async def read_detail(response: httpx.Response) -> str:
    """The JSON `detail` of an error response (FastAPI style), else its text, one line."""
    body = b""
    try:
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) >= MAX_ERROR_BODY:
                break
    except httpx.HTTPError:
        pass  # the status alone still says what went wrong
    if not body:
        return ""
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):  # not JSON, or nested too deep to read
        return one_line(body.decode(errors="replace"))[:MAX_DETAIL]
    if isinstance(value, dict) and "detail" in value:
        value = value["detail"]
    if isinstance(value, list):  # FastAPI validation errors: [{"loc": […], "msg": …}, …]
        value = "; ".join(_validation_item(item) for item in value)
    return one_line(str(value))[:MAX_DETAIL]


def _validation_item(item: Any) -> str:
    if isinstance(item, dict) and "msg" in item:
        loc = ".".join(str(p) for p in item.get("loc", ()) if p != "body")
        return f"{loc}: {item['msg']}" if loc else str(item["msg"])
    return str(item)


def root_cause(exc: BaseException) -> BaseException:
    seen: set[int] = set()
    while id(exc) not in seen:
        seen.add(id(exc))
        nxt = exc.__cause__ or exc.__context__
        if nxt is None:
            break
        exc = nxt
    return exc
