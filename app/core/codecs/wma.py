"""fal's `wma` WebRTC flavour (docs/protocols.md, 4c): the messages, pure.

Two ways to start a session, both with one complete (non-trickle) SDP offer:

- `POST {app}/start-session` with `{sdp, type: "offer", session_id?, ice_servers?,
  ice_status?, credential_age_seconds?}`; the answer is an SSE stream whose first event is
  `{"type": "answer", "sdp": …, "session_id": …}`, then `: keepalive` comments and
  `event: connection_report` events; the stream's end is the session's end;
- the deprecated REST bridge: `POST /session` (`{app_id?, sdp, type}` -> `{session_id,
  sdp, type: "answer"}`), `POST /session/heartbeat` (`{session_id}` -> `{alive}`) about
  every 5 s, `POST /session/close`.

Control rides a data channel the client creates, labelled `control`, as JSON text.
Client: `commands` (`active`, `activated` key lists), `prompt`, `reset`, `ping` (`ts`).
Server: `pong` (`client_ts`, `server_ts`), `error` (`error`), `stream_exhausted`.
The mock reads the client's messages with `parse_client` and the client reads the
server's with `parse_server`: one module, both sides.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, Literal

WmaFlavour = Literal["wma", "wma-rest"]
CONTROL_LABEL = "control"
START_SESSION = "start-session"
REST_SESSION = "session"
KEYS = ("w", "a", "s", "d", "i", "j", "k", "l")  # movement and camera keys, as world actions
IDLE_TOKENS = ("q", "u")  # "no movement" / "no camera move" in a world action
CLIENT_TYPES = ("commands", "prompt", "reset", "ping")
MAX_KEYS = 32
MAX_PROMPT_CHARS = 50_000
MAX_QUOTED = 80
MAX_CONTROL_BYTES = 64 * 1024  # a control message larger than this is refused unread


class WmaError(ValueError):
    """A wma message that cannot be used; `str()` is one line naming what was wrong."""


def quote(raw: str | bytes) -> str:
    text = raw if isinstance(raw, str) else raw[:MAX_QUOTED].decode("utf-8", "replace")
    text = text.replace("\n", " ").replace("\r", " ")
    return repr(text[:MAX_QUOTED] + ("…" if len(text) > MAX_QUOTED else ""))


def decode(raw: str | bytes) -> dict[str, Any]:
    """A control message as a dict with a string `type`; raises WmaError otherwise."""
    if len(raw) > MAX_CONTROL_BYTES:
        raise WmaError(f"control message of {len(raw):,} bytes over {MAX_CONTROL_BYTES:,}")
    try:
        message = json.loads(raw)
    except (ValueError, RecursionError):
        raise WmaError(f"control message is not JSON: {quote(raw)}") from None
    if not isinstance(message, dict):
        raise WmaError(f"control message must be a JSON object, got {type(message).__name__}")
    if not isinstance(message.get("type"), str):
        raise WmaError(f"control message has no string 'type': {quote(raw)}")
    return message


def encode(message: dict[str, Any]) -> str:
    return json.dumps(message, separators=(",", ":"))


# -- client -> server ------------------------------------------------------------------
def commands(active: Iterable[str], activated: Iterable[str] = ()) -> dict[str, Any]:
    return {"type": "commands", "active": list(active), "activated": list(activated)}


def prompt(text: str) -> dict[str, Any]:
    return {"type": "prompt", "prompt": text}


def reset() -> dict[str, Any]:
    return {"type": "reset"}


def ping(ts_ms: float) -> dict[str, Any]:
    return {"type": "ping", "ts": ts_ms}


def action_keys(action: str) -> list[str]:
    """A world-model action (`"w u"`, `"q l"`) as the keys it holds down; raises WmaError."""
    keys: list[str] = []
    for token in action.lower().split():
        token = {"up": "w", "down": "s", "left": "a", "right": "d"}.get(token, token)
        if token in KEYS:
            if token not in keys:
                keys.append(token)
        elif token not in IDLE_TOKENS:
            raise WmaError(f"unknown action token {token!r} (use w a s d q, i j k l u)")
    return keys


def commands_for(action: str, held: Iterable[str]) -> dict[str, Any]:
    """The `commands` message for `action`, `activated` being the keys not `held` before."""
    active = action_keys(action)
    before = set(held)
    return commands(active, [k for k in active if k not in before])


def parse_client(raw: str | bytes) -> dict[str, Any]:
    """A client control message, checked field by field (the mock's side)."""
    message = decode(raw)
    kind = message["type"]
    if kind not in CLIENT_TYPES:
        raise WmaError(f"unknown control message type {kind!r} ({', '.join(CLIENT_TYPES)})")
    if kind == "commands":
        for name in ("active", "activated"):
            keys = message.get(name, [])
            if not isinstance(keys, list) or len(keys) > MAX_KEYS:
                raise WmaError(f"commands.{name} must be a list of at most {MAX_KEYS} keys")
            if any(not isinstance(k, str) or k not in KEYS for k in keys):
                raise WmaError(f"commands.{name} has a key that is not one of {' '.join(KEYS)}")
    elif kind == "prompt":
        text = message.get("prompt")
        if not isinstance(text, str) or not 0 < len(text) <= MAX_PROMPT_CHARS:
            raise WmaError(f"prompt.prompt must be a string of 1..{MAX_PROMPT_CHARS} characters")
    elif kind == "ping" and not _number(message.get("ts")):
        raise WmaError("ping.ts must be a number")
    return message


# -- server -> client ------------------------------------------------------------------
def pong(client_ts: float, server_ts: float) -> dict[str, Any]:
    return {"type": "pong", "client_ts": client_ts, "server_ts": server_ts}


def error(text: str) -> dict[str, Any]:
    return {"type": "error", "error": text}


def stream_exhausted() -> dict[str, Any]:
    return {"type": "stream_exhausted"}


def parse_server(raw: str | bytes) -> dict[str, Any]:
    """A server control message; `pong` must carry numbers (the RTT is read from them)."""
    message = decode(raw)
    if message["type"] == "pong" and not _number(message.get("client_ts")):
        raise WmaError("pong without a numeric client_ts")
    return message


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# -- session start ---------------------------------------------------------------------
def offer_body(
    sdp: str, *, session_id: str | None = None, app_id: str | None = None
) -> dict[str, Any]:
    """The start-session (or REST `/session`) body: a complete offer, no ICE servers on
    loopback."""
    body: dict[str, Any] = {"sdp": sdp, "type": "offer"}
    if session_id is not None:
        body["session_id"] = session_id
    if app_id is not None:
        body["app_id"] = app_id
    return body


def parse_offer(body: object) -> tuple[str, str | None]:
    """(sdp, session_id) from a start-session body; raises WmaError (the mock's 422)."""
    if not isinstance(body, dict):
        raise WmaError("the offer must be a JSON object")
    sdp, kind, session_id = body.get("sdp"), body.get("type", "offer"), body.get("session_id")
    if not isinstance(sdp, str) or not sdp.strip():
        raise WmaError("the offer has no sdp string")
    if kind != "offer":
        raise WmaError(f"type must be 'offer', got {kind!r}")
    if session_id is not None and not isinstance(session_id, str):
        raise WmaError("session_id must be a string or null")
    servers = body.get("ice_servers", [])
    if servers is not None and not isinstance(servers, list):
        raise WmaError("ice_servers must be a list")
    age = body.get("credential_age_seconds")
    if age is not None and (not _number(age) or age < 0):
        raise WmaError("credential_age_seconds must be a number >= 0 or null")
    return sdp, session_id


def parse_answer(data: object) -> tuple[str, str]:
    """(sdp, session_id) from the first SSE event or the REST answer; raises WmaError."""
    if not isinstance(data, dict):
        raise WmaError(f"the answer must be a JSON object, got {type(data).__name__}")
    sdp, session_id = data.get("sdp"), data.get("session_id", "")
    if data.get("type", "answer") != "answer":
        raise WmaError(f"expected an answer first, got type {data.get('type')!r}")
    if not isinstance(sdp, str) or not sdp.strip():
        raise WmaError("the answer has no sdp string")
    if not isinstance(session_id, str):
        raise WmaError("the answer's session_id is not a string")
    return sdp, session_id


def flavour_of_path(path: str) -> WmaFlavour | None:
    """`…/start-session` is wma, `…/session` the REST bridge; anything else is not wma."""
    last = path.rstrip("/").rsplit("/", 1)[-1]
    if last == START_SESSION:
        return "wma"
    if last == REST_SESSION:
        return "wma-rest"
    return None


def session_urls(http_url: str, flavour: WmaFlavour) -> dict[str, str]:
    """The URLs a flavour uses, from the app's http URL (a trailing route is replaced)."""
    base = http_url.rstrip("/")
    for suffix in ("/webrtc", "/realtime", "/" + START_SESSION, "/" + REST_SESSION):
        if base.endswith(suffix):
            base = base[: -len(suffix)]
            break
    if flavour == "wma":
        return {"start": f"{base}/{START_SESSION}"}
    return {
        "start": f"{base}/session",
        "heartbeat": f"{base}/session/heartbeat",
        "close": f"{base}/session/close",
    }


def app_base(http_url: str) -> str:
    """The app's own URL from a route URL (`…/webrtc`, `…/start-session` removed)."""
    return session_urls(http_url, "wma")["start"][: -len("/" + START_SESSION)]


def openapi_flavour(doc: object) -> WmaFlavour | None:
    """ "wma" when the app's OpenAPI document marks a route with an `x-fal-realtime`
    extension whose transport's `sessionProtocol` is "wma" (how fal's wma apps describe
    `/start-session`: on the path item, as fal's SDK writes it, or on its operation, as
    older documents did); else None."""
    paths = doc.get("paths") if isinstance(doc, dict) else None
    if not isinstance(paths, dict):
        return None
    for item in paths.values():
        if not isinstance(item, dict):
            continue
        for holder in (item, *item.values()):
            ext = holder.get("x-fal-realtime") if isinstance(holder, dict) else None
            transport = ext.get("transport") if isinstance(ext, dict) else None
            if isinstance(transport, dict) and transport.get("sessionProtocol") == "wma":
                return "wma"
    return None
    for item in paths.values():
        for operation in item.values() if isinstance(item, dict) else ():
            ext = operation.get("x-fal-realtime") if isinstance(operation, dict) else None
            transport = ext.get("transport") if isinstance(ext, dict) else None
            if isinstance(transport, dict) and transport.get("sessionProtocol") == "wma":
                return "wma"
    return None
