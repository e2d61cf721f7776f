"""The mock's side of one WebRTC session: its id and changing its network live.

The rtprobe mock names every WebRTC signaling session in a response header of the
WebSocket handshake (`SESSION_HEADER`), so a client learns it without a signaling message
fal does not have. With it, `PUT {mock}/_mock/sessions/{id}/network` changes the
impairments of the mock's peer for that session alone (docs/network.md). Another
server sends no such header; the id is then None and only the client side can change.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

import httpx

SESSION_HEADER = "x-rtprobe-session"
_ID_MAX = 64


def session_id(headers: Any) -> str | None:
    """The mock's session id from handshake response headers (None when absent or odd)."""
    value = headers.get(SESSION_HEADER) if headers is not None else None
    if not isinstance(value, str) or not value or len(value) > _ID_MAX:
        return None
    return value if value.isascii() and value.isprintable() else None


def mock_base(url: str) -> str:
    """http(s)://host:port of a ws(s) or http(s) URL of the mock."""
    parts = urlsplit(url)
    scheme = {"ws": "http", "wss": "https"}.get(parts.scheme, parts.scheme)
    return f"{scheme}://{parts.netloc}"


async def set_session_network(
    base: str,
    session: str,
    spec: str | None,
    *,
    key: str | None = None,
    timeout_s: float = 5.0,
) -> dict[str, Any]:
    """Give the mock's session `session` the profile `spec` (None: the server's again);
    returns the mock's JSON of the session. Raises ValueError with one line on failure."""
    headers = {"Authorization": f"Key {key}"} if key else {}
    url = f"{base}/_mock/sessions/{quote(session, safe='')}/network"
    try:
        async with httpx.AsyncClient(timeout=timeout_s) as client:
            response = await client.put(url, json={"spec": spec}, headers=headers)
    except httpx.HTTPError as exc:
        raise ValueError(f"mock session {session}: {type(exc).__name__}") from None
    if response.status_code != 200:
        try:
            detail = str(response.json().get("detail", ""))[:200]
        except ValueError:
            detail = ""
        raise ValueError(f"mock session {session}: HTTP {response.status_code} {detail}".strip())
    body: dict[str, Any] = response.json()
    return body
