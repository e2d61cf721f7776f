"""The SSE parser against the WHATWG spec's own examples, its edge cases, and any chunking."""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.codecs.sse import MAX_KEPT_COMMENTS, SseEvent, SseParser


def parse(stream: bytes, *, close: bool = True) -> list[SseEvent]:
    parser = SseParser()
    events = parser.feed(stream)
    return events + parser.close() if close else events


def data_of(stream: bytes) -> list[str]:
    return [e.data for e in parse(stream)]


# -- the spec's examples (HTML "9.2.6 Interpreting an event stream" and 9.2.4) -----------
def test_spec_three_messages_with_a_multiline_one() -> None:
    stream = (
        b"data: This is the first message.\n\n"
        b"data: This is the second message, it\n"
        b"data: has two lines.\n\n"
        b"data: This is the third message.\n\n"
    )
    assert data_of(stream) == [
        "This is the first message.",
        "This is the second message, it\nhas two lines.",
        "This is the third message.",
    ]


def test_spec_event_types() -> None:
    stream = (
        b"event: add\ndata: 73857293\n\nevent: remove\ndata: 2153\n\nevent: add\ndata: 113411\n\n"
    )
    assert [(e.event, e.data) for e in parse(stream)] == [
        ("add", "73857293"),
        ("remove", "2153"),
        ("add", "113411"),
    ]


def test_spec_stock_ticker_lines_joined() -> None:
    assert data_of(b"data: YHOO\ndata: +2\ndata: 10\n\n") == ["YHOO\n+2\n10"]


def test_spec_comment_ids_and_unterminated_last_event() -> None:
    parser = SseParser()
    stream = (
        b": test stream\n\n"
        b"data: first event\nid: 1\n\n"
        b"data:second event\nid\n\n"
        b"data:  third event\n"
    )
    events = parser.feed(stream)
    assert [(e.data, e.id) for e in events] == [("first event", "1"), ("second event", "")]
    assert parser.comments == 1
    assert parser.pending
    assert parser.close() == []  # the third event never got its blank line


def test_spec_empty_data_lines() -> None:
    # "data" alone and "data:" both append an empty line; the last block is unterminated
    assert data_of(b"data\n\ndata\ndata\n\ndata:") == ["", "\n"]


def test_spec_space_after_colon_is_optional() -> None:
    assert data_of(b"data:test\n\ndata: test\n\n") == ["test", "test"]


# -- line endings, BOM, UTF-8 ---------------------------------------------------------------
@pytest.mark.parametrize("eol", [b"\n", b"\r\n", b"\r"])
def test_every_line_ending(eol: bytes) -> None:
    stream = eol.join([b"event: e", b"data: a", b"data: b", b"", b"data: c", b"", b""])
    assert [(e.event, e.data) for e in parse(stream)] == [("e", "a\nb"), ("message", "c")]


def test_mixed_line_endings() -> None:
    assert data_of(b"data: a\r\ndata: b\rdata: c\n\r\ndata: d\r\r") == ["a\nb\nc", "d"]


def test_cr_at_chunk_end_and_lf_at_next_start_are_one_line_end() -> None:
    parser = SseParser()
    assert parser.feed(b"data: a\r") == []
    assert parser.feed(b"\n") == []  # not a second, blank line
    assert parser.feed(b"\r") == [SseEvent("a")]
    assert parser.feed(b"\ndata: b\r\n\r\n") == [SseEvent("b")]


def test_cr_then_cr_is_a_blank_line_across_chunks() -> None:
    parser = SseParser()
    assert parser.feed(b"data: a\r") == []
    assert parser.feed(b"\r") == [SseEvent("a")]


def test_leading_bom_is_removed_once() -> None:
    assert data_of(b"\xef\xbb\xbfdata: x\n\n") == ["x"]
    # a second BOM is part of the first line's field name, so that line is ignored
    assert data_of(b"\xef\xbb\xbf\xef\xbb\xbfdata: x\n\ndata: y\n\n") == ["y"]
    # a BOM that is not at the very start is ordinary data
    assert data_of(b"data: \xef\xbb\xbfx\n\n") == ["\ufeffx"]


def test_bom_split_across_chunks() -> None:
    parser = SseParser()
    assert parser.feed(b"\xef") == []
    assert parser.feed(b"\xbb") == []
    assert parser.feed(b"\xbfdata: x\n\n") == [SseEvent("x")]


def test_multibyte_character_split_across_chunks() -> None:
    raw = "data: héllo → 🎉\n\n".encode()
    parser = SseParser()
    events = [e for i in range(len(raw)) for e in parser.feed(raw[i : i + 1])]
    assert events == [SseEvent("héllo → 🎉")]


def test_invalid_utf8_becomes_replacement_character() -> None:
    assert data_of(b"data: a\xffb\n\n") == ["a\ufffdb"]


# -- fields --------------------------------------------------------------------------------
def test_only_one_space_after_the_colon_is_removed() -> None:
    assert data_of(b"data:   x  \n\n") == ["  x  "]


def test_value_may_contain_colons() -> None:
    assert data_of(b'data: {"a": "b:c"}\n\n') == ['{"a": "b:c"}']


def test_field_without_colon_has_empty_value() -> None:
    events = parse(b"event\ndata\n\n")
    assert events == [SseEvent("", "message")]


def test_unknown_fields_and_wrong_case_are_ignored() -> None:
    assert parse(b"foo: bar\nData: no\nEVENT: x\ndata: yes\n\n") == [SseEvent("yes")]


def test_blank_line_without_data_dispatches_nothing_and_resets_the_type() -> None:
    assert parse(b"event: lost\n\ndata: x\n\n") == [SseEvent("x", "message")]


def test_empty_event_name_means_message() -> None:
    assert parse(b"event:\ndata: x\n\n") == [SseEvent("x", "message")]


def test_last_event_id_persists_and_can_be_reset() -> None:
    stream = b"id: 7\ndata: a\n\ndata: b\n\nid\ndata: c\n\nid: 9\n\ndata: d\n\n"
    parser = SseParser()
    assert [(e.data, e.id) for e in parser.feed(stream)] == [
        ("a", "7"),
        ("b", "7"),
        ("c", ""),
        ("d", "9"),  # the id of a block without data still sticks
    ]
    assert parser.last_event_id == "9"


def test_id_with_nul_is_ignored() -> None:
    events = parse(b"id: 1\ndata: a\n\nid: 2\x003\ndata: b\n\n")
    assert [e.id for e in events] == ["1", "1"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (b"1500", 1500),
        (b"0", 0),
        (b"15a", None),
        (b"-1", None),
        (b"1.5", None),
        (b"", None),
        (b" 12", None),
        ("١٢".encode(), None),
    ],
)
def test_retry_only_when_all_ascii_digits(value: bytes, expected: int | None) -> None:
    parser = SseParser()
    # "retry: 12" has one space removed; "retry:  12" keeps one, which is not a digit
    events = parser.feed(b"retry: " + value + b"\ndata: x\n\n")
    assert events[0].retry == expected
    assert parser.retry == expected


def test_retry_persists_on_the_parser_not_on_later_events() -> None:
    parser = SseParser()
    events = parser.feed(b"data: a\n\nretry: 10\ndata: b\n\ndata: c\n\nretry: 20\ndata: d\n\n")
    assert [e.retry for e in events] == [None, 10, None, 20]
    assert parser.retry == 20


def test_a_retry_in_a_block_without_data_goes_with_the_next_event() -> None:
    parser = SseParser()
    events = parser.feed(b"retry: 10\n\ndata: a\n\ndata: b\n\nretry: 20\n\nretry: 30\n\n")
    assert [e.retry for e in events] == [10, None]
    assert parser.retry == 30 and not parser.pending  # a retry block is whole: nothing cut
    assert [e.retry for e in parser.feed(b"data: c\n\n")] == [30]


def test_comments_are_counted_and_optionally_kept() -> None:
    parser = SseParser(keep_comments=True)
    events = parser.feed(b": ping\n:\n:no space\ndata: x\n: ping - 2024\n\n")
    assert events == [SseEvent("x")]
    assert parser.comments == 4
    assert parser.take_comments() == ["ping", "", "no space", "ping - 2024"]
    assert parser.take_comments() == []


def test_kept_comments_are_bounded() -> None:
    parser = SseParser(keep_comments=True)
    parser.feed(b": ping\n" * (MAX_KEPT_COMMENTS + 5))
    assert parser.comments == MAX_KEPT_COMMENTS + 5
    assert len(parser.take_comments()) == MAX_KEPT_COMMENTS
    assert SseParser().take_comments() == []


def test_pending_tracks_partial_lines_and_events() -> None:
    parser = SseParser()
    assert not parser.pending
    parser.feed(b"da")
    assert parser.pending
    parser.feed(b"ta: x\n")
    assert parser.pending
    parser.feed(b"\n")
    assert not parser.pending


def test_close_discards_and_the_parser_starts_over() -> None:
    parser = SseParser()
    assert parser.feed(b"data: cut") == []
    assert parser.close() == []
    assert not parser.pending
    assert parser.feed(b"\xef\xbb\xbfdata: next\n\n") == [SseEvent("next")]


def test_json_helper() -> None:
    assert SseEvent('{"a": [1]}').json() == {"a": [1]}
    with pytest.raises(ValueError):
        SseEvent("not json").json()


def test_large_event_in_many_chunks() -> None:
    payload = "x" * 1_000_000
    raw = f"data: {payload}\n\n".encode()
    parser = SseParser()
    events = [e for i in range(0, len(raw), 4096) for e in parser.feed(raw[i : i + 4096])]
    assert events == [SseEvent(payload)]


# -- any chunking gives the same events ------------------------------------------------------
_EOL = st.sampled_from([b"\n", b"\r\n", b"\r"])
_TEXT = st.text(alphabet=st.sampled_from([*'ab :{}"é→🎉\x00', "\ufeff"]), max_size=12).map(
    str.encode
)
_LINE = st.one_of(
    st.tuples(st.sampled_from([b"data", b"event", b"id", b"retry", b"x", b""]), _TEXT).map(
        lambda p: p[0] + b":" + p[1]
    ),
    st.sampled_from([b"data", b"id", b"retry: 42", b": ping", b""]),
    _TEXT,
)
_STREAM = st.tuples(
    st.sampled_from([b"", b"\xef\xbb\xbf"]),
    st.lists(st.tuples(_LINE, _EOL).map(b"".join), max_size=30),
    st.binary(max_size=4),  # a possibly cut, possibly invalid tail
).map(lambda p: p[0] + b"".join(p[1]) + p[2])


def _split(stream: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(stream) + 1) for c in cuts})
    edges = [0, *points, len(stream)]
    return [stream[a:b] for a, b in itertools.pairwise(edges)]


def _run(chunks: list[bytes]) -> tuple[list[SseEvent], int, str, int | None]:
    parser = SseParser()
    events = [e for chunk in chunks for e in parser.feed(chunk)]
    events += parser.close()
    return events, parser.comments, parser.last_event_id, parser.retry


@settings(max_examples=400, deadline=None)
@given(stream=_STREAM, cuts=st.lists(st.integers(min_value=0), max_size=12))
def test_any_chunking_yields_the_same_events(stream: bytes, cuts: list[int]) -> None:
    assert _run(_split(stream, cuts)) == _run([stream])


@settings(max_examples=200, deadline=None)
@given(stream=st.binary(max_size=64), cuts=st.lists(st.integers(min_value=0), max_size=8))
def test_any_chunking_of_arbitrary_bytes_yields_the_same_events(
    stream: bytes, cuts: list[int]
) -> None:
    assert _run(_split(stream, cuts)) == _run([stream])


@settings(max_examples=100, deadline=None)
@given(stream=_STREAM)
def test_byte_by_byte_equals_whole(stream: bytes) -> None:
    assert _run([stream[i : i + 1] for i in range(len(stream))]) == _run([stream])


def _reference(stream: bytes) -> list[SseEvent]:
    """The spec's algorithm, literally: decode all, split lines, process each."""
    text = stream.decode("utf-8-sig", errors="replace")
    lines = re.split(r"\r\n|\r|\n", text)[:-1]  # the text after the last line end is discarded
    events, data, event_type, last_id, retry = [], "", "", "", None
    carried = None  # rtprobe's own: a data-less block's retry goes with the next event
    for line in lines:
        if line == "":
            if data:
                events.append(
                    SseEvent(
                        data.removesuffix("\n"),
                        event_type or "message",
                        last_id,
                        carried if retry is None else retry,
                    )
                )
                carried = None
            elif retry is not None:
                carried = retry
            data, event_type, retry = "", "", None
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ") if ":" in line else ""
        if name == "event":
            event_type = value
        elif name == "data":
            data += value + "\n"
        elif name == "id" and "\0" not in value:
            last_id = value
        elif name == "retry" and re.fullmatch(r"[0-9]+", value):
            retry = int(value)
    return events


@settings(max_examples=400, deadline=None)
@given(stream=_STREAM, cuts=st.lists(st.integers(min_value=0), max_size=12))
def test_matches_a_literal_reading_of_the_spec(stream: bytes, cuts: list[int]) -> None:
    assert _run(_split(stream, cuts))[0] == _reference(stream)
