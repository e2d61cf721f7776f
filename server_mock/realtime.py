"""fal's realtime protocol, server side: msgpack maps in binary frames, JSON text
frames for `x-fal-error` / `x-fal-message`, `max_buffering` with oldest-dropped,
idle `TIMEOUT`, and the unary, server-streaming and bidirectional modes.

Apps only write handlers; the protocol lives here, the faults in `outbox.py`. The
frames themselves are the client's codecs, read from the other side
(`app.core.codecs.realtime`, `app.core.codecs.fal_frames`), so the two ends cannot
drift apart.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from starlette.websockets import WebSocket

from app.core.codecs.fal_frames import error_frame, timings_frame
from app.core.codecs.realtime import InputError, decode_input, encode_output
from server_mock.faults import INJECTED_ERROR, Faults
from server_mock.lean_queue import LeanQueue
from server_mock.outbox import Outbox
from server_mock.wsprotocol import DIRECT_LANE, CappedWebSocketProtocol

log = logging.getLogger("server_mock")

TIMEOUT_REASON = "no inputs, reconnect when needed!"
# Inputs the app itself holds beyond the gateway's buffer. With it, a buffer of 4
# and a burst of 10 answers inputs 0, 1, 2, 6, 7, 8, 9, as observed on fal.
APP_QUEUE_DEPTH = 2
MAX_BUFFERING = (1, 60)
TIMINGS_EVERY_S = 5.0
TIMINGS_QUIET_S = 2.0

Mode = Literal["unary", "server_streaming", "bidi"]


class BadInput(Exception):
    """An input that cannot be decoded or validated; ends the session like on fal."""


class SessionIdle(Exception):
    """No input arrived within the session timeout."""


class AppError(Exception):
    """An app handler's own failure, reported to the client as INTERNAL_ERROR."""


def parse_max_buffering(raw: str | None) -> int | None:
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"max_buffering={raw!r} is not an integer") from None
    lo, hi = MAX_BUFFERING
    if not lo <= value <= hi:
        raise ValueError(f"max_buffering={value} must be between {lo} and {hi}")
    return value


class RealtimeSession:
    """One accepted realtime WebSocket, seen by an app as inputs in and outputs out.

    Everything it sends goes through its `Outbox` (faults, order, injected latency
    that delays outputs without limiting throughput).
    """

    def __init__(
        self,
        ws: WebSocket,
        *,
        faults: Faults,
        max_message_bytes: int,
        session_timeout_s: float,
        timings: bool = False,
        label: str = "realtime",
    ) -> None:
        self.ws = ws
        self.faults = faults
        self.max_message_bytes = max_message_bytes
        self.session_timeout_s = session_timeout_s
        self.timings = timings
        self.label = label
        self.closed = False
        self.aborted = False
        self.started = time.monotonic()
        self._last_timing = self.started
        self.outbox: Outbox[dict[str, Any] | str | bytes] = Outbox(
            faults, self._write, label=label, on_disconnect=self._disconnected
        )
        self._ticker: asyncio.Task[None] | None = None
        # uvicorn's protocol when it offers the direct lane (server_mock.wsprotocol)
        self.lane: CappedWebSocketProtocol | None = (ws.scope.get("extensions") or {}).get(
            DIRECT_LANE
        )

    # -- lifecycle -------------------------------------------------------------
    async def start(self) -> None:
        self.outbox.start()
        if self.timings:
            await self._raw_send(timings_frame(0.0))
            self._ticker = asyncio.create_task(self._timings_loop())

    async def finish(self, *, error: tuple[str, str] | None = None, code: int = 1000) -> None:
        """Flush queued outputs, optionally send an x-fal-error, then close."""
        if self.closed:
            return
        if error is not None:
            self.send_error(*error)
        await self.outbox.close(timeout=10)
        if not self.aborted:
            await self._close(code)

    async def cancel(self) -> None:
        await self.outbox.cancel()
        if self._ticker is not None and not self._ticker.done():
            self._ticker.cancel()
        if self._ticker is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._ticker

    # -- receiving -------------------------------------------------------------
    async def receive(self, timeout: float | None = None) -> dict[str, Any] | None:
        """The next input map; None when the client has gone.

        Raises BadInput for undecodable input and SessionIdle after `timeout` seconds.
        """
        try:
            if timeout is None:
                message = await self.ws.receive()
            else:
                message = await asyncio.wait_for(self.ws.receive(), timeout)
        except TimeoutError:
            raise SessionIdle from None
        except Exception:  # the transport went away under us
            self.closed = True
            return None
        if message["type"] == "websocket.disconnect":
            self.closed = True
            return None
        size = len(message.get("bytes") or b"") or len((message.get("text") or "").encode())
        return self._input_of(message.get("bytes"), size)

    def _input_of(self, data: bytes | None, size: int) -> dict[str, Any]:
        """The input map of a frame of `size` bytes (`data`: None for a text frame);
        BadInput when it is over the limit or not a msgpack map."""
        if size > self.max_message_bytes:
            raise BadInput(
                f"input of {size} bytes exceeds the limit of {self.max_message_bytes} bytes"
            )
        try:
            return decode_input(data)
        except InputError as exc:
            raise BadInput(str(exc)) from None

    # -- sending ---------------------------------------------------------------
    def send_output(self, output: dict[str, Any]) -> None:
        """Queue an app output; faults decide whether, when and how it goes out.

        Raises AppError for an injected error, which ends the session as fal would.
        """
        if self.outbox.send(output) == "error":
            # as if the app raised: the session ends with INTERNAL_ERROR, then close 1000
            raise AppError(INJECTED_ERROR)

    async def deliver_output(self, output: dict[str, Any]) -> None:
        """As `send_output`, written at once when no fault is on (`Outbox.deliver`)."""
        if await self.outbox.deliver(output) == "error":
            raise AppError(INJECTED_ERROR)

    def send_control(self, message: dict[str, Any]) -> None:
        """Queue a protocol message (e.g. signaling) that output faults must not touch."""
        self.outbox.send_control(message)

    def send_error(self, code: str, reason: str) -> None:
        self.outbox.send_control(error_frame(code, reason))

    def send_text(self, payload: dict[str, Any]) -> None:
        self.outbox.send_control(json.dumps(payload))

    async def _write(self, item: dict[str, Any] | str | bytes) -> None:
        """The outbox's writer: maps (outputs, signaling) as msgpack, text frames as is."""
        if isinstance(item, dict):
            if self.timings:
                await self._maybe_timing()
            await self._raw_send(encode_output(item))
        else:
            await self._raw_send(item)

    def _disconnected(self) -> None:
        """An injected disconnect: no close frame, no more sends (the client sees 1006)."""
        self.aborted = True
        self.closed = True

    def can_write_now(self) -> bool:
        """Whether an output written at once now keeps order and faults: the lane is
        writable, nothing is queued or being written, no fault is on, no timings."""
        lane = self.lane
        return (
            lane is not None
            and not self.closed
            and not self.timings
            and self.outbox.quiet()
            and lane.can_send_direct()
        )

    def write_now(self, output: dict[str, Any]) -> None:
        """Write `output` at once; only right after `can_write_now()` said so."""
        assert self.lane is not None
        self.lane.send_direct(encode_output(output))
        self.outbox.count_written()

    def take_input(self, data: bytes) -> dict[str, Any] | None:
        """A binary input taken on the direct lane, decoded as `receive` would; None when
        it must take the ASGI way instead (too large, undecodable: `receive` raises)."""
        try:
            return self._input_of(data, len(data))
        except BadInput:
            return None

    async def _raw_send(self, data: str | bytes) -> None:
        if self.closed:
            return
        try:
            if isinstance(data, bytes):
                lane = self.lane
                if lane is not None and lane.send_direct(data):
                    return
                await self.ws.send({"type": "websocket.send", "bytes": data})
            else:
                await self.ws.send({"type": "websocket.send", "text": data})
        except Exception:
            self.closed = True

    async def _close(self, code: int) -> None:
        if self.closed:
            return
        self.closed = True
        with contextlib.suppress(Exception):
            await self.ws.close(code)

    # -- x-fal-message timings (duration billing) -------------------------------
    async def _maybe_timing(self) -> None:
        now = time.monotonic()
        if now - self.started >= TIMINGS_QUIET_S and now - self._last_timing >= 1.0:
            await self._raw_send(timings_frame(now - self._last_timing))
            self._last_timing = now

    async def _timings_loop(self) -> None:
        await asyncio.sleep(TIMINGS_QUIET_S)
        while not self.closed:
            now = time.monotonic()
            if now - self._last_timing >= TIMINGS_EVERY_S:
                await self._raw_send(timings_frame(now - self._last_timing))
                self._last_timing = now
            await asyncio.sleep(TIMINGS_EVERY_S - (now - self._last_timing) % TIMINGS_EVERY_S)


# -- app handlers ------------------------------------------------------------------
UnaryHandler = Callable[[list[dict[str, Any]]], Awaitable[dict[str, Any]]]
StreamHandler = Callable[[dict[str, Any]], AsyncIterator[dict[str, Any]]]
BidiHandler = Callable[[RealtimeSession], Awaitable[None]]


@dataclass(frozen=True)
class RealtimeRoute:
    """What an app's `@fal.realtime(...)` decorator would declare."""

    mode: Mode
    # one of UnaryHandler, StreamHandler or BidiHandler, as `mode` says; typed loosely
    # because the mode, not the type checker, decides which one it is
    handler: Callable[..., Any]
    # a unary app's synchronous answer for an input that needs no waiting (None: this
    # one needs `handler`); with it, an input that finds the app idle is answered as it
    # is parsed, with no task woken (the bare websockets echo's cost, not two wakes)
    at_once: Callable[[list[dict[str, Any]]], dict[str, Any] | None] | None = None
    buffering: int | None = None  # the app's own default when the client gives none
    max_batch_size: int = 1
    session_timeout_s: float | None = None  # None: the server's default


async def run_route(
    route: RealtimeRoute, session: RealtimeSession, max_buffering: int | None
) -> None:
    """Drive one session through `route` until it ends, then close it the fal way."""
    timeout = route.session_timeout_s or session.session_timeout_s
    error: tuple[str, str] | None = None
    try:
        if route.mode == "unary":
            error = await _run_unary(route, session, max_buffering or route.buffering, timeout)
        elif route.mode == "server_streaming":
            error = await _run_server_streaming(route, session, timeout)
        else:
            await route.handler(session)
            if not session.closed:
                error = ("TIMEOUT", TIMEOUT_REASON)
    except SessionIdle:
        error = ("TIMEOUT", TIMEOUT_REASON)
    except BadInput as exc:
        log.warning("%s: bad input: %s", session.label, exc)
        error = ("INTERNAL_ERROR", str(exc))
        await session.finish(error=error, code=1009 if "exceeds the limit" in str(exc) else 1000)
        await session.cancel()
        return
    except AppError as exc:
        log.warning("%s: app error: %s", session.label, exc)
        error = ("INTERNAL_ERROR", str(exc))
    except Exception as exc:  # an app bug must not take the server down
        log.exception("%s: unexpected app failure", session.label)
        error = ("INTERNAL_ERROR", f"{type(exc).__name__}: {exc}")
    if session.closed and not session.aborted:
        await session.cancel()
        return
    await session.finish(error=error)
    await session.cancel()


async def _run_server_streaming(
    route: RealtimeRoute, session: RealtimeSession, timeout: float
) -> tuple[str, str] | None:
    first = await session.receive(timeout)
    if first is None:
        return None
    async for output in route.handler(first):
        if session.closed:
            return None
        session.send_output(output)
    return ("TIMEOUT", TIMEOUT_REASON)


async def _run_unary(
    route: RealtimeRoute, session: RealtimeSession, buffering: int | None, timeout: float
) -> tuple[str, str] | None:
    """Reader → gateway buffer (drop-oldest) → app queue → worker → outputs.

    Per input only the reader and the worker wake: the gateway is moved into the app
    queue inline (when an input arrives and when the worker takes one), and the idle
    timeout is one watchdog per session, not a timer and a task per receive.
    """
    gateway: deque[dict[str, Any]] = deque(maxlen=buffering)
    app_queue: LeanQueue[dict[str, Any]] = LeanQueue()  # at most APP_QUEUE_DEPTH
    busy = False  # the app is computing an output
    in_hand = False  # an input was taken and its output is not yet delivered
    dropped = 0
    last_input = time.monotonic()

    def forward() -> None:
        while gateway and len(app_queue) < APP_QUEUE_DEPTH:
            app_queue.put_nowait(gateway.popleft())

    async def work() -> None:
        nonlocal busy, in_hand
        handler: UnaryHandler = route.handler
        while True:
            batch = [await app_queue.get()]
            busy = in_hand = True
            while len(batch) < route.max_batch_size and not app_queue.empty():
                batch.append(app_queue.get_nowait())
            forward()
            output = await handler(batch)
            busy = False  # the app is idle (the watchdog's view) while its output waits
            if session.closed:
                return
            await session.deliver_output(output)
            in_hand = False  # delivered: an answer at once can no longer overtake it
            if session.closed:
                return

    def queue_input(item: dict[str, Any]) -> None:
        """Into the gateway (drop-oldest at `buffering`) and on to the app queue."""
        nonlocal dropped
        if buffering is not None and len(gateway) == buffering:
            dropped += 1
        gateway.append(item)
        forward()

    async def read() -> None:
        nonlocal last_input
        while (item := await session.receive()) is not None:
            last_input = time.monotonic()
            queue_input(item)

    async def watch() -> None:
        """Ends (SessionIdle) once no input came for `timeout` s while nothing was in
        hand; an app still busy then gets another full `timeout`."""
        due = last_input + timeout
        while True:
            await asyncio.sleep(max(due - time.monotonic(), 0.0))
            now = time.monotonic()
            if now < last_input + timeout:
                due = last_input + timeout
            elif busy or gateway or not app_queue.empty():
                due = now + timeout
            else:
                raise SessionIdle

    def take(data: bytes) -> bool:
        """The direct lane's taker: what `read` does with an input, without its wake."""
        nonlocal last_input
        item = session.take_input(data)
        if item is None:
            return False
        last_input = time.monotonic()
        if (
            at_once is not None
            and not (in_hand or gateway or app_queue)
            and session.can_write_now()
        ):
            output = at_once([item])
            if output is not None:
                session.write_now(output)
                return True
        queue_input(item)
        return True

    at_once = route.at_once if route.max_batch_size == 1 else None
    reader = asyncio.create_task(read())  # with the lane: what it declines, and the end
    worker = asyncio.create_task(work())
    watchdog = asyncio.create_task(watch())
    lane = session.lane
    if lane is not None:
        lane.direct_input = take
    try:
        done, _ = await asyncio.wait(
            {reader, worker, watchdog}, return_when=asyncio.FIRST_COMPLETED
        )
        for task in (worker, watchdog, reader):  # the app's failure first, as before
            if task in done:
                task.result()  # re-raises AppError, SessionIdle, BadInput, ...
        return None
    finally:
        if lane is not None:
            lane.direct_input = None
        for task in (reader, worker, watchdog):
            task.cancel()
        await asyncio.gather(reader, worker, watchdog, return_exceptions=True)
        if dropped:
            log.info(
                "%s: dropped %d buffered inputs (max_buffering=%s)",
                session.label,
                dropped,
                buffering,
            )
