"""Turning what a user types (a fal app id or a URL) into the URLs a transport needs.

App ids follow fal-client: `owner/alias[/path]`, `workflows/owner/alias`, or the
legacy `123-alias`. Without a path each transport uses fal's usual route:
realtime `/realtime`, SSE `/stream`, WebRTC `/webrtc`, raw WebSocket none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from app.core.errors import TargetError
from app.core.sessions import registry

Transport = str  # a name in the session registry (`app.core.sessions.registry`)
TRANSPORTS: tuple[Transport, ...] = tuple(registry.TRANSPORTS)
DEFAULT_HOST = "fal.run"
DEFAULT_REST = "https://rest.fal.ai"
NAMESPACES = ("workflows", "comfy")
_SEGMENT = re.compile(r"^[A-Za-z0-9._~-]+$")


@dataclass(frozen=True)
class Target:
    transport: Transport
    url: str  # ws(s):// for realtime/ws/webrtc, http(s):// for sse
    alias: str | None = None  # for token requests (`allowed_apps`)
    token_url: str | None = None  # where `POST /tokens/` goes, for app ids

    @property
    def display(self) -> str:
        """The URL without its query (which may carry a token)."""
        parts = urlsplit(self.url)
        return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def resolve(
    transport: str,
    target: str,
    *,
    host: str | None = None,
    rest_url: str | None = None,
    base_url: str | None = None,
) -> Target:
    """Resolve `target` for `transport`.

    `base_url` (e.g. the embedded mock's `http://127.0.0.1:PORT`) replaces both the
    run host and the token service, as pointing fal-client at a mock does.
    """
    if transport not in TRANSPORTS:
        raise TargetError(f"unknown transport {transport!r}: use one of {', '.join(TRANSPORTS)}")
    target = target.strip()
    if not target:
        raise TargetError("the target is empty: give a fal app id (owner/alias) or a URL")
    if "://" in target:
        return Target(transport, _normalize_url(transport, target))
    owner, alias, path, namespace = _parse_app_id(target)
    if not path:
        path = registry.transport(transport).default_path
    prefix = f"{namespace}/" if namespace else ""
    app_path = f"{prefix}{owner}/{alias}" + (f"/{path}" if path else "")
    secure = base_url is None
    if base_url is not None:
        parts = urlsplit(base_url.rstrip("/"))
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise TargetError(f"base URL {base_url!r} must be http(s)://host:port")
        netloc, secure = parts.netloc, parts.scheme == "https"
        token_url = f"{parts.scheme}://{netloc}/tokens/"
    else:
        netloc = host or DEFAULT_HOST
        token_url = f"{(rest_url or DEFAULT_REST).rstrip('/')}/tokens/"
    if registry.transport(transport).over_http:
        scheme = "https" if secure else "http"
    else:
        scheme = "wss" if secure else "ws"
    return Target(transport, f"{scheme}://{netloc}/{app_path}", alias, token_url)


def _normalize_url(transport: str, url: str) -> str:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if not parts.netloc or not parts.hostname:
        raise TargetError(f"URL {url!r} has no host")
    want_ws = not registry.transport(transport).over_http
    if scheme in ("ws", "wss"):
        if not want_ws:
            scheme = "https" if scheme == "wss" else "http"
    elif scheme in ("http", "https"):
        if want_ws:
            scheme = "wss" if scheme == "https" else "ws"
    else:
        raise TargetError(f"URL {url!r}: scheme {parts.scheme!r} is not ws, wss, http or https")
    try:
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        raise TargetError(f"URL {url!r} has an invalid port") from None
    return urlunsplit((scheme, parts.netloc, parts.path or "/", parts.query, ""))


def _parse_app_id(app_id: str) -> tuple[str, str, str, str | None]:
    parts = [p for p in app_id.strip("/").split("/")]
    if len(parts) == 1:
        match = re.fullmatch(r"([0-9]+)-([A-Za-z0-9-]+)", parts[0])
        if not match:
            raise TargetError(
                f"app id {app_id!r} must look like owner/alias (e.g. fal-ai/fast-sdxl) or be a URL"
            )
        parts = [match.group(1), match.group(2)]
    namespace = None
    if parts[0] in NAMESPACES:
        namespace, parts = parts[0], parts[1:]
        if len(parts) < 2:
            raise TargetError(f"app id {app_id!r}: {namespace}/ must be followed by owner/alias")
    for segment in parts:
        if not segment or not _SEGMENT.match(segment):
            raise TargetError(f"app id {app_id!r} has an invalid part {segment!r}")
    return parts[0], parts[1], "/".join(parts[2:]), namespace
