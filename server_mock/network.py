"""Network conditions on the mock's WebRTC peers: RTP/RTCP loss, delay, jitter, bandwidth.

Which profile a session gets: its `?network=PROFILE` query parameter on the signaling
WebSocket (a preset or the custom syntax of `app.core.network.profile`), else the
server's (`rtprobe mock --network`, changed live at `/_mock/network`). A session that
follows the server's hears every live change; one with its own `?network=` keeps it.
One session alone changes at `/_mock/sessions/{id}/network` (`live_sessions.py`).

The handler of each WebSocket runs in its own task, so the session's setting travels to
the signaling code in a ContextVar (`enter` in the handler, `attach` where the peer
connection is made), with nothing global to leak between sessions.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.core.network.datagram import ImpairedPeer, NetworkSetting
from app.core.network.impair import NetworkError, NetworkProfile
from app.core.network.profile import describe, format_profile, parse_profile, to_toxics
from app.core.network.toxics import ToxicError
from app.core.network.toxicset import ToxicSet
from server_mock.live_sessions import SessionNetwork

log = logging.getLogger("server_mock.network")

QUERY_PARAM = "network"
_SESSION: ContextVar[NetworkSetting | None] = ContextVar("mock_network", default=None)


def check_query(query: Mapping[str, str]) -> None:
    """Raises NetworkError (a ValueError, one line) when `?network=` is bad."""
    if query.get(QUERY_PARAM):
        parse_profile(query[QUERY_PARAM])


def enter(server: NetworkSetting, query: Mapping[str, str]) -> SessionNetwork:
    """This task's (the WebSocket session's) network: its own `?network=`, or the
    server's, followed live; either can be replaced for this session alone later
    (`server_mock/live_sessions.py`). The caller closes it when the session ends."""
    spec = query.get(QUERY_PARAM)
    setting = SessionNetwork(server, parse_profile(spec) if spec else None)
    _SESSION.set(setting)
    return setting


def attach(pc: Any) -> ImpairedPeer | None:
    """Impair `pc`'s datagrams (server side) when the session has a network setting."""
    setting = _SESSION.get()
    if setting is None:
        return None
    peer = ImpairedPeer(setting, role="server")
    peer.attach(pc)
    return peer


def shape_connection(setting: SessionNetwork, connection: Any) -> Callable[[], None]:
    """A realtime, ws or SSE session's network on its own TCP connection: while the
    session has a profile of its own (`?network=` at connect, `PUT
    /_mock/sessions/{id}/network`), its toxics replace the connection's `net_*` ones
    (`ToxicProtocol.set_session_toxics`); following the server's again restores them.
    `connection` None (not behind the toxic wrapper): nothing. Returns the stop."""
    if connection is None:
        return lambda: None

    def changed(_profile: NetworkProfile | None = None) -> None:
        connection.set_session_toxics(to_toxics(setting.profile) if setting.own else None)

    if setting.own:
        changed()
    unlisten = setting.listen(changed)

    def stop() -> None:
        unlisten()
        connection.set_session_toxics(None)  # a keep-alive connection goes on without it

    return stop


def server_setting(spec: str, toxics: ToxicSet) -> NetworkSetting:
    """The server-wide setting of `rtprobe mock --network` (its toxics added to `toxics`)."""
    profile = parse_profile(spec)
    apply_toxics(profile, toxics)
    return NetworkSetting(profile)


def apply_toxics(profile: NetworkProfile, toxics: ToxicSet) -> None:
    """The profile's byte-stream toxics (realtime, ws, SSE) in place of the previous
    profile's (`net_*`); toxics added by other means stay."""
    kept = [t for t in toxics.toxics if not t.name.startswith("net_")]
    toxics.replace(kept + to_toxics(profile))


def network_json(setting: NetworkSetting) -> dict[str, Any]:
    p = setting.profile
    return {"name": p.name, "spec": format_profile(p), "description": describe(p)}


async def network_admin(request: Request) -> Response:
    """GET the server's network profile; PUT `{"spec": "4g"}` (a preset or a profile)
    changes it live: WebRTC sessions that follow the server's setting and the
    byte-stream toxics of every connection (realtime, ws, SSE)."""
    state = request.app.state
    if request.method == "PUT":
        if not state.tokens.key_ok(request.headers.get("authorization")):
            return JSONResponse(
                {"detail": "missing or invalid 'Authorization: Key …' header"}, status_code=401
            )
        try:
            body = json.loads(await request.body() or b"{}")
            spec = body.get("spec", "") if isinstance(body, dict) else None
            if not isinstance(spec, str):
                raise NetworkError('body must be {"spec": "PRESET or PROFILE"}')
            profile = parse_profile(spec)
            apply_toxics(profile, state.toxics)
        except (ValueError, ToxicError) as exc:
            return JSONResponse({"detail": str(exc)[:300]}, status_code=400)
        state.network.set(profile)
        log.info("network changed: %s", describe(profile))
    return JSONResponse(network_json(state.network))
