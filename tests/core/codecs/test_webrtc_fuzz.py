"""Fuzzing WebRTC signaling: messages round-trip in both flavours, any frame decodes or
is a one-line SignalingError, and any candidate parses, ends the candidates or is refused."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from app.core.codecs import webrtc
from tests.support.fuzz import (
    Target,
    binary_frames,
    define_tests,
    json_values,
    msgpack_values,
    refused,
    text_frames,
)

FLAVOURS = st.sampled_from(["json", "msgpack"])
EXPECT = st.none() | FLAVOURS


def round_trip(args: tuple[dict[str, Any], str]) -> None:
    message, flavour = args
    frame = webrtc.encode(message, flavour)  # type: ignore[arg-type]  # drawn from the two
    got = webrtc.decode(frame, flavour)  # type: ignore[arg-type]
    assert got.message == message and got.flavour == flavour
    assert got.size == webrtc.frame_size(frame)


def any_frame(args: tuple[str | bytes, str | None]) -> None:
    frame, expect = args
    with refused(webrtc.SignalingError):
        got = webrtc.decode(frame, expect)  # type: ignore[arg-type]
        assert isinstance(got.message, dict)


# candidate lines: plausible tokens in plausible places, so the parser's every field is hit
TOKENS = st.sampled_from(
    ["1", "0", "2", "udp", "UDP", "tcp", "2130706431", "-1", "127.0.0.1", "::1", "x", "typ",
     "host", "srflx", "relay", "raddr", "rport", "tcptype", "active", "99999", "65536", "é"]
)  # fmt: skip
CANDIDATE_TEXT = st.one_of(
    st.text(max_size=120),
    st.lists(TOKENS | st.text(max_size=6), min_size=0, max_size=14).map(" ".join),
    st.lists(TOKENS, min_size=6, max_size=14).map(lambda t: st_prefix(" ".join(t))),
)


def st_prefix(body: str) -> str:
    return "candidate:" + body


CANDIDATES = st.one_of(
    json_values(6),
    CANDIDATE_TEXT,
    st.fixed_dictionaries(
        {},
        optional={
            "candidate": CANDIDATE_TEXT | json_values(3),
            "sdpMid": st.none() | st.text(max_size=4) | st.integers(),
            "sdpMLineIndex": st.none() | st.integers() | st.booleans() | st.text(max_size=3),
        },
    ),
)


def any_candidate(raw: object) -> None:
    with refused(webrtc.SignalingError):
        candidate = webrtc.parse_candidate(raw)
        if candidate is not None:
            assert 0 <= candidate.port <= webrtc.MAX_PORT


def candidate_round_trip(args: tuple[int, int, int, str, str]) -> None:
    """A well-formed candidate line reads back field by field."""
    component, priority, port, ip, kind = args
    line = f"candidate:1 {component} udp {priority} {ip} {port} typ {kind}"
    candidate = webrtc.parse_candidate({"candidate": line, "sdpMid": "0", "sdpMLineIndex": 0})
    assert candidate is not None
    assert (candidate.component, candidate.priority, candidate.port) == (component, priority, port)
    assert (candidate.ip, candidate.type, candidate.sdpMid) == (ip, kind, "0")


def error_round_trip(args: tuple[str, str]) -> None:
    phase, message = args
    text = webrtc.error_text(phase, message)
    assert "\n" not in text
    got_phase, got_message = webrtc.split_error(text)
    assert got_phase == phase
    assert got_message == "ValueError: " + " ".join(message.split())


def any_error(value: object) -> None:
    with refused():
        phase, message = webrtc.split_error(value)
        assert "\n" not in phase and "\n" not in message


def any_ice_servers(raw: object) -> None:
    with refused():
        for server in webrtc.parse_ice_servers(raw):
            assert server.urls


def any_sdp(sdp: str) -> None:
    with refused():
        for c in webrtc.sdp_candidates(sdp):
            assert c["candidate"].startswith("candidate:") and c["sdpMLineIndex"] >= 0


SDP_LINES = st.sampled_from(
    ["m=video 9", "a=mid:0", "a=mid:", "a=candidate:1 1 udp 1 ::1 9 typ host"]
)
ICE = st.lists(
    st.fixed_dictionaries(
        {},
        optional={
            "urls": st.text(max_size=8) | st.lists(st.text(max_size=8) | st.integers(), max_size=3),
            "username": json_values(2),
            "credential": json_values(2),
        },
    )
    | json_values(3),
    max_size=4,
)
TARGETS = [
    Target(
        "webrtc.round_trip",
        st.tuples(st.dictionaries(st.text(), msgpack_values(6), max_size=4), st.just("msgpack"))
        | st.tuples(st.dictionaries(st.text(), json_values(6), max_size=4), st.just("json")),
        round_trip,
    ),
    Target("webrtc.decode", st.tuples(text_frames() | binary_frames(), EXPECT), any_frame),
    Target("webrtc.parse_candidate", CANDIDATES, any_candidate),
    Target(
        "webrtc.candidate_round_trip",
        st.tuples(
            st.integers(1, 2),
            st.integers(0, 2**32 - 1),
            st.integers(0, 65535),
            st.sampled_from(["127.0.0.1", "10.0.0.7", "::1", "fe80::1"]),
            st.sampled_from(["host", "srflx", "relay", "prflx"]),
        ),
        candidate_round_trip,
    ),
    Target(
        "webrtc.error_round_trip",
        st.tuples(st.from_regex(r"[a-z_]{1,20}", fullmatch=True), st.text()),
        error_round_trip,
    ),
    Target("webrtc.split_error", json_values(5) | st.text(st.sampled_from(":\n\r a")), any_error),
    Target("webrtc.parse_ice_servers", ICE | json_values(5), any_ice_servers),
    Target(
        "webrtc.sdp_candidates",
        st.lists(SDP_LINES | st.text(max_size=20), max_size=12).map("\r\n".join),
        any_sdp,
    ),
]
define_tests(TARGETS, globals())
