"""`Outbox.deliver`, the fast path with no fault on: written at once, order kept with
whatever the queue still holds, faults and live changes still obeyed."""

from __future__ import annotations

import asyncio
import dataclasses

from server_mock.config import FaultConfig
from server_mock.faults import Faults
from server_mock.outbox import Outbox
from tests.server_mock.test_outbox import WAIT_S, Wire, flushed, make


async def test_no_fault_writes_at_once_without_the_queue() -> None:
    box, wire = make(FaultConfig())
    for i in range(50):
        assert await box.deliver(i) == "queued"
        assert wire.frames[-1] == i  # already on the wire when deliver returns
    assert box.outputs == 50
    await flushed(box)
    assert wire.frames == list(range(50))


async def test_a_delayed_frame_still_queued_goes_first_after_faults_go_off_live() -> None:
    current = {"config": FaultConfig(latency_ms=150)}
    wire = Wire()
    box: Outbox[object] = Outbox(
        Faults.for_session(lambda: current["config"], {}), wire.write, label="live"
    )
    box.start()
    assert box.send("delayed") == "queued"
    current["config"] = FaultConfig()  # PUT /_mock/faults: all off
    assert await box.deliver("next") == "queued"
    assert await box.deliver("then") == "queued"
    await flushed(box)
    assert wire.frames == ["delayed", "next", "then"]  # nothing overtook the delayed one
    current["config"] = dataclasses.replace(FaultConfig(), drop=1.0)  # and back on, live
    assert await box.deliver("dropped") == "dropped"


async def test_faults_on_take_the_queued_path() -> None:
    box, wire = make(FaultConfig(drop=1.0))
    assert await box.deliver("x") == "dropped"
    box, wire = make(FaultConfig(error_rate=1.0), error_frame="ERR")
    assert await box.deliver("x") == "error"
    await flushed(box)
    assert wire.frames == ["ERR"]


async def test_disconnect_after_fires_on_the_fast_path_and_ends_the_sender() -> None:
    fired: list[bool] = []
    # disconnect_after is a fault: deliver queues; the sender counts and disconnects
    box, wire = make(FaultConfig(disconnect_after=2), on_disconnect=lambda: fired.append(True))
    for i in range(4):
        await box.deliver(i)
    await asyncio.wait_for(box.sender, WAIT_S)
    assert wire.frames == [0, 1] and box.aborted and fired == [True]


async def test_a_failed_write_stops_the_outbox_and_its_sender() -> None:
    wire = Wire(fail_after=1)
    box: Outbox[object] = Outbox(Faults(FaultConfig()), wire.write, label="gone")
    box.start()
    assert await box.deliver("a") == "queued"
    await box.deliver("b")  # the peer has gone: the write fails
    assert box.stopped
    await asyncio.wait_for(box.sender, WAIT_S)
    assert await box.deliver("c") == "dropped" and wire.frames == ["a"]


async def test_a_slow_write_keeps_control_frames_behind_it() -> None:
    gate = asyncio.Event()
    out: list[object] = []

    async def slow(frame: object) -> None:
        if frame == "output":
            await gate.wait()  # like uvicorn waiting for the socket to drain
        out.append(frame)

    box: Outbox[object] = Outbox(Faults(FaultConfig()), slow, label="slow")
    box.start()
    delivering = asyncio.create_task(box.deliver("output"))
    await asyncio.sleep(0)
    box.send_control("control")  # queued while the output is still being written
    assert await box.deliver("output 2") == "queued"  # queued too: the wire is busy
    await asyncio.sleep(0.05)
    assert out == []
    gate.set()
    await asyncio.wait_for(delivering, WAIT_S)
    await flushed(box)
    assert out == ["output", "control", "output 2"]
