"""Finding 8: one exit-code policy for every transport. A run that cannot reach its
target (connection refused, TLS refused, credentials refused) exits 1 with one clear
line, over SSE as over WebSocket and WebRTC; bad arguments exit 2 before anything
connects, for all four transports alike."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.hostile import stream_servers as servers
from tests.hostile import tls

pytestmark = pytest.mark.timeout(120)

RTPROBE = [sys.executable, "-m", "app"]
TRANSPORTS = ["realtime", "ws", "sse", "webrtc"]
PATHS = {"realtime": "realtime", "ws": "ws", "sse": "stream", "webrtc": "webrtc"}


def url(transport: str, port: int, secure: bool = False) -> str:
    scheme = "http" if transport == "sse" else "ws"
    return f"{scheme}{'s' if secure else ''}://127.0.0.1:{port}/mock/echo/{PATHS[transport]}"


def rtprobe(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "FAL_KEY"}
    return subprocess.run([*RTPROBE, *args], capture_output=True, text=True, timeout=90, env=env)


def short_run(transport: str, target: str) -> list[str]:
    """A run that ends soon whatever happens: few messages, one reconnect."""
    amount = ["--duration", "2"] if transport == "webrtc" else ["--count", "3"]
    return ["run", transport, target, *amount, "--reconnects", "1", "--timeout", "3"]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def assert_unreached(out: subprocess.CompletedProcess[str], says: str) -> None:
    assert out.returncode == 1, (out.returncode, out.stdout, out.stderr)
    assert says in out.stdout + out.stderr, (out.stdout, out.stderr)
    assert "Traceback" not in out.stdout + out.stderr


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_connection_refused_exits_1(transport: str) -> None:
    out = rtprobe(*short_run(transport, url(transport, closed_port())))
    assert_unreached(out, "connection refused")


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_credentials_refused_exits_1(hostile, transport: str) -> None:
    port = hostile(servers.status_only(401, "Unauthorized"))
    out = rtprobe(*short_run(transport, url(transport, port)), "--no-jwt")
    assert_unreached(out, "401")


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    made = tls.self_signed(tmp_path_factory.mktemp("tls"))
    if made is None:
        pytest.skip("no way to make a certificate: neither `cryptography` nor `openssl`")
    return made


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_self_signed_tls_is_refused_and_exits_1(hostile, certificate, transport: str) -> None:
    port = hostile(servers.status_only(200, "OK"), ssl_context=tls.server_context(*certificate))
    out = rtprobe(*short_run(transport, url(transport, port, secure=True)))
    assert_unreached(out, "TLS failed")


BAD_ARGUMENTS = [
    (["--count", "0"], "--count 0 must be at least 1"),
    (["--duration", "0"], "--duration 0 must be above 0"),
    (["--rate", "0"], "leave it out for closed loop"),
]


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize(("extra", "message"), BAD_ARGUMENTS, ids=lambda v: str(v))
def test_bad_arguments_exit_2_before_connecting(transport: str, extra, message: str) -> None:
    port = closed_port()  # nothing listens: a run that connected would say "refused"
    out = rtprobe("run", transport, url(transport, port), *extra)
    assert out.returncode == 2, (out.stdout, out.stderr)
    assert message in out.stderr and len(out.stderr.strip().splitlines()) == 1
    assert out.stdout == ""


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_broken_url_exits_2(transport: str) -> None:
    bad = "http://[::1" if transport == "sse" else "ws://[::1"
    out = rtprobe("run", transport, bad)
    assert out.returncode == 2, (out.stdout, out.stderr)
    assert f"TARGET {bad!r} is not a valid URL" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("transport", ["realtime", "sse"])
def test_a_non_object_payload_exits_2_before_connecting(transport: str) -> None:
    out = rtprobe("run", transport, url(transport, closed_port()), "--payload", "[1, 2]")
    assert out.returncode == 2, (out.stdout, out.stderr)
    assert f"must be a JSON object for {transport}" in out.stderr
