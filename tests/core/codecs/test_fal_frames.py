"""fal's `x-fal-error` / `x-fal-message` frames: what the mock builds, the clients parse."""

from __future__ import annotations

import json

import pytest

from app.core.codecs import fal_frames
from app.core.codecs.fal_frames import (
    FalError,
    FalMessage,
    error_frame,
    message_frame,
    parse,
    parse_text,
    timings_frame,
)


def test_built_frames_parse_back() -> None:
    text = error_frame("TIMEOUT", "no inputs")
    err = parse_text(text)
    assert err == FalError("TIMEOUT", "no inputs", len(text.encode())) and err.is_timeout
    msg = parse_text(timings_frame(0.1234567))
    assert isinstance(msg, FalMessage) and msg.action == "timings"
    assert msg.payload["timing"] == 0.123457
    custom = parse_text(message_frame("note", n=3))
    assert isinstance(custom, FalMessage) and custom.payload["n"] == 3


@pytest.mark.parametrize(
    "value",
    [None, 5, "x-fal-error", [], {"type": "output"}, {"type": None}, {"error": "TIMEOUT"}],
)
def test_other_values_are_not_fal_frames(value: object) -> None:
    assert parse(value) is None
    assert not fal_frames.is_fal_frame(value)


@pytest.mark.parametrize("text", ["", "x-fal-error", '{"type": "x-fal-error"', "[1]", '"x"'])
def test_text_that_is_not_a_fal_frame(text: str) -> None:
    assert parse_text(text) is None


def test_hostile_fields_are_read_leniently_and_bounded() -> None:
    assert parse({"type": "x-fal-error"}) == FalError("UNKNOWN_ERROR", "", 0)
    assert parse({"type": "x-fal-error", "error": 5, "reason": None}) == FalError("5", "", 0)
    huge = parse({"type": "x-fal-error", "error": "E", "reason": "r" * 10_000_000})
    assert isinstance(huge, FalError) and len(huge.reason) == fal_frames.MAX_REASON
    weird = parse({"type": "x-fal-message", "action": ["a"]})
    assert isinstance(weird, FalMessage) and weird.action == "['a']"
    assert parse({"type": "x-fal-message"}) == FalMessage("", {"type": "x-fal-message"}, 0)


def test_error_frame_is_json_with_the_three_fields() -> None:
    assert json.loads(error_frame("INTERNAL_ERROR", "boom\nagain")) == {
        "type": "x-fal-error",
        "error": "INTERNAL_ERROR",
        "reason": "boom\nagain",
    }
