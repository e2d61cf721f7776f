"""`rtprobe mock --from FILE`: a recording served as a mock app. Recorded replies for
recorded inputs at the recorded paths and delays; a replay against it finds no diff;
unknown inputs get one clear error; a bad file is one line."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import httpx
import msgpack
import pytest
import websockets

from app.core.codecs.sse import SseParser
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
    [(b"garbage", "invalid JSON"), (b'{"log": {"entries": []}}', "no WebSocket, SSE or WebRTC")],
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


SSE_FIELDS_BODY = {
    "count": 3,
    "interval_ms": 20,
    "sse_event": "tick",
    "sse_id": True,
    "sse_retry_ms": 250,
}


def _fields(events: list) -> list[tuple[object, ...]]:
    return [(json.loads(e.data)["index"], e.event, e.id, e.retry) for e in events]


async def test_sse_fields_are_recorded_replayed_and_served(mock_base: str, tmp_path: Path) -> None:
    """Every field of every event (event, id, retry, data) is in the recording (its
    `_sseEvents` and its event-stream content), a replay compares the type and id, and
    `mock --from` serves them back with the recorded timing."""
    payload = json.dumps(SSE_FIELDS_BODY)
    target = f"{mock_base}/mock/echo/stream"
    path = record(mock_base, tmp_path, "sse", target, "--count", "2", "--payload", payload)
    doc = json.loads(path.read_text())
    first = doc["log"]["entries"][0]
    want = [(0, "tick", "0", 250), (1, "tick", "1", None), (2, "tick", "2", None)]
    listed = first["_sseEvents"]
    assert [
        (json.loads(e["data"])["index"], e.get("event"), e.get("id"), e.get("retry"))
        for e in listed
    ] == want
    content = first["response"]["content"]["text"]  # a valid text/event-stream body
    assert _fields(SseParser().feed(content.encode())) == want

    done = rtprobe("replay", str(path), "--target", mock_base, "--no-history", "--speed", "max")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "replies: 2 compared, 0 differ" in done.stdout

    listed[1]["id"] = "9"  # the recorded server numbered its events otherwise
    listed[2]["event"] = "tock"
    changed = tmp_path / "changed.har"
    changed.write_text(json.dumps(doc))
    differs = rtprobe("replay", str(changed), "--target", mock_base, "--no-history")
    assert differs.returncode == 1, differs.stdout + differs.stderr
    assert "reply 0 of entry 0: 1.<id>: '9' -> '1' (+1 more)" in differs.stdout

    with MockServer.in_thread(MockConfig(recording=str(path))) as base:
        parser, arrivals, got = SseParser(), [], []
        async with (
            httpx.AsyncClient(timeout=30) as http,
            http.stream("POST", f"{base}/mock/echo/stream", json=SSE_FIELDS_BODY) as reply,
        ):
            assert reply.headers["content-type"].startswith("text/event-stream")
            async for chunk in reply.aiter_raw():
                for event in parser.feed(chunk):
                    got.append(event)
                    arrivals.append(time.monotonic())
        assert _fields(got) == want
        recorded_span = listed[2]["time"] - listed[0]["time"]
        assert arrivals[2] - arrivals[0] >= 0.8 * recorded_span  # the recorded spacing
        double = rtprobe("replay", str(path), "--target", base, "--no-history")
        assert double.returncode == 0, double.stdout + double.stderr
        assert "replies: 2 compared, 0 differ" in double.stdout


def _sse_har(response_text: str | None, events: object = None) -> bytes:
    entry: dict = {
        "startedDateTime": "2026-11-30T09:15:03.250Z",
        "time": 50,
        "request": {
            "method": "POST",
            "url": "http://127.0.0.1:9/mock/echo/stream",
            "postData": {"mimeType": "application/json", "text": '{"count": 1}'},
        },
        "response": {"status": 200, "content": {"mimeType": "text/event-stream"}},
    }
    if response_text is not None:
        entry["response"]["content"]["text"] = response_text
    if events is not None:
        entry["_sseEvents"] = events
    return json.dumps({"log": {"version": "1.2", "entries": [entry]}}).encode()


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (_sse_har("\x00\x01\x02 not an event stream"), "is not an event stream"),
        (_sse_har("data: " + "x" * 200_000), "no complete event in 200,006 bytes"),
        (_sse_har("", [{"time": 9e15, "data": "{}"}]), "after its request (at most 24 h)"),
    ],
)
def test_a_garbage_or_endless_event_stream_is_one_line(
    tmp_path: Path, content: bytes, says: str
) -> None:
    path = tmp_path / "hostile.har"
    path.write_bytes(content)
    started = time.monotonic()
    for command in (("mock", "--port", "0", "--from", str(path)), ("replay", str(path))):
        done = rtprobe(*command, "--no-history") if command[0] == "replay" else rtprobe(*command)
        lines = done.stderr.strip().splitlines()
        assert done.returncode == 2, done.stderr
        assert len(lines) == 1 and says in lines[0] and "Traceback" not in done.stderr
    assert time.monotonic() - started < 90  # refused, not served or replayed for ever
