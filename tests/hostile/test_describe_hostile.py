"""`rtprobe describe` against servers that misbehave: garbage, a document without end,
a redirect loop, silence, a trickle, $ref cycles, and a server that wants the key and
echoes it. Each ends with one line in bounded time; the key goes only where asked and
never reaches the output."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable

import pytest

from app.core.discovery import fetch
from app.core.discovery.describe import describe
from app.core.errors import AuthError, ConnectError, ProbeTimeout, ProtocolError
from tests.commands.test_run import rtprobe
from tests.hostile.raw_servers import read_http_request, tcp_server
from tests.hostile.servers import http_response, http_server, serving

Writer = asyncio.StreamWriter
Reader = asyncio.StreamReader
KEY = "sk-describe-secret-0123456789"


def answering(body: bytes, status: str = "200 OK") -> Callable[[Reader, Writer], Awaitable[None]]:
    async def handler(reader: Reader, writer: Writer) -> None:
        await read_http_request(reader)
        writer.write(http_response(status, body, "application/json"))
        await writer.drain()

    return handler


async def test_garbage_and_deep_nesting_are_one_line_protocol_errors() -> None:
    async with tcp_server(answering(b"<html>hello</html>")) as url:
        with pytest.raises(ProtocolError, match=r"openapi.json is not JSON: Expecting value"):
            await describe(url + "app")
    async with tcp_server(answering(b"[" * 100_000 + b"]" * 100_000)) as url:
        with pytest.raises(ProtocolError, match="too deeply nested"):
            await describe(url + "app")
    async with tcp_server(answering(b'{"openapi": "3.1.0", "paths": 7}')) as url:
        with pytest.raises(ProtocolError, match="no 'paths' object"):
            await describe(url + "app")


async def test_a_document_without_end_is_cut_at_the_cap() -> None:
    async def endless(reader: Reader, writer: Writer) -> None:
        await read_http_request(reader)
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
            b"transfer-encoding: chunked\r\n\r\n"
        )
        chunk = b"x" * 65536
        for _ in range(10_000):  # 640 MiB at most; the client leaves long before
            writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            await writer.drain()

    async with tcp_server(endless) as url:
        started = time.monotonic()
        with pytest.raises(ProtocolError, match="larger than 8 MiB: not read"):
            await describe(url + "app")
        assert time.monotonic() - started < 10

    huge = b"HTTP/1.1 200 OK\r\ncontent-length: 999999999\r\n\r\n{"

    async def declared(reader: Reader, writer: Writer) -> None:
        await read_http_request(reader)
        writer.write(huge)
        await writer.drain()
        await asyncio.sleep(30)  # never sends the rest: refused on the header alone

    async with tcp_server(declared) as url:
        with pytest.raises(ProtocolError, match="larger than 8 MiB"):
            await describe(url + "app", timeout_s=5)


async def test_a_redirect_loop_ends_after_five_hops() -> None:
    hops = 0

    async def loop(reader: Reader, writer: Writer) -> None:
        nonlocal hops
        await read_http_request(reader)
        hops += 1
        writer.write(b"HTTP/1.1 302 Found\r\nlocation: /again\r\ncontent-length: 0\r\n\r\n")
        await writer.drain()

    async with tcp_server(loop) as url:
        with pytest.raises(ConnectError, match="more than 5 redirects"):
            await describe(url + "app")
    assert hops == fetch.MAX_REDIRECTS + 1


@pytest.mark.parametrize("kind", ["silent", "trickle"])
async def test_silence_and_a_trickle_end_at_the_deadline(kind: str) -> None:
    async def slow(reader: Reader, writer: Writer) -> None:
        await read_http_request(reader)
        if kind == "silent":
            await asyncio.sleep(60)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 100000\r\n\r\n")
        for _ in range(600):  # a byte every 0.1 s: each read is quick, the whole is not
            writer.write(b" ")
            await writer.drain()
            await asyncio.sleep(0.1)

    async with tcp_server(slow) as url:
        started = time.monotonic()
        with pytest.raises(ProbeTimeout, match=r"no complete answer within 1 s"):
            await describe(url + "app", timeout_s=1.0)
        assert time.monotonic() - started < 5


async def test_ref_cycles_in_a_served_document_still_describe() -> None:
    doc = {
        "openapi": "3.1.0",
        "paths": {
            "/realtime": {
                "x-fal-protocol": {"type": "realtime", "realtimeMode": "unary", "config": {}},
                "post": {
                    "requestBody": {
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/A"}}
                        }
                    }
                },
            }
        },
        "components": {
            "schemas": {
                "A": {"$ref": "#/components/schemas/B"},
                "B": {"$ref": "#/components/schemas/A"},
            }
        },
    }
    async with tcp_server(answering(json.dumps(doc).encode())) as url:
        d = await asyncio.wait_for(describe(url + "app"), 10)
    (u,) = d.usages
    assert u.example == {} and u.route.transport == "realtime"
    assert any("$ref cycle" in n for n in u.notes)


def test_the_key_goes_only_when_asked_only_to_that_host_and_is_never_printed() -> None:
    seen: list[tuple[str, str | None]] = []
    other: list[str | None] = []

    async def elsewhere(method: str, target: str, headers: dict[str, str], body: bytes) -> bytes:
        other.append(headers.get("authorization"))
        return http_response("404 Not Found", b"{}", "application/json")

    with serving(lambda: http_server(elsewhere)) as other_port:

        async def guarded(method: str, target: str, headers: dict[str, str], body: bytes) -> bytes:
            auth = headers.get("authorization")
            seen.append((target, auth))
            if auth != f"Key {KEY}":
                return http_response("401 Unauthorized", b'{"detail": "key"}', "application/json")
            if target.startswith("/moved"):
                location = f"http://localhost:{other_port}/x/openapi.json"
                return (
                    f"HTTP/1.1 302 Found\r\nlocation: {location}\r\ncontent-length: 0\r\n\r\n"
                ).encode()
            doc = {
                "openapi": "3.1.0",
                "info": {"title": f"echoes {KEY}", "description": KEY},
                "paths": {"/ws": {"x-fal-protocol": {"type": "websocket"}}},
            }
            return http_response("200 OK", json.dumps(doc).encode(), "application/json")

        with serving(lambda: http_server(guarded)) as port:
            base = f"http://127.0.0.1:{port}"
            out = rtprobe("describe", f"{base}/app", env={"FAL_KEY": KEY}, timeout=60)
            assert out.returncode == 0, out.stderr
            assert [a for _, a in seen] == [None, f"Key {KEY}"]  # asked first, then sent
            assert KEY not in out.stdout + out.stderr and "/ws  ws" in out.stdout
            out = rtprobe("describe", f"{base}/app", "--json", env={"FAL_KEY": KEY}, timeout=60)
            assert out.returncode == 0 and KEY not in out.stdout
            # without a key: one line saying what to do
            out = rtprobe("describe", f"{base}/app", env={"FAL_KEY": ""}, timeout=60)
            assert out.returncode == 1 and "HTTP 401 (set FAL_KEY)" in out.stderr
            # a redirect to another host does not take the key along
            out = rtprobe("describe", f"{base}/moved", env={"FAL_KEY": KEY}, timeout=60)
            assert out.returncode == 1 and "HTTP 404" in out.stderr
            assert other == [None] and KEY not in out.stderr


async def test_auth_error_without_a_key_is_an_auth_error() -> None:
    async with tcp_server(answering(b"{}", "403 Forbidden")) as url:
        with pytest.raises(AuthError, match=r"HTTP 403 \(set FAL_KEY\)"):
            await describe(url + "app")
