"""Fuzzing the raw WebSocket payload codec: JSON and msgpack payloads round-trip with
their `seq`, anything else is a PayloadError, and any frame decodes without raising."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import strategies as st

from app.core.codecs import ws
from tests.support.fuzz import (
    Target,
    binary_frames,
    define_tests,
    json_values,
    msgpack_values,
    refused,
    text_frames,
)

SEQ_FIELDS = st.none() | st.sampled_from(["seq", "_seq", "id"])
SEQS = st.integers(min_value=0, max_value=2**53)


def tagged(payload: Any, seq: int, seq_field: str | None) -> Any:
    return {**payload, seq_field: seq} if isinstance(payload, dict) and seq_field else payload


def json_round_trip(args: tuple[Any, int, str | None]) -> None:
    payload, seq, field = args
    frame = ws.encode_payload(payload, "json", seq, field)
    assert isinstance(frame, str)
    assert ws.decode_payload(frame) == ("text", tagged(payload, seq, field))
    assert ws.frame_size(frame) == len(frame.encode())


def msgpack_round_trip(args: tuple[Any, int, str | None]) -> None:
    payload, seq, field = args
    frame = ws.encode_payload(payload, "msgpack", seq, field)
    assert isinstance(frame, bytes)
    assert ws.decode_payload(frame) == ("binary", tagged(payload, seq, field))


def any_payload(args: tuple[Any, str, int, str | None]) -> None:
    """Any value in any format: a frame of the right kind, or a one-line PayloadError."""
    payload, fmt, seq, field = args
    with refused(ws.PayloadError):
        frame = ws.encode_payload(payload, fmt, seq, field)  # type: ignore[arg-type]  # any format, on purpose
        assert isinstance(frame, str if fmt in ("json", "text") else bytes)


def any_frame(frame: str | bytes) -> None:
    with refused():
        kind, _ = ws.decode_payload(frame)
        assert kind == ("text" if isinstance(frame, str) else "binary")


odd_values = st.one_of(
    json_values(8),
    msgpack_values(8),
    st.sets(st.integers(), max_size=3),
    st.just(math.nan),
    st.just(object()),
    st.integers(min_value=2**64, max_value=2**70),
)
TARGETS = [
    Target("ws.json_round_trip", st.tuples(json_values(10), SEQS, SEQ_FIELDS), json_round_trip),
    Target(
        "ws.msgpack_round_trip", st.tuples(msgpack_values(10), SEQS, SEQ_FIELDS), msgpack_round_trip
    ),
    Target(
        "ws.encode_payload",
        st.tuples(odd_values, st.sampled_from([*ws.PAYLOAD_FORMATS, "xml"]), SEQS, SEQ_FIELDS),
        any_payload,
    ),
    Target("ws.decode_payload", text_frames() | binary_frames(), any_frame),
]
define_tests(TARGETS, globals())
