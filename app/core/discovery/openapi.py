"""Read a fal app's `/openapi.json` into the routes it serves and how each is spoken.

What fal's server SDK publishes (fal `fal/api/api.py`, `_inject_websocket_endpoints`;
`fal/wma/contract.py`; docs/discovery.md has the shapes):

- a realtime or raw WebSocket route: the path item carries `x-fal-protocol`
  (`type` realtime|websocket, `realtimeMode`, `contentType`, `config` with
  `buffering`, `sessionTimeout`, `maxBatchSize`), and a *mirror* `post` operation holds
  the input schema (`requestBody`) and output schema (`responses.200`);
- a WMA WebRTC app: `POST /start-session` whose path item carries `x-fal-realtime`
  (`schemaVersion`, `transport.protocol` webrtc, `transport.sessionProtocol` wma,
  `asyncapi.url`), the data-channel messages in that AsyncAPI document;
- ordinary HTTP routes: `post` operations; `/stream` answers with an event stream.

fal does not mark WebRTC signaling over realtime/WebSocket routes (protocols 4a/4b),
so they are recognised from their input schema (an `sdp` field or a `type` that may be
`offer`) or, for a schema-less WebSocket, a path ending in `/webrtc`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.core.discovery.refs import MAX_DEPTH, Budget, SchemaError, obj, resolve, seq
from app.core.sessions import registry

MODES = ("unary", "server_streaming", "client_streaming", "bidi")
MAX_ROUTES = 500  # a document with more paths is cut here, and says so


class DocumentError(ValueError):
    """The document is not an OpenAPI document rtprobe can read; one line."""


@dataclass(frozen=True)
class Route:
    path: str  # "/realtime", as the document names it
    kind: str  # realtime | websocket | wma | sse | http: what the document says it is
    transport: str | None  # the `rtprobe run` transport, None when it cannot drive it
    mode: str | None = None  # realtime mode (unary, server_streaming, …)
    content_type: str | None = None  # the realtime route's encoding (msgpack, json)
    buffering: int | None = None  # the app's own buffer (`config.buffering`)
    session_timeout_s: float | None = None
    max_batch_size: int | None = None
    signaling: str | None = None  # WebRTC only: msgpack (4b), json (4a) or wma
    input_schema: dict[str, Any] | None = None  # as published (may be a $ref)
    output_schema: dict[str, Any] | None = None
    summary: str = ""
    asyncapi_url: str | None = None  # x-fal-realtime: where the message contract is
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class AppDoc:
    title: str
    version: str
    description: str
    routes: tuple[Route, ...]
    document: dict[str, Any] = field(repr=False)  # for $refs in the schemas
    warnings: tuple[str, ...] = ()


def _text(value: Any, limit: int = 300) -> str:
    return " ".join(value.split())[:limit] if isinstance(value, str) else ""


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _count(value: Any) -> int | None:
    n = _number(value)
    return int(n) if n is not None and n == int(n) and n >= 0 else None


def parse(doc: Any) -> AppDoc:
    """The routes of an OpenAPI document (already JSON-decoded); DocumentError if it is
    not one. Odd parts of a route (a bad config value, a dangling $ref) become notes."""
    if not isinstance(doc, dict):
        raise DocumentError(f"the document is a JSON {type(doc).__name__}, not an object")
    if not isinstance(doc.get("openapi"), str) and not isinstance(doc.get("swagger"), str):
        raise DocumentError("the document has no 'openapi' version: not an OpenAPI document")
    paths = doc.get("paths")
    if not isinstance(paths, dict):
        raise DocumentError("the document has no 'paths' object")
    info = obj(doc, "info")
    routes: list[Route] = []
    warnings: list[str] = []
    for path, item in paths.items():
        if len(routes) >= MAX_ROUTES:
            warnings.append(f"only the first {MAX_ROUTES} of {len(paths)} paths were read")
            break
        if not isinstance(path, str) or not isinstance(item, dict):
            continue
        route = _route(doc, path, item)
        if route is not None:
            routes.append(route)
    return AppDoc(
        title=_text(info.get("title"), 200),
        version=_text(info.get("version"), 50),
        description=_text(info.get("description"), 500),
        routes=tuple(routes),
        document=doc,
        warnings=tuple(warnings),
    )


def _route(doc: dict[str, Any], path: str, item: dict[str, Any]) -> Route | None:
    post = item.get("post") if isinstance(item.get("post"), dict) else None
    protocol = item.get("x-fal-protocol")
    if not isinstance(protocol, dict) and post is not None:
        protocol = post.get("x-fal-protocol")  # older mocks put it on the operation
    realtime = item.get("x-fal-realtime")
    if not isinstance(realtime, dict) and post is not None:
        realtime = post.get("x-fal-realtime")
    input_schema, output_schema, content = _schemas(post) if post else (None, None, ())
    summary = _text((post or {}).get("summary")) or _text((post or {}).get("description"))
    notes: list[str] = []
    if isinstance(realtime, dict):
        return _wma_route(path, realtime, input_schema, output_schema, summary)
    if isinstance(protocol, dict):
        return _protocol_route(doc, path, protocol, input_schema, output_schema, summary)
    if post is None:
        return None  # GET-only routes (health, the documents themselves)
    if "text/event-stream" in content or path.rstrip("/").rsplit("/", 1)[-1] == "stream":
        return Route(
            path,
            "sse",
            "sse",
            input_schema=input_schema,
            output_schema=output_schema,
            summary=summary,
        )
    notes.append("plain HTTP: `rtprobe run` does not measure it (no realtime transport)")
    return Route(
        path,
        "http",
        None,
        input_schema=input_schema,
        output_schema=output_schema,
        summary=summary,
        notes=tuple(notes),
    )


def _schemas(
    post: dict[str, Any],
) -> tuple[dict[str, Any] | None, dict[str, Any] | None, tuple[str, ...]]:
    """(input schema, output schema, the 200 response's content types) of an operation."""
    body = post.get("requestBody")
    content = body.get("content") if isinstance(body, dict) else None
    input_schema = _first_schema(content)
    responses = post.get("responses")
    ok = responses.get("200") if isinstance(responses, dict) else None
    out_content = ok.get("content") if isinstance(ok, dict) else None
    types = tuple(out_content) if isinstance(out_content, dict) else ()
    return input_schema, _first_schema(out_content), types


def _first_schema(content: Any) -> dict[str, Any] | None:
    if not isinstance(content, dict):
        return None
    for media in content.values():
        if isinstance(media, dict) and isinstance(media.get("schema"), dict):
            schema: dict[str, Any] = media["schema"]
            return schema
    return None


def _protocol_route(
    doc: dict[str, Any],
    path: str,
    protocol: dict[str, Any],
    input_schema: dict[str, Any] | None,
    output_schema: dict[str, Any] | None,
    summary: str,
) -> Route:
    notes: list[str] = []
    kind = protocol.get("type")
    if kind not in ("realtime", "websocket"):
        notes.append(f"x-fal-protocol type {str(kind)[:40]!r} is unknown; read as websocket")
        kind = "websocket"
    config = obj(protocol, "config")
    mode = protocol.get("realtimeMode") if kind == "realtime" else None
    if mode is not None and mode not in MODES:
        notes.append(f"realtimeMode {str(mode)[:40]!r} is unknown")
        mode = None
    content_type = protocol.get("contentType")
    content_type = content_type if isinstance(content_type, str) else None
    signaling = None
    transport = "realtime" if kind == "realtime" else "ws"
    try:
        signaling_schema = input_schema is not None and looks_like_signaling(doc, input_schema)
    except SchemaError as exc:
        notes.append(f"input schema: {exc}")
        signaling_schema = False
    last = path.rstrip("/").rsplit("/", 1)[-1]
    if signaling_schema or (kind == "websocket" and input_schema is None and last == "webrtc"):
        transport = "webrtc"
        signaling = "msgpack" if kind == "realtime" else "json"
    if registry.fact(transport or "", "speaks_msgpack") and content_type not in (
        None,
        "application/msgpack",
    ):
        notes.append(f"content type {content_type}: rtprobe's realtime client speaks msgpack")
    return Route(
        path,
        kind,
        transport,
        mode=mode,
        content_type=content_type,
        buffering=_count(config.get("buffering")),
        session_timeout_s=_number(config.get("sessionTimeout")),
        max_batch_size=_count(config.get("maxBatchSize")),
        signaling=signaling,
        input_schema=input_schema,
        output_schema=output_schema,
        summary=summary,
        notes=tuple(notes),
    )


def _wma_route(
    path: str,
    realtime: dict[str, Any],
    input_schema: dict[str, Any] | None,
    output_schema: dict[str, Any] | None,
    summary: str,
) -> Route:
    notes: list[str] = []
    transport_info = realtime.get("transport")
    transport_info = transport_info if isinstance(transport_info, dict) else {}
    protocol = transport_info.get("protocol")
    session_protocol = transport_info.get("sessionProtocol")
    version = realtime.get("schemaVersion")
    if version != 1:
        notes.append(f"x-fal-realtime schemaVersion {str(version)[:20]} (rtprobe knows 1)")
    asyncapi = realtime.get("asyncapi")
    url = asyncapi.get("url") if isinstance(asyncapi, dict) else None
    if protocol == "webrtc":
        signaling = session_protocol if isinstance(session_protocol, str) else None
        transport: str | None = "webrtc"
    else:
        notes.append(f"x-fal-realtime transport {str(protocol)[:40]!r} is unknown")
        signaling, transport = None, None
    return Route(
        path,
        "wma" if session_protocol == "wma" else "realtime-contract",
        transport,
        signaling=signaling,
        input_schema=input_schema,
        output_schema=output_schema,
        summary=summary,
        asyncapi_url=url if isinstance(url, str) else None,
        notes=tuple(notes),
    )


def looks_like_signaling(
    doc: dict[str, Any], schema: dict[str, Any], depth: int = 0, budget: Budget | None = None
) -> bool:
    """Whether an input schema is WebRTC signaling: it has an `sdp` field, or its
    `type` may be `offer` (itself or any branch of an anyOf/oneOf)."""
    if depth > MAX_DEPTH:
        return False
    budget = budget or Budget()
    budget.spend()
    s = resolve(doc, schema)
    props = s.get("properties")
    if isinstance(props, dict):
        if "sdp" in props:
            return True
        kind = resolve(doc, props.get("type"))
        values = seq(kind, "enum")
        if "offer" in values or kind.get("const") == "offer":
            return True
    for key in ("anyOf", "oneOf", "allOf"):
        branches = s.get(key)
        if isinstance(branches, list) and any(
            isinstance(b, dict) and looks_like_signaling(doc, b, depth + 1, budget)
            for b in branches[:50]
        ):
            return True
    return False
