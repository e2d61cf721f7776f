"""Toxics inside the mock, at the byte-stream level: uvicorn's protocol behind a shaper.

`toxic_protocol(inner, toxics)` wraps uvicorn's HTTP protocol class: the socket's bytes
pass through the `upstream` shaper before uvicorn parses them, and every byte uvicorn
writes (HTTP responses, SSE events, the WebSocket handshake and frames, after uvicorn
swaps in its WebSocket protocol) passes through the `downstream` shaper before the
socket, so a session through the mock behaves as it does through `rtprobe proxy`.

Which toxics: the server's (`rtprobe mock --toxic`, changed live at `/_mock/toxics`),
plus those of the connection's first request line's `?toxic=` query parameter (a
WebSocket handshake, an SSE POST), which replace server toxics of the same name.
Keep-alive requests that follow on the same connection keep those toxics.

One connection alone, live: the app finds its connection by the peer address uvicorn
puts in the ASGI scope (`ToxicConnections.of(scope)`) and gives it toxics of its own
(`set_session_toxics`: a realtime, ws or SSE session's profile from `PUT
/_mock/sessions/{id}/network`), which replace the `net_*` toxics of the server and of
the query for that connection from its next bytes; None goes back to those.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

from app.core.network.proxy import reset_transport
from app.core.network.shaper import Shaper
from app.core.network.spec import parse_spec
from app.core.network.toxics import Toxic, ToxicError
from app.core.network.toxicset import ToxicSet

QUERY_PARAM = "toxic"
NET_PREFIX = "net_"  # the toxics a network profile becomes (profile.to_toxics)
_LINE_MAX = 16 * 1024  # bytes looked at for the request line
Peer = tuple[str, int]


def peer_of(address: Any) -> Peer | None:
    """(host, port) of a socket's peer address or an ASGI scope's "client"."""
    if isinstance(address, list | tuple) and len(address) >= 2:
        host, port = address[0], address[1]
        if isinstance(host, str) and isinstance(port, int):
            return (host, port)
    return None


class ToxicConnections:
    """The mock's open TCP connections by peer address: how an ASGI session (which sees
    only its scope) reaches the toxics of the connection under it."""

    def __init__(self) -> None:
        self._by_peer: dict[Peer, ToxicProtocol] = {}

    def add(self, peer: Peer, connection: ToxicProtocol) -> None:
        self._by_peer[peer] = connection

    def remove(self, peer: Peer, connection: ToxicProtocol) -> None:
        if self._by_peer.get(peer) is connection:
            del self._by_peer[peer]

    def of(self, scope: Mapping[str, Any]) -> ToxicProtocol | None:
        """The connection of an ASGI request or WebSocket (None: not behind toxics)."""
        peer = peer_of(scope.get("client"))
        return self._by_peer.get(peer) if peer is not None else None

    def __len__(self) -> int:
        return len(self._by_peer)


def check_query(query: Mapping[str, str]) -> list[Toxic]:
    """The toxics of a request's `?toxic=` (raises ToxicError, one line, when bad)."""
    spec = query.get(QUERY_PARAM)
    return parse_spec(spec) if spec else []


def _query_toxics(line: bytes) -> list[Toxic]:
    parts = line.split(b" ")
    if len(parts) < 2:
        return []
    target = parts[1].decode("latin-1")
    specs = parse_qs(urlsplit(target).query).get(QUERY_PARAM)
    if not specs:
        return []
    try:
        return parse_spec(specs[-1])
    except ToxicError:
        return []  # the app refuses the request with a 400 naming the field


def merged(server: ToxicSet, own: list[Toxic]) -> Callable[[], list[Toxic]]:
    if not own:
        return lambda: server.toxics
    names = {t.name for t in own}
    return lambda: [t for t in server.toxics if t.name not in names] + own


class _ToUvicorn:
    """The upstream shaper's sink: bytes go to uvicorn's protocol."""

    def __init__(self, outer: ToxicProtocol) -> None:
        self.outer = outer

    def write(self, data: bytes) -> None:
        if not self.outer.lost:
            self.outer.inner.data_received(data)

    def write_eof(self) -> None:
        if not self.outer.lost and not self.outer.inner.eof_received():
            self.outer.wrapper.close()  # as asyncio does when eof_received says "close"

    def close(self) -> None:
        self.outer.real.close()

    def reset(self) -> None:
        reset_transport(self.outer.real)


class _ToSocket:
    """The downstream shaper's sink: bytes go to the socket."""

    def __init__(self, outer: ToxicProtocol) -> None:
        self.outer = outer

    def write(self, data: bytes) -> None:
        if not self.outer.real.is_closing():
            self.outer.real.write(data)

    def write_eof(self) -> None:  # uvicorn closed (or half-closed) the connection
        real = self.outer.real
        if self.outer.wrapper.closing or not real.can_write_eof():
            real.close()
        elif not real.is_closing():
            try:
                real.write_eof()
            except OSError:  # the peer is already gone
                real.close()

    def close(self) -> None:
        self.outer.real.close()

    def reset(self) -> None:
        reset_transport(self.outer.real)


class ToxicTransport(asyncio.Transport):
    """What uvicorn's protocols see as their transport: writes go through the shaper."""

    def __init__(self, outer: ToxicProtocol) -> None:
        super().__init__()
        self.outer = outer
        self.closing = False

    def write(self, data: Any) -> None:
        self.outer.down_shaper().feed(bytes(data))

    def writelines(self, list_of_data: Any) -> None:
        self.write(b"".join(list_of_data))

    def write_eof(self) -> None:
        self.outer.down_shaper().eof()

    def can_write_eof(self) -> bool:
        return self.outer.real.can_write_eof()

    def close(self) -> None:
        if not self.closing:
            self.closing = True
            self.outer.down_shaper().eof()  # after what is queued, and any slow_close

    def is_closing(self) -> bool:
        return self.closing or self.outer.real.is_closing()

    def abort(self) -> None:
        self.closing = True
        self.outer.real.abort()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self.outer.real.get_extra_info(name, default)

    def pause_reading(self) -> None:
        self.outer.hold_reading("uvicorn", True)

    def resume_reading(self) -> None:
        self.outer.hold_reading("uvicorn", False)

    def is_reading(self) -> bool:
        return self.outer.real.is_reading()

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        assert isinstance(protocol, asyncio.Protocol)
        self.outer.inner = protocol  # uvicorn's switch to its WebSocket protocol

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self.outer.inner

    def get_write_buffer_size(self) -> int:
        held = self.outer.down.held if self.outer.down is not None else 0
        return self.outer.real.get_write_buffer_size() + held

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self.outer.real.set_write_buffer_limits(high, low)

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return self.outer.real.get_write_buffer_limits()


class ToxicProtocol(asyncio.Protocol):
    """Registered with the loop in place of uvicorn's protocol; see the module doc."""

    inner_class: type[asyncio.Protocol]
    server_toxics: ToxicSet
    connections: ToxicConnections | None = None

    def __init__(self, **kwargs: Any) -> None:
        self.inner: asyncio.Protocol = self.inner_class(**kwargs)
        self.up: Shaper | None = None
        self.down: Shaper | None = None
        self.lost = False
        self._line = b""
        self._reading_holds: set[str] = set()
        self._writing_holds: set[str] = set()
        self._unlisten: Callable[[], None] | None = None
        self._own: list[Toxic] = []  # the first request's ?toxic=
        self._session: list[Toxic] | None = None  # set live for this connection alone
        self._peer: Peer | None = None
        self.on_lost: list[Callable[[], None]] = []  # run once when the connection ends

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.real = transport
        self.wrapper = ToxicTransport(self)
        self._peer = peer_of(transport.get_extra_info("peername"))
        if self.connections is not None and self._peer is not None:
            self.connections.add(self._peer, self)
        self.inner.connection_made(self.wrapper)

    def current_toxics(self) -> list[Toxic]:
        """The toxics in effect: the server's, then the query's (replacing same names);
        with toxics of its own (`set_session_toxics`), those replace every `net_*`."""
        if self._session is None:
            return merged(self.server_toxics, self._own)()
        keep = [t for t in self._own if not t.name.startswith(NET_PREFIX)] + self._session
        names = {t.name for t in keep}
        server = [t for t in self.server_toxics.toxics if not t.name.startswith(NET_PREFIX)]
        return [t for t in server if t.name not in names] + keep

    def set_session_toxics(self, toxics: list[Toxic] | None) -> None:
        """This connection's own network toxics from its next bytes (None: the server's
        and the query's again)."""
        self._session = list(toxics) if toxics is not None else None
        for shaper in (self.up, self.down):
            if shaper is not None:
                shaper.refresh()

    def _start(self, own: list[Toxic]) -> None:
        self._own = own
        current = self.current_toxics
        rng = random.Random()
        self.up = Shaper(
            "upstream",
            current,
            _ToUvicorn(self),
            rng=rng,
            on_level=lambda on: self.hold_reading("held", on),
        )
        self.down = Shaper(
            "downstream",
            current,
            _ToSocket(self),
            rng=rng,
            on_level=lambda on: self.hold_writing("held", on),
        )
        up, down = self.up, self.down

        def refresh() -> None:
            up.refresh()
            down.refresh()

        self._unlisten = self.server_toxics.listen(refresh)

    def down_shaper(self) -> Shaper:
        if self.down is None:
            self._start([])
        assert self.down is not None
        return self.down

    def data_received(self, data: bytes) -> None:
        if self.up is None:
            self._line += data
            end = self._line.find(b"\r\n")
            if end < 0 and len(self._line) < _LINE_MAX:
                return
            data, self._line = self._line, b""
            self._start(_query_toxics(data[: max(end, 0)]) if end >= 0 else [])
        assert self.up is not None
        self.up.feed(data)

    def eof_received(self) -> bool | None:
        if self.up is None:
            self._start([])
        assert self.up is not None
        if self._line:
            self.up.feed(self._line)
            self._line = b""
        self.up.eof()
        return True  # uvicorn's protocol decides when to close, through the shaper

    def hold_reading(self, why: str, on: bool) -> None:
        was = bool(self._reading_holds)
        self._reading_holds.add(why) if on else self._reading_holds.discard(why)
        if was != bool(self._reading_holds) and not self.real.is_closing():
            self.real.pause_reading() if on else self.real.resume_reading()

    def hold_writing(self, why: str, on: bool) -> None:
        was = bool(self._writing_holds)
        self._writing_holds.add(why) if on else self._writing_holds.discard(why)
        if was != bool(self._writing_holds) and not self.lost:
            self.inner.pause_writing() if on else self.inner.resume_writing()

    def pause_writing(self) -> None:
        self.down_shaper().pause()
        self.hold_writing("socket", True)

    def resume_writing(self) -> None:
        self.down_shaper().resume()
        self.hold_writing("socket", False)

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        if self.connections is not None and self._peer is not None:
            self.connections.remove(self._peer, self)
        callbacks, self.on_lost = self.on_lost, []
        for callback in callbacks:
            with contextlib.suppress(Exception):
                callback()
        for shaper in (self.up, self.down):
            if shaper is not None:
                shaper.close()
        if self._unlisten is not None:
            self._unlisten()
        with contextlib.suppress(Exception):
            self.inner.connection_lost(exc)


def toxic_protocol(
    inner: type[asyncio.Protocol],
    toxics: ToxicSet,
    connections: ToxicConnections | None = None,
) -> type[ToxicProtocol]:
    """A uvicorn `http=` protocol class: `inner` behind the toxics of `toxics`; each
    open connection is in `connections` (by peer address) while it lasts."""
    attrs = {"inner_class": inner, "server_toxics": toxics, "connections": connections}
    return type("ToxicHttpProtocol", (ToxicProtocol,), attrs)
