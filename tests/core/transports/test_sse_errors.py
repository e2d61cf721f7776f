"""How SSE failures read: one redacted ProbeError line per case, no socket needed."""

from __future__ import annotations

import httpx
import pytest

from app.core.errors import (
    AppError,
    AuthError,
    ClosedError,
    ConnectError,
    ProbeTimeout,
    ProtocolError,
    TargetError,
)
from app.core.transports.sse_errors import SseErrors, app_error, read_detail

SECRET = "key-id:supersecretvalue"
ERRORS = SseErrors("mock/echo", "http://127.0.0.1:9/mock/echo/stream", 2.0, (SECRET,))


def response(status: int, **kwargs: object) -> httpx.Response:
    return httpx.Response(status, request=httpx.Request("POST", ERRORS.url), **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("status", "kind", "says"),
    [
        (401, AuthError, "HTTP 401, credentials refused: no " + "***"),
        (404, TargetError, "HTTP 404: no ***"),
        (422, AppError, "no ***"),
        (503, ConnectError, "server unavailable"),
        (418, ProtocolError, "HTTP 418"),
    ],
)
def test_statuses(status: int, kind: type, says: str) -> None:
    error = ERRORS.status_error(status, f"no {SECRET}", response(status))
    assert isinstance(error, kind) and says in str(error) and "supersecret" not in str(error)


def test_a_redirect_names_where_it_points() -> None:
    error = ERRORS.status_error(307, "", response(307, headers={"location": "http://x/y"}))
    assert isinstance(error, ProtocolError) and "redirect to http://x/y" in str(error)


def test_httpx_exceptions_by_when_they_happened() -> None:
    timeout = httpx.ReadTimeout("slow")
    assert "no response within 2 s" in str(ERRORS.translate(timeout, 0, 0))
    assert "no data for 2 s after 5 events" in str(ERRORS.translate(timeout, 200, 5))
    cut = ERRORS.translate(httpx.RemoteProtocolError(f"peer\nclosed {SECRET}"), 200, 3)
    assert isinstance(cut, ClosedError) and "stream cut after 3 events (peer closed ***)" in str(
        cut
    )
    assert isinstance(ERRORS.translate(httpx.ConnectTimeout("x"), 0, 0), ProbeTimeout)
    refused = httpx.ConnectError("failed")
    refused.__cause__ = ConnectionRefusedError()
    assert "connection refused" in str(ERRORS.translate(refused, 0, 0))


def test_error_events_in_both_shapes() -> None:
    flat = app_error("boom\nbang", ERRORS.redact)
    assert isinstance(flat, AppError) and (flat.code, flat.reason) == ("SSE", "boom bang")
    nested = app_error({"type": "Overload", "message": "x" * 10_000}, ERRORS.redact)
    assert nested.code == "Overload" and len(nested.reason) == 300


async def test_read_detail_prefers_the_json_detail() -> None:
    fastapi = [{"loc": ["body", "count"], "msg": "must be an integer"}]
    assert await read_detail(response(422, json={"detail": fastapi})) == (
        "count: must be an integer"
    )
    assert await read_detail(response(500, text="plain\ntext")) == "plain text"
    assert await read_detail(response(500)) == ""
