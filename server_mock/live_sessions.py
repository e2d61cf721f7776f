"""The mock's live WebRTC sessions, each with its own network setting, changeable alone.

Every WebRTC signaling session gets an id (`SESSION_HEADER` on the WebSocket's accept,
so the client learns it without a new signaling message: the messages stay fal's) and a
`SessionNetwork`: the server's profile, followed live, until the session is given its
own (`?network=` at connect, or `PUT /_mock/sessions/{id}/network` mid-session). Giving
one session a profile leaves the others alone; `{"spec": null}` makes it follow the
server's again. `GET /_mock/sessions` lists them.

Realtime, ws and SSE sessions are listed too (kind "realtime", "ws", "sse"; the id in
the handshake's or the SSE response's headers): their network is toxics on the TCP
connection under uvicorn (`server_mock/toxics.py`), which the app finds by the peer
address of its scope; a profile of their own replaces that connection's `net_*` toxics
(`network.shape_connection`), so the change reaches its bytes from the next chunk.
"""

from __future__ import annotations

import itertools
import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.core.network.datagram import NetworkSetting
from app.core.network.impair import NetworkError, NetworkProfile
from app.core.network.mock_session import SESSION_HEADER
from app.core.network.profile import describe, format_profile, parse_profile, to_toxics

log = logging.getLogger("server_mock.network")

__all__ = ["SESSION_HEADER", "LiveSession", "LiveSessions", "SessionNetwork"]
MAX_SESSIONS_LISTED = 1000


class SessionNetwork(NetworkSetting):
    """One session's live profile: the server's (followed) or its own."""

    def __init__(self, server: NetworkSetting, own: NetworkProfile | None = None) -> None:
        super().__init__(own if own is not None else server.profile)
        self.own = own is not None
        self._server = server
        self._unlisten = server.listen(self._server_changed)

    def _server_changed(self, profile: NetworkProfile) -> None:
        if not self.own:
            super().set(profile)

    def set_own(self, profile: NetworkProfile | None) -> None:
        """This session's own profile; None: follow the server's again."""
        self.own = profile is not None
        self.set(profile if profile is not None else self._server.profile)

    def close(self) -> None:
        self._unlisten()


@dataclass
class LiveSession:
    id: str
    kind: str
    path: str
    network: SessionNetwork
    started: float = field(default_factory=time.time)
    changes: int = 0

    def json(self) -> dict[str, Any]:
        p = self.network.profile
        return {
            "id": self.id,
            "kind": self.kind,
            "path": self.path,
            "started": round(self.started, 3),
            "network": {
                "name": p.name,
                "spec": format_profile(p),
                "description": describe(p),
                "source": "session" if self.network.own else "server",
                "changes": self.changes,
            },
        }


class LiveSessions:
    """id -> session, for as long as the session runs."""

    def __init__(self) -> None:
        self._by_id: dict[str, LiveSession] = {}
        self._ids = itertools.count(1)

    def open(self, kind: str, path: str, network: SessionNetwork) -> LiveSession:
        session = LiveSession(f"s{next(self._ids)}", kind, path, network)
        self._by_id[session.id] = session
        return session

    def close(self, session: LiveSession) -> None:
        self._by_id.pop(session.id, None)
        session.network.close()

    def get(self, session_id: str) -> LiveSession | None:
        return self._by_id.get(session_id)

    def __len__(self) -> int:
        return len(self._by_id)

    def json(self) -> list[dict[str, Any]]:
        return [s.json() for s in list(self._by_id.values())[:MAX_SESSIONS_LISTED]]


def _error(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail[:300]}, status_code=status)


async def sessions_admin(request: Request) -> Response:
    """GET `/_mock/sessions`: the live sessions (WebRTC, realtime, ws, SSE) with their
    network."""
    return JSONResponse({"sessions": request.app.state.live_sessions.json()})


async def session_network_admin(request: Request) -> Response:
    """GET or PUT `/_mock/sessions/{id}/network`: `{"spec": "3g"}` gives the session its
    own profile from its next packet ("" is clean), `{"spec": null}` makes it follow the
    server's again."""
    state = request.app.state
    session = state.live_sessions.get(request.path_params["session"])
    if session is None:
        return _error(404, f"no live session {request.path_params['session']!r}")
    if request.method == "PUT":
        if not state.tokens.key_ok(request.headers.get("authorization")):
            return _error(401, "missing or invalid 'Authorization: Key …' header")
        try:
            body = json.loads(await request.body() or b"{}")
            if not isinstance(body, dict) or "spec" not in body:
                raise NetworkError('body must be {"spec": "PRESET or PROFILE"} or {"spec": null}')
            spec = body["spec"]
            if spec is not None and not isinstance(spec, str):
                raise NetworkError('"spec" must be a string or null')
            profile = None if spec is None else parse_profile(spec)
            if profile is not None and session.kind != "webrtc":
                to_toxics(profile)  # a byte stream's profile is toxics: checked before
        except ValueError as exc:
            return _error(400, str(exc))
        session.network.set_own(profile)
        session.changes += 1
        log.info("session %s network: %s", session.id, describe(session.network.profile))
    return JSONResponse(session.json())
