"""Fuzzing session files: any text, and any JSON shaped like a session file, opens or
is refused with one SessionFileError line; what opens saves and reopens unchanged."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

from app.core import sessionfile
from app.core.faultschema import fault_names
from tests.support.fuzz import Target, deep_nesting, define_tests, json_values, refused

CONNECTION_KEYS = [
    "name", "transport", "target", "payload", "payload_format", "max_buffering", "headers",
    "redacted_headers", "rate", "count", "duration", "concurrency", "timeout", "use_jwt",
    "auth_source", "video_source", "video_size", "video_fps", "data_channel",
]  # fmt: skip
PLAUSIBLE = st.one_of(
    json_values(4),
    st.sampled_from(["realtime", "ws", "sse", "webrtc", "json", "msgpack", "env", "none"]),
    st.integers(min_value=-2, max_value=2**70),
    st.floats(allow_nan=False),
    st.dictionaries(st.text(max_size=12), st.text(max_size=8) | json_values(2), max_size=3),
    st.lists(st.text(max_size=12), max_size=3),
)
CONNECTION = st.dictionaries(st.sampled_from(CONNECTION_KEYS) | st.text(max_size=5), PLAUSIBLE)
MOCK = st.dictionaries(
    st.sampled_from(["enabled", "port", "timings", "faults"]),
    PLAUSIBLE | st.dictionaries(st.sampled_from(fault_names()) | st.text(max_size=5), PLAUSIBLE),
)
DOCS = st.fixed_dictionaries(
    {sessionfile.VERSION_FIELD: st.sampled_from([1, 0, 2, "1", None, True, 1.0])},
    optional={
        "connections": st.lists(CONNECTION, max_size=3) | json_values(3),
        "mock": MOCK | json_values(3),
        "settings": st.dictionaries(st.text(max_size=5), json_values(4), max_size=3)
        | json_values(3),
    },
)
TEXTS = st.one_of(st.text(), json_values().map(json.dumps), deep_nesting(), DOCS.map(json.dumps))


def opens_or_refused(text: str) -> None:
    """Any file text: a Session, or a one-line SessionFileError; a Session saves and
    reopens as itself (after one save, redaction aside)."""
    with refused(sessionfile.SessionFileError):
        first = sessionfile.loads(text, "fuzz.json")
        again = sessionfile.loads(sessionfile.dumps(first), "fuzz.json")
        assert sessionfile.loads(sessionfile.dumps(again), "fuzz.json") == again


def round_trip(doc: dict[str, Any]) -> None:
    opens_or_refused(json.dumps(doc))


TARGETS = [
    Target("sessionfile.loads", TEXTS, opens_or_refused),
    Target("sessionfile.documents", DOCS, round_trip),
]
define_tests(TARGETS, globals())
