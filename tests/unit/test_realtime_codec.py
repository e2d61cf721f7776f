"""The client-side realtime codec: bytes in, typed messages out."""

from __future__ import annotations

import json

import msgpack
import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core.codecs.realtime import (
    DecodeError,
    FalError,
    FalMessage,
    Output,
    TextMessage,
    decode_frame,
    encode_input,
)

values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.text()
    | st.binary()
    | st.floats(allow_nan=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(st.dictionaries(st.text(), values, max_size=6))
def test_round_trip_preserves_maps_and_bytes(data: dict) -> None:
    frame = encode_input(data)
    assert decode_frame(frame) == Output(data, len(frame))


def test_error_and_message_frames_are_typed() -> None:
    err = decode_frame(json.dumps({"type": "x-fal-error", "error": "TIMEOUT", "reason": "idle"}))
    assert isinstance(err, FalError) and err.is_timeout and err.reason == "idle"
    msg = decode_frame('{"type": "x-fal-message", "action": "timings", "timing": 0.5}')
    assert isinstance(msg, FalMessage) and msg.action == "timings" and msg.payload["timing"] == 0.5


def test_other_text_frames() -> None:
    assert decode_frame("hi") == TextMessage({"type": "text", "payload": "hi"}, 2)
    assert decode_frame('{"a": 1}') == TextMessage({"a": 1}, 8)
    assert decode_frame("[1]") == TextMessage({"type": "text", "payload": [1]}, 3)


@pytest.mark.parametrize("frame", [b"\xc1", msgpack.packb([1, 2]), b""])
def test_bad_binary_frames_raise_decode_error(frame: bytes) -> None:
    with pytest.raises(DecodeError):
        decode_frame(frame)
