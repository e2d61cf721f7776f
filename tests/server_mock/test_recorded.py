"""`rtprobe mock --from FILE`: a recording served as a mock app. Recorded replies for
recorded inputs at the recorded paths and delays; a replay against it finds no diff;
unknown inputs get one clear error; a bad file is one line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import msgpack
import pytest
import websockets

from app.core.record import har
from server_mock import MockConfig, MockServer
from server_mock.recorded import UNKNOWN, RecordingError, load, tabulate

RTPROBE = [sys.executable, "-m", "app"]
CHROME = Path(__file__).parents[1] / "core" / "record" / "chrome_export.har"


def rtprobe(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*RTPROBE, *args], capture_output=True, text=True, timeout=90, stdin=subprocess.DEVNULL
    )


def record(mock_base: str, tmp_path: Path, transport: str, target: str, *extra: str) -> Path:
    path = tmp_path / f"{transport}.har"
    done = rtprobe("run", transport, target, "--record", str(path), "--no-history", *extra)
    assert done.returncode == 0, done.stderr
    return path


def test_a_recording_round_trips_through_the_mock(mock_base: str, tmp_path: Path) -> None:
    ws = mock_base.replace("http://", "ws://")
    rt = record(
        mock_base,
        tmp_path,
        "realtime",
        f"{ws}/mock/echo/realtime",
        "--count",
        "8",
        "--payload",
        '{"sleep_ms": 30, "p": "x"}',
    )
    with MockServer.in_thread(MockConfig(recording=str(rt))) as base:
        out = tmp_path / "r.json"
        done = rtprobe(
            "replay",
            str(rt),
            "--target",
            base,
            "--no-history",
            "--json",
            str(out),
            "--speed",
            "max",
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert "replies: 8 compared, 0 differ" in done.stdout
        # the recorded delay (the app slept 30 ms) is served again: a lower bound
        assert json.loads(out.read_text())["rtt_ms"]["p50"] >= 25


@pytest.mark.parametrize("transport", ["ws", "sse"])
def test_ws_and_sse_recordings_are_served(mock_base: str, tmp_path: Path, transport: str) -> None:
    ws = mock_base.replace("http://", "ws://")
    target = f"{ws}/mock/echo/ws" if transport == "ws" else f"{mock_base}/mock/echo/stream"
    payload = '{"count": 2, "interval_ms": 1}' if transport == "sse" else '{"q": 1}'
    path = record(mock_base, tmp_path, transport, target, "--count", "3", "--payload", payload)
    with MockServer.in_thread(MockConfig(recording=str(path), recording_speed=None)) as base:
        done = rtprobe("replay", str(path), "--target", base, "--no-history")
        assert done.returncode == 0, done.stdout + done.stderr
        assert "replies: 3 compared, 0 differ" in done.stdout


async def test_replies_follow_the_inputs_sequence_and_unknown_inputs_get_an_error(
    mock_base: str, tmp_path: Path
) -> None:
    ws = mock_base.replace("http://", "ws://")
    path = record(
        mock_base,
        tmp_path,
        "realtime",
        f"{ws}/mock/echo/realtime",
        "--count",
        "2",
        "--payload",
        '{"k": 1}',
    )
    config = MockConfig(recording=str(path), recording_speed=None)
    with MockServer.in_thread(config) as base:
        url = base.replace("http://", "ws://") + "/mock/echo/realtime"
        async with websockets.connect(url) as conn:
            await conn.send(msgpack.packb({"k": 1, "rtprobe_seq": 99}))
            reply = msgpack.unpackb(await conn.recv())
            assert reply["rtprobe_seq"] == 99 and reply["k"] == 1
            await conn.send(msgpack.packb({"k": 2}))
            error = json.loads(await conn.recv())
            assert error == {"type": "x-fal-error", "error": "INTERNAL_ERROR", "reason": UNKNOWN}
            with pytest.raises(websockets.ConnectionClosedOK):
                await conn.recv()  # fal closes 1000 after INTERNAL_ERROR
        async with httpx.AsyncClient() as http:  # the ordinary mock answers the rest
            assert (await http.get(f"{base}/health")).json()["status"] == "ok"


async def test_unknown_sse_bodies_get_422_with_a_detail(mock_base: str, tmp_path: Path) -> None:
    path = record(
        mock_base,
        tmp_path,
        "sse",
        f"{mock_base}/mock/echo/stream",
        "--count",
        "1",
        "--payload",
        '{"count": 2}',
    )
    with MockServer.in_thread(MockConfig(recording=str(path), recording_speed=None)) as base:
        async with httpx.AsyncClient() as http:
            known = await http.post(f"{base}/mock/echo/stream", json={"count": 2})
            assert known.headers["content-type"].startswith("text/event-stream")
            assert known.text.count("data: ") == 2
            unknown = await http.post(f"{base}/mock/echo/stream", json={"count": 3})
            assert unknown.status_code == 422 and unknown.json() == {"detail": UNKNOWN}


async def test_a_chrome_export_is_served_and_replays_clean(tmp_path: Path) -> None:
    table = load(CHROME)
    assert sorted(table) == ["/fal-ai/fast-lcm/realtime", "/fal-ai/flux/dev/stream"]
    with MockServer.in_thread(MockConfig(recording=str(CHROME), recording_speed=None)) as base:
        url = base.replace("http://", "ws://") + "/fal-ai/fast-lcm/realtime"
        async with websockets.connect(url) as conn:
            await conn.send(msgpack.packb({"seed": 7, "prompt": "a red fox"}))  # key order
            notice = json.loads(await conn.recv())
            assert notice["type"] == "x-fal-message"
            assert msgpack.unpackb(await conn.recv())["timings"] == {"inference": 0.1412}
        done = rtprobe("replay", str(CHROME), "--target", base, "--no-history")
        assert done.returncode == 0, done.stdout + done.stderr
        assert "replies: 3 compared, 0 differ" in done.stdout  # 2 realtime + 1 SSE stream
        assert "left out 1 plain HTTP requests" in done.stderr


@pytest.mark.parametrize(
    ("content", "says"),
    [(b"garbage", "invalid JSON"), (b'{"log": {"entries": []}}', "no WebSocket or SSE")],
)
def test_a_bad_recording_is_one_line(tmp_path: Path, content: bytes, says: str) -> None:
    path = tmp_path / "bad.har"
    path.write_bytes(content)
    with pytest.raises(RecordingError, match=says):
        load(path)
    done = rtprobe("mock", "--port", "0", "--from", str(path))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("rtprobe mock: --from") and says in lines[0]


def test_a_huge_recording_is_refused_before_it_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.core.record import har

    monkeypatch.setattr(har, "MAX_HAR_CHARS", 1000)
    path = tmp_path / "huge.har"
    path.write_bytes(b" " * 2000)
    with pytest.raises(RecordingError, match="more than a HAR may be"):
        load(path)


def _overlapping_recording() -> list[har.Entry]:
    """An open-loop connection: input 1 was sent before input 0's reply came back, and
    input 0 took 50 ms while input 1 took 10 ms."""

    def pack(seq: int) -> bytes:
        return bytes(msgpack.packb({"p": "x", "rtprobe_seq": seq}))

    frames = [
        har.WsFrame("send", 100.000, 2, pack(0)),
        har.WsFrame("send", 100.020, 2, pack(1)),
        har.WsFrame("receive", 100.030, 2, pack(1)),
        har.WsFrame("receive", 100.050, 2, pack(0)),
    ]
    url = "ws://127.0.0.1:1/mock/echo/realtime"
    return [har.Entry("websocket", url, 100.0, frames=frames, transport="realtime")]


def test_replies_of_overlapping_inputs_belong_to_the_input_they_carry() -> None:
    route = tabulate(_overlapping_recording())["/mock/echo/realtime"]
    answers = next(iter(route.answers.values()))
    assert [len(a.frames) for a in answers] == [1, 1]  # not [0, 2]: the last send's
    (d0, f0), (d1, f1) = answers[0].frames[0], answers[1].frames[0]
    assert msgpack.unpackb(f0)["rtprobe_seq"] == 0 and d0 == pytest.approx(0.050)
    assert msgpack.unpackb(f1)["rtprobe_seq"] == 1 and d1 == pytest.approx(0.010)


async def test_a_served_connection_answers_in_the_order_of_its_inputs(tmp_path: Path) -> None:
    path = tmp_path / "overlap.har"
    path.write_text(har.dumps(har.build(_overlapping_recording(), "test")))
    with MockServer.in_thread(MockConfig(recording=str(path))) as base:
        url = base.replace("http://", "ws://") + "/mock/echo/realtime"
        async with websockets.connect(url) as conn:
            await conn.send(msgpack.packb({"p": "x", "rtprobe_seq": 7}))
            await conn.send(msgpack.packb({"p": "x", "rtprobe_seq": 8}))
            seqs = [msgpack.unpackb(await conn.recv())["rtprobe_seq"] for _ in range(2)]
    # the second input's shorter recorded delay does not overtake the first's answer
    assert seqs == [7, 8]


def test_from_speed_without_from_is_one_line() -> None:
    done = rtprobe("mock", "--port", "0", "--from-speed", "2")
    assert done.returncode == 2
    assert done.stderr.strip() == "rtprobe mock: --from-speed needs --from FILE"


def test_describe_against_a_recording_lists_its_routes_with_a_recorded_input(
    mock_base: str, tmp_path: Path
) -> None:
    """`rtprobe describe` on `mock --from` describes the double, not the ordinary mock: the
    recorded routes, each with a recorded input as its example, so the printed
    `rtprobe run` line gets recorded replies (the mock's own example got INTERNAL_ERROR)."""
    ws = mock_base.replace("http://", "ws://")
    rt = record(
        mock_base,
        tmp_path,
        "realtime",
        f"{ws}/mock/echo/realtime",
        "--count",
        "2",
        "--payload",
        '{"k": 1}',
    )
    with MockServer.in_thread(MockConfig(recording=str(rt), recording_speed=None)) as base:
        done = rtprobe("describe", f"{base}/mock/echo", "--json")
        assert done.returncode == 0, done.stderr
        (route,) = json.loads(done.stdout)["routes"]
        assert route["path"] == "/realtime" and route["transport"] == "realtime"
        assert route["example"] == {"k": 1}
        url = f"{base.replace('http://', 'ws://')}/mock/echo/realtime"
        ran = rtprobe(
            "run",
            "realtime",
            url,
            "--payload",
            json.dumps(route["example"]),
            "--count",
            "3",
            "--no-history",
            "--quiet",
        )
        assert "sent 3  received 3  errors 0" in ran.stdout, ran.stdout + ran.stderr
