"""`rtprobe proxy`: a shaping TCP proxy with Toxiproxy's toxics and a subset of its API.

    rtprobe proxy --listen 127.0.0.1:8666 --upstream 127.0.0.1:8765 \
        --toxic 'latency:latency=50,jitter=10,stream=both' --api 127.0.0.1:8474

The upstream must be a loopback address unless `--allow-remote-upstream` is given.
Exit codes: 0 stopped by a signal; 1 cannot listen; 2 bad arguments.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from app.core.network.address import AddressError, is_loopback, parse_address
from app.core.network.proxy import Proxy
from app.core.network.spec import parse_spec
from app.core.network.toxics import Toxic, ToxicError
from app.core.network.toxicset import ToxicSet

PROG = "rtprobe proxy"
log = logging.getLogger("rtprobe.proxy")


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "proxy",
        help="a shaping TCP proxy (Toxiproxy's toxics) for WebSocket and SSE traffic",
        description="Proxy TCP to an upstream, applying Toxiproxy's toxics (docs/network.md).",
    )
    p.add_argument(
        "--listen",
        default="127.0.0.1:0",
        metavar="HOST:PORT",
        help="address to listen on (default 127.0.0.1:0, a free port, printed at start)",
    )
    p.add_argument("--upstream", required=True, metavar="HOST:PORT", help="where to forward")
    p.add_argument(
        "--toxic",
        action="append",
        default=[],
        metavar="SPEC",
        help="a toxic (repeatable; SPEC may hold several, ';'-separated), e.g. "
        "'latency:latency=50,jitter=10' or 'bandwidth:rate=100,stream=upstream'",
    )
    p.add_argument(
        "--api",
        metavar="HOST:PORT",
        help="serve the Toxiproxy-style HTTP API here (GET/POST /proxies/NAME/toxics, …)",
    )
    p.add_argument(
        "--name", default="rtprobe", help="the proxy's name in the API (default rtprobe)"
    )
    p.add_argument(
        "--allow-remote-upstream",
        action="store_true",
        help="allow an upstream that is not a loopback address",
    )


def _fail(message: str) -> int:
    print(f"{PROG}: {message}", file=sys.stderr)
    return 2


def _toxics(specs: list[str]) -> list[Toxic]:
    out: list[Toxic] = []
    for spec in specs:
        out += parse_spec(spec)
    ToxicSet(out)  # refuses a name given twice across flags
    return out


def main(args: argparse.Namespace) -> int:
    try:
        listen = parse_address(args.listen, "--listen")
        upstream = parse_address(args.upstream, "--upstream")
        api = parse_address(args.api, "--api") if args.api else None
        toxics = _toxics(args.toxic)
    except (AddressError, ToxicError) as exc:
        return _fail(str(exc))
    if not is_loopback(upstream[0]) and not args.allow_remote_upstream:
        return _fail(
            f"--upstream {upstream[0]} is not a loopback address "
            "(pass --allow-remote-upstream to proxy to it)"
        )
    if api is not None and not is_loopback(api[0]):
        return _fail(f"--api {api[0]} is not a loopback address: the API has no auth")
    return asyncio.run(_serve(args.name, listen, upstream, api, toxics))


async def _serve(
    name: str,
    listen: tuple[str, int],
    upstream: tuple[str, int],
    api: tuple[str, int] | None,
    toxics: list[Toxic],
) -> int:
    proxy = Proxy(listen, upstream, ToxicSet(toxics), name=name)
    try:
        await proxy.start()
    except OSError as exc:
        print(
            f"{PROG}: cannot listen on {listen[0]}:{listen[1]}: {exc.strerror or exc}",
            file=sys.stderr,
        )
        return 1
    _tune_gc()
    api_server = None
    try:
        if api is not None:
            api_server = await _start_api(proxy, api)
            if api_server is None:
                print(f"{PROG}: cannot serve the API on {api[0]}:{api[1]}", file=sys.stderr)
                return 1
        from app.commands.signals import StopSignals

        with StopSignals() as stops:
            where = f"; API on http://{api[0]}:{api_server[1]}" if api and api_server else ""
            # the first line's form is MockProcess's: benchmarks start the proxy as a server
            print(
                f"listening on http://{proxy.listen} "
                f"(proxy {name} to {upstream[0]}:{upstream[1]}{where})",
                flush=True,
            )
            await stops.stop.wait()
    finally:
        if api_server is not None:
            await _stop_api(api_server[0])
        await proxy.stop()
    return 0


def _tune_gc() -> None:
    """As the mock does (app/cli.py): full collections would pause every link at once."""
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)


def describe(proxy: Proxy) -> Callable[[], dict[str, Any]]:
    return lambda: {
        "name": proxy.name,
        "listen": proxy.listen,
        "upstream": f"{proxy.upstream[0]}:{proxy.upstream[1]}",
        "enabled": True,
    }


async def _start_api(proxy: Proxy, api: tuple[str, int]) -> tuple[Any, int] | None:
    import socket

    import uvicorn

    from app.core.network.api import create_api

    app = create_api({proxy.name: describe(proxy)}, {proxy.name: proxy.toxics})
    sock = socket.socket(socket.AF_INET6 if ":" in api[0] else socket.AF_INET)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(api)
    except OSError:
        sock.close()
        return None
    config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    server.capture_signals = _no_signals  # type: ignore[method-assign]
    task = asyncio.get_running_loop().create_task(server.serve(sockets=[sock]))
    for _ in range(500):  # bounded: 5 s
        if server.started or task.done():
            break
        await asyncio.sleep(0.01)
    if not server.started:
        return None
    return (server, task, sock), sock.getsockname()[1]


async def _stop_api(handle: Any) -> None:
    server, task, sock = handle
    server.should_exit = True
    try:
        await asyncio.wait_for(task, 5)
    except (TimeoutError, asyncio.CancelledError):
        task.cancel()
    sock.close()


@contextmanager
def _no_signals() -> Iterator[None]:
    yield
