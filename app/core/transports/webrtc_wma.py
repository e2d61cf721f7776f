"""The WebRTC client for fal's `wma` flavour (docs/protocols.md, 4c).

`WmaClient` is a `WebRtcClient` whose signaling is HTTP instead of a WebSocket, and
whose control rides a `control` data channel; the media side (frames, markers, the
jitter-buffer probe, stats) is the parent's, unchanged.

1. a peer connection as the parent makes it (loopback: no ICE servers, 127.0.0.1 host
   candidates), a receive-only video transceiver (or our source, send-recv) and the
   `control` data channel; one complete offer (aiortc gathers before it returns);
2. `wma`: `POST …/start-session`; the response is an SSE stream whose first event is
   the answer; the rest of the stream (`: keepalive`, `connection_report`) is read in the
   background and its end is the session's end. `wma-rest`: `POST …/session` returns the
   answer as JSON, a heartbeat goes every `heartbeat_s` (one at a time; `alive: false`
   or `MAX_HEARTBEAT_FAILURES` failures in a row end the session), `close()` sends
   `/session/close`;
3. control: actions become `commands` (the keys held, and those newly pressed),
   `send_prompt` / `send_reset`; each counts as an action the marker resolves (the mock
   bumps its applied id for each). A `ping` goes every `ping_interval_s`; each `pong`'s
   round trip is kept for `stats()` (`control_rtt_ms`, drained at each call).

Credentials: a token (`fal_jwt_token`, from the session's `TokenSource` when it has one)
or `Authorization: Key …`, on the start and on every heartbeat.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from app.core.codecs import wma as codec
from app.core.codecs.sse import SseParser, SseTooLarge
from app.core.errors import (
    AuthError,
    ClosedError,
    ConnectError,
    ProbeError,
    ProbeTimeout,
    ProtocolError,
    TargetError,
)
from app.core.targets import Target
from app.core.text import one_line, redact
from app.core.transports.webrtc import DataMessage, WebRtcClient
from app.core.transports.webrtc_parts import now_ns
from app.core.transports.webrtc_peer import apply_answer, new_peer
from app.core.transports.wsbase import fetch_token, with_query

MAX_HEARTBEAT_FAILURES = 3
MAX_PROBLEMS = 10  # bad control messages reported one by one; the rest are counted
MAX_ANSWER_BYTES = 1 << 20  # SSE bytes read while waiting for the answer
MAX_ERROR_BODY = 4096
MAX_RTTS = 10_000  # kept between two stats() calls
MAX_PINGS_OUT = 64  # pings awaiting their pong
MAX_SHOWN = 2_000  # server messages handed to the hooks a session; a flood is counted


def http_url(ws_url: str, *, query: bool = False) -> str:
    """The http(s) URL of a ws(s) one; without its query (which may hold a token) unless
    `query`."""
    parts = urlsplit(ws_url)
    scheme = {"ws": "http", "wss": "https"}.get(parts.scheme, parts.scheme)
    return urlunsplit((scheme, parts.netloc, parts.path, parts.query if query else "", ""))


def flavour_urls(ws_url: str, flavour: codec.WmaFlavour) -> dict[str, str]:
    """`codec.session_urls`, each keeping the target's query (`?wma_frames=…`)."""
    query = urlsplit(ws_url).query
    urls = codec.session_urls(http_url(ws_url), flavour)
    return {k: f"{u}?{query}" if query else u for k, u in urls.items()}


async def probe_flavour(target: Target, timeout_s: float = 3.0) -> codec.WmaFlavour | None:
    """Ask the app's `/openapi.json` whether it is a wma app (`codec.openapi_flavour`);
    None when it is not, or the document cannot be had (the caller keeps WebSockets)."""
    url = codec.app_base(http_url(target.url)) + "/openapi.json"
    try:
        async with httpx.AsyncClient(timeout=timeout_s) as client:
            r = await client.get(url)
        if r.status_code != 200 or len(r.content) > MAX_ANSWER_BYTES:
            return None
        return codec.openapi_flavour(r.json())
    except (httpx.HTTPError, ValueError, RecursionError):
        return None


class WmaClient(WebRtcClient):
    """One wma session; see the module docstring."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.wma: codec.WmaFlavour = self.options.wma or "wma"
        self.urls = flavour_urls(self.target.url, self.wma)
        self.session_id = ""
        self.held: list[str] = []
        self.control_rtts_ms: list[float] = []
        self.pings = self.pongs = self.control_bad = self.heartbeats = 0
        self.keepalives = self.reports = 0
        self.unshown = 0  # server messages past MAX_SHOWN, counted only
        self.server_errors = 0  # `error` messages; the first MAX_PROBLEMS are reported
        self.unsolicited_pongs = 0
        self._pings_out: dict[float, int] = {}  # ping ts (ms, as sent) -> sent ns
        self._shown = 0
        self._http: httpx.AsyncClient | None = None
        self._stream: httpx.Response | None = None
        self._parser = SseParser(keep_comments=True, max_size=MAX_ANSWER_BYTES)
        self._channel_open = asyncio.Event()

    # -- control -----------------------------------------------------------------------
    async def send_action(self, action: str) -> int:
        try:
            message = codec.commands_for(action, self.held)
        except codec.WmaError as exc:
            raise TargetError(str(exc)) from None
        index = self.tracker.action_sent(action, now_ns())
        await self._send(message)
        self.held = list(message["active"])
        return index

    async def send_prompt(self, text: str) -> int:
        if not text.strip():
            raise TargetError("the prompt is empty")
        index = self.tracker.action_sent(f"prompt {text[:40]}", now_ns())
        await self._send(codec.prompt(text))
        return index

    async def send_reset(self) -> int:
        index = self.tracker.action_sent("reset", now_ns())
        await self._send(codec.reset())
        self.held = []
        return index

    async def pause(self, paused: bool, timeout_s: float = 5.0) -> None:
        raise TargetError("wma sessions have no pause (send a prompt, commands or reset)")

    async def _send(self, message: dict[str, Any]) -> None:
        channel = self.datachannel
        if self._closed or channel is None or channel.readyState != "open":
            raise ClosedError("the wma control channel is not open")
        text = codec.encode(message)
        channel.send(text)
        self._hook_signaling("out", message, len(text), text)

    # -- public ------------------------------------------------------------------------
    async def stats(self) -> dict[str, Any]:
        values = await super().stats()
        rtts, self.control_rtts_ms = self.control_rtts_ms, []
        if rtts:
            values["control_rtt_ms"] = rtts
            values["control_rtt_median_ms"] = statistics.median(rtts)
        values.update(
            control_pings=self.pings,
            control_pongs=self.pongs,
            control_bad=self.control_bad,
            control_unshown=self.unshown,
            control_errors=self.server_errors,
            control_unsolicited_pongs=self.unsolicited_pongs,
            heartbeats=self.heartbeats,
        )
        return values

    def info(self) -> dict[str, Any]:
        return {**super().info(), "signaling": f"4c-{self.wma}", "session_id": self.session_id}

    async def close(self) -> None:
        if self._closed:
            return
        if self.wma == "wma-rest" and self.session_id and self._http is not None:
            with contextlib.suppress(Exception):
                await self._post(self.urls["close"], {"session_id": self.session_id}, 2.0)
        await super().close()
        if self._stream is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._stream.aclose(), 2)
        if self._http is not None:
            with contextlib.suppress(Exception):
                await self._http.aclose()

    # -- connecting --------------------------------------------------------------------
    async def _connect(self) -> None:
        opts = self.options
        timeout = opts.connect_timeout_s
        self._http = httpx.AsyncClient(timeout=httpx.Timeout(timeout, read=None))
        pc = new_peer(self, [])
        self.datachannel = channel = pc.createDataChannel(codec.CONTROL_LABEL)
        channel.on("message", self._on_control)
        channel.on("open", self._channel_open.set)
        channel.on("close", self._on_channel_close)
        await pc.setLocalDescription(await pc.createOffer())
        self.tap.attach(pc)
        self.offer_sdp = pc.localDescription.sdp
        self.timings.socket_ns = self.timings.ready_ns = self.timings.offer_ns = now_ns()
        body = codec.offer_body(self.offer_sdp)
        if self.wma == "wma":
            answer = await self._until(self._start_stream(body), "an answer", timeout)
        else:
            reply = await self._post(self.urls["start"], body, timeout)
            answer = self._answer_of(reply)
        sdp, self.session_id = answer
        self.timings.answer_ns = now_ns()
        await apply_answer(self, pc, sdp)
        if self.wma == "wma-rest":
            self._spawn(self._heartbeats())
        await self._until(self._connected.wait(), "the ICE/DTLS connection", timeout)
        self.timings.connected_ns = now_ns()
        await self._until(self._channel_open.wait(), "the control channel", timeout)
        self._spawn(self._pings())

    async def _auth(self) -> tuple[str, dict[str, str]]:
        """(url query, headers) for the next call: a fresh token or the key header."""
        creds = self.ws_options.credentials
        if not creds.key:
            return "", {}
        if creds.use_jwt and self.target.token_url:
            tokens = self.ws_options.tokens
            token = await (
                tokens.get() if tokens is not None else fetch_token(self.target, creds.key)
            )
            return token, {}
        return "", {"Authorization": f"Key {creds.key}"}

    async def _request(self, url: str, body: dict[str, Any]) -> httpx.Request:
        assert self._http is not None
        token, headers = await self._auth()
        if token:
            url = with_query(url, {"fal_jwt_token": token})
        return self._http.build_request("POST", url, json=body, headers=headers)

    def _refused(self, url: str, status: int, text: str) -> ProbeError:
        where = http_url(url)
        detail = one_line(redact(text[:MAX_ERROR_BODY], *self._secrets()))[:200]
        msg = f"{where} answered HTTP {status}" + (f": {detail}" if detail else "")
        if status in (401, 403):
            return AuthError(msg)
        if status == 422:
            return ProtocolError(f"{where} refused the offer (HTTP 422): {detail}")
        return ConnectError(msg)

    def _secrets(self) -> tuple[str, ...]:
        creds = self.ws_options.credentials
        tokens = self.ws_options.tokens
        return tuple(s for s in (creds.key, tokens.current if tokens else None) if s)

    async def _post(self, url: str, body: dict[str, Any], timeout_s: float) -> Any:
        assert self._http is not None
        request = await self._request(url, body)
        try:
            async with asyncio.timeout(timeout_s):
                r = await self._http.send(request)
        except TimeoutError:
            raise ProbeTimeout(f"{http_url(url)} did not answer in {timeout_s:g} s") from None
        except httpx.HTTPError as exc:
            raise ConnectError(
                f"{http_url(url)}: {type(exc).__name__}: {redact(one_line(exc), *self._secrets())}"
            ) from None
        if r.status_code >= 400:
            raise self._refused(url, r.status_code, r.text)
        try:
            return r.json()
        except (ValueError, RecursionError):
            raise ProtocolError(f"{http_url(url)} answered something that is not JSON") from None

    def _answer_of(self, data: object) -> tuple[str, str]:
        try:
            return codec.parse_answer(data)
        except codec.WmaError as exc:
            raise ProtocolError(f"{http_url(self.urls['start'])}: {exc}") from None

    async def _start_stream(self, body: dict[str, Any]) -> tuple[str, str]:
        """POST start-session and read the stream up to its first event (the answer);
        the rest of the stream is read by `_read_stream`."""
        assert self._http is not None
        url = self.urls["start"]
        request = await self._request(url, body)
        request.headers["Accept"] = "text/event-stream"
        try:
            self._stream = r = await self._http.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise ConnectError(
                f"{http_url(url)}: {type(exc).__name__}: {redact(one_line(exc), *self._secrets())}"
            ) from None
        if r.status_code >= 400:
            text = (await r.aread())[:MAX_ERROR_BODY].decode("utf-8", "replace")
            raise self._refused(url, r.status_code, text)
        kind = r.headers.get("content-type", "").split(";")[0].strip()
        if kind != "text/event-stream":
            raise ProtocolError(f"{http_url(url)} answered {kind or 'no content type'}, not SSE")
        chunks = r.aiter_raw()
        while True:
            try:
                chunk = await chunks.__anext__()
            except StopAsyncIteration:
                raise ClosedError(f"{http_url(url)}: the stream ended before an answer") from None
            except httpx.HTTPError as exc:
                detail = redact(one_line(exc), *self._secrets())
                raise ConnectError(f"{http_url(url)}: stream failed: {detail}") from None
            try:
                events = self._parser.feed(chunk)
            except SseTooLarge as exc:
                raise ProtocolError(f"{http_url(url)}: {exc} before an answer") from None
            self.keepalives += len(self._parser.take_comments())
            if self._parser.buffered > MAX_ANSWER_BYTES:
                raise ProtocolError(f"{http_url(url)}: no answer in {MAX_ANSWER_BYTES:,} bytes")
            if events:
                first = events[0]
                try:
                    data = first.json()
                except ValueError:
                    quoted = codec.quote(first.data)
                    raise ProtocolError(
                        f"{http_url(url)}: the first event is not JSON: {quoted}"
                    ) from None
                answer = self._answer_of(data)
                self._hook_signaling("in", data, len(first.data), first.data)
                self._spawn(self._read_stream(chunks, events[1:]))
                return answer

    async def _read_stream(self, chunks: Any, events: list[Any]) -> None:
        """The rest of the SSE stream; its end is the session's end."""
        try:
            while True:
                for event in events:
                    self._on_stream_event(event)
                try:
                    chunk = await chunks.__anext__()
                except StopAsyncIteration:
                    self._end(None, "the server ended the start-session stream")
                    return
                events = self._parser.feed(chunk)
                self.keepalives += len(self._parser.take_comments())
        except (httpx.HTTPError, SseTooLarge) as exc:
            if not self._closing:
                self._end(ClosedError(f"the start-session stream failed: {one_line(exc)}"))

    def _on_stream_event(self, event: Any) -> None:
        try:
            data = event.json()
        except ValueError:
            data = {"type": "text", "payload": event.data[:200]}
        if event.event == "connection_report":
            self.reports += 1
        message = data if isinstance(data, dict) else {"value": data}
        if self._show():
            self._hook_signaling(
                "in", {"event": event.event, **message}, len(event.data), event.data
            )

    # -- background --------------------------------------------------------------------
    async def _heartbeats(self) -> None:
        failures = 0
        body = {"session_id": self.session_id}
        while not self.ended.is_set():
            await asyncio.sleep(self.options.heartbeat_s)
            try:
                reply = await self._post(self.urls["heartbeat"], body, self.options.heartbeat_s)
            except ProbeError as exc:
                failures += 1
                self._problem(exc)
                if failures >= MAX_HEARTBEAT_FAILURES:
                    self._end(ClosedError(f"{failures} heartbeats failed in a row: {exc}"))
                    return
                continue
            self.heartbeats += 1
            failures = 0
            if isinstance(reply, dict) and reply.get("alive") is False:
                self._end(ClosedError("the bridge says the session is no longer alive"))
                return

    async def _pings(self) -> None:
        while not self.ended.is_set():
            with contextlib.suppress(ProbeError):
                t = now_ns()
                ts = round(t / 1e6, 3)
                await self._send(codec.ping(ts))
                self.pings += 1
                self._pings_out[ts] = t
                while len(self._pings_out) > MAX_PINGS_OUT:  # unanswered: forget the oldest
                    del self._pings_out[next(iter(self._pings_out))]
            await asyncio.sleep(self.options.ping_interval_s)

    def _on_channel_close(self) -> None:
        if not self._closing and self._connected.is_set():
            self._spawn(self._end_later(ClosedError("the control channel closed")))

    def _on_control(self, raw: str | bytes) -> None:
        t = now_ns()
        try:
            message = codec.parse_server(raw)
        except codec.WmaError as exc:
            self.control_bad += 1
            if self.control_bad <= MAX_PROBLEMS:
                self._problem(ProtocolError(f"control channel: {exc}"))
            return
        kind = message["type"]
        if kind == "pong":
            sent = self._pings_out.pop(message["client_ts"], None)
            if sent is None:  # a pong for no ping of ours (or one answered twice)
                self.unsolicited_pongs += 1
            else:
                self.pongs += 1
                if len(self.control_rtts_ms) < MAX_RTTS:
                    self.control_rtts_ms.append(round((t - sent) / 1e6, 4))
        elif kind == "stream_exhausted":
            self._end(None, "stream exhausted")
        elif kind == "error":
            self.server_errors += 1
            if self.server_errors <= MAX_PROBLEMS:
                text = one_line(str(message.get("error")))[:200]
                self._problem(ProtocolError(f"server error: {text}"))
        if not self._show():
            return
        self._hook_signaling("in", message, len(raw), raw)
        if self.hooks.on_data is not None:
            self.hooks.on_data(
                DataMessage(t, codec.CONTROL_LABEL, message, len(raw), None, None, raw)
            )

    def _show(self) -> bool:
        """Whether the next server message still goes to the hooks (a flood does not)."""
        if self._shown >= MAX_SHOWN:
            self.unshown += 1
            return False
        self._shown += 1
        return True
