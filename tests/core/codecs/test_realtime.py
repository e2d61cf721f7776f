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
    InputError,
    Output,
    TextMessage,
    decode_frame,
    decode_input,
    encode_input,
    encode_output,
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


# -- the server side, as the mock uses it ------------------------------------------------


def test_inputs_and_outputs_round_trip_between_the_two_sides() -> None:
    assert decode_input(encode_input({"prompt": "hi", "n": 1})) == {"prompt": "hi", "n": 1}
    assert decode_input(bytearray(encode_input({}))) == {}
    out = decode_frame(encode_output({"image": b"\x00" * 10}))
    assert isinstance(out, Output) and out.data == {"image": b"\x00" * 10}


@pytest.mark.parametrize(
    ("frame", "says"),
    [
        (None, "expected a binary msgpack frame, got a text frame"),
        ("a text frame", "expected a binary msgpack frame, got a text frame"),
        (b"\xc1\xc1\xc1", "invalid msgpack"),
        (b"", "invalid msgpack"),
        (msgpack.packb([1, 2, 3]), "expected a msgpack map, got list"),
        (msgpack.packb("x" * 1_000_000), "expected a msgpack map, got str"),
    ],
)
def test_bad_inputs_are_one_line_input_errors(frame: object, says: str) -> None:
    with pytest.raises(InputError) as excinfo:
        decode_input(frame)  # type: ignore[arg-type]
    assert str(excinfo.value).startswith(says) and "\n" not in str(excinfo.value)
    assert len(str(excinfo.value)) < 200
