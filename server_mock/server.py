"""Running the mock: in the current asyncio loop (GUI, CLI) or in a thread (tests, sync code).

async with MockServer() as base_url: ...      # http://127.0.0.1:PORT
with MockServer.in_thread() as base_url: ...
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType

import uvicorn
from starlette.applications import Starlette
from uvicorn.protocols.http.auto import AutoHTTPProtocol

from app.core.network.listen import bind
from server_mock import logsafe
from server_mock.app import create_app
from server_mock.config import MockConfig
from server_mock.sse import InjectedDisconnect
from server_mock.toxics import toxic_protocol
from server_mock.wsprotocol import CappedWebSocketProtocol

log = logging.getLogger("server_mock")


class _UvicornLogFilter(logging.Filter):
    """Keep uvicorn's log to one line per event we cause on purpose.

    - an injected SSE disconnect raises inside the response: log one line, no traceback;
    - a refused handshake (401/403/400 via the denial extension) makes uvicorn's
      sans-I/O WebSocket protocol report "returned without completing handshake",
      though the denial response went out; our own line already says why.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg == "ASGI callable returned without completing handshake.":
            return False
        exc = record.exc_info[1] if record.exc_info else None
        while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
            exc = exc.exceptions[0]
        if isinstance(exc, InjectedDisconnect):
            record.msg, record.args, record.exc_info, record.exc_text = str(exc), (), None, None
        return True


_LOG_FILTER = _UvicornLogFilter()


class MockServer:
    """A uvicorn server for `create_app(config)`, bound before it starts (port 0 works)."""

    def __init__(self, config: MockConfig | None = None, *, log_level: str = "warning") -> None:
        self.config = config or MockConfig()
        self.log_level = log_level
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None
        self._sock: socket.socket | None = None
        self.app: Starlette | None = None  # the ASGI app, once started
        self.base_url = ""

    @property
    def port(self) -> int:
        return self._sock.getsockname()[1] if self._sock else 0

    async def start(self) -> str:
        """Start serving in the running loop; return `http://HOST:PORT`."""
        if self.config.recording:  # before binding: a bad file is one line, no port taken
            from server_mock import recorded

            app = recorded.create_recorded_app(self.config, recorded.load(self.config.recording))
        else:
            app = create_app(self.config)
        self._sock = bind(self.config.host, self.config.port)
        self.app = app
        uv_config = uvicorn.Config(
            app,
            # every connection's bytes pass through its toxics (server_mock/toxics.py)
            http=toxic_protocol(
                AutoHTTPProtocol, app.state.toxics, getattr(app.state, "connections", None)
            ),
            log_level=self.log_level,
            access_log=self.log_level == "debug",
            lifespan="off",
            # websockets enforces the limit while reading (nothing oversized is buffered);
            # CappedWebSocketProtocol answers it with an x-fal-error, then close 1009
            ws=CappedWebSocketProtocol,
            ws_max_size=self.config.max_message_bytes,
            ws_ping_interval=None,
            timeout_graceful_shutdown=2,
        )
        self._server = uvicorn.Server(uv_config)
        # the mock shares its process's signals with its owner (see _no_signal_capture)
        self._server.capture_signals = _no_signal_capture  # type: ignore[method-assign]
        logging.getLogger("uvicorn.error").addFilter(_LOG_FILTER)  # idempotent: one instance
        logsafe.install(self.config.key)  # no credential in any log line, at any level
        self._task = asyncio.create_task(self._server.serve(sockets=[self._sock]))
        for _ in range(500):  # bounded: 5 s
            if self._server.started or self._task.done():
                break
            await asyncio.sleep(0.01)
        if not self._server.started:
            await self.stop()
            raise RuntimeError(
                f"mock server did not start on {self.config.host}:{self.config.port}"
            )
        host = f"[{self.config.host}]" if ":" in self.config.host else self.config.host
        self.base_url = f"http://{host}:{self.port}"
        return self.base_url

    async def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, timeout=10)
            except (TimeoutError, asyncio.CancelledError):
                self._task.cancel()
        if self._sock is not None:
            self._sock.close()
        self._server = self._task = self._sock = None

    async def __aenter__(self) -> str:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @classmethod
    @contextmanager
    def in_thread(cls, config: MockConfig | None = None, **kwargs: str) -> Iterator[str]:
        """Serve from a private event loop on a daemon thread; yield the base URL."""
        server = cls(config, **kwargs)
        loop = asyncio.new_event_loop()
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(server.start())
            except BaseException as exc:
                failure.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()

        thread = threading.Thread(target=run, name="rtprobe-mock", daemon=True)
        thread.start()
        ready.wait(15)
        if failure or not server.base_url:
            raise RuntimeError(
                f"mock server failed to start: {failure[0] if failure else 'timeout'}"
            )
        try:
            yield server.base_url
        finally:
            fut = asyncio.run_coroutine_threadsafe(_stop_all(server), loop)
            try:
                fut.result(timeout=15)
            finally:
                loop.call_soon_threadsafe(loop.stop)
                thread.join(timeout=15)
                loop.close()


async def _stop_all(server: MockServer) -> None:
    """Stop the server, then end what its sessions left behind on this private loop."""
    await server.stop()
    leftovers = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in leftovers:
        task.cancel()
    await asyncio.gather(*leftovers, return_exceptions=True)


@contextmanager
def _no_signal_capture() -> Iterator[None]:
    """The host (CLI, GUI, tests) owns signals; uvicorn must not take them over."""
    yield
