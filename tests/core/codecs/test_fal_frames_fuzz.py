"""Fuzzing fal's own text frames: `parse`/`parse_text` never raise on any value or text,
keep reasons bounded, and the frames the mock builds read back as built."""

from __future__ import annotations

import json

from hypothesis import strategies as st

from app.core.codecs import fal_frames
from tests.support.fuzz import Target, define_tests, json_values, refused, text_frames


def parse_any_text(text: str) -> None:
    with refused():
        frame = fal_frames.parse_text(text)
        assert frame is None or isinstance(frame, fal_frames.FalError | fal_frames.FalMessage)
        if isinstance(frame, fal_frames.FalError):
            assert frame.error and len(frame.error) <= fal_frames.MAX_REASON
            assert len(frame.reason) <= fal_frames.MAX_REASON


def parse_any_value(value: object) -> None:
    with refused():
        frame = fal_frames.parse(value)
        if frame is not None:
            assert fal_frames.is_fal_frame(value)


def error_round_trip(args: tuple[str, str]) -> None:
    code, reason = args
    frame = fal_frames.parse_text(fal_frames.error_frame(code, reason))
    assert isinstance(frame, fal_frames.FalError)
    assert frame.error == (code[: fal_frames.MAX_REASON] or fal_frames.UNKNOWN_ERROR)
    assert frame.reason == reason[: fal_frames.MAX_REASON]


def message_round_trip(args: tuple[str, dict[str, object]]) -> None:
    action, fields = args
    fields = {k: v for k, v in fields.items() if k not in ("type", "action")}
    frame = fal_frames.parse_text(fal_frames.message_frame(action, **fields))
    assert isinstance(frame, fal_frames.FalMessage)
    assert frame.action == action
    assert json.loads(json.dumps(fields)) == {
        k: v for k, v in frame.payload.items() if k not in ("type", "action")
    }


values = json_values() | st.dictionaries(
    st.sampled_from(["type", "error", "reason", "action"]),
    st.sampled_from([fal_frames.ERROR, fal_frames.MESSAGE]) | json_values(5),
)
TARGETS = [
    Target("fal_frames.parse_text", text_frames(), parse_any_text),
    Target("fal_frames.parse", values, parse_any_value),
    Target("fal_frames.error_round_trip", st.tuples(st.text(), st.text()), error_round_trip),
    Target(
        "fal_frames.message_round_trip",
        st.tuples(st.text(), st.dictionaries(st.text(), json_values(5), max_size=4)),
        message_round_trip,
    ),
]
define_tests(TARGETS, globals())
