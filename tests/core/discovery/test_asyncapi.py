"""The AsyncAPI reader on a document shaped as fal's `render_asyncapi` renders it
(fal/wma/contract.py), and on documents that are not quite that."""

from __future__ import annotations

from typing import Any

import pytest

from app.core.discovery import asyncapi


def fal_contract() -> dict[str, Any]:
    return {
        "asyncapi": "3.1.0",
        "info": {"title": "Echo realtime client API", "version": "1.0.0"},
        "defaultContentType": "application/json",
        "servers": {"session": {"host": "{sessionHost}", "protocol": "webrtc"}},
        "x-fal-openapi": {"url": "./openapi.json", "operationId": "start_session"},
        "x-fal-media": {
            "perspective": "client",
            "send": [
                {
                    "kind": "video",
                    "source": "camera",
                    "required": True,
                    "constraints": {"width": {"ideal": 1280}, "frameRate": 30},
                }
            ],
            "receive": [{"kind": "video", "settings": {"width": 1280, "height": 720}}],
        },
        "channels": {
            "control": {
                "address": "control",
                "messages": {
                    "client.prompt": {"$ref": "#/components/messages/client.prompt"},
                    "server.status": {"$ref": "#/components/messages/server.status"},
                },
            }
        },
        "operations": {
            "sendControl": {
                "action": "send",
                "channel": {"$ref": "#/channels/control"},
                "messages": [{"$ref": "#/channels/control/messages/client.prompt"}],
            },
            "receiveEvents": {
                "action": "receive",
                "channel": {"$ref": "#/channels/control"},
                "messages": [{"$ref": "#/channels/control/messages/server.status"}],
            },
        },
        "components": {
            "schemas": {
                "EchoClientPrompt": {
                    "type": "object",
                    "required": ["type"],
                    "properties": {"type": {"const": "prompt"}},
                }
            },
            "messages": {
                "client.prompt": {
                    "name": "prompt",
                    "title": "Client prompt message",
                    "payload": {"$ref": "#/components/schemas/EchoClientPrompt"},
                    "examples": [{"name": "hi", "payload": {"type": "prompt", "prompt": "hi"}}],
                },
                "server.status": {
                    "name": "status",
                    "title": "Server status message",
                    "payload": {"$ref": "#/components/schemas/Missing"},
                },
            },
        },
    }


def test_a_fal_contract_gives_the_channel_messages_and_media() -> None:
    c = asyncapi.parse(fal_contract())
    assert (c.spec_version, c.title, c.channel) == ("3.1.0", "Echo realtime client API", "control")
    by_name = {m.name: m for m in c.messages}
    assert by_name["prompt"].direction == "send" and by_name["status"].direction == "receive"
    assert by_name["prompt"].examples == ({"type": "prompt", "prompt": "hi"},)
    assert c.media_send[0]["source"] == "camera" and c.media_receive[0]["kind"] == "video"
    assert any("server.status" in n and "points at nothing" in n for n in c.notes)


@pytest.mark.parametrize(
    ("doc", "problem"),
    [("x", "is a JSON str"), ({"openapi": "3.1.0"}, "no 'asyncapi' version")],
)
def test_what_is_not_asyncapi_is_one_line(doc: Any, problem: str) -> None:
    with pytest.raises(asyncapi.AsyncApiError, match=problem):
        asyncapi.parse(doc)


def test_odd_parts_are_skipped_or_noted() -> None:
    doc = fal_contract()
    doc["asyncapi"] = "2.6.0"
    doc["channels"] = []
    doc["operations"] = {"x": "nope", "y": {"action": "send", "messages": "nope"}}
    doc["components"]["messages"]["bad"] = 7
    doc["x-fal-media"] = {"send": "camera"}
    c = asyncapi.parse(doc)
    assert c.channel is None and c.media_send == ()
    assert {m.name for m in c.messages} == {"prompt", "status"}
    assert any("rtprobe reads the 3.x layout" in n for n in c.notes)
