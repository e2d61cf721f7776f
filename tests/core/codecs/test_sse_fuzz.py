"""Fuzzing the SSE parser: any bytes, split anywhere, give the events of the whole
stream and never raise; an event's `json()` raises only ValueError."""

from __future__ import annotations

from hypothesis import strategies as st

from app.core.codecs.sse import SseEvent, SseParser
from tests.support.fuzz import Target, deep_nesting, define_tests, json_values, refused

LINES = st.sampled_from(
    [
        "data: x",
        "data:",
        "data",
        'data: {"a": 1}',
        "event: e",
        "id: 7",
        "id: a\0b",
        "retry: 100",
        "retry: x",
        ": ping",
        ":",
        "",
        "other: y",
        "data: é€𝄞",
    ]
)
ENDS = st.sampled_from([b"\n", b"\r", b"\r\n"])
STREAMS = st.one_of(
    st.binary(max_size=512),
    st.lists(st.tuples(LINES, ENDS), max_size=30).map(
        lambda parts: b"".join(line.encode() + end for line, end in parts)
    ),
    st.tuples(st.binary(max_size=8), st.binary(max_size=64)).map(
        lambda p: b"\xef\xbb\xbf" + p[0] + b"data: " + p[1] + b"\n\n"
    ),
)


def parse(stream: bytes, cuts: list[int]) -> tuple[list[SseEvent], int, str, int | None]:
    parser = SseParser(keep_comments=True)
    events: list[SseEvent] = []
    last = 0
    for cut in sorted({c % (len(stream) + 1) for c in cuts}):
        events += parser.feed(stream[last:cut])
        last = cut
    events += parser.feed(stream[last:])
    assert len(parser.take_comments()) <= parser.comments
    assert parser.close() == []
    return events, parser.comments, parser.last_event_id, parser.retry


def any_split(args: tuple[bytes, list[int]]) -> None:
    """Fed in pieces or whole, a stream gives the same events; none raises."""
    stream, cuts = args
    with refused():
        whole = parse(stream, [])
        assert parse(stream, cuts) == whole
        assert parse(stream, list(range(len(stream) + 1))) == whole  # byte by byte
        for event in whole[0]:
            assert "\r" not in event.data and event.event and "\0" not in event.id


def event_json(data: str) -> None:
    with refused(ValueError):
        SseEvent(data).json()


TARGETS = [
    Target(
        "sse.any_split",
        st.tuples(STREAMS, st.lists(st.integers(min_value=0, max_value=10_000), max_size=12)),
        any_split,
    ),
    Target("sse.event_json", st.text() | json_values().map(str) | deep_nesting(), event_json),
]
define_tests(TARGETS, globals())
