"""Fuzzing what users type: payloads, headers and video sizes parse or are refused with
one TargetError line, never another exception."""

from __future__ import annotations

import json

from hypothesis import strategies as st

from app.core import inputs
from app.core.errors import TargetError
from tests.support.fuzz import Target, deep_nesting, define_tests, json_values, refused


def payload(args: tuple[str, str]) -> None:
    text, fmt = args
    with refused(TargetError):
        inputs.parse_payload(text, fmt)


def payload_round_trip(value: object) -> None:
    assert inputs.parse_payload(json.dumps(value), "json") == value


def headers(text: str) -> None:
    with refused(TargetError):
        for name, value in inputs.parse_header_text(text).items():
            assert name and name == name.strip() and value == value.strip()


def size(text: str) -> None:
    with refused(TargetError):
        w, h = inputs.parse_size(text)
        assert 16 <= w <= 4096 and 16 <= h <= 4096 and not (w % 2 or h % 2)


NUMBER = st.text(st.sampled_from("0123456789²٣ \n"), min_size=1, max_size=5)
DIGITS = st.tuples(NUMBER, st.sampled_from(["x", "X", "*"]), NUMBER).map("".join)
TARGETS = [
    Target(
        "inputs.parse_payload",
        st.tuples(st.text() | deep_nesting(), st.sampled_from(["json", "msgpack", "text"])),
        payload,
    ),
    Target("inputs.payload_round_trip", json_values(), payload_round_trip),
    Target(
        "inputs.parse_header_text", st.text(st.sampled_from("ab :;\n\r\t"), max_size=30), headers
    ),
    Target("inputs.parse_size", DIGITS | st.text(max_size=12), size),
]
define_tests(TARGETS, globals())
