"""The OpenAPI reader on documents shaped as fal's server SDK renders them
(fal/api/api.py `_inject_websocket_endpoints`, fal/wma/contract.py `apply_contract`)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from app.core.discovery import openapi
from app.core.discovery.describe import locate, usage

INPUT = {
    "type": "object",
    "title": "InputModel",
    "properties": {"prompt": {"type": "string", "examples": ["a cat"]}},
    "required": ["prompt"],
}


def fal_doc() -> dict[str, Any]:
    """What fal publishes for an app with realtime, raw WebSocket and WMA routes."""
    mirror = {
        "operationId": "generate_post",
        "summary": "Realtime endpoint: generate",
        "requestBody": {
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/In"}}}
        },
        "responses": {
            "200": {
                "description": "WebSocket message response",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Out"}}},
            }
        },
    }
    protocol = {
        "type": "realtime",
        "operationId": "generate",
        "config": {"buffering": 2, "sessionTimeout": 1.5, "maxBatchSize": 3},
        "contentType": "application/msgpack",
        "realtimeMode": "unary",
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "my-app", "version": "0.1.0"},
        "paths": {
            "/": {"post": {"requestBody": {"content": {"application/json": {"schema": INPUT}}}}},
            "/health": {"get": {}},
            "/realtime": {"x-fal-protocol": protocol, "post": mirror},
            "/realtime/bidi": {
                "x-fal-protocol": {**protocol, "realtimeMode": "bidi"},
                "post": mirror,
            },
            "/ws": {
                "x-fal-protocol": {
                    "type": "websocket",
                    "operationId": "ws",
                    "config": {"buffering": None, "sessionTimeout": None, "maxBatchSize": 1},
                }
            },
            "/start-session": {
                "post": {"operationId": "start_session"},
                "x-fal-realtime": {
                    "schemaVersion": 1,
                    "transport": {"protocol": "webrtc", "sessionProtocol": "wma", "version": 1},
                    "asyncapi": {"url": "./asyncapi.json"},
                },
            },
        },
        "components": {"schemas": {"In": INPUT, "Out": {"type": "object"}}},
    }


def test_fal_routes_are_read_with_their_protocol_facts() -> None:
    app = openapi.parse(fal_doc())
    routes = {r.path: r for r in app.routes}
    assert list(routes) == ["/", "/realtime", "/realtime/bidi", "/ws", "/start-session"]
    rt = routes["/realtime"]
    assert (rt.kind, rt.transport, rt.mode, rt.content_type) == (
        "realtime",
        "realtime",
        "unary",
        "application/msgpack",
    )
    assert (rt.buffering, rt.session_timeout_s, rt.max_batch_size) == (2, 1.5, 3)
    assert rt.input_schema == {"$ref": "#/components/schemas/In"}
    assert routes["/realtime/bidi"].mode == "bidi"
    assert (routes["/ws"].kind, routes["/ws"].transport, routes["/ws"].mode) == (
        "websocket",
        "ws",
        None,
    )
    wma = routes["/start-session"]
    assert (wma.kind, wma.transport, wma.signaling, wma.asyncapi_url) == (
        "wma",
        "webrtc",
        "wma",
        "./asyncapi.json",
    )
    assert routes["/"].transport is None and routes["/"].notes  # plain HTTP, said so


def test_usage_builds_the_run_line_and_example_from_the_schema() -> None:
    app = openapi.parse(fal_doc())
    where = locate("fal-ai/my-app")
    assert where.openapi_url == "https://fal.run/fal-ai/my-app/openapi.json"
    u = usage(where, app, app.routes[1])
    assert u.example == {"prompt": "a cat"}
    assert u.max_buffering == 2 and u.url == "wss://fal.run/fal-ai/my-app/realtime"
    assert u.command == (
        'rtprobe run realtime fal-ai/my-app/realtime --payload \'{"prompt":"a cat"}\' '
        "--count 10 --max-buffering 2"
    )
    by_url = locate("http://127.0.0.1:9/x/y/openapi.json")
    assert by_url.base_url == "http://127.0.0.1:9/x/y" and by_url.app_id is None
    assert usage(by_url, app, app.routes[3]).command == (
        "rtprobe run ws ws://127.0.0.1:9/x/y/ws --payload '{}' --count 10"
    )


def test_webrtc_signaling_is_recognised_from_the_schema_or_the_path() -> None:
    doc = fal_doc()
    doc["components"]["schemas"]["In"] = {
        "anyOf": [
            {"type": "object", "properties": {"type": {"const": "offer"}, "sdp": {}}},
            {"type": "object", "properties": {"type": {"const": "icecandidate"}}},
        ]
    }
    doc["paths"]["/webrtc"] = {"x-fal-protocol": {"type": "websocket"}}
    routes = {r.path: r for r in openapi.parse(doc).routes}
    assert (routes["/realtime"].transport, routes["/realtime"].signaling) == ("webrtc", "msgpack")
    assert (routes["/webrtc"].transport, routes["/webrtc"].signaling) == ("webrtc", "json")
    assert routes["/ws"].transport == "ws"


@pytest.mark.parametrize(
    ("doc", "problem"),
    [
        ([1, 2], "a JSON list, not an object"),
        ({"paths": {}}, "no 'openapi' version"),
        ({"openapi": "3.1.0", "paths": []}, "no 'paths' object"),
    ],
)
def test_what_is_not_an_openapi_document_is_said_in_one_line(doc: Any, problem: str) -> None:
    with pytest.raises(openapi.DocumentError, match=problem):
        openapi.parse(doc)


def test_odd_values_become_notes_not_crashes() -> None:
    doc = fal_doc()
    rt = doc["paths"]["/realtime"]["x-fal-protocol"]
    rt.update(type="quantum", realtimeMode="sideways", config={"buffering": "lots"})
    doc["paths"]["/realtime/bidi"]["post"] = {"requestBody": "nonsense"}
    doc["paths"]["/x"] = "not a path item"
    doc["components"]["schemas"]["In"] = {"$ref": "#/components/schemas/In"}  # a cycle
    routes = {r.path: r for r in openapi.parse(json.loads(json.dumps(doc))).routes}
    notes = " ".join(routes["/realtime"].notes)
    assert "quantum" in notes and "input schema: $ref cycle" in notes
    assert routes["/realtime"].buffering is None
    assert "/x" not in routes
    bidi = routes["/realtime/bidi"]
    assert bidi.input_schema is None and bidi.transport == "realtime"


def test_a_huge_number_of_paths_is_cut_and_said() -> None:
    doc = {"openapi": "3.0.0", "paths": {f"/p{i}": {"post": {}} for i in range(2000)}}
    app = openapi.parse(doc)
    assert len(app.routes) == openapi.MAX_ROUTES and "first 500" in app.warnings[0]
