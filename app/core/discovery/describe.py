"""From what a user typed (an app id or a URL) to the app's routes and how to call
each: where its documents are, what they say, and the `rtprobe run` line for it.

fal serves an app's OpenAPI at `https://fal.run/{owner}/{alias}/openapi.json`; the
embedded mock at `{base}/mock/{alias}/openapi.json`. A URL names an app's base (or its
openapi.json) directly. A WMA route's AsyncAPI document is fetched from the URL its
`x-fal-realtime` gives, relative to the OpenAPI's URL.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

from app.core.discovery import asyncapi, openapi
from app.core.discovery.example import example
from app.core.discovery.fetch import fetch_json, shown
from app.core.errors import ProbeError, ProtocolError, TargetError
from app.core.sessions import registry
from app.core.targets import DEFAULT_HOST, _parse_app_id

EXAMPLE_COUNT = 10  # messages in the printed command: quick to try, then scale up


@dataclass(frozen=True)
class Where:
    openapi_url: str
    base_url: str  # http(s)://host/owner/alias: a route is this + its path
    app_id: str | None = None  # "owner/alias" when given as an app id
    run_flags: tuple[str, ...] = ()  # how `rtprobe run` reaches the same host


@dataclass(frozen=True)
class Usage:
    """One route, said the way a caller needs it."""

    route: openapi.Route
    target: str  # what `rtprobe run` takes: an app id with path, or a URL
    url: str  # the route's own URL (ws:// for WebSocket transports)
    example: Any
    command: str | None  # the `rtprobe run` line, None when rtprobe cannot drive it
    max_buffering: int | None
    contract: asyncapi.Contract | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Description:
    where: Where
    app: openapi.AppDoc
    usages: tuple[Usage, ...]
    notes: tuple[str, ...] = field(default=())


def locate(target: str, *, mock_base: str | None = None, host: str | None = None) -> Where:
    """Where `target`'s OpenAPI is; TargetError when it is neither an app id nor a URL."""
    target = target.strip()
    if not target:
        raise TargetError("the target is empty: give a fal app id (owner/alias) or a URL")
    if "://" in target:
        parts = urlsplit(target)
        scheme = {"ws": "http", "wss": "https"}.get(parts.scheme.lower(), parts.scheme.lower())
        if scheme not in ("http", "https") or not parts.hostname:
            raise TargetError(f"URL {shown(target)!r} must be http(s):// or ws(s):// with a host")
        path = parts.path.rstrip("/")
        if path.endswith("/openapi.json"):
            path = path[: -len("/openapi.json")]
        base = urlunsplit((scheme, parts.netloc, path, "", ""))
        return Where(f"{base}/openapi.json", base)
    owner, alias, _path, namespace = _parse_app_id(target)
    app_id = f"{namespace}/{owner}/{alias}" if namespace else f"{owner}/{alias}"
    flags: tuple[str, ...] = ()
    if mock_base is not None:
        root, flags = mock_base.rstrip("/"), ("--mock",)
    else:
        root = f"https://{host or DEFAULT_HOST}"
        flags = ("--host", host) if host else ()
    return Where(f"{root}/{app_id}/openapi.json", f"{root}/{app_id}", app_id, flags)


async def describe(
    target: str,
    *,
    mock_base: str | None = None,
    host: str | None = None,
    key: str | None = None,
    timeout_s: float = 10.0,
) -> Description:
    where = locate(target, mock_base=mock_base, host=host)
    try:
        app = openapi.parse(await fetch_json(where.openapi_url, key=key, timeout_s=timeout_s))
    except openapi.DocumentError as exc:
        raise ProtocolError(f"{shown(where.openapi_url)}: {exc}") from None
    usages = []
    for route in app.routes:
        contract, notes = None, list(route.notes)
        if route.asyncapi_url:
            contract, note = await _contract(where, route.asyncapi_url, key, timeout_s)
            if note:
                notes.append(note)
        usages.append(usage(where, app, route, contract, tuple(notes)))
    return Description(where, app, tuple(usages), app.warnings)


async def _contract(
    where: Where, url: str, key: str | None, timeout_s: float
) -> tuple[asyncapi.Contract | None, str | None]:
    """The AsyncAPI contract, or a note saying why not (a route is still usable without)."""
    full = urljoin(where.openapi_url, url)
    if urlsplit(full).netloc != urlsplit(where.openapi_url).netloc:
        return None, f"AsyncAPI at another host ({shown(full)}): not fetched"
    try:
        return asyncapi.parse(await fetch_json(full, key=key, timeout_s=timeout_s)), None
    except (ProbeError, asyncapi.AsyncApiError) as exc:
        return None, f"AsyncAPI document: {exc}"


def usage(
    where: Where,
    app: openapi.AppDoc,
    route: openapi.Route,
    contract: asyncapi.Contract | None = None,
    notes: tuple[str, ...] = (),
) -> Usage:
    path = route.path if route.path.startswith("/") else f"/{route.path}"
    url = where.base_url + path
    if (
        route.transport is not None
        and not registry.fact(route.transport, "over_http")
        and route.kind != "wma"
    ):
        url = "ws" + url[len("http") :]
    target = f"{where.app_id}{path}" if where.app_id else url
    payload = example(app.document, route.input_schema)
    if contract is not None and route.input_schema is None:
        sends = [m for m in contract.messages if m.direction == "send" and m.examples]
        payload = sends[0].examples[0] if sends else payload
    buffering = route.buffering if route.buffering and 1 <= route.buffering <= 60 else None
    if route.signaling == "wma":
        notes = (
            *notes,
            "a WMA session: POST start-session, then the 'control' data channel "
            "(docs/protocols.md 4c): `rtprobe run webrtc … --webrtc-flavour wma`",
        )
    return Usage(
        route=route,
        target=target,
        url=url,
        example=payload,
        command=_command(where, route, target, payload, buffering),
        max_buffering=buffering,
        contract=contract,
        notes=notes,
    )


def _command(
    where: Where, route: openapi.Route, target: str, payload: Any, buffering: int | None
) -> str | None:
    if route.transport is None:
        return None
    words = ["rtprobe", "run", route.transport, target, *where.run_flags]
    if registry.fact(route.transport, "paced_by_source"):
        if route.signaling in ("json", "msgpack"):
            words += ["--signaling", route.signaling]
        elif route.signaling == "wma":  # fal's HTTP session start (docs/protocols.md 4c)
            words += ["--webrtc-flavour", "wma"]
        words += ["--duration", "5"]
    else:
        words += ["--payload", json.dumps(payload, separators=(",", ":"), default=str)]
        count = 1 if route.mode in ("server_streaming",) else EXAMPLE_COUNT
        words += ["--count", str(count)]
        if buffering is not None:
            words += ["--max-buffering", str(buffering)]
    return shlex.join(words)
