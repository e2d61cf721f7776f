"""The mock apps' metadata in fal's format: `/openapi.json` per app, and for an app
with a WMA session route the AsyncAPI 3.1 document its `x-fal-realtime` links.

Shapes as fal's server SDK renders them (docs/discovery.md): realtime and raw
WebSocket routes carry `x-fal-protocol` on the path item, realtime ones with a mirror
`post` holding the input and output schemas; a WMA route (`POST /start-session`)
carries `x-fal-realtime` pointing at `./asyncapi.json`. The route facts (mode,
buffering, batch size, session timeout) are read from the routes the mock serves, so
the metadata cannot drift from the behaviour.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from server_mock import schemas

if TYPE_CHECKING:
    from server_mock.app import MockApp
    from server_mock.realtime import RealtimeRoute

OPENAPI_VERSION = "3.1.0"
ASYNCAPI_VERSION = "3.1.0"

_ECHO_SSE = {
    **schemas.ECHO_STREAM_INPUT,
    "title": "EchoSseInput",
    "properties": {
        **schemas.ECHO_STREAM_INPUT["properties"],
        "count": {**schemas.ECHO_STREAM_INPUT["properties"]["count"], "default": 3},
        **schemas.ECHO_SSE_FIELDS,
    },
}
COMPONENTS: dict[str, schemas.Schema] = {
    "EchoInput": schemas.ECHO_INPUT,
    "EchoStreamInput": schemas.ECHO_STREAM_INPUT,
    "EchoSseInput": _ECHO_SSE,
    "EchoOutput": schemas.ECHO_OUTPUT,
    "EchoBatchOutput": schemas.BATCH_OUTPUT,
    "DiffusionInput": schemas.DIFFUSION_INPUT,
    "DiffusionOutput": schemas.DIFFUSION_OUTPUT,
    "Image": schemas.IMAGE,
    "SignalingInput": schemas.signaling_input(actions=False),
    "WorldSignalingInput": schemas.signaling_input(actions=True),
    "SignalingOutput": schemas.SIGNALING_OUTPUT,
    "Input": {"type": "object", "title": "Input", "additionalProperties": True},
    "Output": {"type": "object", "title": "Output", "additionalProperties": True},
}

# (app, route) -> (input, output) component names; "" is the app's plain POST route
ROUTE_SCHEMAS: dict[tuple[str, str], tuple[str, str]] = {
    ("echo", ""): ("EchoInput", "EchoOutput"),
    ("echo", "realtime"): ("EchoInput", "EchoOutput"),
    ("echo", "realtime-stream"): ("EchoStreamInput", "EchoOutput"),
    ("echo", "realtime-batch"): ("EchoInput", "EchoBatchOutput"),
    ("echo", "stream"): ("EchoSseInput", "EchoOutput"),
    ("diffusion", ""): ("DiffusionInput", "DiffusionOutput"),
    ("diffusion", "realtime"): ("DiffusionInput", "DiffusionOutput"),
    ("diffusion", "stream"): ("DiffusionInput", "DiffusionOutput"),
    ("yolo", "realtime"): ("SignalingInput", "SignalingOutput"),
    ("world", "realtime"): ("WorldSignalingInput", "SignalingOutput"),
    ("world", "webrtc"): ("WorldSignalingInput", "SignalingOutput"),
}

# apps that serve fal's WMA session (`POST /start-session`, docs/protocols.md 4c):
# alias -> its route. Each publishes x-fal-realtime and an AsyncAPI document.
WMA_ROUTES: dict[str, str] = {"wma": "start-session"}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _used(doc: dict[str, Any]) -> set[str]:
    """Component names `doc` refers to, transitively."""
    found: set[str] = set()
    todo: list[Any] = [doc]
    while todo:
        node = todo.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
                name = ref.rsplit("/", 1)[-1]
                if name not in found and name in COMPONENTS:
                    found.add(name)
                    todo.append(COMPONENTS[name])
            todo.extend(node.values())
        elif isinstance(node, list):
            todo.extend(node)
    return found


def _post(name: str, summary: str, io: tuple[str, str], content: str) -> dict[str, Any]:
    return {
        "operationId": name,
        "summary": summary,
        "requestBody": {"content": {"application/json": {"schema": _ref(io[0])}}, "required": True},
        "responses": {
            "200": {
                "description": "Successful Response",
                "content": {content: {"schema": _ref(io[1])}},
            }
        },
    }


def _protocol(route: RealtimeRoute | None, name: str, session_timeout_s: float) -> dict[str, Any]:
    if route is None:  # a raw WebSocket: fal publishes no mode, content type or post
        config = {"buffering": None, "sessionTimeout": None, "maxBatchSize": 1}
        return {"type": "websocket", "operationId": name, "config": config}
    timeout = route.session_timeout_s if route.session_timeout_s is not None else session_timeout_s
    return {
        "type": "realtime",
        "operationId": name,
        "config": {
            "buffering": route.buffering,
            "sessionTimeout": timeout,
            "maxBatchSize": route.max_batch_size,
        },
        "contentType": "application/msgpack",
        "realtimeMode": route.mode,
    }


def openapi(alias: str, app: MockApp, *, version: str, session_timeout_s: float) -> dict[str, Any]:
    """`/mock/{alias}/openapi.json`: every route the app serves, as fal publishes it."""
    paths: dict[str, Any] = {}
    generic = ("Input", "Output")
    if app.run is not None:
        io = ROUTE_SCHEMAS.get((alias, ""), generic)
        paths["/"] = {"post": _post(f"{alias}_run", f"Run mock/{alias}", io, "application/json")}
    if app.sse is not None:
        io = ROUTE_SCHEMAS.get((alias, "stream"), generic)
        post = _post(f"{alias}_stream", "Server-sent events", io, "text/event-stream")
        paths["/stream"] = {"post": post}
    for path, route in app.realtime.items():
        name = path.replace("-", "_")
        io = ROUTE_SCHEMAS.get((alias, path), generic)
        mirror = _post(f"{name}_post", f"Realtime endpoint: {name}", io, "application/json")
        mirror["responses"]["200"]["description"] = "WebSocket message response"
        paths[f"/{path}"] = {
            "x-fal-protocol": _protocol(route, name, session_timeout_s),
            "post": mirror,
        }
    for path in app.raw_ws:
        paths[f"/{path}"] = {"x-fal-protocol": _protocol(None, path, session_timeout_s)}
    if alias in WMA_ROUTES:
        paths[f"/{WMA_ROUTES[alias]}"] = wma_path()
    doc: dict[str, Any] = {
        "openapi": OPENAPI_VERSION,
        "info": {"title": f"mock/{alias}", "version": version, "description": app.description},
        "paths": paths,
        "x-fal-order-paths": list(paths),
    }
    doc["components"] = {"schemas": {n: COMPONENTS[n] for n in sorted(_used(doc))}}
    return doc


def wma_path() -> dict[str, Any]:
    start = {
        "type": "object",
        "title": "StartSessionRequest",
        "properties": {
            "sdp": {"type": "string", "title": "Sdp"},
            "type": {"const": "offer", "default": "offer"},
            "session_id": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
        },
        "required": ["sdp"],
    }
    post = {
        "operationId": "start_session",
        "summary": "Start a WebRTC session (WMA)",
        "requestBody": {"content": {"application/json": {"schema": start}}, "required": True},
        "responses": {
            "200": {
                "description": "the answer, then keepalives (SSE)",
                "content": {"text/event-stream": {}},
            }
        },
    }
    realtime = {
        "schemaVersion": 1,
        "transport": {"protocol": "webrtc", "sessionProtocol": "wma", "version": 1},
        "asyncapi": {"url": "./asyncapi.json"},
    }
    return {"post": post, "x-fal-realtime": realtime}


_CLIENT: dict[str, dict[str, Any]] = {
    "prompt": {"prompt": {"type": "string", "examples": ["a calm lake"]}},
    "commands": {
        "active": {"type": "array", "items": {"type": "string"}},
        "activated": {"type": "array", "items": {"type": "string"}},
    },
    "reset": {},
    "ping": {"ts": {"type": "number"}},
}
_SERVER: dict[str, dict[str, Any]] = {
    "pong": {"client_ts": {"type": "number"}, "server_ts": {"type": "number"}},
    "error": {"error": {"type": "string"}},
    "stream_exhausted": {},
}


def asyncapi(alias: str) -> dict[str, Any] | None:
    """The AsyncAPI document of a WMA app (None for the others, as on fal)."""
    if alias not in WMA_ROUTES:
        return None
    prefix = alias.title()
    schemas_: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for role, table, op, action in (
        ("client", _CLIENT, "sendControl", "send"),
        ("server", _SERVER, "receiveEvents", "receive"),
    ):
        refs = []
        for kind, props in table.items():
            schema_name = f"{prefix}{role.title()}{kind.title().replace('_', '')}"
            schemas_[schema_name] = {
                "type": "object",
                "properties": {"type": {"const": kind}, **props},
                "required": ["type"],
            }
            key = f"{role}.{kind}"
            message: dict[str, Any] = {
                "name": kind,
                "title": f"{role.title()} {kind} message",
                "payload": _ref(schema_name),
            }
            if kind == "ping":
                message["examples"] = [{"name": "ping", "payload": {"type": "ping", "ts": 0}}]
            messages[key] = message
            refs.append({"$ref": f"#/channels/control/messages/{key}"})
        operations[op] = {
            "action": action,
            "channel": {"$ref": "#/channels/control"},
            "messages": refs,
        }
    channel_messages = {k: {"$ref": f"#/components/messages/{k}"} for k in messages}
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {"title": f"{prefix} realtime client API", "version": "1.0.0"},
        "defaultContentType": "application/json",
        "servers": {
            "session": {
                "host": "{sessionHost}",
                "protocol": "webrtc",
                "x-fal-negotiated-by": "start_session",
            }
        },
        "x-fal-openapi": {"url": "./openapi.json", "operationId": "start_session"},
        "x-fal-media": {
            "perspective": "client",
            "send": [],
            "receive": [
                {"kind": "video", "settings": {"width": 640, "height": 352, "frameRate": 30}}
            ],
        },
        "channels": {
            "control": {
                "address": "control",
                "servers": [{"$ref": "#/servers/session"}],
                "messages": channel_messages,
            }
        },
        "operations": operations,
        "components": {"schemas": schemas_, "messages": messages},
    }
