"""SSE streaming client (`POST …/stream`): one measured streaming request at a time.

httpx for HTTP/1.1 with keep-alive, our own `SseParser` on the raw body bytes (not
httpx-sse), so parsing is ours to measure: alone it parses ~0.7M small events/s, one
feed per event, so at the ~75k events/s where the client saturates (measured on a 2-core
machine with uvicorn + sse-starlette) most of the cost is httpx, not parsing.

`request()` returns a `StreamResult` for every request that was attempted; what
went wrong is in `result.error` as a one-line ProbeError, never an httpx exception.
It raises only TargetError, for a call that can never work (a bad URL, a payload
that is not JSON, a payload with GET).

An event whose JSON has a top-level "error" key makes the request errored
(AppError), but reading goes on to the end of the stream: fal sends it as the last
event, so this costs nothing and keeps `end_ns` and `events` true to the wire.

Backlog: past ~75k events/s the client, not the server, limits the rate; events
then queue in the socket while we parse, and their arrival times (and the gaps
between them) say when we got to them, not when they were sent. httpx hands us one
HTTP chunk per server write however much is buffered, so counting events per read
does not show it. Two signals do, either one sets `backlogged` (over at least
`BACKLOG_MIN_EVENTS` events, as short streams are noise):
- queue: about once a millisecond we ask the kernel how many bytes wait unread in
  the socket (FIONREAD) and turn that into events at the stream's average event
  size; `BACKLOG_EVENTS` or more waiting is a backlog. Measured on loopback: 0 at
  1 kHz, ~7,000 events at full speed (~60k/s), ~9,000 with a slow `on_event`.
- CPU, where FIONREAD is missing (Windows) or the socket is hidden: the thread
  running our loop was on the CPU for at least `BACKLOG_CPU` of the streaming time,
  so it never waited for the network. Measured: 0.02 at 100 Hz, 0.15 at 1 kHz,
  0.3-0.6 when the mock server is the limit. Other work on the same loop (other
  sessions, a GUI) counts too: it delays us just the same.
"""

from __future__ import annotations

import array
import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from app.core.codecs.sse import SseEvent, SseParser, SseTooLarge
from app.core.errors import (
    DEFAULT_MAX_MESSAGE_BYTES,
    ProbeError,
    ProbeTimeout,
    ProtocolError,
    TargetError,
    TooLargeError,
)
from app.core.redact import is_secret_header  # the one rule, shared with session files
from app.core.targets import Target
from app.core.text import REDACTED
from app.core.transports.sse_errors import SseErrors, app_error, read_detail

MAX_GAPS = 10_000  # inter-event gaps kept per request (the first ones)
BACKLOG_EVENTS = 100  # events waiting unread in the socket that mean a backlog
BACKLOG_CPU = 0.9  # or: our thread's CPU time / wall time while streaming
BACKLOG_MIN_EVENTS = 100  # either only over at least this many events
QUEUE_SAMPLE_NS = 1_000_000  # how often to ask the kernel (0.6 µs a call)

OnEvent = Callable[[SseEvent, int], None]


@dataclass(frozen=True)
class StreamResult:
    """One streaming request, measured. Times are `perf_counter_ns()` values.

    With no response at all (refused, timed out before headers) `status` is 0 and
    `headers_ns` is 0; `ttfb_ns` and `duration_ns` are the safe ways to read times.
    """

    status: int
    events: int
    bytes_in: int  # body bytes as received (before any content decoding)
    start_ns: int
    headers_ns: int
    first_event_ns: int | None
    end_ns: int
    gaps_ns: list[int] = field(repr=False)  # between consecutive events, the first MAX_GAPS
    last_data: Any = field(repr=False)  # the last event's JSON, or its text when not JSON
    error: ProbeError | None = None
    backlogged: bool = False  # client-side backlog: see the module docstring
    queued_events: int | None = None  # most events seen waiting in the socket (None: unknown)
    client_cpu: float = 0.0  # our thread's CPU time / wall time while the body streamed
    comments: int = 0  # comment lines (keep-alives such as `: ping`)

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def ttfb_ns(self) -> int | None:
        """Request sent → response headers, or None without a response."""
        return self.headers_ns - self.start_ns if self.status else None

    @property
    def first_event_latency_ns(self) -> int | None:
        return None if self.first_event_ns is None else self.first_event_ns - self.start_ns

    @property
    def duration_ns(self) -> int:
        return self.end_ns - self.start_ns


class SseClient:
    """One httpx client (keep-alive, HTTP/1.1) sending streaming requests to `target`.

    `key` goes as `Authorization: Key <key>` and is never shown: not in repr, not in
    any error message. `timeout_s` bounds connecting and every wait for data (a
    keep-alive comment counts as data); `deadline_s`, when set, bounds a whole request.
    `on_event(event, arrival_ns)` sees each event as it is parsed (a live inspector);
    an exception from it propagates, after the response is closed. `on_stream()` is
    called when a response was accepted and its events begin (before the first one).
    A line or an event longer than `max_event_bytes` ends that request with a
    TooLargeError (the parser never holds more), and the next request goes on.
    """

    def __init__(
        self,
        target: Target,
        *,
        method: str = "POST",
        headers: dict[str, str] | None = None,
        key: str | None = None,
        timeout_s: float = 60.0,
        deadline_s: float | None = None,
        max_event_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
        on_event: OnEvent | None = None,
        on_stream: Callable[[], None] | None = None,
    ) -> None:
        parts = urlsplit(target.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise TargetError(f"SSE needs an http(s):// URL, got {target.display!r}")
        if timeout_s <= 0 or (deadline_s is not None and deadline_s <= 0):
            raise TargetError("SSE timeouts must be positive")
        self.target = target
        self.method = method.upper()
        self.timeout_s = timeout_s
        self.deadline_s = deadline_s
        self.max_event_bytes = max_event_bytes
        self.on_event = on_event
        self.on_stream = on_stream  # called when a response starts streaming events
        self._headers = {
            "Accept": "text/event-stream",
            "Cache-Control": "no-cache",
            "Accept-Encoding": "identity",  # compressed SSE would be buffered, and skew bytes
            **(headers or {}),
        }
        if key:
            for name in [n for n in self._headers if n.lower() == "authorization"]:
                del self._headers[name]
            self._headers["Authorization"] = f"Key {key}"
        self._secrets = tuple(
            s for s in (key, *(v for k, v in self._headers.items() if is_secret_header(k))) if s
        )
        self._errors = SseErrors(target.display, target.url, timeout_s, self._secrets)
        self._client: httpx.AsyncClient | None = None

    def __repr__(self) -> str:
        keyed = REDACTED if self._secrets else None
        return f"SseClient({self.method} {self.target.display}, credentials={keyed})"

    async def __aenter__(self) -> SseClient:
        self._client = httpx.AsyncClient(
            http1=True,
            http2=False,
            headers=self._headers,
            timeout=httpx.Timeout(self.timeout_s),
            follow_redirects=False,
            limits=httpx.Limits(max_keepalive_connections=1, keepalive_expiry=30),
        )
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    async def request(
        self,
        payload: dict[str, Any] | None = None,
        *,
        cut_at_ns: int | None = None,
        stop: asyncio.Event | None = None,
    ) -> StreamResult:
        """Send one streaming request and read it to the end; see the module docstring.

        Three limits end it early, each as a `ProbeTimeout` with what had arrived so far
        (the response closed, never left running): `deadline_s` after the request
        started; `cut_at_ns` (a `perf_counter_ns()` time: the end of the caller's run);
        and `stop`, set while it streams."""
        if self._client is None:
            raise RuntimeError("use `async with SseClient(...)` before request()")
        http_request = self._build(payload)
        run = _Run(self, time.perf_counter_ns())
        cut = _Cut(run.start_ns, self.deadline_s, cut_at_ns)
        try:
            await cut.run(self._stream(http_request, run), stop)
        except TimeoutError:
            run.fail(self._deadline_error(run, cut.why))
        except httpx.HTTPError as exc:
            run.fail(self._errors.translate(exc, run.status, run.events))
        except OSError as exc:  # anything httpx did not wrap
            run.fail(self._errors.connect_error(exc))
        return run.result()

    def _deadline_error(self, run: _Run, why: str = "deadline") -> ProbeTimeout:
        where, limit = self.target.display, self.deadline_s or self.timeout_s
        when = {"end": "at the end of the run", "stop": "when the run was stopped"}.get(why)
        if when is not None:
            if not run.status:
                return ProbeTimeout(f"{where}: no response yet {when}")
            return ProbeTimeout(f"{where}: stream cut {when}, after {run.events} events")
        if not run.status:
            return ProbeTimeout(f"{where}: no response within {limit:g} s")
        return ProbeTimeout(
            f"{where}: stream not complete within {limit:g} s ({run.events} events)"
        )

    def _build(self, payload: dict[str, Any] | None) -> httpx.Request:
        assert self._client is not None
        content: bytes | None = None
        headers: dict[str, str] = {}
        if payload is not None:
            if self.method == "GET":
                raise TargetError("a GET stream request sends no body: drop the payload")
            try:
                content = json.dumps(payload, separators=(",", ":")).encode()
            except (TypeError, ValueError) as exc:
                raise TargetError(f"the payload is not JSON: {exc}") from None
            headers["Content-Type"] = "application/json"
        try:
            return self._client.build_request(
                self.method, self.target.url, content=content, headers=headers
            )
        except httpx.HTTPError as exc:
            raise TargetError(f"{self.target.display}: {self._redact(str(exc))}") from None

    async def _stream(self, http_request: httpx.Request, run: _Run) -> None:
        assert self._client is not None
        run.start_ns = time.perf_counter_ns()
        response = await self._client.send(http_request, stream=True)
        try:
            run.headers_ns = time.perf_counter_ns()
            run.status = response.status_code
            error = await self._check_response(response)
            if error is not None:
                run.fail(error)
                return
            if self.on_stream is not None:
                self.on_stream()
            await run.read(response)
        finally:
            run.bytes_in = response.num_bytes_downloaded
            await _close_quietly(response)

    async def _check_response(self, response: httpx.Response) -> ProbeError | None:
        """An error for a status or content type that cannot carry the stream, else None."""
        status = response.status_code
        if status >= 300:
            return self._errors.status_error(status, await read_detail(response), response)
        ctype = response.headers.get("content-type", "")
        if ctype.split(";")[0].strip().lower() != "text/event-stream":
            got = ctype or "no content-type"
            return ProtocolError(
                f"{self.target.display}: expected text/event-stream, got {got} (HTTP {status})"
            )
        return None

    def _redact(self, text: str) -> str:
        return self._errors.redact(text)


class _Cut:
    """The limits of one request: the earliest of its own deadline and the caller's cut
    time, brought forward to now by `stop`; `why` says which one ended it."""

    def __init__(self, start_ns: int, deadline_s: float | None, cut_at_ns: int | None) -> None:
        self.why = "deadline"
        self.at_ns: int | None = None
        if deadline_s is not None:
            self.at_ns = start_ns + int(deadline_s * 1e9)
        if cut_at_ns is not None and (self.at_ns is None or cut_at_ns < self.at_ns):
            self.at_ns, self.why = cut_at_ns, "end"

    async def run(self, work: Awaitable[None], stop: asyncio.Event | None) -> None:
        """Await `work`; TimeoutError when a limit passes first (the work is cancelled)."""
        loop = asyncio.get_running_loop()
        when = None
        if self.at_ns is not None:
            when = loop.time() + (self.at_ns - time.perf_counter_ns()) / 1e9
        if stop is not None and stop.is_set():
            self.why, when = "stop", loop.time()
        async with asyncio.timeout_at(when) as scope:
            watcher = None
            if stop is not None and self.why != "stop":

                async def on_stop() -> None:
                    await stop.wait()
                    self.why = "stop"
                    scope.reschedule(loop.time())

                watcher = asyncio.ensure_future(on_stop())
            try:
                await work
            finally:
                if watcher is not None:
                    watcher.cancel()


class _Run:
    """The state of one request while it streams; `result()` freezes it."""

    def __init__(self, client: SseClient, start_ns: int) -> None:
        self.client = client
        self.parser = SseParser(max_size=client.max_event_bytes)
        self.start_ns = start_ns
        self.headers_ns = 0
        self.status = 0
        self.events = 0
        self.bytes_in = 0
        self.first_event_ns: int | None = None
        self.last_event_ns = 0
        self.gaps_ns: list[int] = []
        self.last_event: SseEvent | None = None
        self.error: ProbeError | None = None
        self.queued_events: int | None = None
        self.read_cpu_ns = 0
        self.read_wall_ns = 0
        self.end_ns = 0

    def fail(self, error: ProbeError) -> None:
        """Keep the first error: a cut after an error event is the error event's story."""
        if self.error is None:
            self.error = error

    async def read(self, response: httpx.Response) -> None:
        chunks = response.aiter_raw() if _identity(response) else response.aiter_bytes()
        cpu0, wall0 = time.thread_time_ns(), time.perf_counter_ns()
        try:
            await self._read_chunks(response, chunks)
        finally:
            self.read_cpu_ns = time.thread_time_ns() - cpu0
            self.read_wall_ns = time.perf_counter_ns() - wall0
        if self.parser.pending:
            self.fail(
                ProtocolError(
                    f"{self.client.target.display}: stream ended inside an unterminated event"
                    f" after {self.events} events (discarded, as the SSE spec says)"
                )
            )

    async def _read_chunks(self, response: httpx.Response, chunks: AsyncIterator[bytes]) -> None:
        queued = _queue_probe(response)
        next_sample = 0
        async for chunk in chunks:
            now = time.perf_counter_ns()
            try:
                events = self.parser.feed(chunk)
            except SseTooLarge as exc:
                self.fail(self._too_large(exc))
                return
            if events:
                self._take(events, now)
            if queued is not None and now >= next_sample and self.events:
                next_sample = now + QUEUE_SAMPLE_NS
                self._sample_queue(queued(), response.num_bytes_downloaded)

    def _too_large(self, exc: SseTooLarge) -> TooLargeError:
        where = self.client.target.display
        what = f"{where}: server sent an SSE {exc.what}"
        return TooLargeError(what, exc.limit, f"after {self.events} events", code=None)

    def _sample_queue(self, waiting: int | None, bytes_so_far: int) -> None:
        """Bytes unread in the socket → events, at the average event size so far."""
        if waiting is None:
            return
        events = waiting * self.events // max(bytes_so_far, 1)
        self.queued_events = max(self.queued_events or 0, events)

    def _take(self, events: list[SseEvent], now: int) -> None:
        """Count, time and inspect the events that one read completed (arrived at `now`)."""
        on_event, gaps = self.client.on_event, self.gaps_ns
        for event in events:
            if self.first_event_ns is None:
                self.first_event_ns = now
            elif len(gaps) < MAX_GAPS:
                gaps.append(now - self.last_event_ns)
            self.last_event_ns = now
            if '"error"' in event.data and self.error is None:
                self._check_error_event(event)
            if on_event is not None:
                on_event(event, now)
        self.events += len(events)
        self.last_event = events[-1]

    def _check_error_event(self, event: SseEvent) -> None:
        try:
            data = json.loads(event.data)
        except (ValueError, RecursionError):  # not JSON, or nested too deep to read
            return
        if isinstance(data, dict) and "error" in data:
            self.fail(app_error(data["error"], self.client._redact))

    def result(self) -> StreamResult:
        end_ns = time.perf_counter_ns()
        cpu = self.read_cpu_ns / self.read_wall_ns if self.read_wall_ns > 0 else 0.0
        backlogged = self.events >= BACKLOG_MIN_EVENTS and (
            (self.queued_events or 0) >= BACKLOG_EVENTS or cpu >= BACKLOG_CPU
        )
        return StreamResult(
            status=self.status,
            events=self.events,
            bytes_in=self.bytes_in,
            start_ns=self.start_ns,
            headers_ns=self.headers_ns,
            first_event_ns=self.first_event_ns,
            end_ns=end_ns,
            gaps_ns=self.gaps_ns,
            last_data=_decode(self.last_event),
            error=self.error,
            backlogged=backlogged,
            client_cpu=round(cpu, 3),
            queued_events=self.queued_events,
            comments=self.parser.comments,
        )


def _decode(event: SseEvent | None) -> Any:
    if event is None:
        return None
    try:
        return json.loads(event.data)
    except (ValueError, RecursionError):
        return event.data


def _identity(response: httpx.Response) -> bool:
    return response.headers.get("content-encoding", "identity").strip().lower() == "identity"


async def _close_quietly(response: httpx.Response) -> None:
    with contextlib.suppress(httpx.HTTPError, OSError):  # a broken connection: nothing to lose
        await response.aclose()


def _queue_probe(response: httpx.Response) -> Callable[[], int | None] | None:
    """A function giving the bytes waiting unread in the response's socket, if we can ask."""
    try:
        import fcntl
        import termios

        stream = response.extensions["network_stream"]
        fileno = stream.get_extra_info("socket").fileno()
        request = termios.FIONREAD
    except Exception:  # no fcntl (Windows), no socket (HTTP/2, a mock transport), …
        return None
    buffer = array.array("i", [0])

    def waiting() -> int | None:
        try:
            fcntl.ioctl(fileno, request, buffer)
        except OSError:
            return None
        return buffer[0]

    return waiting
