"""The sockets a mock WebRTC session's signaling travels on, as `SignalingChannel`s:
JSON text frames on a raw WebSocket (4a) and msgpack maps over a realtime session (4b),
both decoded by the client's own signaling codec (`app.core.codecs.webrtc`)."""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from starlette.websockets import WebSocket

from app.core.codecs import webrtc as signaling
from server_mock.realtime import BadInput, RealtimeSession

log = logging.getLogger("server_mock")


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


class MsgpackChannel:
    """A SignalingChannel over a realtime session (msgpack maps in binary frames)."""

    def __init__(self, session: RealtimeSession) -> None:
        self.session = session
        self.bad_input: BadInput | None = None

    async def recv(self) -> dict[str, Any] | None:
        try:
            return await self.session.receive()
        except BadInput as exc:
            self.bad_input = exc
            return None

    async def send(self, message: dict[str, Any]) -> None:
        self.session.send_control(message)
