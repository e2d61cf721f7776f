"""The mock's WebSocket protocol: uvicorn's sans-I/O one, with the size cap answered fal's way.

The cap is enforced by websockets while it reads: a frame's length is checked before
its payload is read, and a compressed frame is inflated only up to the cap, so an
oversized input never reaches memory. uvicorn would then close with a bare 1009; this
class first sends an `x-fal-error` text frame naming the limit (as the mock does for
any input it refuses), then the 1009 close.

It also frees the failed parse at once. websockets keeps the exception in
`parser_exc`, and its traceback holds the frames of the parse — for a compressed
frame, the inflated bytes (up to the cap). That is a reference cycle, so without this
each oversized compressed frame kept ~the cap in memory until a full GC ran: ~33 MB a
frame with a 32 MiB cap, seen as RSS that never came back. Freed, an inflated frame
still stays with glibc's allocator (its large-allocation thresholds rise after the
first big free, so later ones land on the heap and are not given back): after an
oversized input we ask it to return free memory (`malloc_trim`, glibc only; elsewhere
the memory stays reusable by the process but is not returned).

Reading is paused only when inputs pile up. uvicorn pauses the socket after every
message and resumes it when the app takes it: two epoll changes per message, ~10 % of
the mock's CPU at a few thousand msg/s. Here the socket stays open until
`READ_QUEUE_MESSAGES` inputs wait or one of them is `READ_PAUSE_BYTES` or larger, so
the memory held for a slow app stays bounded and a client that floods still feels
backpressure.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import logging
from collections.abc import Callable
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.exceptions import InvalidState, PayloadTooBig
from websockets.frames import Frame, Opcode

from app.core.codecs.fal_frames import error_frame
from server_mock.lean_queue import LeanQueue

log = logging.getLogger("server_mock")


def _malloc_trim() -> Callable[[], None] | None:
    """glibc's malloc_trim(0), or None where there is none (macOS, Windows, musl)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None)
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int

    def release() -> None:
        trim(0)

    return release


RELEASE_MEMORY = _malloc_trim()
DIRECT_LANE = "rtprobe.direct_lane"  # the scope extension naming the protocol
READ_QUEUE_MESSAGES = 8  # inputs waiting for the app before the socket is paused
READ_PAUSE_BYTES = 64 * 1024  # an input this large pauses at once (as uvicorn always does)


def oversized_reason(exc: PayloadTooBig) -> str:
    """The x-fal-error reason for an input over the limit (the size when it is known)."""
    size = f"of {exc.size} bytes " if exc.size is not None else ""
    return f"input {size}exceeds the limit of {exc.max_size} bytes"


class CappedWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's WebSocket protocol; an oversized input gets x-fal-error, then close 1009.
    Its receive queue is a `LeanQueue` (uvicorn's ASGI receive is its one consumer)."""

    # a session's own taker of whole binary inputs (the direct lane, below), or None
    direct_input: Callable[[bytes], bool] | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue = LeanQueue()  # type: ignore[assignment]

    # -- the direct lane -----------------------------------------------------------
    # A realtime session's inputs and outputs cross uvicorn's receive queue, starlette's
    # WebSocket, an ASGI message dict and a task wake each way; the bare websockets echo
    # does none of that. The protocol offers itself in the scope (`DIRECT_LANE`): a
    # session may set `direct_input` to take whole binary inputs as they are parsed
    # (returning False declines one, and then every later input takes the ASGI way, so
    # order holds), and `send_direct` writes a binary output at once when uvicorn's own
    # send would (open, handshake done, not closing, not paused for writing).
    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)
        if scope is not None:
            scope["extensions"][DIRECT_LANE] = self

    def can_send_direct(self) -> bool:
        return not (
            self.disconnected
            or self.close_sent
            or not self.handshake_complete
            or self.initial_response is not None
            or not self.writable.is_set()
            or self.transport.is_closing()
        )

    def send_direct(self, data: bytes) -> bool:
        if not self.can_send_direct():
            return False
        try:
            self.conn.send_binary(data)
        except InvalidState:
            return False
        self.transport.write(b"".join(self.conn.data_to_send()))
        return True

    def send_receive_event_to_app(self) -> None:
        taker = self.direct_input
        if taker is not None and not self.close_sent:
            frames = self.frames
            if self.curr_msg_data_type == "bytes" and len(frames) == 1 and taker(frames[0]):
                self.frames = []
                return
            self.direct_input = None  # declined: this input and all after go to the app
        paused = self.read_paused
        large = sum(len(f) for f in self.frames) >= READ_PAUSE_BYTES
        self.read_paused = True  # uvicorn pauses unless it believes it already has
        super().send_receive_event_to_app()
        self.read_paused = paused
        if not paused and (large or self.queue.qsize() >= READ_QUEUE_MESSAGES):
            self.read_paused = True
            self.transport.pause_reading()

    def handle_parser_exception(self) -> None:
        exc = self.conn.parser_exc
        if isinstance(exc, PayloadTooBig) and self.handshake_complete and not self.close_sent:
            reason = oversized_reason(exc)
            path = self.scope.get("path", "") if hasattr(self, "scope") else ""
            log.warning("ws %s: %s", path, reason)
            # the close frame websockets queued is still unsent: the error goes before it,
            # uncompressed (allowed with permessage-deflate), server frames unmasked
            text = error_frame("INTERNAL_ERROR", reason).encode()
            self.transport.write(Frame(Opcode.TEXT, text).serialize(mask=False))
        if exc is not None:
            exc.__traceback__ = None  # break the cycle that kept the parse's buffers
            exc.__context__ = None
        super().handle_parser_exception()
        self.conn.parser_exc = None
        if isinstance(exc, PayloadTooBig) and RELEASE_MEMORY is not None:
            # after this callback returns, the parse's buffers are garbage: give them back
            asyncio.get_running_loop().call_soon(RELEASE_MEMORY)
