"""fal's own text frames: `x-fal-error` and `x-fal-message`, parsed and built in one place.

fal's gateway speaks them beside every app's messages: on realtime sessions, on raw
WebSocket apps and on WebRTC signaling sockets alike, always as JSON text frames.
`x-fal-error` ends the session (`TIMEOUT` is the normal end of a stream or an idle
session); `x-fal-message` carries gateway notes such as duration-billing `timings`.
Pure: the clients parse with `parse`, the mock builds with `error_frame` and
`message_frame`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

ERROR = "x-fal-error"
MESSAGE = "x-fal-message"
TIMEOUT = "TIMEOUT"
UNKNOWN_ERROR = "UNKNOWN_ERROR"
MAX_REASON = 2000  # characters of a reason kept: a hostile server may send megabytes


@dataclass(frozen=True)
class FalError:
    """An `x-fal-error` frame. TIMEOUT also ends every normal streaming session."""

    error: str
    reason: str
    size: int

    @property
    def is_timeout(self) -> bool:
        return self.error == TIMEOUT


@dataclass(frozen=True)
class FalMessage:
    """An `x-fal-message` frame, e.g. duration-billing timings; `payload` is the whole map."""

    action: str
    payload: dict[str, Any] = field(default_factory=dict)
    size: int = 0


def is_fal_frame(value: object) -> bool:
    """True for a decoded map whose type is one of fal's own (they never tell apart an
    app's flavour of messages: 4b signaling sends them as JSON text too)."""
    return isinstance(value, Mapping) and value.get("type") in (ERROR, MESSAGE)


def parse(value: object, size: int = 0) -> FalError | FalMessage | None:
    """A decoded JSON value as a fal frame, or None when it is not one.

    Lenient like fal-client: a missing code reads as UNKNOWN_ERROR, a missing reason as
    "", other types as their text, and an overlong reason is cut to MAX_REASON characters.
    """
    if not isinstance(value, Mapping):
        return None
    kind = value.get("type")
    if kind == ERROR:
        code = value.get("error")
        reason = value.get("reason")
        return FalError(
            UNKNOWN_ERROR if code is None or code == "" else str(code)[:MAX_REASON],
            str(reason or "")[:MAX_REASON],
            size,
        )
    if kind == MESSAGE:
        action = value.get("action")
        return FalMessage("" if action is None else str(action), dict(value), size)
    return None


def parse_text(text: str) -> FalError | FalMessage | None:
    """A text frame as a fal frame, or None (not JSON, or another message)."""
    if ERROR not in text and MESSAGE not in text:
        return None  # the common case costs one substring search, not a JSON parse
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: nested too deeply to parse
        return None
    return parse(value, len(text.encode()))


def error_frame(code: str, reason: str) -> str:
    """The JSON text of an `x-fal-error` frame."""
    return json.dumps({"type": ERROR, "error": code, "reason": reason})


def message_frame(action: str, **fields: Any) -> str:
    """The JSON text of an `x-fal-message` frame, e.g. `message_frame("timings", timing=0.5)`."""
    return json.dumps({"type": MESSAGE, "action": action, **fields})


def timings_frame(seconds: float) -> str:
    """fal's duration-billing note: seconds of session time since the previous one."""
    return message_frame("timings", timing=round(seconds, 6))
