"""The engine against the real mock: realtime and raw WebSocket, with faults."""

from __future__ import annotations

from app.core.config import RunConfig
from app.core.engine.run import run_collect
from app.core.events import ErrorEvent, Sample, StateChange
from app.core.targets import resolve
from app.core.transports.wsbase import Credentials, WsOptions
from server_mock import FaultConfig
from server_mock.faults import Faults


def _check_accounting(summary: dict) -> None:
    assert summary["sent"] == (
        summary["received"] + summary["errors"] + summary["dropped"] + summary["timeouts"]
    )


async def test_realtime_closed_loop_counts_everything(mock_base: str) -> None:
    events = []
    cfg = RunConfig(
        target=resolve("realtime", "mock/echo", base_url=mock_base),
        payload={"hello": "x" * 64},
        count=60,
        concurrency=3,
        warmup=2,
    )
    agg = await run_collect(cfg, events.append)
    s = agg.summary()
    assert (s["sent"], s["received"], s["warmup"]) == (54, 54, 6)
    _check_accounting(s)
    assert s["rtt_ms"]["count"] == 54 and 0 < s["rtt_ms"]["p50"] <= s["rtt_ms"]["p99"]
    assert s["server_ms"]["count"] == 54  # mock/echo stamps split server and network time
    assert s["connection"]["extensions"] == []  # compression off by default
    samples = [e for e in events if isinstance(e, Sample)]
    assert sorted((e.session, e.seq) for e in samples) == sorted(
        (i, q) for i in range(3) for q in range(20)
    )
    assert [e.state for e in events if isinstance(e, StateChange) and e.session == 0] == [
        "connecting",
        "connected",
        "closed",
    ]


async def test_compression_is_a_choice_and_recorded(mock_base: str) -> None:
    cfg = RunConfig(
        target=resolve("realtime", "mock/echo", base_url=mock_base),
        count=3,
        ws=WsOptions(compression=True),
    )
    s = (await run_collect(cfg)).summary()
    assert s["connection"]["extensions"] == ["permessage-deflate"]


async def test_latency_fault_shifts_measured_rtt(mock_base: str) -> None:
    clean = (
        await run_collect(
            RunConfig(target=resolve("realtime", "mock/echo", base_url=mock_base), count=20)
        )
    ).summary()
    slow = (
        await run_collect(
            RunConfig(
                target=resolve("realtime", f"{mock_base}/mock/echo/realtime?latency_ms=25"),
                count=20,
            )
        )
    ).summary()
    shift = slow["rtt_ms"]["p50"] - clean["rtt_ms"]["p50"]
    assert 20 < shift < 40


async def test_open_loop_drops_are_detected_exactly(mock_base: str) -> None:
    n = 300
    faults = Faults(FaultConfig(drop=0.1, seed=11))
    survivors = [i for i in range(n) if not faults.drop_output()]
    trailing = n - 1 - survivors[-1]  # drops after the last reply look like timeouts
    cfg = RunConfig(
        target=resolve("realtime", f"{mock_base}/mock/echo/realtime?drop=0.1&seed=11"),
        count=n,
        rate=1000,
        timeout_s=0.5,
    )
    s = (await run_collect(cfg)).summary()
    _check_accounting(s)
    assert s["received"] == len(survivors)
    assert s["dropped"] == n - len(survivors) - trailing
    assert s["timeouts"] == trailing


async def test_app_errors_are_counted_and_session_reconnects(mock_base: str) -> None:
    events = []
    cfg = RunConfig(
        target=resolve("realtime", "mock/echo", base_url=mock_base),
        payload={"fail": "nope"},
        count=3,
        reconnects=5,
    )
    s = (await run_collect(cfg, events.append)).summary()
    _check_accounting(s)
    assert s["errors"] == 3 and s["received"] == 0
    assert s["errors_by_message"]["app error INTERNAL_ERROR: nope"] == 3
    assert [e.state for e in events if isinstance(e, StateChange)].count("reconnecting") == 2


async def test_disconnects_are_reported_and_survived(mock_base: str) -> None:
    events = []
    cfg = RunConfig(
        target=resolve("ws", f"{mock_base}/mock/echo/ws?disconnect_after=10"),
        count=35,
        reconnects=5,
    )
    s = (await run_collect(cfg, events.append)).summary()
    _check_accounting(s)
    # a message sent in the instant between the last reply and the cut is lost with it
    assert s["received"] + s["errors"] == 35 and s["errors"] <= 3
    errors = [e.message for e in events if isinstance(e, ErrorEvent)]
    assert errors.count("connection closed abruptly (no close frame, 1006)") == 3


async def test_auth_failure_is_one_clear_error(start_mock) -> None:
    with start_mock(key="right") as base:
        events = []
        cfg = RunConfig(
            target=resolve("realtime", "mock/echo", base_url=base),
            count=5,
            credentials=Credentials(key="wrong"),
        )
        s = (await run_collect(cfg, events.append)).summary()
        assert s["sent"] == 0
        errors = [e for e in events if isinstance(e, ErrorEvent)]
        assert [e.kind for e in errors] == ["AuthError"]
        assert "refused the key (HTTP 401)" in errors[0].message
        assert "wrong" not in errors[0].message
        ok = RunConfig(
            target=resolve("realtime", "mock/echo", base_url=base),
            count=5,
            credentials=Credentials(key="right"),
        )
        assert (await run_collect(ok)).summary()["received"] == 5


async def test_connection_refused(mock_base: str) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    events = []
    cfg = RunConfig(target=resolve("ws", f"ws://127.0.0.1:{port}/x"), count=1, reconnects=0)
    await run_collect(cfg, events.append)
    errors = [e for e in events if isinstance(e, ErrorEvent)]
    assert (
        errors[0].message == f"ws://127.0.0.1:{port}/x: connection refused (is the server running?)"
    )


async def test_raw_ws_formats(mock_base: str) -> None:
    for fmt in ("json", "msgpack"):
        cfg = RunConfig(
            target=resolve("ws", "mock/echo/ws", base_url=mock_base),
            count=10,
            ws_format=fmt,
            payload={"k": 1},
        )
        s = (await run_collect(cfg)).summary()
        assert s["received"] == 10, fmt
    cfg = RunConfig(
        target=resolve("ws", "mock/echo/ws", base_url=mock_base),
        count=10,
        ws_format="text",
        payload="plain text",
    )
    s = (await run_collect(cfg)).summary()
    assert s["received"] == 10  # matched first-in first-out: no id travels in plain text


async def test_timings_frames_are_counted_not_dropped(start_mock) -> None:
    with start_mock(timings=True) as base:
        cfg = RunConfig(target=resolve("realtime", "mock/echo", base_url=base), count=5)
        s = (await run_collect(cfg)).summary()
    assert s["received"] == 5
    assert s["fal_messages"] >= 1  # the zero frame right after accept, at least
    assert s["fal_timing_s"] >= 0.0


async def test_summary_accounts_per_session(mock_base: str) -> None:
    cfg = RunConfig(
        target=resolve("realtime", "mock/echo", base_url=mock_base), count=7, concurrency=3
    )
    s = (await run_collect(cfg)).summary()
    assert [p["sent"] for p in s["per_session"]] == [3, 2, 2]
    for p in s["per_session"]:
        assert p["sent"] == p["received"] + p["errors"] + p["dropped"] + p["timeouts"]
        assert p["state"] == "closed"


async def test_the_session_class_is_found_off_the_loop(mock_base: str, monkeypatch) -> None:
    """Finding a transport's session class may import heavy modules (aiortc and av for
    WebRTC): done on the loop, it would stall every other run's traffic meanwhile."""
    import threading

    from app.core.engine import run as run_module

    found_on: list[threading.Thread] = []
    real = run_module.session_factory

    def spy(name: str):
        found_on.append(threading.current_thread())
        return real(name)

    monkeypatch.setattr(run_module, "session_factory", spy)
    cfg = RunConfig(target=resolve("ws", "mock/echo/ws", base_url=mock_base), count=3)
    agg = await run_collect(cfg, lambda _e: None)
    assert agg.summary()["received"] == 3
    assert found_on and found_on[0] is not threading.current_thread()
