"""An asyncio TCP proxy that applies toxics to each connection, as Toxiproxy does.

Each accepted client gets a `Link`: a connection to the upstream and two `Shaper`s,
`upstream` (client -> server bytes) and `downstream` (server -> client). The toxics
come from a `ToxicSet` the HTTP API changes live; every open link follows the change.
Half-closes pass through (EOF one way keeps the other way open); the link closes when
both directions have ended, or at once on a toxic's close or reset. Reading pauses
when a side cannot keep up, so a flood holds at most ~HIGH_WATER bytes per direction.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import socket
import struct
from collections.abc import Callable

from app.core.network.listen import bind
from app.core.network.shaper import Shaper
from app.core.network.toxics import Toxic
from app.core.network.toxicset import ToxicSet

log = logging.getLogger("rtprobe.proxy")

CONNECT_TIMEOUT_S = 10.0


def reset_transport(transport: asyncio.BaseTransport | None) -> None:
    """Close with a TCP RST (SO_LINGER 0), as Toxiproxy's reset_peer does."""
    if transport is None or transport.is_closing():
        if transport is not None and isinstance(transport, asyncio.Transport):
            transport.abort()
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    if isinstance(transport, asyncio.Transport):
        transport.abort()


class _Side:
    """What a shaper writes to: one transport of the link."""

    def __init__(self, link: Link, stream: str) -> None:
        self.link = link
        self.stream = stream  # the direction whose bytes this side receives
        self.transport: asyncio.Transport | None = None

    def write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def write_eof(self) -> None:
        t = self.transport
        if t is not None and not t.is_closing() and t.can_write_eof():
            try:
                t.write_eof()
            except OSError:  # the peer is already gone
                self.link.close()
                return
        self.link.ended(self.stream)

    def close(self) -> None:
        self.link.close()

    def reset(self) -> None:
        self.link.reset()


class Link:
    """One client connection and its upstream connection."""

    def __init__(self, proxy: Proxy, client: asyncio.Transport) -> None:
        self.proxy = proxy
        self.client = client
        self.to_upstream = _Side(self, "upstream")
        self.to_client = _Side(self, "downstream")
        self.to_client.transport = client
        rng = random.Random()
        current = proxy.toxics_for(self)
        self.up = Shaper("upstream", current, self.to_upstream, rng=rng, on_level=self._hold_client)
        self.down = Shaper(
            "downstream", current, self.to_client, rng=rng, on_level=self._hold_upstream
        )
        self._ended: set[str] = set()
        self._holds: dict[str, set[str]] = {"client": set(), "upstream": set()}
        self.closed = False
        self._unlisten = proxy.toxics.listen(self._refresh)
        self._hold("client", "connect", True)  # until the upstream answers
        self.connecting: asyncio.Task[None] | None = None
        self.connecting = asyncio.get_running_loop().create_task(self._connect())

    def _refresh(self) -> None:
        self.up.refresh()
        self.down.refresh()

    async def _connect(self) -> None:
        host, port = self.proxy.upstream
        loop = asyncio.get_running_loop()
        try:
            transport, _ = await asyncio.wait_for(
                loop.create_connection(lambda: _UpstreamProtocol(self), host, port),
                CONNECT_TIMEOUT_S,
            )
        except (OSError, TimeoutError) as exc:
            reason = getattr(exc, "strerror", None) or type(exc).__name__
            log.warning("proxy %s: upstream %s:%d refused: %s", self.proxy.name, host, port, reason)
            self.close()
            return
        finally:
            self.connecting = None
        if self.closed:
            transport.close()
            return
        self.to_upstream.transport = transport
        self._hold("client", "connect", False)

    # -- flow control: a side stops reading while the other cannot take more --------------
    def _hold(self, side: str, why: str, on: bool) -> None:
        holds = self._holds[side]
        was = bool(holds)
        holds.add(why) if on else holds.discard(why)
        transport = self.client if side == "client" else self.to_upstream.transport
        if transport is None or transport.is_closing() or was == bool(holds):
            return
        transport.pause_reading() if holds else transport.resume_reading()

    def _hold_client(self, on: bool) -> None:
        self._hold("client", "held", on)

    def _hold_upstream(self, on: bool) -> None:
        self._hold("upstream", "held", on)

    def writing_paused(self, side: str, on: bool) -> None:
        """`side`'s transport buffer is full (on) or drained: pace its shaper's source."""
        shaper = self.down if side == "client" else self.up
        shaper.pause() if on else shaper.resume()
        self._hold("upstream" if side == "client" else "client", "full", on)

    # -- ends ------------------------------------------------------------------------------
    def ended(self, stream: str) -> None:
        """Direction `stream` delivered its EOF; both done: close the link."""
        self._ended.add(stream)
        if len(self._ended) == 2:
            self.close()

    def close(self) -> None:
        if self.closed:
            return
        self._finish()
        for t in (self.client, self.to_upstream.transport):
            if t is not None and not t.is_closing():
                t.close()

    def reset(self) -> None:
        if self.closed:
            return
        self._finish()
        reset_transport(self.client)
        reset_transport(self.to_upstream.transport)

    def _finish(self) -> None:
        self.closed = True
        self._unlisten()
        self.up.close()
        self.down.close()
        if self.connecting is not None:
            self.connecting.cancel()
        self.proxy.links.discard(self)

    def lost(self, side: str, exc: Exception | None) -> None:
        """A transport is gone. A reset from one side resets the other; a clean close
        lets what is queued for the other side go out first."""
        if self.closed:
            return
        if exc is not None:
            self.reset() if isinstance(exc, ConnectionResetError) else self.close()
            return
        if side == "client":
            self.close()
        else:
            self.down.eof()


class _ClientProtocol(asyncio.Protocol):
    def __init__(self, proxy: Proxy) -> None:
        self.proxy = proxy
        self.link: Link | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        if len(self.proxy.links) >= self.proxy.max_links:
            log.warning(
                "proxy %s: %d connections open, refusing one",
                self.proxy.name,
                len(self.proxy.links),
            )
            transport.close()
            return
        self.link = Link(self.proxy, transport)
        self.proxy.links.add(self.link)

    def data_received(self, data: bytes) -> None:
        if self.link is not None:
            self.link.up.feed(data)

    def eof_received(self) -> bool:
        if self.link is not None:
            self.link.up.eof()
        return True  # half-closed: the other direction goes on

    def pause_writing(self) -> None:
        if self.link is not None:
            self.link.writing_paused("client", True)

    def resume_writing(self) -> None:
        if self.link is not None:
            self.link.writing_paused("client", False)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.link is not None:
            self.link.lost("client", exc)


class _UpstreamProtocol(asyncio.Protocol):
    def __init__(self, link: Link) -> None:
        self.link = link

    def data_received(self, data: bytes) -> None:
        self.link.down.feed(data)

    def eof_received(self) -> bool:
        self.link.down.eof()
        return True

    def pause_writing(self) -> None:
        self.link.writing_paused("upstream", True)

    def resume_writing(self) -> None:
        self.link.writing_paused("upstream", False)

    def connection_lost(self, exc: Exception | None) -> None:
        self.link.lost("upstream", exc)


class Proxy:
    """`async with Proxy(("127.0.0.1", 0), ("127.0.0.1", 8765)) as proxy:` then
    connect to `proxy.port`; change `proxy.toxics` at any time."""

    def __init__(
        self,
        listen: tuple[str, int],
        upstream: tuple[str, int],
        toxics: ToxicSet | None = None,
        *,
        name: str = "rtprobe",
        max_links: int = 10_000,
    ) -> None:
        self.listen_at = listen
        self.upstream = upstream
        self.toxics = toxics if toxics is not None else ToxicSet()
        self.name = name
        self.max_links = max_links
        self.links: set[Link] = set()
        self._server: asyncio.Server | None = None
        self._sock: socket.socket | None = None

    def toxics_for(self, link: Link) -> Callable[[], list[Toxic]]:
        toxics = self.toxics
        return lambda: toxics.toxics

    @property
    def port(self) -> int:
        return self._sock.getsockname()[1] if self._sock is not None else 0

    @property
    def listen(self) -> str:
        return f"{self.listen_at[0]}:{self.port}"

    async def start(self) -> Proxy:
        self._sock = bind(*self.listen_at)
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _ClientProtocol(self), sock=self._sock)
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for link in list(self.links):
            link.close()
        if self._server is not None:
            await self._server.wait_closed()
        self._server = None

    async def __aenter__(self) -> Proxy:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
