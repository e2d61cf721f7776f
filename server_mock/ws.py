"""Raw WebSocket endpoints (`is_websocket=True` apps): the app defines its messages.

`mock/echo/ws` echoes every frame as it came (text as text, binary as binary). WebRTC
signaling over a raw socket (4a) is `server_mock.webrtc.channels.JsonTextChannel`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from starlette.websockets import WebSocket

from app.core.codecs.fal_frames import error_frame
from server_mock.faults import INJECTED_ERROR, Faults
from server_mock.outbox import Outbox

log = logging.getLogger("server_mock")


async def serve_echo(ws: WebSocket, faults: Faults, max_message_bytes: int, label: str) -> None:
    """Echo frames through the session's outbox (faults, order, disconnect_after)."""
    # an injected error is reported inline, in place of the echo, and the session goes on
    inline = {"type": "websocket.send", "text": error_frame("INTERNAL_ERROR", INJECTED_ERROR)}
    outbox: Outbox[dict[str, Any]] = Outbox(faults, ws.send, label=label, error_frame=inline)

    async def receiver() -> None:
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                return
            data = message.get("bytes")
            text = message.get("text")
            size = len(data) if data is not None else len((text or "").encode())
            if size > max_message_bytes:  # CappedWebSocketProtocol refuses these first
                reason = f"input of {size} bytes exceeds the limit of {max_message_bytes} bytes"
                log.warning("%s: %s", label, reason)
                await ws.send_text(error_frame("INTERNAL_ERROR", reason))
                await ws.close(1009, reason)
                return
            out: dict[str, Any] = (
                {"type": "websocket.send", "bytes": data}
                if data is not None
                else {"type": "websocket.send", "text": text}
            )
            outbox.send(out)

    sending = outbox.start()
    receiving = asyncio.create_task(receiver())
    try:
        # ends when the client goes (receiver) or an injected disconnect fires (sender)
        await asyncio.wait({sending, receiving}, return_when=asyncio.FIRST_COMPLETED)
        if receiving.done() and not sending.done():
            await outbox.close(timeout=5)  # flush what is queued, then close
    finally:
        receiving.cancel()
        await asyncio.gather(receiving, return_exceptions=True)
        await outbox.cancel()
        if not outbox.aborted:
            with contextlib.suppress(Exception):
                await ws.close(1000)
