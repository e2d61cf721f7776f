"""What the realtime, raw WebSocket and WebRTC-signaling clients share: connecting with
websockets, auth, and translating websockets' exceptions into one-line ProbeErrors."""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import websockets
from websockets.asyncio.client import ClientConnection
from websockets.frames import Frame, Opcode
from websockets.protocol import State

from app.core import redact as redaction
from app.core.errors import (
    DEFAULT_MAX_MESSAGE_BYTES,
    AuthError,
    ClosedError,
    ConnectError,
    ProbeError,
    ProbeTimeout,
    ProtocolError,
    TargetError,
    TooLargeError,
)
from app.core.events import now_ns
from app.core.targets import Target
from app.core.text import redact
from app.core.transports import ws_framing
from app.core.transports.tokens import TokenSource

TOKEN_EXPIRATION_S = 120
_HANDSHAKE, _FRAMING, _PASSTHROUGH = "handshake", "framing", "passthrough"
_TEXT, _BINARY = Opcode.TEXT, Opcode.BINARY
CLOSE_TIMEOUT_S = 2.0  # a closing handshake is one round trip; a hostile peer gets no more


class _Connection(ClientConnection):
    """websockets' client connection, with its close timeout enforced on the read side
    too, and the common frames framed here (`ws_framing`) instead of by websockets.

    When websockets fails a connection while reading (a frame over `max_size`, a protocol
    error) it sends a close frame and waits for the server to close TCP, but it enforces
    `close_timeout` only inside send()/close(): a server that keeps streaming, or holds
    the socket open, would leave `recv()` waiting forever. Here the socket is aborted at
    that deadline, so `recv()` raises within `close_timeout`.

    Incoming bytes: websockets reads the handshake response (and not a byte past it);
    then whole unfragmented data frames go straight to websockets' message queue, and
    every other frame (control, fragments, anything malformed or over `max_size`) is
    handed to websockets whole, so its parser always starts at a frame boundary and
    keeps its checks and close handshake. With an extension (compression), or once the
    connection is no longer open, websockets reads everything itself.
    """

    _abort_at: asyncio.TimerHandle | None = None
    _mode = _HANDSHAKE
    _head = b""  # the handshake response's last bytes seen, to find its end
    _carry = b""  # the start of a frame header that is not whole yet
    _owed = 0  # bytes of a frame websockets has begun and not yet been given
    _keys = b""  # mask keys: 4 bytes each, from os.urandom 256 at a time
    _key_at = 0

    async def send_now(self, frame: bytes | str) -> None:
        """Send one whole message as websockets' own `broadcast()` does, framed here:
        straight to the transport while the socket is open, uncompressed and its writes
        not paused. `send()` wraps every message in an async context manager, a drain
        and a `Frame` with a BytesIO: on the open-loop hot path, ~40 % of the send.
        Anything else (closing, write buffer over its limit, an extension) takes
        `send()`, with its flow control and its ConnectionClosed."""
        protocol = self.protocol
        if (
            protocol.state is not State.OPEN
            or self.paused
            or self.send_in_progress is not None
            or protocol.extensions
            or self.transport.is_closing()
        ):
            await self.send(frame)
            return
        at = self._key_at
        if at >= len(self._keys):
            self._keys, at = os.urandom(1024), 0
        self._key_at = at + 4
        key = self._keys[at : at + 4]
        if isinstance(frame, str):
            data = ws_framing.client_frame(ws_framing.TEXT, frame.encode(), key)
        else:
            data = ws_framing.client_frame(ws_framing.BINARY, frame, key)
        try:
            self.transport.write(data)
        except Exception as exc:  # as send(): the connection is lost, and says why
            self.set_connection_exc(exc)
            self.transport.abort()
            await asyncio.shield(self.connection_lost_waiter)
            raise self.close_exc from None

    def data_received(self, data: bytes) -> None:
        if self._mode is _FRAMING:
            if self.protocol.state is State.OPEN:
                self._frames_in(data)
                return
            # closed on our side meanwhile (close(), a 1007 from recv(), ...): websockets
            # reads on from here, and first the header bytes held back for a whole one
            self._mode = _PASSTHROUGH
            if self._carry:
                data, self._carry = self._carry + data, b""
            self._to_websockets(data)
        elif self._mode is _HANDSHAKE:
            self._handshake_in(data)
        else:
            self._to_websockets(data)

    def _to_websockets(self, data: bytes) -> None:
        super().data_received(data)
        if self.close_deadline is not None and self._abort_at is None:
            self._abort_at = self.loop.call_at(self.close_deadline, self.transport.abort)

    def _handshake_in(self, data: bytes) -> None:
        """websockets gets the response up to its blank line; what follows is frames."""
        seen = self._head + data
        end = seen.find(b"\r\n\r\n")
        if end < 0:
            self._head = seen[-3:]
            self._to_websockets(data)
            return
        cut = end + 4 - len(self._head)
        self._head = b""
        self._to_websockets(data[:cut])
        opened = self.protocol.state is State.OPEN and not self.protocol.extensions
        self._mode = _FRAMING if opened else _PASSTHROUGH
        if cut < len(data):
            self.data_received(data[cut:])

    def _frames_in(self, data: bytes) -> None:
        protocol = self.protocol
        if self._carry:
            data, self._carry = self._carry + data, b""
        limit = protocol.max_message_size
        if protocol.max_fragment_size is not None:
            limit = min(limit or protocol.max_fragment_size, protocol.max_fragment_size)
        n, at = len(data), 0
        while at < n:
            if self._owed:  # the rest of a frame websockets has begun
                take = min(self._owed, n - at)
                self._owed -= take
                self._to_websockets(data[at : at + take])
                at += take
            else:
                if protocol.current_size is None:  # not inside a fragmented message
                    frames, at = ws_framing.split_frames(data, at, limit)
                    put = self.recv_messages.put
                    for opcode, payload in frames:
                        put(Frame(_TEXT if opcode == ws_framing.TEXT else _BINARY, payload))
                    if at >= n:
                        return
                extent = ws_framing.frame_extent(data, at)
                if extent is None:
                    self._carry = data[at:]
                    return
                size, length = extent
                if limit is not None and length > limit:  # websockets closes with 1009
                    self._mode = _PASSTHROUGH
                    self._to_websockets(data[at:])
                    return
                take = min(size, n - at)
                self._owed = size - take
                self._to_websockets(data[at : at + take])
                at += take
            if protocol.state is not State.OPEN:
                self._mode = _PASSTHROUGH
                if at < n:
                    self._to_websockets(data[at:])
                return

    def connection_lost(self, exc: Exception | None) -> None:
        if self._abort_at is not None:
            self._abort_at.cancel()
        super().connection_lost(exc)


@dataclass(frozen=True)
class Credentials:
    """How to authenticate; `key` is a secret and never printed."""

    key: str | None = field(default=None, repr=False)
    use_jwt: bool = True  # fetch a short-lived token (fal-client's default) vs a Key header
    refresh_tokens: bool = True  # refresh a session's token at 90 % of its lifetime

    def __repr__(self) -> str:
        return f"Credentials(key={'***' if self.key else None}, use_jwt={self.use_jwt})"


@dataclass(frozen=True)
class WsOptions:
    credentials: Credentials = Credentials()
    max_buffering: int | None = None
    compression: bool = False  # permessage-deflate: off, so we do not measure our own cost
    headers: Mapping[str, str] = field(default_factory=dict)
    subprotocols: tuple[str, ...] = ()
    open_timeout_s: float = 10.0
    # largest incoming message: websockets reads a frame's length before its payload and
    # closes with 1009 past this, so a hostile frame never reaches memory (fal-client: None)
    max_size: int | None = DEFAULT_MAX_MESSAGE_BYTES
    # one session's token, reused and refreshed across its connections; None: fetch a
    # token per connection (`token_source` makes one)
    tokens: TokenSource | None = field(default=None, compare=False, repr=False)


async def fetch_token(target: Target, key: str, timeout_s: float = 10.0) -> str:
    """`POST /tokens/` as fal-client does; accepts a bare string or {"token": …}."""
    if not target.token_url or not target.alias:
        raise TargetError("a JWT token needs an app id target (owner/alias), not a URL")
    body = {"allowed_apps": [target.alias], "token_expiration": TOKEN_EXPIRATION_S}
    try:
        async with httpx.AsyncClient(timeout=timeout_s) as client:
            r = await client.post(
                target.token_url, json=body, headers={"Authorization": f"Key {key}"}
            )
    except httpx.TimeoutException:
        raise ProbeTimeout(
            f"token service {target.token_url} did not answer in {timeout_s:g} s"
        ) from None
    except httpx.HTTPError as exc:
        raise ConnectError(f"token service {target.token_url}: {redact(str(exc), key)}") from None
    if r.status_code in (401, 403):
        raise AuthError(f"token service refused the key (HTTP {r.status_code}): {_detail(r)}")
    if r.status_code >= 400:
        raise ConnectError(f"token service answered HTTP {r.status_code}: {_detail(r)}")
    try:
        data = r.json()
    except (ValueError, RecursionError):
        raise ProtocolError("token service answered something that is not JSON") from None
    token = data if isinstance(data, str) else None
    if isinstance(data, dict) and isinstance(data.get("token"), str):
        token = data["token"]
    if token:
        redaction.register(token)  # the run's output masks it from now on
        return token
    raise ProtocolError("token service answer has no token (expected a string or {'token': …})")


def token_source(target: Target, options: WsOptions) -> TokenSource | None:
    """A session's `TokenSource` when it authenticates with tokens, else None."""
    creds = options.credentials
    key = creds.key
    if not key or not creds.use_jwt or not target.token_url:
        return None
    return TokenSource(
        lambda: fetch_token(target, key),
        lifetime_s=TOKEN_EXPIRATION_S,
        refresh=creds.refresh_tokens,
    )


def _detail(r: httpx.Response) -> str:
    try:
        body = r.json()
    except (ValueError, RecursionError):
        return r.text[:200].replace("\n", " ") or r.reason_phrase
    if isinstance(body, dict) and "detail" in body:
        return str(body["detail"])[:200]
    return str(body)[:200]


def with_query(url: str, extra: Mapping[str, str]) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.update(extra)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


async def open_websocket(target: Target, options: WsOptions) -> ClientConnection:
    """Authenticate, connect and return the socket, or raise a ProbeError."""
    creds = options.credentials
    query: dict[str, str] = {}
    headers = dict(options.headers)
    if creds.key:
        if creds.use_jwt and target.token_url:
            tokens = options.tokens
            key = creds.key
            query["fal_jwt_token"] = await (
                tokens.get() if tokens is not None else fetch_token(target, key)
            )
        else:
            headers["Authorization"] = f"Key {creds.key}"
    if options.max_buffering is not None:
        if not 1 <= options.max_buffering <= 60:
            raise TargetError(f"max_buffering={options.max_buffering} must be between 1 and 60")
        query["max_buffering"] = str(options.max_buffering)
    url = with_query(target.url, query) if query else target.url
    secrets = (creds.key, query.get("fal_jwt_token"))
    try:
        return await websockets.connect(
            url,
            additional_headers=headers or None,
            subprotocols=[websockets.Subprotocol(p) for p in options.subprotocols] or None,
            compression="deflate" if options.compression else None,
            open_timeout=options.open_timeout_s,
            max_size=options.max_size,
            ping_interval=None,
            close_timeout=CLOSE_TIMEOUT_S,
            create_connection=_Connection,
        )
    except Exception as exc:
        raise translate_connect_error(exc, target, options.open_timeout_s, secrets) from None


def translate_connect_error(
    exc: BaseException, target: Target, timeout_s: float, secrets: tuple[str | None, ...] = ()
) -> ProbeError:
    where = target.display
    if isinstance(exc, ProbeError):
        return exc
    if isinstance(exc, websockets.InvalidStatus):
        status = exc.response.status_code
        body = bytes(exc.response.body or b"")
        detail = _body_detail(body)
        msg = f"{where}: server refused the WebSocket handshake with HTTP {status}"
        msg += f": {detail}" if detail else ""
        return AuthError(msg) if status in (401, 403) else ConnectError(msg)
    if isinstance(exc, websockets.InvalidURI):
        return TargetError(f"{where} is not a valid WebSocket URL")
    if isinstance(exc, TimeoutError | asyncio.TimeoutError):
        return ProbeTimeout(f"{where}: no WebSocket handshake within {timeout_s:g} s")
    if isinstance(exc, ssl.SSLError):
        return ConnectError(f"{where}: TLS failed: {exc.reason or exc}")
    if isinstance(exc, socket.gaierror):
        return ConnectError(f"{where}: cannot resolve host {urlsplit(target.url).hostname!r}")
    if isinstance(exc, ConnectionRefusedError):
        return ConnectError(f"{where}: connection refused (is the server running?)")
    if isinstance(exc, OSError):
        return ConnectError(f"{where}: {exc.strerror or exc}")
    if isinstance(exc, websockets.InvalidHandshake | websockets.InvalidMessage):
        return ProtocolError(f"{where}: invalid WebSocket handshake: {exc}")
    return ConnectError(f"{where}: {type(exc).__name__}: {redact(str(exc), *secrets)}")


def _body_detail(body: bytes) -> str:
    if not body:
        return ""
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return body[:200].decode(errors="replace").strip().replace("\n", " ")
    if isinstance(value, dict) and "detail" in value:
        return str(value["detail"])[:200]
    return str(value)[:200]


def closed_error(exc: websockets.ConnectionClosed) -> ClosedError:
    """fal-client's view: a close without a close frame, or not 1000, is CONNECTION_CLOSED.

    A close we started with 1009 means the server's message was over our `max_size`:
    that is a TooLargeError naming the limit and how to raise it."""
    sent, rcvd = exc.sent, exc.rcvd
    if sent is not None and sent.code == 1009 and exc.rcvd_then_sent is not True:
        return _too_large(sent.reason)
    if sent is not None and sent.code in (1002, 1007) and exc.rcvd_then_sent is not True:
        what = "invalid UTF-8 in a text frame" if sent.code == 1007 else "a protocol error"
        reason = f": {sent.reason}" if sent.reason else ""
        return ClosedError(
            f"closed by rtprobe with code {sent.code}: the server sent {what}{reason}", sent.code
        )
    if rcvd is None:
        return ClosedError("connection closed abruptly (no close frame, 1006)", 1006)
    reason = f": {rcvd.reason}" if rcvd.reason else ""
    return ClosedError(f"connection closed by the server with code {rcvd.code}{reason}", rcvd.code)


def _too_large(reason: str) -> TooLargeError:
    """websockets' reason reads "frame [with N bytes] … exceeds limit of M bytes"."""
    size, limit = re.search(r"with (\d+) bytes", reason), re.search(r"limit of (\d+)", reason)
    detail = f"a frame of {int(size[1]):,} bytes" if size else ""
    return TooLargeError("server sent a WebSocket message", int(limit[1]) if limit else 0, detail)


def negotiated_extensions(ws: ClientConnection) -> list[str]:
    names = []
    for ext in ws.protocol.extensions:
        names.append(getattr(ext, "name", type(ext).__name__))
    return names


def describe(ws: ClientConnection) -> dict[str, Any]:
    return {"extensions": negotiated_extensions(ws), "subprotocol": ws.subprotocol}


async def send_frame(ws: ClientConnection, frame: bytes | str) -> None:
    """Send one frame; a closed connection becomes a ClosedError."""
    try:
        if isinstance(ws, _Connection):
            await ws.send_now(frame)
        else:
            await ws.send(frame)
    except websockets.ConnectionClosed as exc:
        raise closed_error(exc) from None


async def recv_stamped(ws: ClientConnection) -> tuple[bytes | str, int]:
    """`recv_frame`'s frame and the engine's clock as it came, before any decoding."""
    frame = await recv_frame(ws)
    return frame, now_ns()


async def recv_frame(ws: ClientConnection) -> bytes | str:
    """The next frame; a closed connection becomes a ClosedError (fal-client's view)."""
    try:
        return await ws.recv()
    except websockets.ConnectionClosed as exc:
        raise closed_error(exc) from None
