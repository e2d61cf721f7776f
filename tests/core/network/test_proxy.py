"""The shaping proxy on 127.0.0.1 against each toxic's definition, with generous bands
(the machine is loaded): real sockets, an echo upstream, waits bounded in time."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator

import pytest

from app.core.network.proxy import Proxy
from app.core.network.spec import parse_spec
from app.core.network.toxicset import ToxicSet
from tests.support.waiting import async_wait_until

KIB64 = 64 * 1024


@pytest.fixture
async def echo() -> AsyncIterator[int]:
    """An echo server on 127.0.0.1 (its port)."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
            writer.write_eof()  # half-close answered by half-close
            await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    server.close()


def proxy_to(port: int, spec: str = "") -> Proxy:
    return Proxy(("127.0.0.1", 0), ("127.0.0.1", port), ToxicSet(parse_spec(spec)))


async def read_n(reader: asyncio.StreamReader, n: int, timeout: float = 10) -> tuple[bytes, int]:
    """n bytes (or what came before EOF) and how many reads it took."""
    got, reads = b"", 0
    async with asyncio.timeout(timeout):
        while len(got) < n:
            data = await reader.read(65536)
            if not data:
                break
            got += data
            reads += 1
    return got, reads


async def round_trip(port: int, size: int) -> float:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    t0 = time.perf_counter()
    writer.write(b"x" * size)
    got, _ = await read_n(reader, size)
    elapsed = time.perf_counter() - t0
    assert len(got) == size
    writer.close()
    return elapsed


async def test_bandwidth_64kib_at_100kb_s_takes_about_650ms(echo: int) -> None:
    async with proxy_to(echo) as plain:
        direct = await round_trip(plain.port, KIB64)
    async with proxy_to(echo, "bandwidth:rate=100") as p:
        shaped = await round_trip(p.port, KIB64)
    assert 0.5 < shaped < 2.5, shaped  # definition: 65536 B / 100,000 B/s = 0.655 s
    assert shaped > 5 * direct


async def test_latency_adds_its_delay_per_direction_within_the_jitter_band(echo: int) -> None:
    async with proxy_to(echo, "latency:latency=50,jitter=10,stream=both") as p:
        reader, writer = await asyncio.open_connection("127.0.0.1", p.port)
        rtts = []
        for _ in range(20):
            t0 = time.perf_counter()
            writer.write(b"ping")
            got, _ = await read_n(reader, 4)
            rtts.append(time.perf_counter() - t0)
            assert got == b"ping"
        writer.close()
    # two directions of 50 +- 10 ms: each round trip 80..120 ms plus the machine's noise
    assert min(rtts) >= 0.079, rtts
    assert sorted(rtts)[len(rtts) // 2] < 0.25, rtts


async def test_slicer_delivers_the_same_bytes_in_many_small_reads(echo: int) -> None:
    data = bytes(range(256)) * 64
    async with proxy_to(echo, "slicer:average_size=64,size_variation=16,delay=2000") as p:
        reader, writer = await asyncio.open_connection("127.0.0.1", p.port)
        writer.write(data)
        got, reads = await read_n(reader, len(data))
        writer.close()
    assert got == data
    assert reads > 20  # ~256 pieces 2 ms apart; the kernel may join a few


async def test_slow_close_delays_the_close(echo: int) -> None:
    for spec, low, high in [("", 0.0, 0.2), ("slow_close:delay=400", 0.35, 3.0)]:
        async with proxy_to(echo, spec) as p:
            reader, writer = await asyncio.open_connection("127.0.0.1", p.port)
            writer.write(b"bye")
            assert (await read_n(reader, 3))[0] == b"bye"
            t0 = time.perf_counter()
            writer.write_eof()  # the echo half-closes back; the proxy delays that EOF
            async with asyncio.timeout(10):
                assert await reader.read() == b""
            elapsed = time.perf_counter() - t0
            writer.close()
        assert low <= elapsed < high, (spec, elapsed)


async def test_timeout_closes_after_about_n_ms_and_drops_data(echo: int) -> None:
    async with proxy_to(echo, "timeout:timeout=300") as p:
        reader, writer = await asyncio.open_connection("127.0.0.1", p.port)
        t0 = time.perf_counter()
        writer.write(b"lost")
        async with asyncio.timeout(10):
            assert await reader.read() == b""  # closed, nothing came through
        elapsed = time.perf_counter() - t0
        writer.close()
    assert 0.25 <= elapsed < 2.5, elapsed


async def test_timeout_zero_hangs_until_the_toxic_is_removed(echo: int) -> None:
    async with proxy_to(echo, "timeout:timeout=0") as p:
        reader, writer = await asyncio.open_connection("127.0.0.1", p.port)
        writer.write(b"held")
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.5):
                await reader.read(10)  # neither data nor a close: it hangs
        p.toxics.remove("timeout_downstream")  # Toxiproxy's cleanup closes the link
        async with asyncio.timeout(10):
            assert await reader.read() == b""
        writer.close()


async def test_limit_data_closes_after_exactly_n_bytes(echo: int) -> None:
    async with proxy_to(echo, "limit_data:bytes=1000") as p:
        reader, writer = await asyncio.open_connection("127.0.0.1", p.port)
        writer.write(b"z" * 5000)
        async with asyncio.timeout(10):
            got = await reader.read()  # up to EOF
        writer.close()
    assert got == b"z" * 1000


async def test_reset_peer_gives_the_client_a_connection_reset(echo: int) -> None:
    async with proxy_to(echo, "reset_peer:timeout=100,stream=upstream") as p:
        reader, writer = await asyncio.open_connection("127.0.0.1", p.port)
        writer.write(b"hello")
        with pytest.raises(ConnectionResetError):
            async with asyncio.timeout(10):
                while await reader.read(100):
                    pass
        writer.close()


async def test_toxicity_zero_never_applies_and_one_always(echo: int) -> None:
    for toxicity, expect_slow in [(0, False), (1, True)]:
        spec = f"latency:latency=200,toxicity={toxicity}"
        async with proxy_to(echo, spec) as p:
            times = [await round_trip(p.port, 10) for _ in range(5)]
        assert all((t >= 0.19) == expect_slow for t in times), (toxicity, times)


async def test_a_live_change_applies_to_the_next_bytes(echo: int) -> None:
    async with proxy_to(echo) as p:
        reader, writer = await asyncio.open_connection("127.0.0.1", p.port)

        async def rtt() -> float:
            t0 = time.perf_counter()
            writer.write(b"x")
            assert (await read_n(reader, 1))[0] == b"x"
            return time.perf_counter() - t0

        assert await rtt() < 0.15
        p.toxics.create({"type": "latency", "attributes": {"latency": 300}})
        assert await rtt() >= 0.29  # the same, already open connection
        p.toxics.update("latency_downstream", {"attributes": {"latency": 0}})
        assert await rtt() < 0.15
        writer.close()


async def test_refused_upstream_closes_the_client_logs_once_and_keeps_serving(
    echo: int, caplog: pytest.LogCaptureFixture
) -> None:
    dead = socket.socket()
    dead.bind(("127.0.0.1", 0))
    dead_port = dead.getsockname()[1]
    dead.close()  # nothing listens there now
    async with Proxy(("127.0.0.1", 0), ("127.0.0.1", dead_port)) as p:
        with caplog.at_level("WARNING", logger="rtprobe.proxy"):
            reader, writer = await asyncio.open_connection("127.0.0.1", p.port)
            async with asyncio.timeout(10):
                assert await reader.read() == b""
            writer.close()
        lines = [r.getMessage() for r in caplog.records if r.name == "rtprobe.proxy"]
        assert len(lines) == 1 and "refused" in lines[0] and "\n" not in lines[0]
        p.upstream = ("127.0.0.1", echo)  # still serving: the next connection works
        assert await round_trip(p.port, 100) < 5


async def test_half_closed_client_still_gets_its_answer(echo: int) -> None:
    async with proxy_to(echo, "latency:latency=100") as p:
        reader, writer = await asyncio.open_connection("127.0.0.1", p.port)
        writer.write(b"last words")
        writer.write_eof()  # the client will send nothing more, but still reads
        async with asyncio.timeout(10):
            assert await reader.read() == b"last words"
        writer.close()
        await async_wait_until(lambda: not p.links, 10, what="the link to close")


async def test_a_flood_is_held_to_bounded_memory_and_arrives_whole(echo: int) -> None:
    total = 32 * 1024 * 1024
    async with proxy_to(echo, "latency:latency=5") as p:
        reader, writer = await asyncio.open_connection("127.0.0.1", p.port)
        peak = 0

        async def send() -> None:
            chunk = b"f" * 65536
            for _ in range(total // len(chunk)):
                writer.write(chunk)
                await writer.drain()

        async def watch() -> None:
            nonlocal peak
            while True:
                for link in p.links:
                    peak = max(peak, link.up.held, link.down.held)
                await asyncio.sleep(0.005)

        watcher = asyncio.create_task(watch())
        sender = asyncio.create_task(send())
        got = 0
        async with asyncio.timeout(60):
            while got < total:
                data = await reader.read(1 << 20)
                assert data
                got += len(data)
        await sender
        watcher.cancel()
        writer.close()
    assert got == total
    assert peak < 4 * 1024 * 1024, peak  # high water 1 MiB per direction, plus one read


async def test_thousands_of_connections_opened_and_dropped_leak_no_task(echo: int) -> None:
    async with proxy_to(echo, "latency:latency=1") as p:
        before = len(asyncio.all_tasks())
        for _batch in range(20):
            conns = await asyncio.gather(
                *(asyncio.open_connection("127.0.0.1", p.port) for _ in range(100))
            )
            for i, (_, writer) in enumerate(conns):
                if i % 2:
                    writer.write(b"half of them say something first")
                if i % 3 == 0:
                    writer.transport.abort()  # some drop abruptly
                else:
                    writer.close()
        await async_wait_until(lambda: not p.links, 30, what="every link to close")
        await async_wait_until(
            lambda: len(asyncio.all_tasks()) <= before, 30, what="the proxy's tasks to end"
        )
        assert await round_trip(p.port, 10) < 5
