"""Finding 2: a server that echoes the credentials back never gets them printed.

Reflecting servers (127.0.0.1) put the `Authorization` header, a secret header's value
and the URL (with its `fal_jwt_token`) into every place a server's text can go: the
handshake body of a 401 and a 500, an `x-fal-error` reason, a close reason, a text
frame, a WebRTC signaling `error`, an SSE error event and an SSE error body. Then
`rtprobe run` (key in FAL_KEY) writes stdout, stderr, --json, --csv and --html, and
none may hold a secret; the engine's events (what the GUI's log and inspector show)
neither, for the fetched token too; and the mock's own debug log neither.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from http import HTTPStatus
from pathlib import Path

import pytest
import websockets
from websockets.asyncio.server import ServerConnection, serve
from websockets.http11 import Request, Response

from app.core.config import RunConfig
from app.core.engine.run import run
from app.core.events import (
    ErrorEvent,
    Event,
    Message,
    RunFinished,
    Sample,
    StateChange,
    StatsSnapshot,
)
from app.core.targets import Target, Transport
from app.core.transports.wsbase import Credentials
from tests.hostile.servers import Closable, echo_headers, http_response, http_server, serving

KEY = "hostile-id:hostilesecret0123456789"
KEY_SECRET_HALF = KEY.split(":", 1)[1]
HEADER = ("X-Api-Token", "headersecret-abcdef0123")
TOKEN = "eyJhbGciOi.jwtsecretpart9876543210.sig"
SECRETS = (KEY, KEY_SECRET_HALF, HEADER[1], TOKEN)
RTPROBE = [sys.executable, "-m", "app"]
RUN_TIMEOUT_S = 60


def assert_clean(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{where} holds the secret {secret[:6]}…"


# -- the reflecting servers ------------------------------------------------------------


def _echo(request: Request) -> str:
    return echo_headers(request.path, {k: v for k, v in request.headers.raw_items()})


def _process_request(connection: ServerConnection, request: Request) -> Response | None:
    path = request.path.split("?")[0]
    status = {"/h401": HTTPStatus.UNAUTHORIZED, "/h500": HTTPStatus.INTERNAL_SERVER_ERROR}
    if path in status:
        return connection.respond(status[path], _echo(request))
    return None


async def _ws_handler(ws: ServerConnection) -> None:
    assert ws.request is not None
    path = ws.request.path.split("?")[0]
    said = _echo(ws.request)
    auth = ws.request.headers.get("authorization", "")
    if path == "/webrtc":
        await ws.send(json.dumps({"type": "error", "error": f"offer_failed:RuntimeError:{said}"}))
        await ws.wait_closed()
        return
    async for _message in ws:
        if path == "/xfal":
            await ws.send(json.dumps({"type": "x-fal-error", "error": "INTERNAL", "reason": said}))
        elif path == "/close":
            await ws.close(1011, f"{auth} {HEADER[1]}"[:120])
            return
        elif path == "/text":
            await ws.send(f"not json {said}")


async def _start_ws() -> tuple[Closable, int]:
    server = await serve(
        _ws_handler, "127.0.0.1", 0, process_request=_process_request, ping_interval=None
    )
    return server, next(iter(server.sockets)).getsockname()[1]


async def _http_handler(method: str, target: str, headers: dict[str, str], body: bytes) -> bytes:
    said = echo_headers(target, headers)
    path = target.split("?")[0]
    if path == "/tokens/":
        if headers.get("authorization") != f"Key {KEY}":
            return http_response("401 Unauthorized", json.dumps({"detail": said}).encode())
        return http_response("200 OK", json.dumps(TOKEN).encode(), "application/json")
    if path == "/sse401":
        return http_response("401 Unauthorized", json.dumps({"detail": said}).encode())
    if path == "/sse500":
        return http_response("500 Internal Server Error", said.encode())
    event = f"data: {json.dumps({'error': {'detail': said}})}\n\n".encode()
    return http_response("200 OK", event, "text/event-stream")


async def _start_http() -> tuple[Closable, int]:
    return await http_server(_http_handler)


@pytest.fixture(scope="module")
def ws_port() -> Iterator[int]:
    with serving(_start_ws) as port:
        yield port


@pytest.fixture(scope="module")
def http_port() -> Iterator[int]:
    with serving(_start_http) as port:
        yield port


# -- rtprobe run: every output -----------------------------------------------------------

WS_CASES = [
    ("realtime", "/h401"),
    ("realtime", "/h500"),
    ("realtime", "/xfal"),
    ("realtime", "/close"),
    ("ws", "/h401"),
    ("ws", "/xfal"),
    ("ws", "/close"),
    ("ws", "/text"),
    ("webrtc", "/h401"),
    ("webrtc", "/webrtc"),
]
SSE_CASES = ["/sse401", "/sse500", "/event"]


def _rtprobe_run(transport: str, url: str, tmp_path: Path) -> str:
    """Run `rtprobe run` with every output; the text of all of them, checked clean."""
    outputs = {flag: tmp_path / f"out.{flag}" for flag in ("json", "csv", "html")}
    extra = ["--duration", "5"] if transport == "webrtc" else ["--count", "3"]
    out = subprocess.run(
        [
            *RTPROBE,
            "run",
            transport,
            url,
            *extra,
            "--timeout",
            "3",
            "--reconnects",
            "0",
            "--header",
            f"{HEADER[0]}:{HEADER[1]}",
            *(x for flag, path in outputs.items() for x in (f"--{flag}", str(path))),
        ],
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
        env={**os.environ, "FAL_KEY": KEY},
    )
    texts = {"stdout": out.stdout, "stderr": out.stderr}
    for flag, path in outputs.items():
        assert path.exists(), f"--{flag} was not written: {out.stderr}"
        texts[f"--{flag}"] = path.read_text()
    for where, text in texts.items():
        assert_clean(text, f"{transport} {url}: {where}")
    return out.stdout + out.stderr


@pytest.mark.parametrize(("transport", "path"), WS_CASES)
def test_a_reflected_secret_reaches_no_output(
    transport: str, path: str, ws_port: int, tmp_path: Path
) -> None:
    said = _rtprobe_run(transport, f"ws://127.0.0.1:{ws_port}{path}", tmp_path)
    if path != "/text":  # a text reply is counted, not printed
        assert "***" in said  # the server's text was shown, masked, not dropped


@pytest.mark.parametrize("path", SSE_CASES)
def test_a_reflected_secret_reaches_no_sse_output(
    path: str, http_port: int, tmp_path: Path
) -> None:
    said = _rtprobe_run("sse", f"http://127.0.0.1:{http_port}{path}", tmp_path)
    assert "***" in said


# -- the engine's events: the GUI's log and inspector ------------------------------------


def _text_of(event: Event) -> str:
    if isinstance(event, Sample):
        return event.error
    if isinstance(event, ErrorEvent):
        return event.message
    if isinstance(event, RunFinished):
        return event.error
    if isinstance(event, StateChange):
        return event.detail
    if isinstance(event, Message):
        return repr(event.data)
    if isinstance(event, StatsSnapshot):
        return repr(event.values)
    return repr(event)


async def _events(config: RunConfig) -> list[Event]:
    got: list[Event] = []
    try:
        await asyncio.wait_for(run(config, got.append), RUN_TIMEOUT_S)
    except Exception as exc:  # the run's own failure is raised too: it must be clean
        assert_clean(str(exc), "the error run() raised")
    return got


def _config(target: Target, *, jwt: bool) -> RunConfig:
    return RunConfig(
        target=target,
        count=3,
        timeout_s=3,
        reconnects=0,
        credentials=Credentials(KEY, use_jwt=jwt),
        headers={HEADER[0]: HEADER[1]},
        record_messages=True,
    )


@pytest.mark.parametrize(("transport", "path"), WS_CASES)
async def test_events_hold_no_secret_not_even_the_fetched_token(
    transport: Transport, path: str, ws_port: int, http_port: int
) -> None:
    target = Target(
        transport,
        f"ws://127.0.0.1:{ws_port}{path}",
        alias="hostile/app",
        token_url=f"http://127.0.0.1:{http_port}/tokens/",
    )
    events = await _events(_config(target, jwt=True))
    shown = [e for e in events if isinstance(e, ErrorEvent | Message | RunFinished | Sample)]
    assert shown, "the run emitted nothing to show"
    for event in events:
        assert_clean(_text_of(event), f"{type(event).__name__} of {transport} {path}")
    assert any("***" in _text_of(e) for e in events)  # shown, masked


async def test_a_token_service_that_echoes_the_key_is_masked(http_port: int) -> None:
    target = Target(
        "realtime",
        "ws://127.0.0.1:1/never",
        alias="hostile/app",
        token_url=f"http://127.0.0.1:{http_port}/tokens/?refuse",
    )
    config = _config(target, jwt=True)
    bad_key = Credentials("other-id:othersecret0123456789", use_jwt=True)
    events = await _events(dataclasses.replace(config, credentials=bad_key))
    errors = [e for e in events if isinstance(e, ErrorEvent)]
    assert errors and "HTTP 401" in errors[0].message
    for event in events:
        text = _text_of(event)
        assert "othersecret0123456789" not in text and HEADER[1] not in text


async def test_websockets_closing_with_the_key_in_its_reason_is_masked(ws_port: int) -> None:
    """The close reason alone (no reconnect, no handshake body): ClosedError's text."""
    target = Target("ws", f"ws://127.0.0.1:{ws_port}/close")
    events = await _events(_config(target, jwt=False))
    closed = [e for e in events if isinstance(e, ErrorEvent) and "1011" in e.message]
    assert closed, [_text_of(e) for e in events]
    assert "***" in closed[0].message
    for event in events:
        assert_clean(_text_of(event), type(event).__name__)


def test_the_mock_logs_no_credential_at_debug(tmp_path: Path) -> None:
    """`rtprobe mock --key K --log-level debug` logs every handshake header: masked."""
    proc = subprocess.Popen(
        [*RTPROBE, "mock", "--key", KEY, "--log-level", "debug", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines: list[str] = []
        base = ""
        for _ in range(200):  # bounded: the first lines name the address
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("listening on "):
                base = line.split()[-1]
                break
        assert base, "".join(lines)
        ws_url = base.replace("http", "ws") + "/realtime?fal_jwt_token=" + TOKEN

        async def knock() -> None:
            headers = {"Authorization": f"Key {KEY}", HEADER[0]: HEADER[1]}
            try:
                async with websockets.connect(
                    ws_url, additional_headers=headers, open_timeout=10
                ) as ws:
                    await ws.close()
            except websockets.InvalidStatus:
                pass  # refused or not: the log is what is tested

        asyncio.run(knock())
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=20)
    log = "".join(lines) + out
    assert "authorization" in log.lower()  # the debug log did show the headers
    assert_clean(log, "the mock's debug log")


@pytest.mark.parametrize(("transport", "path"), [("realtime", "/xfal"), ("ws", "/text")])
async def test_the_guis_live_run_and_inspector_hold_no_secret(
    transport: Transport, path: str, ws_port: int, tmp_path: Path
) -> None:
    """What the GUI shows is a LiveRun fed the engine's events: its last error, the
    inspector's messages, its summary and its CSV export."""
    from app.core.live import LiveRun
    from app.core.report.jsonfile import write_json

    target = Target(transport, f"ws://127.0.0.1:{ws_port}{path}")
    events = await _events(_config(target, jwt=False))
    live = LiveRun(transport, target.display)
    try:
        messages = live.feed_many(events)
        assert messages, "the inspector got no message"
        live.export_csv(tmp_path / "live.csv")
        write_json(tmp_path / "live.json", live.summary())
        shown = {
            "last error": live.last_error,
            "inspector": repr(messages),
            "csv": (tmp_path / "live.csv").read_text(),
            "summary": (tmp_path / "live.json").read_text(),
        }
    finally:
        live.close()
    for where, text in shown.items():
        assert_clean(text, where)
    assert "***" in shown["inspector"]
