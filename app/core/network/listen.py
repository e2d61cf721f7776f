"""The listening socket both servers on the loopback bind: the mock (uvicorn) and
`rtprobe proxy`. Bound before the server starts, so port 0 gives a free port to print."""

from __future__ import annotations

import socket


def bind(host: str, port: int) -> socket.socket:
    """A non-blocking TCP socket listening on `host:port` (IPv6 when `host` has a colon)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto must be IPPROTO_TCP: asyncio sets TCP_NODELAY on accepted sockets only
    # then, and without it Nagle + delayed ACK hold small SSE events for 40 ms.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(1024)
    sock.setblocking(False)
    return sock
