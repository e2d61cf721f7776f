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
_LINE_MAX = 16 * 1024  # bytes looked at for the request line


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

    def __init__(self, **kwargs: Any) -> None:
        self.inner: asyncio.Protocol = self.inner_class(**kwargs)
        self.up: Shaper | None = None
        self.down: Shaper | None = None
        self.lost = False
        self._line = b""
        self._reading_holds: set[str] = set()
        self._writing_holds: set[str] = set()
        self._unlisten: Callable[[], None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.real = transport
        self.wrapper = ToxicTransport(self)
        self.inner.connection_made(self.wrapper)

    def _start(self, own: list[Toxic]) -> None:
        current = merged(self.server_toxics, own)
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
        for shaper in (self.up, self.down):
            if shaper is not None:
                shaper.close()
        if self._unlisten is not None:
            self._unlisten()
        with contextlib.suppress(Exception):
            self.inner.connection_lost(exc)


def toxic_protocol(inner: type[asyncio.Protocol], toxics: ToxicSet) -> type[ToxicProtocol]:
    """A uvicorn `http=` protocol class: `inner` behind the toxics of `toxics`."""
    return type(
        "ToxicHttpProtocol", (ToxicProtocol,), {"inner_class": inner, "server_toxics": toxics}
    )
