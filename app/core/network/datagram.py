"""Impair one peer connection's RTP/RTCP datagrams, both ways, inside the process.

The seam is the narrowest one aiortc has, per peer connection and nothing global:

- out: `RTCIceTransport._send`, the instance attribute `RTCDtlsTransport` awaits for every
  protected datagram (SRTP, SRTCP, DTLS records) — replaced on this transport only;
- in: the aioice `Connection.data_received(data, component)` its `StunProtocol` calls for
  every datagram that is not STUN — shadowed by an instance attribute on this connection.

Only RTP and RTCP (first byte 128..191, RFC 7983) are impaired; DTLS (the handshake and
the data channel's SCTP) and STUN (consent checks) pass untouched, so the session stays
up under 100 % loss the way a real one does until its media times out. Each direction is
an `impair.Link` with its own seeded random stream; `NetworkSetting` is the live value
the links read for every packet (change it mid-session: the next packet sees it).
`detach()` puts aiortc's methods back and cancels the packets still held.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Callable
from typing import Any

from app.core.network.impair import CLEAN, Impairment, Link, LinkCounters, NetworkProfile


class NetworkSetting:
    """The live profile of one session (or of a whole server); listeners hear changes."""

    def __init__(self, profile: NetworkProfile = CLEAN) -> None:
        self.profile = profile
        self.version = 0
        self._listeners: list[Callable[[NetworkProfile], None]] = []

    def set(self, profile: NetworkProfile) -> None:
        self.profile = profile
        self.version += 1
        for listener in list(self._listeners):
            listener(profile)

    def listen(self, callback: Callable[[NetworkProfile], None]) -> Callable[[], None]:
        self._listeners.append(callback)
        return lambda: self._listeners.remove(callback) if callback in self._listeners else None


def is_rtp_or_rtcp(data: bytes) -> bool:
    return bool(data) and 127 < data[0] < 192


class ImpairedPeer:
    """The two impaired directions of one RTCPeerConnection (`role`: whose side we are)."""

    def __init__(
        self,
        setting: NetworkSetting,
        *,
        role: str = "client",
        seed: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if role not in ("client", "server"):
            raise ValueError(f"role must be client or server, not {role!r}")
        self.setting = setting
        self.role = role
        rng = random.Random(seed)
        self.outgoing = Link(self._side(setting.profile, out=True), random.Random(rng.random()))
        self.incoming = Link(self._side(setting.profile, out=False), random.Random(rng.random()))
        self._version = setting.version
        self._clock = clock
        self._restore: list[Callable[[], None]] = []
        self._patched: set[int] = set()
        self._handles: set[asyncio.TimerHandle] = set()
        self._tasks: set[asyncio.Task[Any]] = set()

    def _side(self, profile: NetworkProfile, *, out: bool) -> Impairment:
        upward = out == (self.role == "client")
        return profile.up if upward else profile.down

    def _follow(self) -> None:
        if self.setting.version != self._version:
            self._version = self.setting.version
            self.outgoing.set(self._side(self.setting.profile, out=True))
            self.incoming.set(self._side(self.setting.profile, out=False))

    # -- attaching ----------------------------------------------------------------------
    def attach(self, pc: Any) -> int:
        """Wrap every ICE transport of `pc` not wrapped yet (call after each description:
        BUNDLE may replace transports); returns how many are wrapped now."""
        for ice in _ice_transports(pc):
            if id(ice) not in self._patched:
                self._patched.add(id(ice))
                self._wrap(ice)
        return len(self._patched)

    def _wrap(self, ice: Any) -> None:
        connection = ice._connection
        send = ice._send
        received = connection.data_received
        loop = asyncio.get_running_loop()

        async def impaired_send(data: bytes) -> None:
            if not is_rtp_or_rtcp(data):
                await send(data)
                return
            self._follow()
            now = self._clock()
            at = self.outgoing.admit(len(data), now)
            if at is None:
                return
            if at <= now:
                await send(data)
            else:
                self._later(loop, at - now, lambda: self._spawn(send(data)))

        def impaired_received(data: bytes, component: int) -> None:
            if not is_rtp_or_rtcp(data):
                received(data, component)
                return
            self._follow()
            now = self._clock()
            at = self.incoming.admit(len(data), now)
            if at is None:
                return
            if at <= now:
                received(data, component)
            else:
                self._later(loop, at - now, lambda: received(data, component))

        ice._send = impaired_send
        connection.data_received = impaired_received

        def restore() -> None:
            ice._send = send
            with contextlib.suppress(AttributeError):
                del connection.data_received

        self._restore.append(restore)

    def _later(self, loop: asyncio.AbstractEventLoop, delay: float, fn: Callable[[], None]) -> None:
        handle: asyncio.TimerHandle

        def run() -> None:
            self._handles.discard(handle)
            fn()

        handle = loop.call_later(delay, run)
        self._handles.add(handle)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(_quietly(coro))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def detach(self) -> None:
        """aiortc's methods back; held packets dropped (idempotent)."""
        for handle in self._handles:
            handle.cancel()
        self._handles.clear()
        for task in self._tasks:
            task.cancel()
        for restore in self._restore:
            restore()
        self._restore.clear()

    @property
    def held(self) -> int:
        return len(self._handles)

    def values(self) -> dict[str, Any]:
        """Counters for a stats snapshot: what the impairment did to each direction."""
        out: dict[str, Any] = {}
        for name, c in (("out", self.outgoing.counters), ("in", self.incoming.counters)):
            out.update(_counter_values(name, c))
        return out


def _counter_values(name: str, c: LinkCounters) -> dict[str, int]:
    return {
        f"net_{name}_packets": c.packets,
        f"net_{name}_lost": c.lost,
        f"net_{name}_overflow": c.overflow,
    }


async def _quietly(coro: Any) -> None:
    with contextlib.suppress(ConnectionError, OSError):
        await coro


def _ice_transports(pc: Any) -> list[Any]:
    found: dict[int, Any] = {}
    dtls = [t.receiver.transport for t in pc.getTransceivers()]
    dtls += [t.sender.transport for t in pc.getTransceivers()]
    if pc.sctp is not None:
        dtls.append(pc.sctp.transport)
    for d in dtls:
        ice = getattr(d, "transport", None)
        if ice is not None and hasattr(ice, "_connection"):
            found[id(ice)] = ice
    return list(found.values())
