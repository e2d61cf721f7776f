"""The server side of WebRTC signaling (4a JSON text, 4b msgpack), whatever carries it.

A `SignalingSession` runs one client's session over a `SignalingChannel`: greetings,
offer/answer, trickled candidates (kept until the offer, at most
`MAX_PENDING_CANDIDATES`), non-fatal `bad_message` reports and a clean end that closes
the peer connection and every track. The apps (`yolo`, `world`) subclass it and fill in
four hooks. Incoming video leaves the jitter buffer by `jitter_release` (default: on the
marker bit, as a browser does; `app.core.transports.webrtc_jitter`). Media stays on
127.0.0.1 (`app.core.transports.loopback`). The messages themselves are the client's
codec (`app.core.codecs.webrtc`), read from the other side.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, Protocol

from aiortc import (
    MediaStreamTrack,
    RTCIceCandidate,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError

from app.core.codecs import webrtc as signaling
from app.core.codecs.webrtc import BAD_MESSAGE, SignalingError, error_text, parse_candidate
from app.core.network.datagram import ImpairedPeer
from app.core.transports.jitter_release import DEFAULT_RELEASE, Release
from app.core.transports.loopback import (
    is_loopback_address,
    keep_loopback_candidates,
    rtc_configuration,
    use_loopback_candidates,
)
from app.core.transports.webrtc_jitter import install_release
from server_mock import network
from server_mock.faults import Faults

log = logging.getLogger("server_mock")

MAX_PENDING_CANDIDATES = 64
_ENDED_STATES = ("failed", "closed", "disconnected")


class SignalingChannel(Protocol):
    """One client's signaling messages, whatever carries them."""

    async def recv(self) -> dict[str, Any] | None:
        """The next client message as a dict; None when the socket closed."""
        ...

    async def send(self, message: dict[str, Any]) -> None: ...


class MemoryChannel:
    """One end of an in-process signaling pair (tests, and peers in one process).

    Messages go through the 4a codec both ways, so a message that would not survive the
    wire fails here too.
    """

    def __init__(self, inbox: asyncio.Queue[str | None], outbox: asyncio.Queue[str | None]):
        self._inbox = inbox
        self._outbox = outbox
        self._closed = False

    async def recv(self) -> dict[str, Any] | None:
        raw = await self._inbox.get()
        if raw is None:
            self._inbox.put_nowait(None)  # stay closed for later calls
            return None
        return signaling.decode(raw, expect="json").message

    async def send(self, message: dict[str, Any]) -> None:
        if not self._closed:
            self._outbox.put_nowait(str(signaling.encode(message, "json")))

    def close(self) -> None:
        """The other end's `recv()` returns None from now on."""
        if not self._closed:
            self._closed = True
            self._outbox.put_nowait(None)


def memory_channel_pair() -> tuple[MemoryChannel, MemoryChannel]:
    """(server end, client end) of an in-memory signaling channel."""
    a: asyncio.Queue[str | None] = asyncio.Queue()
    b: asyncio.Queue[str | None] = asyncio.Queue()
    return MemoryChannel(a, b), MemoryChannel(b, a)


class SignalingSession:
    """One signaling session: greetings, offer/answer, trickled candidates, clean end."""

    name = "webrtc"

    def __init__(
        self, channel: SignalingChannel, faults: Faults, jitter_release: Release = DEFAULT_RELEASE
    ) -> None:
        self.channel = channel
        self.faults = faults
        self.jitter_release = jitter_release
        self.pc: RTCPeerConnection | None = None
        self._ended = asyncio.Event()
        self._error: str | None = None
        self._pending: list[RTCIceCandidate | None] = []
        self._drains: list[asyncio.Task[None]] = []
        self._tracks: list[MediaStreamTrack] = []
        self.network: ImpairedPeer | None = None

    # hooks for the apps
    def greetings(self) -> list[dict[str, Any]]:
        return [{"type": "ready"}]

    def prepare(self, pc: RTCPeerConnection) -> None:
        """Register event handlers before the remote description is applied."""

    def attach(self, pc: RTCPeerConnection) -> None:
        """Add outgoing tracks after the remote description; raise if the offer won't do."""

    async def handle(self, kind: object, message: dict[str, Any]) -> bool:
        """Handle an app-specific message; False when the type is unknown."""
        return False

    # the session
    async def run(self) -> None:
        with use_loopback_candidates():
            try:
                for greeting in self.greetings():
                    await self.channel.send(greeting)
                await self._loop()
                if self._error is not None:
                    await self.channel.send({"type": "error", "error": self._error})
            except Exception as exc:  # the channel itself failed: end quietly
                log.warning("%s: session ended by %s", self.name, error_text("signaling", exc))
            finally:
                await self._close()

    async def _loop(self) -> None:
        ended = asyncio.ensure_future(self._ended.wait())
        try:
            while not self._ended.is_set():
                receiving = asyncio.ensure_future(self.channel.recv())
                await asyncio.wait({receiving, ended}, return_when=asyncio.FIRST_COMPLETED)
                if not receiving.done():
                    receiving.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await receiving
                    return
                message = receiving.result()
                if message is None:
                    return
                await self._dispatch(message)
        finally:
            ended.cancel()

    def fail(self, phase: str, exc: BaseException) -> None:
        """End the session with an `error` message (the first failure wins)."""
        if self._error is None:
            self._error = error_text(phase, exc)
            log.warning("%s: %s", self.name, self._error)
        self._ended.set()

    async def report(self, problem: str, exc_type: str = "ValueError") -> None:
        """A non-fatal `bad_message` error; the session carries on."""
        text = error_text(BAD_MESSAGE, problem, exc_type)
        log.info("%s: %s", self.name, text)
        await self.channel.send({"type": "error", "error": text})

    async def _dispatch(self, message: object) -> None:
        if not isinstance(message, dict):
            await self.report(f"expected a message object, got {type(message).__name__}")
            return
        kind = message.get("type")
        if kind == "offer":
            await self._on_offer(message)
        elif kind == "icecandidate":
            await self._on_candidate(message)
        elif not await self.handle(kind, message):
            await self.report(f"unknown message type {kind!r}")

    async def _on_offer(self, message: dict[str, Any]) -> None:
        if self.pc is not None:
            await self.report("a second offer: renegotiation is not supported", "InvalidStateError")
            return
        try:
            sdp = message.get("sdp")
            if not isinstance(sdp, str) or not sdp.strip():
                raise ValueError("offer without an sdp string")
            sdp, removed = keep_loopback_candidates(sdp)
            if removed:
                log.info("%s: ignored non-loopback candidates %s", self.name, removed)
            self.pc = pc = RTCPeerConnection(rtc_configuration())
            pc.on("connectionstatechange", self._on_state)
            self.prepare(pc)
            await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
            for transceiver in pc.getTransceivers():  # no packet can have arrived yet
                if transceiver.kind == "video":
                    install_release(transceiver.receiver, self.jitter_release)
            self.attach(pc)
            await pc.setLocalDescription(await pc.createAnswer())
            self.network = network.attach(pc)  # RTP/RTCP impairments (server_mock/network.py)
        except Exception as exc:
            self.fail("offer_failed", exc)
            return
        pending, self._pending = self._pending, []
        for candidate in pending:
            if not await self._add_candidate(candidate):
                return
        await self.faults.delay()
        await self.channel.send({"type": "answer", "sdp": pc.localDescription.sdp})

    def _on_state(self) -> None:
        if self.pc is not None and self.pc.connectionState in _ENDED_STATES:
            log.info("%s: peer connection %s", self.name, self.pc.connectionState)
            self._ended.set()

    async def _on_candidate(self, message: dict[str, Any]) -> None:
        if "candidate" not in message:
            await self.report("icecandidate without a candidate field", "KeyError")
            return
        try:
            candidate = parse_candidate(message["candidate"])
        except SignalingError as exc:
            self.fail("ice_failed", exc)
            return
        if candidate is not None and not is_loopback_address(candidate.ip):
            log.info("%s: ignored non-loopback candidate %s", self.name, candidate.ip)
            return
        if self.pc is None:
            if len(self._pending) >= MAX_PENDING_CANDIDATES:
                await self.report("too many candidates before the offer", "OverflowError")
                return
            self._pending.append(candidate)
            return
        await self._add_candidate(candidate)

    async def _add_candidate(self, candidate: RTCIceCandidate | None) -> bool:
        assert self.pc is not None
        try:
            await self.pc.addIceCandidate(candidate)
        except Exception as exc:
            self.fail("ice_failed", exc)
            return False
        return True

    def drain(self, track: MediaStreamTrack) -> None:
        """Consume and discard an incoming track nobody reads (its queue is unbounded)."""

        async def consume() -> None:
            with contextlib.suppress(MediaStreamError):
                while True:
                    await track.recv()

        self._drains.append(asyncio.ensure_future(consume()))

    async def _close(self) -> None:
        for track in self._tracks:
            track.stop()
        for task in self._drains:
            task.cancel()
        for task in self._drains:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.pc is not None:
            with contextlib.suppress(Exception):
                await self.pc.close()
        if self.network is not None:
            self.network.detach()
