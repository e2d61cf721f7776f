"""WebRTC signaling messages, both flavours, both ends: the client and the mock share it.

A signaling socket carries one message per frame: JSON objects in text frames (4a, an
app's own `is_websocket=True` endpoint) or msgpack maps in binary frames (4b, over the
realtime protocol, whose `x-fal-*` frames stay JSON text and so never tell the flavour).
The client offers; the server answers. Besides `offer`/`answer`:

- `icecandidate`: `{candidate, sdpMid, sdpMLineIndex}` (the browser form) or a bare
  candidate line; a null or empty candidate ends the candidates (`parse_candidate`);
- `iceservers`: STUN/TURN entries the app offers (`parse_ice_servers`);
- `error`: `"<phase>:<ExceptionClass>:<message>"` on one line (`error_text` builds it,
  `split_error` reads it); `offer_failed`, `ice_failed` and `frame_failed` end the
  session, `bad_message` reports a message the server could not use and goes on.

Pure (no sockets, no peer connection): frames in, maps out, and back. The candidate and
ICE server types are aiortc's value classes, which both ends hand to aiortc anyway;
aiortc is imported only when one is built, so the mock's plain WebSocket paths and the
JSON/msgpack codec stay light.
Every failure is a `SignalingError` (a ValueError) with a one-line reason.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import msgpack

from app.core.codecs.fal_frames import is_fal_frame
from app.core.text import one_line

if TYPE_CHECKING:  # aiortc is heavy: loaded by the two functions that build its types
    from aiortc import RTCIceCandidate, RTCIceServer

Flavour = Literal["json", "msgpack"]
FLAVOUR_NAMES: dict[Flavour, str] = {"json": "4a-json", "msgpack": "4b-msgpack"}
FATAL_PHASES = ("offer_failed", "ice_failed", "frame_failed")
BAD_MESSAGE = "bad_message"
MAX_QUOTED = 80  # characters of a bad frame quoted in an error
MAX_PORT = 65535
MIN_CANDIDATE_FIELDS = 8  # foundation component transport priority ip port "typ" type


class SignalingError(ValueError):
    """A frame or field that is not valid signaling; the message is one line."""


@dataclass(frozen=True, slots=True)
class SignalingFrame:
    """One decoded frame: the message, its size on the wire and the flavour it came in."""

    message: dict[str, Any]
    size: int
    flavour: Flavour

    @property
    def tells_flavour(self) -> bool:
        """False for fal's own frames, which are JSON text in both flavours."""
        return not is_fal_frame(self.message)


def decode(
    frame: str | bytes | bytearray | memoryview, expect: Flavour | None = None
) -> SignalingFrame:
    """A frame as a message map; `expect` refuses the other flavour (fal frames aside).

    Raises SignalingError for text that is not JSON, binary that is not msgpack, a value
    that is not a map, or a frame of the wrong flavour.
    """
    if isinstance(frame, str):
        try:
            value = json.loads(frame)
        except (ValueError, RecursionError):  # RecursionError: nested too deeply to parse
            raise SignalingError(
                f"signaling text frame is not JSON: {frame[:MAX_QUOTED]!r}"
            ) from None
        flavour: Flavour = "json"
        size = len(frame.encode())
    else:
        raw = bytes(frame)
        if expect == "json":
            raise SignalingError("expected a JSON text frame, got a binary frame")
        try:
            value = msgpack.unpackb(raw, raw=False)
        except Exception as exc:  # msgpack raises several unrelated types
            raise SignalingError(
                f"signaling binary frame is not msgpack: {one_line(exc)}"
            ) from None
        flavour, size = "msgpack", len(raw)
    if not isinstance(value, dict):
        raise SignalingError(f"signaling message is a {type(value).__name__}, not an object")
    if expect == "msgpack" and flavour == "json" and not is_fal_frame(value):
        raise SignalingError("expected a msgpack binary frame, got a text frame")
    return SignalingFrame(value, size, flavour)


def encode(message: dict[str, Any], flavour: Flavour) -> str | bytes:
    """A message as one frame of `flavour`; raises SignalingError for unencodable values."""
    try:
        if flavour == "json":
            return json.dumps(message)
        return msgpack.packb(message, use_bin_type=True)
    except (TypeError, ValueError, OverflowError) as exc:
        raise SignalingError(
            f"signaling message cannot be sent as {flavour}: {one_line(exc)}"
        ) from None


def flavour_name(flavour: Flavour | None) -> str:
    """How reports name a flavour: "4a-json", "4b-msgpack", or "?" before it is known."""
    return FLAVOUR_NAMES[flavour] if flavour else "?"


def frame_size(frame: str | bytes) -> int:
    return len(frame.encode()) if isinstance(frame, str) else len(frame)


def default_flavour(path: str) -> Flavour:
    """Before the first frame says otherwise: msgpack on a `/realtime` path, else JSON."""
    return "msgpack" if path.rstrip("/").endswith("/realtime") else "json"


# --------------------------------------------------------------------------- ICE


def parse_candidate(raw: object) -> RTCIceCandidate | None:
    """An `icecandidate` message's `candidate` as aiortc's type; None = end of candidates.

    Accepts `{candidate, sdpMid, sdpMLineIndex}` (browser form) or a bare string; the
    string may start with `candidate:` or `a=candidate:`. Raises SignalingError.
    """
    mid: object = None
    index: object = None
    text: object = raw
    if isinstance(raw, dict):
        text, mid, index = raw.get("candidate"), raw.get("sdpMid"), raw.get("sdpMLineIndex")
    if text is None or text == "":
        return None
    if not isinstance(text, str):
        raise SignalingError(f"icecandidate: candidate must be a string, got {type(text).__name__}")
    if mid is not None and not isinstance(mid, str):
        raise SignalingError(f"icecandidate: sdpMid must be a string, got {type(mid).__name__}")
    if index is not None and (not isinstance(index, int) or isinstance(index, bool)):
        raise SignalingError(
            f"icecandidate: sdpMLineIndex must be an integer, got {type(index).__name__}"
        )
    from aiortc.sdp import candidate_from_sdp

    body = text.strip().removeprefix("a=").removeprefix("candidate:")
    if len(body.split()) < MIN_CANDIDATE_FIELDS:
        raise SignalingError(f"icecandidate: malformed candidate {text[:MAX_QUOTED]!r}")
    try:
        candidate = candidate_from_sdp(body)
    except Exception as exc:  # aiortc's parser raises whatever the bad field triggers
        raise SignalingError(f"icecandidate: {one_line(exc)} in {text[:MAX_QUOTED]!r}") from None
    if not 0 <= candidate.port <= MAX_PORT:
        raise SignalingError(f"icecandidate: port {candidate.port} out of range 0..{MAX_PORT}")
    candidate.sdpMid = mid
    candidate.sdpMLineIndex = index
    return candidate


def sdp_candidates(sdp: str) -> Iterator[dict[str, Any]]:
    """The `candidate` payloads of an SDP's `a=candidate:` lines, in the browser form,
    for trickling them as `icecandidate` messages (the end-of-candidates is the caller's)."""
    mid: str | None = None
    index = -1
    for line in sdp.splitlines():
        if line.startswith("m="):
            index += 1
            mid = None
        elif line.startswith("a=mid:"):
            mid = line[6:].strip()
        elif line.startswith("a=candidate:"):
            yield {"candidate": line[2:], "sdpMid": mid, "sdpMLineIndex": max(0, index)}


def parse_ice_servers(raw: object) -> list[RTCIceServer]:
    """`iceservers` entries as RTCIceServer; malformed entries are skipped."""
    from aiortc import RTCIceServer

    servers: list[RTCIceServer] = []
    if not isinstance(raw, list):
        return servers
    for entry in raw:
        if not isinstance(entry, dict):
            continue
        urls = entry.get("urls")
        if isinstance(urls, str):
            urls = [urls]
        if not isinstance(urls, list) or not urls or not all(isinstance(u, str) for u in urls):
            continue
        username, credential = entry.get("username"), entry.get("credential")
        servers.append(
            RTCIceServer(
                urls=urls,
                username=username if isinstance(username, str) else None,
                credential=credential if isinstance(credential, str) else None,
            )
        )
    return servers


# --------------------------------------------------------------------------- errors


def error_text(phase: str, exc: BaseException | str, exc_type: str | None = None) -> str:
    """`"<phase>:<ExceptionClass>:<message>"` on one line, as an `error` message carries.

    With a string, `exc_type` names the class (ValueError by default).
    """
    if isinstance(exc, BaseException):
        name = exc_type or type(exc).__name__
        text = one_line(str(exc)) or repr(exc)
    else:
        name, text = exc_type or "ValueError", one_line(exc)
    return f"{phase}:{name}:{text}"


def split_error(text: object) -> tuple[str, str]:
    """`"<phase>:<ExceptionClass>:<message>"` -> (phase, "ExceptionClass: message")."""
    parts = str(text).split(":", 2)
    if len(parts) == 3:
        return one_line(parts[0]), f"{one_line(parts[1])}: {one_line(parts[2])}"
    return "error", one_line(str(text))


def is_fatal(phase: str) -> bool:
    """Whether an `error` of this phase ends the session (an unknown phase does)."""
    return phase in FATAL_PHASES or phase == "error"


__all__ = [
    "BAD_MESSAGE",
    "FATAL_PHASES",
    "FLAVOUR_NAMES",
    "Flavour",
    "SignalingError",
    "SignalingFrame",
    "decode",
    "default_flavour",
    "encode",
    "error_text",
    "flavour_name",
    "frame_size",
    "is_fatal",
    "parse_candidate",
    "parse_ice_servers",
    "sdp_candidates",
    "split_error",
]
