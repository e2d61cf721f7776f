"""The signaling codec both ends share: frames in, messages out, and back, with every
hostile input turned into a one-line SignalingError."""

from __future__ import annotations

import json
import subprocess
import sys

import msgpack
import pytest

from app.core.codecs import webrtc as signaling
from app.core.codecs.webrtc import (
    SignalingError,
    decode,
    default_flavour,
    encode,
    error_text,
    is_fatal,
    parse_candidate,
    parse_ice_servers,
    sdp_candidates,
    split_error,
)

LINE = "candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host"


def one_line_error(excinfo: pytest.ExceptionInfo[BaseException]) -> str:
    text = str(excinfo.value)
    assert text and "\n" not in text
    return text


def test_both_flavours_round_trip() -> None:
    message = {"type": "offer", "sdp": "v=0\r\n", "n": 3}
    for flavour in ("json", "msgpack"):
        frame = encode(message, flavour)  # type: ignore[arg-type]
        assert isinstance(frame, str if flavour == "json" else bytes)
        decoded = decode(frame)
        assert decoded.message == message and decoded.flavour == flavour
        assert decoded.size == signaling.frame_size(frame) and decoded.tells_flavour


def test_fal_frames_never_tell_the_flavour() -> None:
    decoded = decode(json.dumps({"type": "x-fal-error", "error": "TIMEOUT", "reason": ""}))
    assert decoded.flavour == "json" and not decoded.tells_flavour
    # 4b sends them as JSON text, so a msgpack session accepts them
    assert decode('{"type": "x-fal-message", "action": "timings"}', expect="msgpack")


@pytest.mark.parametrize(
    ("frame", "expect", "says"),
    [
        ("{not json", None, "not JSON"),
        ("x" * 100_000, None, "not JSON"),
        (b"\xc1\xc1", None, "not msgpack"),
        ("[1, 2]", None, "is a list, not an object"),
        (msgpack.packb("offer"), None, "is a str, not an object"),
        ("null", None, "is a NoneType"),
        (msgpack.packb({"type": "offer"}), "json", "expected a JSON text frame"),
        ('{"type": "offer"}', "msgpack", "expected a msgpack binary frame"),
    ],
)
def test_bad_frames_are_one_line_errors(frame: str | bytes, expect: str | None, says: str) -> None:
    with pytest.raises(SignalingError) as excinfo:
        decode(frame, expect)  # type: ignore[arg-type]
    text = one_line_error(excinfo)
    assert says in text and len(text) < 200  # a huge frame is quoted, not copied


def test_unencodable_messages_are_signaling_errors() -> None:
    with pytest.raises(SignalingError, match="as json"):
        encode({"type": "x", "v": object()}, "json")
    with pytest.raises(SignalingError, match="as msgpack"):
        encode({"type": "x", "v": 2**70}, "msgpack")


def test_default_flavour_follows_the_path() -> None:
    assert default_flavour("/mock/yolo/realtime") == "msgpack"
    assert default_flavour("/mock/yolo/realtime/") == "msgpack"
    assert default_flavour("/mock/yolo/ws") == "json"


def test_parse_candidate_forms() -> None:
    candidate = parse_candidate({"candidate": LINE, "sdpMid": "0", "sdpMLineIndex": 0})
    assert candidate is not None
    assert (candidate.ip, candidate.port, candidate.sdpMid, candidate.sdpMLineIndex) == (
        "127.0.0.1",
        50000,
        "0",
        0,
    )
    bare = parse_candidate("a=" + LINE)
    assert bare is not None and bare.sdpMid is None
    for end in (None, "", {"candidate": ""}, {"candidate": None, "sdpMid": "0"}):
        assert parse_candidate(end) is None


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("candidate:garbage", "malformed candidate"),
        ("candidate:" + "9" * 10_000, "malformed candidate"),
        ({"candidate": "1 1 udp x 127.0.0.1 9 typ host"}, "icecandidate:"),
        ({"candidate": "1 1 udp 1 127.0.0.1 99999999999999999999 typ host"}, "out of range"),
        ({"candidate": 5}, "candidate must be a string, got int"),
        (7, "candidate must be a string, got int"),
        ({"candidate": LINE, "sdpMid": 0}, "sdpMid must be a string"),
        ({"candidate": LINE, "sdpMLineIndex": "0"}, "sdpMLineIndex must be an integer"),
        ({"candidate": LINE, "sdpMLineIndex": True}, "sdpMLineIndex must be an integer"),
    ],
)
def test_parse_candidate_rejects(raw: object, says: str) -> None:
    with pytest.raises(SignalingError) as excinfo:
        parse_candidate(raw)
    text = one_line_error(excinfo)
    assert says in text and len(text) < 300


def test_sdp_candidates_in_the_browser_form() -> None:
    sdp = "\r\n".join(
        [
            "v=0",
            "m=audio 9 UDP/TLS/RTP/SAVPF 0",
            "a=mid:a",
            "a=" + LINE,
            "m=video 9 UDP/TLS/RTP/SAVPF 96",
            "a=mid:v",
            "a=" + LINE.replace("50000", "50001"),
        ]
    )
    found = list(sdp_candidates(sdp))
    assert [(c["sdpMid"], c["sdpMLineIndex"]) for c in found] == [("a", 0), ("v", 1)]
    assert all(parse_candidate(c) is not None for c in found)
    assert list(sdp_candidates("v=0\r\n")) == []


def test_parse_ice_servers_skips_what_it_cannot_use() -> None:
    servers = parse_ice_servers(
        [
            {"urls": "stun:example.org"},
            {"urls": ["turn:a", "turn:b"], "username": "u", "credential": 5},
            5,
            {},
            {"urls": []},
            {"urls": ["stun:x", 3]},
        ]
    )
    assert [s.urls for s in servers] == [["stun:example.org"], ["turn:a", "turn:b"]]
    assert servers[1].username == "u" and servers[1].credential is None
    assert parse_ice_servers(None) == [] and parse_ice_servers("stun:x") == []


def test_error_text_and_split_error_are_inverse() -> None:
    text = error_text("offer_failed", ValueError("bad\nsdp"))
    assert text == "offer_failed:ValueError:bad sdp"
    assert split_error(text) == ("offer_failed", "ValueError: bad sdp")
    assert error_text("bad_message", "unknown type 'x'", "KeyError") == (
        "bad_message:KeyError:unknown type 'x'"
    )
    assert (
        error_text("offer_failed", AssertionError())
        == "offer_failed:AssertionError:AssertionError()"
    )
    assert split_error("weird") == ("error", "weird")
    assert split_error(None) == ("error", "None")


def test_fatal_phases() -> None:
    assert all(is_fatal(p) for p in ("offer_failed", "ice_failed", "frame_failed", "error"))
    assert not is_fatal("bad_message")


def test_the_codec_and_the_mock_s_websocket_paths_load_no_aiortc() -> None:
    """aiortc is heavy: the codec imports it only to build a candidate or ICE server."""
    code = (
        "import sys, app.core.codecs.webrtc, server_mock.app, server_mock.ws; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('aiortc', 'av')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
