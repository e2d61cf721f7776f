"""`rtprobe describe APP_ID_OR_URL`: the routes an app publishes and how to call each
(transport, mode, buffering, an example payload and the `rtprobe run` line), read from
its OpenAPI (and AsyncAPI) documents; `--json` for scripts."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable
from contextlib import AsyncExitStack
from typing import Any

from app.core.discovery.describe import Description, Usage, describe
from app.core.engine.build import key_from_env
from app.core.errors import ProbeError
from app.core.redact import Redactor
from app.core.sessions import registry


def add_parser(sub: Any, types: dict[str, Callable[[str], Any]]) -> None:
    p = sub.add_parser(
        "describe",
        help="list an app's routes and how to call each (from its openapi.json)",
        description="Read an app's /openapi.json (fal's x-fal-protocol and x-fal-realtime "
        "extensions, and the AsyncAPI document WMA apps link) and print each route: "
        "transport, realtime mode, buffering, an example payload built from its input "
        "schema and the `rtprobe run` command for it. TARGET is a fal app id "
        "(owner/alias), a mock app with --mock (mock/echo), or a URL "
        "(http://127.0.0.1:PORT/mock/echo, …/openapi.json). The key, when the server "
        "asks for one, comes from $FAL_KEY.",
    )
    p.add_argument("target", metavar="APP_ID_OR_URL")
    p.add_argument("--json", dest="as_json", action="store_true", help="print JSON")
    p.add_argument("--mock", action="store_true", help="start the embedded mock and ask it")
    p.add_argument("--host", help="host for app ids instead of fal.run")
    p.add_argument(
        "--timeout",
        type=types["seconds"],
        default=10.0,
        metavar="S",
        help="the whole fetch must end within S seconds (default 10)",
    )


def main(args: argparse.Namespace) -> int:
    key = key_from_env()
    redactor = Redactor([key])
    try:
        description = asyncio.run(_describe(args, key))
    except ProbeError as exc:
        print(f"rtprobe describe: {redactor.text(str(exc))}", file=sys.stderr)
        return 1
    text = (
        json.dumps(as_json(description), indent=2, default=_bytes)
        if args.as_json
        else render(description)
    )
    print(redactor.text(text))  # a server may echo the key back in its documents
    return 0


async def _describe(args: argparse.Namespace, key: str | None) -> Description:
    async with AsyncExitStack() as stack:
        mock_base = None
        if args.mock:
            from server_mock import MockConfig, MockServer

            mock_base = await stack.enter_async_context(MockServer(MockConfig(port=0)))
        return await describe(
            args.target, mock_base=mock_base, host=args.host, key=key, timeout_s=args.timeout
        )
    raise AssertionError("unreachable")  # pragma: no cover - for mypy's return check


def _bytes(value: Any) -> str:
    return f"<{len(value)} bytes>" if isinstance(value, bytes) else str(value)


def as_json(d: Description) -> dict[str, Any]:
    return {
        "openapi_url": d.where.openapi_url,
        "title": d.app.title,
        "version": d.app.version,
        "description": d.app.description,
        "routes": [_usage_json(u) for u in d.usages],
        "notes": list(d.notes),
        # what the routes' `input_schema` refs point at (#/components/schemas/…)
        "components": {"schemas": _schemas(d)},
    }


def _schemas(d: Description) -> dict[str, Any]:
    components = d.app.document.get("components")
    schemas = components.get("schemas") if isinstance(components, dict) else None
    return schemas if isinstance(schemas, dict) else {}


def _usage_json(u: Usage) -> dict[str, Any]:
    r = u.route
    out: dict[str, Any] = {
        "path": r.path,
        "kind": r.kind,
        "transport": r.transport,
        "mode": r.mode,
        "content_type": r.content_type,
        "buffering": r.buffering,
        "max_buffering": u.max_buffering,
        "session_timeout_s": r.session_timeout_s,
        "max_batch_size": r.max_batch_size,
        "signaling": r.signaling,
        "summary": r.summary,
        "target": u.target,
        "url": u.url,
        "example": u.example,
        "command": u.command,
        "input_schema": r.input_schema,
        "notes": list(u.notes),
    }
    if u.contract is not None:
        out["asyncapi"] = {
            "channel": u.contract.channel,
            "messages": [
                {"name": m.name, "direction": m.direction, "examples": list(m.examples)}
                for m in u.contract.messages
            ],
            "media_send": list(u.contract.media_send),
            "media_receive": list(u.contract.media_receive),
        }
    return out


def _facts(u: Usage) -> str:
    r = u.route
    facts = [r.transport or f"{r.kind} (not measured by rtprobe run)"]
    if r.mode:
        facts.append(r.mode)
    if r.signaling:
        facts.append(f"signaling {r.signaling}")
    if r.content_type:
        facts.append(r.content_type.removeprefix("application/"))
    if r.buffering is not None:
        facts.append(f"buffering {r.buffering}")
    if r.max_batch_size and r.max_batch_size > 1:
        facts.append(f"max batch {r.max_batch_size}")
    if r.session_timeout_s is not None:
        facts.append(f"session timeout {r.session_timeout_s:g} s")
    return " · ".join(facts)


def render(d: Description) -> str:
    head = d.app.title or d.where.app_id or d.where.base_url
    lines = [f"{head}" + (f" — {d.app.description}" if d.app.description else "")]
    lines.append(f"  from {d.where.openapi_url}: {len(d.usages)} route(s)")
    for u in d.usages:
        lines.append("")
        lines.append(f"{u.route.path}  {_facts(u)}")
        if u.route.summary:
            lines.append(f"  about    {u.route.summary}")
        lines.append(f"  url      {u.url}")
        if registry.fact(u.route.transport or "", "sends_payload"):
            lines.append(f"  example  {json.dumps(u.example, default=_bytes)[:400]}")
        if u.contract is not None:
            sends = [m.name for m in u.contract.messages if m.direction == "send"]
            gets = [m.name for m in u.contract.messages if m.direction == "receive"]
            lines.append(f"  control  channel {u.contract.channel!r}: sends {', '.join(sends)}")
            lines.append(f"           receives {', '.join(gets)}")
        if u.command:
            lines.append(f"  run      {u.command}")
        for note in u.notes:
            lines.append(f"  note     {note}")
    for note in d.notes:
        lines.append(f"note: {note}")
    return "\n".join(lines)
