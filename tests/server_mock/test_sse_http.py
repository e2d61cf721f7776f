"""SSE and plain HTTP on the mock, seen with httpx and httpx-sse."""

from __future__ import annotations

import base64

import httpx
import pytest
from httpx_sse import ServerSentEvent, aconnect_sse


async def _stream(url: str, body: dict) -> tuple[str, list[ServerSentEvent]]:
    """POST `body` and read the whole event stream: its content type and its events."""
    async with (
        httpx.AsyncClient(timeout=10) as client,
        aconnect_sse(client, "POST", url, json=body) as es,
    ):
        return es.response.headers["content-type"], [e async for e in es.aiter_sse()]


async def test_diffusion_streams_progress_then_a_png(mock_base: str) -> None:
    content_type, events = await _stream(
        f"{mock_base}/mock/diffusion/stream", {"steps": 5, "step_ms": 1, "width": 40, "height": 30}
    )
    assert content_type.startswith("text/event-stream")
    assert all(e.event == "message" for e in events)
    data = [e.json() for e in events]
    assert [d["step"] for d in data[:-1]] == [1, 2, 3, 4, 5]
    assert data[-2]["progress"] == 1.0
    url = data[-1]["images"][0]["url"]
    png = base64.b64decode(url.split(",", 1)[1])
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert int.from_bytes(png[16:20], "big") == 40 and int.from_bytes(png[20:24], "big") == 30


async def test_echo_stream_events_carry_server_timestamps(mock_base: str) -> None:
    _, events = await _stream(
        f"{mock_base}/mock/echo/stream", {"count": 3, "interval_ms": 1, "tag": "t"}
    )
    data = [e.json() for e in events]
    assert [d["index"] for d in data] == [0, 1, 2]
    assert all(d["tag"] == "t" and d["server_send_ns"] >= d["server_recv_ns"] for d in data)


async def test_echo_stream_events_carry_the_sse_fields_asked_for(mock_base: str) -> None:
    body = {"count": 3, "interval_ms": 1, "sse_event": "tick", "sse_id": True, "sse_retry_ms": 250}
    _, events = await _stream(f"{mock_base}/mock/echo/stream", body)
    assert [e.event for e in events] == ["tick"] * 3
    assert [e.id for e in events] == ["0", "1", "2"]
    assert [e.retry for e in events] == [250, None, None]  # the first event's only
    _, plain = await _stream(f"{mock_base}/mock/echo/stream", {"count": 2})
    assert [(e.event, e.id, e.retry) for e in plain] == [("message", "", None)] * 2


@pytest.mark.parametrize(
    ("path", "body", "status", "detail"),
    [
        ("/mock/echo/stream", b'{"sse_event": "a\\nb"}', 422, "'sse_event' must be one line"),
        ("/mock/echo/stream", b'{"sse_id": 1}', 422, "'sse_id' must be a boolean"),
        ("/mock/echo/stream", b'{"sse_retry_ms": -1}', 422, "'sse_retry_ms' must be between"),
        ("/mock/echo/stream", b"{not json", 422, "request body is not valid JSON"),
        ("/mock/echo/stream", b"[1, 2]", 422, "must be a JSON object, got list"),
        ("/mock/diffusion/stream", b'{"steps": "many"}', 422, "'steps' must be an integer"),
        ("/mock/diffusion/stream", b'{"width": 99999}', 422, "'width' must be between 16 and 2048"),
        ("/mock/nope/stream", b"{}", 404, "no app mock/nope"),
        ("/mock/yolo/stream", b"{}", 404, "serves no HTTP route /stream"),
    ],
)
async def test_http_errors_before_streaming_are_json(
    mock_base: str, path: str, body: bytes, status: int, detail: str
) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        r = await client.post(
            mock_base + path, content=body, headers={"content-type": "application/json"}
        )
    assert r.status_code == status
    assert detail in r.json()["detail"]


async def test_plain_post_runs(mock_base: str) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        r = await client.post(
            f"{mock_base}/mock/diffusion", json={"steps": 1, "width": 16, "height": 16}
        )
    assert r.status_code == 200
    assert r.json()["images"][0]["width"] == 16


async def test_http_demands_key_when_configured(start_mock) -> None:
    with start_mock(key="k") as base:
        async with httpx.AsyncClient(timeout=10) as client:
            r = await client.post(f"{base}/mock/echo/stream", json={})
            assert r.status_code == 401
            r = await client.post(
                f"{base}/mock/echo", json={"a": 1}, headers={"authorization": "Key k"}
            )
            assert r.status_code == 200 and r.json()["a"] == 1
            r = await client.post(
                f"{base}/tokens/", json={"token_expiration": -5}, headers={"authorization": "Key k"}
            )
            assert r.status_code == 422
