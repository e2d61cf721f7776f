"""The engine's SSE sessions against the real mock: one message = one streaming request."""

from __future__ import annotations

from app.core.config import RunConfig
from app.core.engine.run import run_collect
from app.core.events import ErrorEvent, Message
from app.core.targets import resolve


async def test_sse_requests_are_measured_end_to_end(mock_base: str) -> None:
    cfg = RunConfig(
        target=resolve("sse", "mock/echo", base_url=mock_base),
        payload={"count": 4, "interval_ms": 3},
        count=6,
        concurrency=2,
    )
    s = (await run_collect(cfg)).summary()
    assert (s["sent"], s["received"], s["errors"]) == (6, 6, 0)
    assert s["events"] == 24
    assert s["time_to_first_event_ms"]["count"] == 6
    assert s["event_gap_ms"]["count"] == 18
    assert s["event_gap_ms"]["p50"] >= 2.5  # the app's 3 ms interval shows between events
    assert s["rtt_ms"]["p50"] >= s["time_to_first_event_ms"]["p50"]


async def test_sse_faults_show_up(mock_base: str) -> None:
    events = []
    cfg = RunConfig(
        target=resolve("sse", f"{mock_base}/mock/echo/stream?error_rate=1"),
        payload={"count": 3},
        count=4,
    )
    s = (await run_collect(cfg, events.append)).summary()
    assert (s["sent"], s["errors"], s["received"]) == (4, 4, 0)
    assert {e.kind for e in events if isinstance(e, ErrorEvent)} == {"AppError"}
    cut = RunConfig(
        target=resolve("sse", f"{mock_base}/mock/echo/stream?disconnect_after=2"),
        payload={"count": 5},
        count=2,
    )
    s = (await run_collect(cut)).summary()
    assert s["errors"] == 2 and s["events"] == 4


async def test_sse_inspector_sees_each_event(mock_base: str) -> None:
    events = []
    cfg = RunConfig(
        target=resolve("sse", "mock/diffusion", base_url=mock_base),
        payload={"steps": 3, "step_ms": 1, "width": 16, "height": 16},
        count=1,
        record_messages=True,
    )
    await run_collect(cfg, events.append)
    messages = [e for e in events if isinstance(e, Message)]
    assert [m.direction for m in messages] == ["out", "in", "in", "in", "in"]
    assert messages[-1].data["type"] == "result"
    assert [m.data["step"] for m in messages[1:4]] == [1, 2, 3]


async def test_sse_auth_failure_stops_the_run(start_mock) -> None:
    with start_mock(key="k") as base:
        events = []
        cfg = RunConfig(target=resolve("sse", "mock/echo", base_url=base), count=20)
        s = (await run_collect(cfg, events.append)).summary()
    assert s["sent"] == 1 and s["errors"] == 1
    assert [e.kind for e in events if isinstance(e, ErrorEvent)] == ["AuthError"]
