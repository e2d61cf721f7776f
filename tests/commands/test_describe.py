"""`rtprobe describe` against the real mock under uvicorn on 127.0.0.1: it finds every
route the mock serves, with the transport, mode and buffering the mock's routes have,
and the `rtprobe run` line it prints works against the same mock."""

from __future__ import annotations

import json
import shlex

import pytest

from app.core.discovery.describe import describe
from app.core.discovery.validate import validate
from app.core.engine.build import SIGNALING
from server_mock import openapi as mock_openapi
from server_mock.app import APPS
from tests.commands.test_run import rtprobe

EXPECTED_TRANSPORT = {  # how rtprobe drives each kind of mock route
    ("yolo", "realtime"): "webrtc",
    ("yolo", "webrtc"): "webrtc",
    ("world", "realtime"): "webrtc",
    ("world", "webrtc"): "webrtc",
}


def served(alias: str) -> dict[str, tuple[str | None, str | None, int | None, int]]:
    """path -> (transport, mode, buffering, max batch) as the mock itself serves it."""
    app = APPS[alias]
    out: dict[str, tuple[str | None, str | None, int | None, int]] = {}
    if app.run is not None:
        out["/"] = (None, None, None, 0)
    if app.sse is not None:
        out["/stream"] = ("sse", None, None, 0)
    for path, route in app.realtime.items():
        transport = EXPECTED_TRANSPORT.get((alias, path), "realtime")
        out[f"/{path}"] = (transport, route.mode, route.buffering, route.max_batch_size)
    for path in app.raw_ws:
        out[f"/{path}"] = (EXPECTED_TRANSPORT.get((alias, path), "ws"), None, None, 1)
    return out


@pytest.mark.parametrize("alias", sorted(APPS))
async def test_describe_finds_every_route_the_mock_serves(mock_base: str, alias: str) -> None:
    d = await describe(f"mock/{alias}", mock_base=mock_base)
    found = {
        u.route.path: (
            u.route.transport,
            u.route.mode,
            u.route.buffering,
            u.route.max_batch_size or 0,
        )
        for u in d.usages
    }
    assert found == served(alias)
    for u in d.usages:
        assert validate(d.app.document, u.route.input_schema, u.example) == [], u.route.path
        if u.route.kind == "realtime":
            assert u.route.content_type == "application/msgpack"
            assert u.route.session_timeout_s == 60.0  # the mock's default, as it applies it
        if u.route.transport == "webrtc":
            assert u.route.signaling == ("msgpack" if u.route.kind == "realtime" else "json")
            assert u.command and "--signaling" in u.command


async def test_url_form_gives_urls_on_the_same_server(mock_base: str) -> None:
    d = await describe(f"{mock_base}/mock/diffusion/openapi.json")
    rt = next(u for u in d.usages if u.route.path == "/realtime")
    ws_base = mock_base.replace("http://", "ws://")
    assert rt.target == rt.url == f"{ws_base}/mock/diffusion/realtime"
    assert rt.example == {"prompt": "a red fox in the snow"}  # required, with its example


RUNNABLE = [
    ("echo", "/realtime"),
    ("echo", "/realtime-stream"),
    ("echo", "/realtime-batch"),
    ("echo", "/ws"),
    ("echo", "/stream"),
    ("diffusion", "/realtime"),  # its example carries the required prompt: the app takes it
    ("diffusion", "/stream"),
    ("yolo", "/webrtc"),  # JSON signaling (4a), 5 s of video
]


@pytest.mark.parametrize(("alias", "path"), RUNNABLE)
def test_the_printed_run_line_works_against_the_mock(mock_base: str, alias: str, path: str) -> None:
    out = rtprobe("describe", f"{mock_base}/mock/{alias}", "--json", timeout=60)
    assert out.returncode == 0, out.stderr
    described = json.loads(out.stdout)
    routes = {r["path"]: r for r in described["routes"]}
    ref = (routes[path]["input_schema"] or {}).get("$ref", "")
    assert not ref or ref.rsplit("/", 1)[-1] in described["components"]["schemas"]
    words = shlex.split(routes[path]["command"])
    assert words[:2] == ["rtprobe", "run"]
    run = rtprobe(*words[1:], "--quiet", "--no-history", timeout=90)
    assert run.returncode == 0, run.stderr
    if routes[path]["transport"] == "webrtc":
        assert " lost 0 " in run.stdout, run.stdout
    else:
        assert " errors 0 " in run.stdout and " timeouts 0" in run.stdout, run.stdout


def test_describe_with_mock_prints_routes_and_commands() -> None:
    out = rtprobe("describe", "mock/world", "--mock", timeout=60)
    assert out.returncode == 0, out.stderr
    assert "/webrtc  webrtc · bidi · signaling msgpack" in out.stdout
    assert "rtprobe run webrtc mock/world/webrtc --mock --signaling msgpack --duration 5" in (
        out.stdout
    )


def test_a_wma_app_publishes_x_fal_realtime_and_its_asyncapi(
    mock_base: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(mock_openapi.WMA_ROUTES, "world", "start-session")
    import asyncio

    d = asyncio.run(describe("mock/world", mock_base=mock_base))
    wma = next(u for u in d.usages if u.route.path == "/start-session")
    assert (wma.route.kind, wma.route.transport, wma.route.signaling) == ("wma", "webrtc", "wma")
    assert wma.contract is not None and wma.contract.channel == "control"
    sends = {m.name for m in wma.contract.messages if m.direction == "send"}
    gets = {m.name for m in wma.contract.messages if m.direction == "receive"}
    assert sends == {"prompt", "commands", "reset", "ping"}
    assert gets == {"pong", "error", "stream_exhausted"}
    assert wma.contract.media_receive[0]["kind"] == "video"
    assert wma.url.startswith("http://")  # WMA starts over HTTP
    if "wma" in SIGNALING:
        assert wma.command == (
            "rtprobe run webrtc mock/world/start-session --mock --signaling wma --duration 5"
        )
    else:  # no line `rtprobe run` refuses (argparse: invalid choice 'wma'); the note says so
        assert wma.command is None
        assert any("does not yet" in n for n in wma.notes)


def test_apps_without_wma_publish_no_asyncapi(mock_base: str) -> None:
    import httpx

    r = httpx.get(f"{mock_base}/mock/echo/asyncapi.json")
    assert r.status_code == 404 and "publishes no AsyncAPI" in r.json()["detail"]


def test_bad_targets_get_one_line() -> None:
    out = rtprobe("describe", "not an app id", timeout=30)
    assert out.returncode == 1
    assert out.stderr.strip().count("\n") == 0 and "app id" in out.stderr
    out = rtprobe("describe", "mock/nothing", "--mock", timeout=60)
    assert out.returncode == 1 and "HTTP 404" in out.stderr and "Traceback" not in out.stderr
