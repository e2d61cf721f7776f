"""Network changes during real WebRTC runs (aiortc, the mock on 127.0.0.1): scheduled
on the client and on the mock's side of the session, each one an event that reaches the
JSON summary, the HTML report's marks and the CLI summary; and what a 300 kbit/s cap
does to aiortc's encoder at 1280x720 (its bitrate falls, its resolution does not)."""

from __future__ import annotations

import asyncio
import json
import re
import statistics
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from app.core.config import RunConfig, WebRtcParams
from app.core.engine.run import run
from app.core.errors import ClosedError, TargetError
from app.core.events import Event, NetworkChange
from app.core.network.datagram import NetworkSetting
from app.core.report.html import render_html
from app.core.report.timeline import Timeline
from app.core.sessions.network_control import network_act
from app.core.summary import Aggregator
from app.core.targets import resolve
from tests.commands.test_run import rtprobe

pytestmark = pytest.mark.timeout(120)


def _config(base: str, seconds: float, **webrtc: Any) -> RunConfig:
    return RunConfig(
        target=resolve("webrtc", base.replace("http://", "ws://") + "/mock/yolo/webrtc"),
        count=None,
        duration_s=seconds,
        webrtc=WebRtcParams(**webrtc),
    )


def _fold(events: list[Event]) -> tuple[Aggregator, Timeline]:
    agg, tl = Aggregator(transport="webrtc"), Timeline()
    for e in events:
        agg.feed(e)
        tl.feed(e)
    return agg, tl


def test_scheduled_changes_on_both_sides_are_events_in_every_report(start_mock: Any) -> None:
    with start_mock() as base:
        cfg = _config(
            base,
            4,
            width=320,
            height=240,
            network_at=("1s:mock:delay=50", "2s:down.rate=800", "3s:mock:none"),
        )
        events: list[Event] = []
        asyncio.run(run(cfg, events.append))
    changes = [e for e in events if isinstance(e, NetworkChange)]
    assert [(c.side, c.name, c.direction) for c in changes] == [
        ("mock", "delay=50", "both"),
        ("client", "down.rate=800", "down"),
        ("mock", "none", "both"),
    ]
    agg, tl = _fold(events)
    s = agg.summary()
    t = [row["t_s"] for row in s.network_changes]
    assert t == sorted(t) and 0 < t[0] < t[-1] < 4.5
    assert s.to_json()["network_changes"][1]["spec"] == "down.rate=800"
    assert s.frames is not None and s.frames.resolution["in"]["median"] == "320x240"
    page = render_html(s, tl)
    marks = page.count('class="mark"')
    assert marks >= 3 * 3  # every change on each time plot (frame latency, fps, bitrate, …)
    assert ">mock delay=50</text>" in page and "Resolution over time" in page


def test_mock_network_needs_a_named_session_and_bad_profiles_are_one_line() -> None:
    emitted: list[Event] = []
    fake = SimpleNamespace(
        index=0, connected=True, client=SimpleNamespace(mock_session=None), emit=emitted.append
    )
    with pytest.raises(TargetError, match="the server named no session"):
        asyncio.run(network_act(fake, "mock_network", "3g"))
    fake.connected = False
    with pytest.raises(ClosedError, match="session 0 is down"):
        asyncio.run(network_act(fake, "mock_network", "3g"))
    fake.options = SimpleNamespace(network=NetworkSetting())
    with pytest.raises(TargetError, match="unknown network preset"):
        asyncio.run(network_act(fake, "network", "5g"))
    asyncio.run(network_act(fake, "network", "3g"))  # the client's side needs no server
    assert fake.options.network.profile.name == "3g"
    assert [(e.side, e.name) for e in emitted if isinstance(e, NetworkChange)] == [("client", "3g")]


def test_cli_summary_lists_the_changes(tmp_path: Path) -> None:
    path = tmp_path / "w.json"
    out = rtprobe(
        "run", "webrtc", "mock/yolo", "--mock", "--duration", "3", "--size", "320x240",
        "--network-at", "1s:4g", "--network-at", "2s:mock:3g", "--json", str(path),
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    line = next(x for x in out.stdout.splitlines() if x.strip().startswith("network:"))
    assert re.fullmatch(r"\s+network: 4g at \d+\.\d s, mock 3g at \d+\.\d s", line), line
    assert "resolution: out 320x240; in 320x240" in out.stdout
    saved = json.loads(path.read_text())
    assert [c["side"] for c in saved["network_changes"]] == ["client", "mock"]
    bad = rtprobe("run", "webrtc", "mock/yolo", "--network-at", "soon:3g")
    assert bad.returncode == 2 and "--network-at: network-at time 'soon'" in bad.stderr


def test_300_kbit_cap_lowers_aiortc_bitrate_not_its_resolution(start_mock: Any) -> None:
    """aiortc's VP8 encoder follows REMB with its bitrate and keeps the frame size (it
    has no resolution scaling), so the recorded series show the bitrate, not the size,
    dropping under the cap."""
    with start_mock() as base:
        cfg = _config(base, 12, width=1280, height=720, network_at=("3s:up.rate=300",))
        events: list[Event] = []
        asyncio.run(run(cfg, events.append))
    agg, tl = _fold(events)
    change_t = tl.network_changes()[0]["t_s"]
    st = tl.stats_series(0)
    rate, t = st["bitrate_out_kbps"], st["t_s"]
    before = [float(v) for v, x in zip(rate, t, strict=True) if 1.5 <= x < change_t]
    after = [float(v) for v, x in zip(rate, t, strict=True) if x >= change_t + 3]
    assert before and len(after) >= 3, (before, after)
    assert statistics.median(after) < 330, after  # the encoder settled under the cap
    assert statistics.median(after) < 0.8 * statistics.median(before), (before, after)
    out = tl.resolution_series("out")
    seen = out["width"][~np.isnan(out["width"])]
    assert len(seen) >= 10 and set(seen.tolist()) == {1280.0}  # no scaling at all
    s = agg.summary()
    assert s.frames is not None and s.frames.resolution["out"]["changes"] == 0


@pytest.mark.parametrize("transport, path", [("realtime", "realtime"), ("ws", "ws")])
def test_mock_side_of_one_realtime_or_ws_connection_changes_live(
    start_mock: Any, transport: str, path: str
) -> None:
    """`act("mock_network")` on a realtime or ws run reaches the mock's toxics of that
    connection alone (its id from the handshake): after `delay=100` (each way) every
    reply the change preceded comes 200 ms or more after its send, and the change is a
    NetworkChange event of the mock's side."""
    from app.core.engine.run import RunControl
    from app.core.events import Sample

    with start_mock() as base:
        url = base.replace("http://", "ws://") + f"/mock/echo/{path}"
        cfg = RunConfig(target=resolve(transport, url), count=None, duration_s=30, rate=20.0)
        events: list[Event] = []

        async def main() -> None:
            control = RunControl()
            task = asyncio.create_task(run(cfg, events.append, control))
            for _ in range(400):  # bounded: 20 s
                if sum(isinstance(e, Sample) for e in events) >= 5:
                    break
                await asyncio.sleep(0.05)
            await control.act("mock_network", "delay=100")
            changed = len(events)
            for _ in range(400):  # bounded: 20 s, until 5 replies sent after the change
                later = [e for e in events[changed:] if isinstance(e, Sample)]
                if sum(s.sent_ns > events[changed - 1].t_ns for s in later) >= 5:
                    break
                await asyncio.sleep(0.05)
            control.stop()
            await asyncio.wait_for(task, 30)

        asyncio.run(main())
    change = next(e for e in events if isinstance(e, NetworkChange))
    assert (change.side, change.name) == ("mock", "delay=100")
    after = [e for e in events if isinstance(e, Sample) and e.sent_ns > change.t_ns]
    received = [s for s in after if s.outcome == "received"]
    assert len(received) >= 5 and all(s.rtt_ns >= 200e6 for s in received), [
        s.rtt_ns / 1e6 for s in received
    ]
