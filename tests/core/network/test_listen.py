"""The one listening socket of the mock and `rtprobe proxy`: port 0 gives a free port,
non-blocking, and accepted sockets are TCP (asyncio then sets TCP_NODELAY on them)."""

from __future__ import annotations

import asyncio
import socket

from app.core.network.listen import bind


async def test_port_0_listens_on_a_free_port_and_accepts_tcp_with_nodelay() -> None:
    sock = bind("127.0.0.1", 0)
    try:
        host, port = sock.getsockname()
        assert host == "127.0.0.1" and port > 0 and not sock.getblocking()
        assert sock.proto == socket.IPPROTO_TCP
        accepted: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        def on_client(_r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
            peer = w.get_extra_info("socket")
            accepted.set_result(peer.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            w.close()

        server = await asyncio.start_server(on_client, sock=sock)
        async with server:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            assert await asyncio.wait_for(accepted, 10) != 0
            writer.close()
    finally:
        sock.close()
