"""Read the AsyncAPI 3.x document a WMA app links from `x-fal-realtime.asyncapi.url`.

fal's `fal/wma/contract.py` (`render_asyncapi`) renders it: one channel `control`
(the WebRTC data channel, `address` its label), the operations `sendControl`
(action send, client messages) and `receiveEvents` (action receive, server messages),
`components.messages` keyed `client.<type>` / `server.<type>`, each with `name` (the
wire `type`), `title`, `payload` ($ref to `components.schemas`) and optional
`examples` (`name`, `payload`, `summary`); media tracks in `x-fal-media`
(`perspective` client, `send`/`receive` lists of `{kind, source, required,
constraints|settings}`), and `x-fal-openapi` pointing back at the session operation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.core.discovery.refs import SchemaError, obj, pointer, seq

MAX_MESSAGES = 200


@dataclass(frozen=True)
class Message:
    key: str  # "client.prompt"
    name: str  # the wire `type`
    direction: str  # send (client -> model) | receive
    title: str = ""
    payload: dict[str, Any] | None = None  # a schema ($ref into the document)
    examples: tuple[dict[str, Any], ...] = ()  # payloads, as published


@dataclass(frozen=True)
class Contract:
    spec_version: str
    title: str
    channel: str | None  # the data channel's label
    messages: tuple[Message, ...]
    media_send: tuple[dict[str, Any], ...] = ()
    media_receive: tuple[dict[str, Any], ...] = ()
    document: dict[str, Any] = field(default_factory=dict, repr=False)
    notes: tuple[str, ...] = ()


class AsyncApiError(ValueError):
    """Not an AsyncAPI document rtprobe can read; one line."""


def parse(doc: Any) -> Contract:
    if not isinstance(doc, dict):
        raise AsyncApiError(f"the AsyncAPI document is a JSON {type(doc).__name__}")
    version = doc.get("asyncapi")
    if not isinstance(version, str):
        raise AsyncApiError("the document has no 'asyncapi' version: not an AsyncAPI document")
    notes: list[str] = []
    if not version.startswith("3."):
        notes.append(f"AsyncAPI {version[:20]}: rtprobe reads the 3.x layout")
    info = obj(doc, "info")
    channels = obj(doc, "channels")
    control = obj(channels, "control")
    address = control.get("address")
    messages = _messages(doc, notes)
    media = obj(doc, "x-fal-media")
    return Contract(
        spec_version=version[:20],
        title=str(info.get("title", ""))[:200],
        channel=address if isinstance(address, str) else None,
        messages=tuple(messages),
        media_send=_tracks(media.get("send")),
        media_receive=_tracks(media.get("receive")),
        document=doc,
        notes=tuple(notes),
    )


def _direction(doc: dict[str, Any]) -> dict[str, str]:
    """Message ref -> send/receive, from the operations (client perspective)."""
    out: dict[str, str] = {}
    operations = obj(doc, "operations")
    for op in list(operations.values())[:MAX_MESSAGES]:
        if not isinstance(op, dict) or op.get("action") not in ("send", "receive"):
            continue
        for ref in seq(op, "messages")[:MAX_MESSAGES]:
            if isinstance(ref, dict) and isinstance(ref.get("$ref"), str):
                key = ref["$ref"].rsplit("/", 1)[-1].replace("~1", "/").replace("~0", "~")
                out[key] = op["action"]
    return out


def _messages(doc: dict[str, Any], notes: list[str]) -> list[Message]:
    components = obj(doc, "components")
    table = obj(components, "messages")
    directions = _direction(doc)
    out: list[Message] = []
    for key, message in list(table.items())[:MAX_MESSAGES]:
        if not isinstance(message, dict):
            continue
        payload = message.get("payload")
        if isinstance(payload, dict) and isinstance(payload.get("$ref"), str):
            try:
                pointer(doc, payload["$ref"])
            except SchemaError as exc:
                notes.append(f"message {key[:60]}: {exc}")
        direction = directions.get(key) or ("send" if key.startswith("client.") else "receive")
        examples = seq(message, "examples")
        out.append(
            Message(
                key=str(key)[:100],
                name=str(message.get("name", key.rsplit(".", 1)[-1]))[:100],
                direction=direction,
                title=str(message.get("title", ""))[:200],
                payload=payload if isinstance(payload, dict) else None,
                examples=tuple(
                    e["payload"]
                    for e in examples[:20]
                    if isinstance(e, dict) and isinstance(e.get("payload"), dict)
                ),
            )
        )
    if len(table) > MAX_MESSAGES:
        notes.append(f"only the first {MAX_MESSAGES} of {len(table)} messages were read")
    return out


def _tracks(value: Any) -> tuple[dict[str, Any], ...]:
    if not isinstance(value, list):
        return ()
    return tuple(t for t in value[:16] if isinstance(t, dict))
