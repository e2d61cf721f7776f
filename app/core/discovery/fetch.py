"""Fetch an app's documents with httpx, bounded: at most MAX_DOCUMENT_BYTES, at most
MAX_REDIRECTS redirects, the whole fetch within a deadline (a server that drips one
byte a second would otherwise reset httpx's read timeout forever).

The key goes as `Authorization: Key …` only when the server asked for it (401/403
without it), never to another host than the one asked (httpx drops it on a redirect
to another origin), and never into a message: errors name the URL without its query.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from app.core.errors import AuthError, ConnectError, ProbeTimeout, ProtocolError, TargetError

MAX_DOCUMENT_BYTES = 8 * 1024 * 1024  # fal's largest app documents are a few hundred KiB
MAX_REDIRECTS = 5
TIMEOUT_S = 10.0


def shown(url: str) -> str:
    """A URL fit for a message: no query (it may carry a token), no user info."""
    parts = urlsplit(url)
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


async def fetch_json(
    url: str,
    *,
    key: str | None = None,
    timeout_s: float = TIMEOUT_S,
    max_bytes: int = MAX_DOCUMENT_BYTES,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Any:
    """The JSON document at `url`; a ProbeError with one line when it cannot be had."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise TargetError(f"cannot fetch {shown(url)}: only http(s) URLs")
    try:
        async with asyncio.timeout(timeout_s):
            return await _fetch(url, key, max_bytes, transport, timeout_s)
    except TimeoutError:
        raise ProbeTimeout(f"{shown(url)}: no complete answer within {timeout_s:g} s") from None


async def _fetch(
    url: str,
    key: str | None,
    max_bytes: int,
    transport: httpx.AsyncBaseTransport | None,
    timeout_s: float,
) -> Any:
    async with httpx.AsyncClient(
        follow_redirects=True,
        max_redirects=MAX_REDIRECTS,
        timeout=timeout_s,
        transport=transport,
        trust_env=False,  # loopback stays loopback: no proxy from the environment
    ) as client:
        status, body = await _get(client, url, {}, max_bytes)
        if status in (401, 403) and key:
            status, body = await _get(client, url, {"Authorization": f"Key {key}"}, max_bytes)
        if status in (401, 403):
            hint = " (set FAL_KEY)" if not key else " (the key was refused)"
            raise AuthError(f"{shown(url)} answered HTTP {status}{hint}")
        if status != 200:
            raise ConnectError(f"{shown(url)} answered HTTP {status}")
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as exc:
        reason = "too deeply nested" if isinstance(exc, RecursionError) else str(exc)[:120]
        raise ProtocolError(f"{shown(url)} is not JSON: {reason}") from None


async def _get(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], max_bytes: int
) -> tuple[int, bytes]:
    try:
        async with client.stream("GET", url, headers=headers) as response:
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise ProtocolError(_too_big(url, max_bytes))
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise ProtocolError(_too_big(url, max_bytes))
                chunks.append(chunk)
            return response.status_code, b"".join(chunks)
    except httpx.TooManyRedirects:
        raise ConnectError(f"{shown(url)}: more than {MAX_REDIRECTS} redirects") from None
    except httpx.TimeoutException:
        raise ProbeTimeout(f"{shown(url)}: timed out") from None
    except httpx.HTTPError as exc:
        reason = " ".join(str(exc).split())[:160] or type(exc).__name__
        raise ConnectError(f"{shown(url)}: {reason}") from None


def _too_big(url: str, max_bytes: int) -> str:
    return f"{shown(url)} is larger than {max_bytes // (1024 * 1024)} MiB: not read"
