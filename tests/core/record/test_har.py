"""The HAR codec, pure: rtprobe's files round-trip, a Chrome export reads, and every
hostile file is one HarError line."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import msgpack
import pytest

from app.core.codecs.sse import SseParser
from app.core.record import har

CHROME = Path(__file__).with_name("chrome_export.har")


def _entries() -> list[har.Entry]:
    ws = har.Entry(
        kind="websocket",
        url="ws://127.0.0.1:9/mock/echo/realtime?max_buffering=4",
        started=1_796_000_000.25,
        time_ms=3.5,
        request_headers=[("Host", "127.0.0.1:9")],
        frames=[
            har.WsFrame("send", 1_796_000_000.5, har.BINARY, msgpack.packb({"a": 1})),
            har.WsFrame("receive", 1_796_000_000.75, har.TEXT, '{"type":"x-fal-error"}'),
        ],
        transport="realtime",
        session=0,
        private={"_rtprobeFrames": [{"time": 1.0, "direction": "in"}]},
    )
    sse = har.Entry(
        kind="sse",
        url="http://127.0.0.1:9/mock/echo/stream",
        started=1_796_000_001.0,
        method="POST",
        request_body='{"count": 2}',
        status=200,
        events=[
            har.StreamEvent(1_796_000_001.1, '{"i": 0}'),
            har.StreamEvent(1_796_000_001.2, "two\nlines", event="done", id="7"),
        ],
        transport="sse",
    )
    return [sse, ws]


def test_rtprobe_recording_round_trips() -> None:
    doc = har.build(_entries(), "9.9")
    text = har.dumps(doc)
    log = json.loads(text)["log"]
    assert log["version"] == "1.2" and log["creator"] == {"name": "rtprobe", "version": "9.9"}
    ws_json = log["entries"][0]  # sorted by start
    assert ws_json["_resourceType"] == "websocket" and ws_json["response"]["status"] == 101
    sent = ws_json["_webSocketMessages"][0]
    assert sent["type"] == "send" and sent["opcode"] == 2
    assert msgpack.unpackb(base64.b64decode(sent["data"])) == {"a": 1}
    assert ws_json["request"]["queryString"] == [{"name": "max_buffering", "value": "4"}]
    sse_json = log["entries"][1]
    assert sse_json["response"]["content"]["mimeType"] == "text/event-stream"
    assert sse_json["response"]["content"]["text"] == (
        'data: {"i": 0}\n\nevent: done\nid: 7\ndata: two\ndata: lines\n\n'
    )
    assert [e["time"] for e in sse_json["_sseEvents"]] == [1_796_000_001.1, 1_796_000_001.2]
    back = har.parse(text)
    assert [e.kind for e in back] == ["websocket", "sse"]
    ws, sse = back
    assert ws.frames == _entries()[1].frames
    assert ws.transport == "realtime" and ws.session == 0
    assert ws.private["_rtprobeFrames"] == [{"time": 1.0, "direction": "in"}]
    assert ws.started == pytest.approx(1_796_000_000.25, abs=1e-3)
    assert sse.events == _entries()[0].events and sse.request_body == '{"count": 2}'


def test_a_chrome_export_reads() -> None:
    entries = har.parse(CHROME.read_bytes())
    kinds = [e.kind for e in entries]
    assert kinds == ["http", "websocket", "sse"]  # in start order
    ws = entries[1]
    assert ws.transport is None and ws.url.startswith("wss://fal.run/fal-ai/fast-lcm/realtime")
    assert [f.type for f in ws.frames] == ["send", "receive", "receive", "send", "receive"]
    first = ws.frames[0]
    assert first.opcode == har.BINARY
    assert msgpack.unpackb(first.data) == {"prompt": "a red fox", "seed": 7}
    assert ws.frames[1].opcode == har.TEXT and "x-fal-message" in str(ws.frames[1].data)
    assert ("Origin", "https://fal.ai") in ws.request_headers
    sse = entries[2]
    assert sse.request_body == '{"prompt":"a lighthouse"}'
    assert [e.data for e in sse.events] == [
        '{"progress": 0.5}',
        '{"progress": 1.0}',
        '{"images": []}',
    ]
    assert [e.event for e in sse.events] == ["", "", "done"]
    times = [e.time for e in sse.events]  # a browser records none: spread over the request
    assert (
        times == sorted(times) and sse.started < times[0] and times[-1] <= sse.started + 0.9 + 1e-6
    )
    assert entries[0].content == "\x00\x00\x01\x00"  # base64 content decoded


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "empty"),
        ("   \n", "empty"),
        ("garbage, not json", "invalid JSON"),
        (CHROME.read_text()[:3000], "truncated JSON"),
        ("[1, 2]", "the file is not an object"),
        ("{}", "has no 'log'"),
        ('{"log": {"version": "2.0", "entries": []}}', "version '2.0'"),
        ('{"log": {"version": "1.2"}}', "log has no 'entries'"),
        ('{"log": {"entries": {}}}', "log.entries is not a list"),
        ('{"log": {"entries": [7]}}', "entries[0] is not an object"),
        ('{"log": {"entries": [{"response": {}}]}}', "entries[0] has no 'request'"),
        (
            '{"log": {"entries": [{"request": {"url": "ws://h/"}, "response": {}}]}}',
            "startedDateTime",
        ),
        ("[" * 100_000, "nested too deeply"),
        (b"\xff\xfe garbage", "not UTF-8"),
    ],
)
def test_a_bad_file_is_one_line(text: str | bytes, says: str) -> None:
    with pytest.raises(har.HarError) as err:
        har.parse(text)
    message = str(err.value)
    assert says in message and "\n" not in message and len(message) < 200


def _one_ws(frames: object) -> str:
    return json.dumps(
        {
            "log": {
                "version": "1.2",
                "entries": [
                    {
                        "startedDateTime": "2026-11-30T09:15:03.250Z",
                        "request": {"url": "wss://h/x"},
                        "response": {"status": 101},
                        "_webSocketMessages": frames,
                    }
                ],
            }
        }
    )


@pytest.mark.parametrize(
    ("frames", "says"),
    [
        ([{"type": "send", "time": 1.0, "opcode": 2, "data": "not base64 !!"}], "not base64"),
        ([{"type": "send", "time": 1.0, "opcode": 2, "data": "abc"}], "not base64"),  # bad padding
        ([{"type": "sent", "time": 1.0, "opcode": 1, "data": ""}], "not 'send' or 'receive'"),
        ([{"type": "send", "time": 1.0, "opcode": 9, "data": ""}], "opcode is 9"),
        ([{"type": "send", "opcode": 1, "data": "x"}], "time is not a number"),
        ([{"type": "send", "time": "soon", "opcode": 1, "data": "x"}], "time is not a number"),
        ([{"type": "send", "time": 1.0, "opcode": 1, "data": 5}], "data is not a string"),
        ("nope", "_webSocketMessages is not a list"),
    ],
)
def test_bad_frames_are_one_line(frames: object, says: str) -> None:
    with pytest.raises(har.HarError, match=says):
        har.parse(_one_ws(frames))


def test_a_huge_file_is_refused_before_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(har, "MAX_HAR_CHARS", 1000)
    with pytest.raises(har.HarError, match="refused"):
        har.parse(" " * 1001)


def test_too_many_frames_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(har, "MAX_ITEMS", 10)
    frames = [{"type": "send", "time": 1.0, "opcode": 1, "data": "x"}] * 20
    with pytest.raises(har.HarError, match="more than 10"):
        har.parse(_one_ws(frames))


def _stream_fields(text: str) -> list[tuple[str, str, str, int | None]]:
    """What a browser's EventSource sees in `text`: (data, type, lastEventId, retry)."""
    parser = SseParser()
    return [(e.data, e.event, e.id, e.retry) for e in parser.feed(text.encode())]


def test_every_sse_field_round_trips_and_the_content_is_a_valid_event_stream() -> None:
    events = [
        har.StreamEvent(10.1, '{"i": 0}', retry=1500),
        har.StreamEvent(10.2, "two\nlines", event="tick", id="7"),
        har.StreamEvent(10.3, "same id", event="tick", id="7"),
        har.StreamEvent(10.4, "id reset", event=""),  # the stream sent an empty `id:`
        har.StreamEvent(10.5, "", id=" spaced"),  # an empty data line; an id with a space
    ]
    entry = har.Entry("sse", "http://127.0.0.1:9/mock/echo/stream", 10.0, events=events)
    doc = har.build([entry], "t")
    item = doc["log"]["entries"][0]
    assert item["_sseEvents"][0] == {"time": 10.1, "data": '{"i": 0}', "retry": 1500}
    assert item["_sseEvents"][1] == {"time": 10.2, "data": "two\nlines", "event": "tick", "id": "7"}
    content = item["response"]["content"]["text"]
    assert _stream_fields(content) == [
        ('{"i": 0}', "message", "", 1500),
        ("two\nlines", "tick", "7", None),
        ("same id", "tick", "7", None),
        ("id reset", "message", "", None),
        ("", "message", " spaced", None),
    ]
    (back,) = har.parse(har.dumps(doc))
    assert back.events == events
    # a browser's export has no _sseEvents: the same fields come from the content
    del item["_sseEvents"]
    (chrome,) = har.parse(har.dumps(doc))
    assert [(e.data, e.event, e.id, e.retry) for e in chrome.events] == [
        (e.data, e.event, e.id, e.retry) for e in events
    ]


def test_a_hostile_field_cannot_start_another_field() -> None:
    events = [har.StreamEvent(1.0, "a\rb\r\nc", event="x\ndata: injected", id="1\r\nretry: 1")]
    assert _stream_fields(har.event_stream_text(events)) == [
        ("a\nb\nc", "xdata: injected", "1retry: 1", None)
    ]


def _one_sse(content: str | None = None, events: object = None, time_ms: float = 100) -> str:
    entry: dict = {
        "startedDateTime": "2026-11-30T09:15:03.250Z",
        "time": time_ms,
        "request": {"method": "POST", "url": "http://h/x/stream"},
        "response": {"status": 200, "content": {"mimeType": "text/event-stream"}},
    }
    if content is not None:
        entry["response"]["content"]["text"] = content
    if events is not None:
        entry["_sseEvents"] = events
    return json.dumps({"log": {"version": "1.2", "entries": [entry]}})


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (_one_sse("\x00\x01 garbage, no event at all"), "not an event stream (no complete event"),
        (_one_sse("data: " + "x" * 100_000), "not an event stream (no complete event in 100,006"),
        (_one_sse(events=[{"time": 1e12, "data": "x"}]), "after its request (at most 24 h)"),
        (_one_sse(events=[{"time": "Infinity", "data": "x"}]), "time is not a number"),
        (_one_sse(events=[{"time": 1.0}]), "has no data string"),
        (_one_sse(events="all of them"), "_sseEvents is not a list"),
    ],
)
def test_a_garbage_or_endless_event_stream_is_one_line(text: str, says: str) -> None:
    with pytest.raises(har.HarError) as err:
        har.parse(text)
    message = str(err.value)
    assert says in message and "\n" not in message and len(message) < 200


def test_a_non_finite_time_is_one_line() -> None:
    text = _one_sse(events=[{"time": 1.0, "data": "x"}]).replace("1.0", "Infinity")
    with pytest.raises(har.HarError, match="time is not a finite number"):
        har.parse(text)


def test_an_event_stream_of_too_many_events_stops_at_the_budget(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(har, "MAX_ITEMS", 1000)
    monkeypatch.setattr(har, "PARSE_CHUNK", 64)
    with pytest.raises(har.HarError, match="more than 1,000"):
        har.parse(_one_sse("data:\n\n" * 100_000))


@pytest.mark.parametrize("content", ["", "\n\n", ": ping\n\n"])
def test_an_empty_stream_or_keep_alives_only_is_no_events(content: str) -> None:
    (entry,) = har.parse(_one_sse(content))  # a browser often keeps no body: not garbage
    assert entry.events == []


def test_a_long_browser_request_spreads_events_over_a_bounded_span() -> None:
    (entry,) = har.parse(_one_sse("data: a\n\ndata: b\n\n", time_ms=1e15))
    assert entry.events[-1].time - entry.started <= har.MAX_EVENT_AFTER_S
