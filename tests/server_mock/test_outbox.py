"""The one fault pipeline, without sockets: an Outbox writing into a list."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import time
from typing import Any

import pytest

from server_mock import outbox as outbox_module
from server_mock.config import FaultConfig
from server_mock.faults import Faults
from server_mock.outbox import Outbox

WAIT_S = 5.0  # every wait below is bounded by this


class Wire:
    """An in-memory writer: what went out, when, and an optional failure."""

    def __init__(self, fail_after: int | None = None) -> None:
        self.frames: list[object] = []
        self.times: list[float] = []
        self.fail_after = fail_after

    async def write(self, frame: object) -> None:
        if self.fail_after is not None and len(self.frames) >= self.fail_after:
            raise ConnectionResetError("peer gone")
        self.frames.append(frame)
        self.times.append(time.monotonic())


def make(config: FaultConfig, **kwargs: Any) -> tuple[Outbox[object], Wire]:
    wire = Wire()
    box: Outbox[object] = Outbox(Faults(config), wire.write, label="test", **kwargs)
    box.start()
    return box, wire


async def flushed(box: Outbox[object]) -> None:
    await box.close(timeout=WAIT_S)
    assert box.sender.done(), "the outbox did not flush in time"


async def test_no_faults_writes_everything_in_order_without_timers(monkeypatch) -> None:
    sleeps: list[float] = []
    real_sleep = asyncio.sleep

    here = threading.get_ident()

    async def counting_sleep(delay: float, *args: object) -> None:
        # asyncio.sleep is patched for the process: a mock serving other tests from its
        # own thread meanwhile (the session's) is not this outbox
        if threading.get_ident() == here:
            sleeps.append(delay)
        await real_sleep(delay)

    monkeypatch.setattr(outbox_module.asyncio, "sleep", counting_sleep)
    box, wire = make(FaultConfig())
    assert [box.send(i) for i in range(100)] == ["queued"] * 100
    await flushed(box)
    assert wire.frames == list(range(100))
    assert sleeps == []  # the fast path: no per-message timer
    assert box.outputs == 100 and not box.aborted


async def test_jittered_delays_keep_the_order() -> None:
    box, wire = make(FaultConfig(latency_ms=20, jitter_ms=15, seed=4))
    t0 = time.monotonic()
    for i in range(30):
        box.send(i)
    await flushed(box)
    assert wire.frames == list(range(30))
    assert wire.times[0] - t0 >= 0.004  # at least latency - jitter
    assert wire.times[-1] - t0 < 1.0  # pipelined: 30 x 20 ms would be 0.6 s serially


async def test_drop_and_error_fates_follow_the_seeded_decisions() -> None:
    config = FaultConfig(drop=0.3, error_rate=0.2, seed=9)
    replay = Faults(config)
    expected: list[str] = []
    for _ in range(200):
        if replay.drop_output():
            expected.append("dropped")
        elif replay.error_output():
            expected.append("error")
        else:
            expected.append("queued")
    box, wire = make(config, error_frame="ERR")
    fates = [box.send(i) for i in range(200)]
    await flushed(box)
    assert fates == expected
    assert wire.frames == [
        "ERR" if fate == "error" else i for i, fate in enumerate(fates) if fate != "dropped"
    ]
    assert box.outputs == len(wire.frames)  # an error frame replaces an output: counted


async def test_without_an_error_frame_the_error_is_the_transports_to_report() -> None:
    box, wire = make(FaultConfig(error_rate=1))
    assert box.send("out") == "error"
    await flushed(box)
    assert wire.frames == []


async def test_control_frames_bypass_faults_and_are_not_counted() -> None:
    box, wire = make(FaultConfig(drop=1, disconnect_after=1))
    box.send("output")  # dropped
    box.send_control("signal-1")
    box.send_control("signal-2")
    await flushed(box)
    assert wire.frames == ["signal-1", "signal-2"]
    assert box.outputs == 0 and not box.aborted


async def test_control_frames_wait_their_turn_behind_delayed_outputs() -> None:
    box, wire = make(FaultConfig(latency_ms=30))
    box.send("output")
    box.send_control("control")
    await flushed(box)
    assert wire.frames == ["output", "control"]


async def test_disconnect_after_stops_at_n_and_tells_the_transport() -> None:
    told: list[int] = []
    box, wire = make(FaultConfig(disconnect_after=3), on_disconnect=lambda: told.append(1))
    for i in range(10):
        box.send(i)
    await asyncio.wait_for(box.sender, WAIT_S)
    assert wire.frames == [0, 1, 2]
    assert box.aborted and box.stopped and told == [1]
    assert box.send(99) == "dropped"  # nothing goes out after the cut


async def test_stall_pauses_once_after_n_outputs() -> None:
    box, wire = make(FaultConfig(stall_ms=150, stall_after=2))
    for i in range(5):
        box.send(i)
    await flushed(box)
    gaps = [b - a for a, b in zip(wire.times, wire.times[1:], strict=False)]
    assert wire.frames == list(range(5))
    assert gaps[1] >= 0.14  # between the 2nd and 3rd output
    assert max(gaps[0], gaps[2], gaps[3]) < 0.1


async def test_a_live_change_reaches_the_open_outbox() -> None:
    current = {"config": FaultConfig()}
    wire = Wire()
    box: Outbox[object] = Outbox(
        Faults.for_session(lambda: current["config"], {}), wire.write, label="live"
    )
    box.start()
    assert box.send(0) == "queued"
    current["config"] = dataclasses.replace(current["config"], drop=1.0)
    assert box.send(1) == "dropped"
    current["config"] = FaultConfig()
    assert box.send(2) == "queued"
    await flushed(box)
    assert wire.frames == [0, 2]


async def test_a_query_override_stays_on_top_of_live_changes() -> None:
    current = {"config": FaultConfig()}
    faults = Faults.for_session(lambda: current["config"], {"drop": "1"})
    current["config"] = FaultConfig(latency_ms=5)
    assert faults.config == FaultConfig(latency_ms=5, drop=1.0)


async def test_close_flushes_what_is_delayed_and_cancel_drops_it() -> None:
    box, wire = make(FaultConfig(latency_ms=40))
    box.send("late")
    await flushed(box)
    assert wire.frames == ["late"]
    box, wire = make(FaultConfig(latency_ms=5_000))
    box.send("never")
    await box.cancel()
    assert wire.frames == [] and box.stopped
    assert box.send("after") == "dropped"


async def test_a_failing_writer_stops_the_outbox() -> None:
    wire = Wire(fail_after=2)
    box: Outbox[object] = Outbox(Faults(FaultConfig()), wire.write, label="broken")
    box.start()
    for i in range(5):
        box.send(i)
    await asyncio.wait_for(box.sender, WAIT_S)
    assert wire.frames == [0, 1]
    assert box.stopped and not box.aborted


def test_sender_before_start_is_an_error() -> None:
    box: Outbox[object] = Outbox(Faults(FaultConfig()), Wire().write, label="idle")
    with pytest.raises(RuntimeError, match="start"):
        _ = box.sender


async def test_room_waits_until_the_sender_has_taken_enough() -> None:
    box, wire = make(FaultConfig(latency_ms=30))
    for i in range(3):
        box.send(i)
    await asyncio.wait_for(box.room(2), WAIT_S)
    assert wire.frames[:1] == [0]  # the first had to go out before the second was taken
    await flushed(box)
    await asyncio.wait_for(box.room(1), WAIT_S)  # a stopped outbox never blocks
