"""The JSON schemas of the mock apps' inputs and outputs, in the shape pydantic gives
fal apps (titles, defaults, examples, bounds, `anyOf` with null for optional values),
so `openapi.json` describes each route as a real fal app would. They restate the
checks in `server_mock/apps/` (validate.py's bounds); a test sends each route's
documented example and checks the app accepts it."""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]


def _num(kind: str, default: float, lo: float, hi: float, title: str, desc: str) -> Schema:
    return {
        "type": kind,
        "title": title,
        "description": desc,
        "default": default,
        "minimum": lo,
        "maximum": hi,
    }


_OPT_TEXT: Schema = {"anyOf": [{"type": "string"}, {"type": "boolean"}, {"type": "null"}]}

ECHO_INPUT: Schema = {
    "type": "object",
    "title": "EchoInput",
    "description": "Any fields are echoed back; these steer the app.",
    "properties": {
        "text": {
            "type": "string",
            "title": "Text",
            "examples": ["hello"],
            "description": "echoed back as is",
        },
        "sleep_ms": _num("number", 0, 0, 60_000, "Sleep Ms", "compute time before answering"),
        "fail": {
            **_OPT_TEXT,
            "title": "Fail",
            "default": None,
            "description": "answer with an app error (its text, if a string)",
        },
    },
    "additionalProperties": True,
}

ECHO_STREAM_INPUT: Schema = {
    **ECHO_INPUT,
    "title": "EchoStreamInput",
    "properties": {
        **ECHO_INPUT["properties"],
        "count": _num("integer", 5, 1, 100_000, "Count", "outputs (events) to send"),
        "interval_ms": _num("number", 10, 0, 60_000, "Interval Ms", "time between outputs"),
    },
}

ECHO_SSE_FIELDS: Schema = {  # mock/echo/stream's only: the events' other SSE fields
    "sse_event": {
        "anyOf": [{"type": "string", "maxLength": 200}, {"type": "null"}],
        "title": "Sse Event",
        "default": None,
        "description": "every event's `event:` type (one line)",
    },
    "sse_id": {
        "type": "boolean",
        "title": "Sse Id",
        "default": False,
        "description": "give each event an `id:`, its index",
    },
    "sse_retry_ms": {
        "anyOf": [{"type": "integer", "minimum": 0, "maximum": 3_600_000}, {"type": "null"}],
        "title": "Sse Retry Ms",
        "default": None,
        "description": "a `retry:` field on the first event, in ms",
    },
}

ECHO_OUTPUT: Schema = {
    "type": "object",
    "title": "EchoOutput",
    "description": "The input, with the server's monotonic clock at receive and send.",
    "properties": {
        "server_recv_ns": {"type": "integer", "title": "Server Recv Ns"},
        "server_send_ns": {"type": "integer", "title": "Server Send Ns"},
        "index": {"type": "integer", "title": "Index", "description": "streams only"},
    },
    "required": ["server_recv_ns", "server_send_ns"],
    "additionalProperties": True,
}

BATCH_OUTPUT: Schema = {
    "type": "object",
    "title": "EchoBatchOutput",
    "properties": {
        "batch": {"type": "array", "items": {"$ref": "#/components/schemas/EchoInput"}},
        "batch_size": {"type": "integer", "minimum": 1, "maximum": 4},
        "server_recv_ns": {"type": "integer"},
        "server_send_ns": {"type": "integer"},
    },
    "required": ["batch", "batch_size"],
}

DIFFUSION_INPUT: Schema = {
    "type": "object",
    "title": "DiffusionInput",
    "properties": {
        "prompt": {
            "type": "string",
            "title": "Prompt",
            "examples": ["a red fox in the snow"],
            "description": "what to draw (it seeds the picture)",
        },
        "width": _num("integer", 256, 16, 2048, "Width", "pixels"),
        "height": _num("integer", 256, 16, 2048, "Height", "pixels"),
        "steps": _num("integer", 8, 1, 500, "Steps", "progress events before the image"),
        "step_ms": _num("number", 20, 0, 10_000, "Step Ms", "simulated compute per step"),
        "seed": {
            "anyOf": [{"type": "integer"}, {"type": "null"}],
            "title": "Seed",
            "default": None,
            "description": "default: from the prompt",
        },
    },
    "required": ["prompt"],
}

IMAGE: Schema = {
    "type": "object",
    "title": "Image",
    "properties": {
        "url": {"type": "string"},
        "content": {"type": "string", "format": "binary", "description": "realtime: PNG bytes"},
        "content_type": {"type": "string", "examples": ["image/png"]},
        "width": {"type": "integer"},
        "height": {"type": "integer"},
    },
}

DIFFUSION_OUTPUT: Schema = {
    "type": "object",
    "title": "DiffusionOutput",
    "properties": {
        "images": {"type": "array", "items": {"$ref": "#/components/schemas/Image"}},
        "image": {"$ref": "#/components/schemas/Image"},
        "seed": {"type": "integer"},
    },
}

_CANDIDATE: Schema = {
    "anyOf": [
        {
            "type": "object",
            "properties": {
                "candidate": {"type": "string"},
                "sdpMid": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                "sdpMLineIndex": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
            },
        },
        {"type": "null"},
    ]
}


def signaling_input(actions: bool) -> Schema:
    """WebRTC signaling from the client (docs/protocols.md 4a/4b): the offer first."""
    kinds = ["offer", "icecandidate"] + (["action", "pause"] if actions else [])
    props: Schema = {
        "type": {"type": "string", "enum": kinds, "title": "Type"},
        "sdp": {"type": "string", "title": "Sdp", "description": "the offer's SDP"},
        "candidate": {**_CANDIDATE, "title": "Candidate"},
    }
    if actions:
        props["action"] = {
            "type": "string",
            "examples": ["w u"],
            "description": "movement w a s d q, camera i j k l u",
        }
        props["paused"] = {"type": "boolean"}
    return {"type": "object", "title": "SignalingInput", "properties": props, "required": ["type"]}


SIGNALING_OUTPUT: Schema = {
    "type": "object",
    "title": "SignalingOutput",
    "properties": {
        "type": {
            "type": "string",
            "enum": [
                "ready",
                "iceservers",
                "answer",
                "icecandidate",
                "pause",
                "error",
                "stream_exhausted",
            ],
        },
        "sdp": {"type": "string"},
        "error": {"type": "string"},
    },
    "required": ["type"],
}
