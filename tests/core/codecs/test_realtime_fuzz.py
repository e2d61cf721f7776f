"""Fuzzing the realtime codec both ways: inputs and outputs round-trip, and any frame a
peer sends decodes or is refused with the documented one-line error."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from app.core.codecs import realtime
from app.core.codecs.fal_frames import MAX_REASON, FalError, FalMessage
from tests.support.fuzz import (
    Target,
    binary_frames,
    define_tests,
    msgpack_values,
    refused,
    text_frames,
)

maps = st.dictionaries(st.text(), msgpack_values(6), max_size=4)


def input_round_trip(data: dict[str, Any]) -> None:
    assert realtime.decode_input(realtime.encode_input(data)) == data


def output_round_trip(data: dict[str, Any]) -> None:
    frame = realtime.encode_output(data)
    message = realtime.decode_frame(frame)
    assert isinstance(message, realtime.Output)
    assert message.data == data and message.size == len(frame)


def server_frame(frame: bytes | str) -> None:
    """A client reading any server frame gets a typed message or a DecodeError (binary)."""
    with refused(realtime.DecodeError):
        message = realtime.decode_frame(frame)
        assert isinstance(message, realtime.Output | realtime.TextMessage | FalError | FalMessage)
        assert isinstance(frame, bytes) or not isinstance(message, realtime.Output)
        if isinstance(message, FalError):
            assert len(message.reason) <= MAX_REASON and message.error


def client_frame(frame: bytes | str | None) -> None:
    """The mock reading any client frame gets the input map or an InputError."""
    with refused(realtime.InputError):
        assert isinstance(realtime.decode_input(frame), dict)


TARGETS = [
    Target("realtime.input_round_trip", maps, input_round_trip),
    Target("realtime.output_round_trip", maps, output_round_trip),
    Target("realtime.decode_frame", binary_frames() | text_frames(), server_frame),
    Target("realtime.decode_input", st.none() | binary_frames() | text_frames(), client_frame),
]
define_tests(TARGETS, globals())
