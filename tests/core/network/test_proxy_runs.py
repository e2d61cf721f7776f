"""rtprobe's engine (realtime, raw WebSocket, SSE) through the proxy to the real mock:
each toxic's effect on a real run, in generous bands."""

from __future__ import annotations

from typing import Any

import pytest

from app.core.config import RunConfig
from app.core.engine.run import run_collect
from app.core.network.proxy import Proxy
from app.core.network.spec import parse_spec
from app.core.network.toxicset import ToxicSet
from app.core.targets import resolve

RUNS = [
    ("realtime", "mock/echo/realtime", {"blob": "b" * 64 * 1024}),
    ("ws", "mock/echo/ws", "w" * 64 * 1024),
    ("sse", "mock/echo/stream", {"count": 1, "blob": "s" * 64 * 1024}),
]


async def through(
    mock_base: str, spec: str, transport: str, path: str, payload: object, count: int = 3
) -> dict[str, Any]:
    mock_port = int(mock_base.rsplit(":", 1)[1])
    async with Proxy(("127.0.0.1", 0), ("127.0.0.1", mock_port), ToxicSet(parse_spec(spec))) as p:
        url = f"http://127.0.0.1:{p.port}/{path}"
        cfg = RunConfig(target=resolve(transport, url), payload=payload, count=count, timeout_s=20)
        return (await run_collect(cfg)).summary()


@pytest.mark.parametrize(("transport", "path", "payload"), RUNS)
async def test_bandwidth_paces_a_64kib_answer(
    mock_base: str, transport: str, path: str, payload: object
) -> None:
    direct = await through(mock_base, "", transport, path, payload)
    shaped = await through(mock_base, "bandwidth:rate=100", transport, path, payload)
    assert shaped["received"] == 3 and shaped["errors"] == 0, shaped
    # the echo carries the 64 KiB back: >= 655 ms downstream at 100 KB/s
    assert 500 < shaped["rtt_ms"]["p50"] < 2500, shaped["rtt_ms"]
    assert shaped["rtt_ms"]["p50"] > 5 * direct["rtt_ms"]["p50"]


@pytest.mark.parametrize(("transport", "path", "payload"), RUNS)
async def test_slicer_keeps_every_message(
    mock_base: str, transport: str, path: str, payload: object
) -> None:
    spec = "slicer:average_size=512,size_variation=128,delay=20,stream=both"
    s = await through(mock_base, spec, transport, path, payload)
    assert (s["sent"], s["received"], s["errors"]) == (3, 3, 0), s


@pytest.mark.parametrize(("transport", "path", "payload"), RUNS)
async def test_limit_data_cuts_the_run_and_every_message_is_accounted(
    mock_base: str, transport: str, path: str, payload: object
) -> None:
    s = await through(mock_base, "limit_data:bytes=20000", transport, path, payload)
    assert s["received"] < 3 and s["errors"] + s["timeouts"] >= 1, s
    assert s["sent"] == s["received"] + s["errors"] + s["dropped"] + s["timeouts"], s
