"""Raw WebSocket endpoints (`is_websocket=True` apps): the app defines its messages.

`mock/echo/ws` echoes every frame as it came (text as text, binary as binary);
`JsonTextChannel` carries WebRTC signaling as JSON text frames (4a), decoded by the
client's own signaling codec (`app.core.codecs.webrtc`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from starlette.websockets import WebSocket

from app.core.codecs import webrtc as signaling
from app.core.codecs.fal_frames import error_frame
from server_mock.faults import Faults

log = logging.getLogger("server_mock")


async def serve_echo(ws: WebSocket, faults: Faults, max_message_bytes: int, label: str) -> None:
    """Echo frames; injected latency delays each one without limiting throughput."""
    outbox: asyncio.Queue[tuple[float, dict[str, Any]] | None] = asyncio.Queue()
    aborted = False

    async def sender() -> None:
        nonlocal aborted
        while (item := await outbox.get()) is not None:
            due, message = item
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            await ws.send(message)
            if faults.count_output():
                log.info("%s: injected disconnect after %d frames", label, faults.outputs)
                aborted = True
                return

    async def receiver() -> None:
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                return
            data = message.get("bytes")
            text = message.get("text")
            size = len(data) if data is not None else len((text or "").encode())
            if size > max_message_bytes:
                log.warning(
                    "%s: frame of %d bytes over the %d-byte limit", label, size, max_message_bytes
                )
                await ws.close(1009, f"frame of {size} bytes exceeds {max_message_bytes}")
                return
            if faults.drop_output():
                continue
            if faults.error_output():
                error = error_frame("INTERNAL_ERROR", "injected fault: error_rate")
                outbox.put_nowait((0.0, {"type": "websocket.send", "text": error}))
                continue
            out: dict[str, Any] = (
                {"type": "websocket.send", "bytes": data}
                if data is not None
                else {"type": "websocket.send", "text": text}
            )
            outbox.put_nowait((time.monotonic() + faults.delay_s(), out))

    sending = asyncio.create_task(sender())
    receiving = asyncio.create_task(receiver())
    try:
        # ends when the client goes (receiver) or an injected disconnect fires (sender)
        await asyncio.wait({sending, receiving}, return_when=asyncio.FIRST_COMPLETED)
        if receiving.done() and not sending.done():
            outbox.put_nowait(None)  # flush what is queued, then close
            await asyncio.wait({sending}, timeout=5)
    finally:
        for task in (sending, receiving):
            task.cancel()
        await asyncio.gather(sending, receiving, return_exceptions=True)
        if not aborted:
            with contextlib.suppress(Exception):
                await ws.close(1000)


class JsonTextChannel:
    """A SignalingChannel over JSON text frames; bad frames are reported, not fatal."""

    def __init__(self, ws: WebSocket, label: str) -> None:
        self.ws = ws
        self.label = label

    async def recv(self) -> dict[str, Any] | None:
        while True:
            try:
                message = await self.ws.receive()
            except Exception:
                return None
            if message["type"] == "websocket.disconnect":
                return None
            text = message.get("text")
            frame = text if text is not None else message.get("bytes") or b""
            try:
                return signaling.decode(frame, expect="json").message
            except signaling.SignalingError as exc:
                await self._complain(str(exc))

    async def send(self, message: dict[str, Any]) -> None:
        with contextlib.suppress(Exception):
            text = signaling.encode(message, "json")
            await self.ws.send({"type": "websocket.send", "text": text})

    async def _complain(self, reason: str) -> None:
        log.warning("%s: bad signaling frame: %s", self.label, reason)
        await self.send(
            {"type": "error", "error": signaling.error_text(signaling.BAD_MESSAGE, reason)}
        )
