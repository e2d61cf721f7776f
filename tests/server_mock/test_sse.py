"""The mock's SSE body through the outbox, without sockets: backpressure, errors, cuts."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest

from server_mock import sse
from server_mock.config import FaultConfig
from server_mock.faults import Faults


async def events(n: int, produced: list[int] | None = None) -> AsyncIterator[dict[str, int]]:
    for i in range(n):
        if produced is not None:
            produced.append(i)
        yield {"index": i}


def indexes(frames: list[dict[str, str]]) -> list[object]:
    return [json.loads(f["data"]).get("index", json.loads(f["data"]).get("error")) for f in frames]


async def collect(body: AsyncIterator[dict[str, str]]) -> list[dict[str, str]]:
    return [frame async for frame in body]


async def test_a_slow_client_holds_the_stream_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sse, "WINDOW", 4)
    produced: list[int] = []
    faults = Faults(FaultConfig())
    body = sse._with_faults(events(1000, produced), faults, "slow")
    first = await anext(body)
    for _ in range(200):  # let the pump and the outbox run as far as they may
        await asyncio.sleep(0)
    assert json.loads(first["data"]) == {"index": 0}
    assert faults.outputs <= 5  # written ahead of the client: one window, not 1000
    assert len(produced) <= 2 * 4 + 3  # and the app's generator was not run ahead
    rest = await asyncio.wait_for(collect(body), 10)
    assert indexes([first, *rest]) == list(range(1000))


async def test_an_injected_error_is_the_last_event() -> None:
    body = sse._with_faults(events(5), Faults(FaultConfig(error_rate=1)), "err")
    frames = await asyncio.wait_for(collect(body), 10)
    assert indexes(frames) == ["injected fault: error_rate"]


async def test_an_injected_disconnect_cuts_the_body_after_n_events() -> None:
    body = sse._with_faults(events(10), Faults(FaultConfig(disconnect_after=3)), "cut")
    got: list[dict[str, str]] = []
    with pytest.raises(sse.InjectedDisconnect, match="after 3 events"):
        async for frame in body:
            got.append(frame)
    assert indexes(got) == [0, 1, 2]


async def test_an_app_failure_mid_stream_becomes_an_error_event() -> None:
    async def failing() -> AsyncIterator[dict[str, int]]:
        yield {"index": 0}
        raise RuntimeError("model fell over")

    frames = await asyncio.wait_for(
        collect(sse._with_faults(failing(), Faults(FaultConfig()), "app")), 10
    )
    assert indexes(frames) == [0, "model fell over"]
