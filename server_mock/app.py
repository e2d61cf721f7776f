"""The mock server's one ASGI application: fal-style addressing, auth and dispatch.

Apps live at `/{owner}/{alias}/…` with owner `mock`; every WebSocket handshake goes
through the same checks (route, auth, fault and buffering parameters) before the
transport module for that route takes over.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from app import __version__
from app.core import faultschema
from app.core.network import api as toxics_api
from app.core.network.impair import NetworkError
from app.core.network.toxics import ToxicError
from app.core.network.toxicset import ToxicSet
from app.core.transports import jitter_release
from app.core.transports.jitter_release import Release
from server_mock import drop_stale, live_sessions, network, sse, toxics, wma_routes, ws
from server_mock.apps import diffusion, echo
from server_mock.apps.validate import InvalidInput
from server_mock.auth import DEFAULT_TOKEN_EXPIRATION_S, MAX_TOKEN_EXPIRATION_S, TokenStore
from server_mock.config import MockConfig
from server_mock.faults import FaultParamError, Faults
from server_mock.health import loop_health
from server_mock.live_sessions import SESSION_HEADER, LiveSession, SessionNetwork
from server_mock.realtime import (
    RealtimeRoute,
    RealtimeSession,
    parse_max_buffering,
    run_route,
)

log = logging.getLogger("server_mock")

OWNER = "mock"


@dataclass(frozen=True)
class MockApp:
    """What one mock app serves on each transport."""

    realtime: dict[str, RealtimeRoute] = field(default_factory=dict)  # path -> route
    raw_ws: dict[str, str] = field(default_factory=dict)  # path -> raw handler name
    sse: Callable[[dict[str, Any]], sse.Events] | None = None
    run: Callable[[dict[str, Any]], Awaitable[dict[str, Any]]] | None = None
    description: str = ""


def _webrtc_route(kind: str) -> RealtimeRoute:
    """WebRTC signaling over the realtime protocol (docs/protocols.md, 4b): a bidi session."""

    async def handler(session: RealtimeSession) -> None:
        from server_mock import webrtc  # aiortc is heavy: load it on first use

        channel = webrtc.MsgpackChannel(session)
        if kind == "yolo":
            stale = drop_stale.of(session.ws.query_params, session.ws.app.state.config.drop_stale)
            await webrtc.serve_yolo(channel, session.faults, jitter_release_of(session.ws), stale)
        else:
            await webrtc.serve_world(channel, session.faults)
        if channel.bad_input is not None:
            raise channel.bad_input

    return RealtimeRoute(mode="bidi", handler=handler)


WEBRTC_APPS = ("yolo", "world")  # whose every WebSocket is WebRTC signaling
APPS: dict[str, MockApp] = {
    "echo": MockApp(
        realtime=echo.REALTIME_ROUTES,
        raw_ws={"ws": "echo"},
        sse=echo.sse_events,
        run=echo.echo_one,
        description="echoes its input with server timestamps",
    ),
    "diffusion": MockApp(
        realtime=diffusion.REALTIME_ROUTES,
        sse=diffusion.sse_events,
        run=diffusion.run,
        description="fake image model: SSE progress then a PNG; realtime PNGs",
    ),
    "yolo": MockApp(
        realtime={"realtime": _webrtc_route("yolo")},
        raw_ws={"webrtc": "yolo"},
        description="WebRTC video-to-video, boxes drawn (JSON at /webrtc, msgpack at /realtime)",
    ),
    "world": MockApp(
        realtime={"realtime": _webrtc_route("world"), "webrtc": _webrtc_route("world")},
        description="WebRTC server-generated scene steered by actions (msgpack signaling)",
    ),
    "wma": MockApp(
        description="fal's wma WebRTC flavour: /start-session (SSE answer) and the REST "
        "/session bridge; a world scene steered on the `control` data channel",
    ),
}


def jitter_release_of(websocket: WebSocket) -> Release:
    """The connection's `?jitter_release=`, else the server's; ValueError when bad."""
    config: MockConfig = websocket.app.state.config
    value = websocket.query_params.get(jitter_release.QUERY_PARAM)
    return config.jitter_release if value is None else jitter_release.parse_release(value)


# -- HTTP ------------------------------------------------------------------------------
def _error(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status)


async def _json_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        body = json.loads(raw or b"{}")
    except (ValueError, RecursionError) as exc:  # also too many digits, too deeply nested
        raise InvalidInput(f"request body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise InvalidInput(f"request body must be a JSON object, got {type(body).__name__}")
    return body


async def tokens(request: Request) -> Response:
    store: TokenStore = request.app.state.tokens
    if not store.key_ok(request.headers.get("authorization")):
        return _error(401, "missing or invalid 'Authorization: Key …' header")
    try:
        body = await _json_body(request)
    except InvalidInput as exc:
        return _error(422, str(exc))
    expiration = body.get("token_expiration", DEFAULT_TOKEN_EXPIRATION_S)
    if (
        isinstance(expiration, bool)
        or not isinstance(expiration, int | float)
        or not (0 < expiration <= MAX_TOKEN_EXPIRATION_S)
    ):
        return _error(422, f"token_expiration must be 1..{MAX_TOKEN_EXPIRATION_S} seconds")
    return JSONResponse(store.issue(float(expiration)))


async def faults_admin(request: Request) -> Response:
    """GET the server's default faults; PUT a JSON object to change them live (the GUI's
    fault settings). Sessions already open follow the change, their own query on top.
    A PUT that is not valid changes nothing and gets a one-line 400."""
    config: MockConfig = request.app.state.config
    if request.method == "PUT":
        if not request.app.state.tokens.key_ok(request.headers.get("authorization")):
            return _error(401, "missing or invalid 'Authorization: Key …' header")
        try:
            config.faults = faultschema.with_json(config.faults, await _json_body(request))
        except (InvalidInput, FaultParamError) as exc:
            return _error(400, str(exc))
        log.info("faults changed: %s", faultschema.describe(faultschema.to_json(config.faults)))
    return JSONResponse(faultschema.to_json(config.faults))


async def toxics_admin(request: Request) -> Response:
    """The server's byte-stream toxics, live, with Toxiproxy's toxic endpoints (a sibling
    of /_mock/faults: toxics are a named list of typed objects, not scalar settings).
    PUT replaces them all with `{"spec": "latency:latency=50;…"}` (docs/network.md)."""
    state = request.app.state
    if request.method != "GET" and not state.tokens.key_ok(request.headers.get("authorization")):
        return _error(401, "missing or invalid 'Authorization: Key …' header")
    if request.method == "PUT":
        try:
            body = await _json_body(request)
            spec = body.get("spec", "")
            if not isinstance(spec, str):
                raise ToxicError("spec must be a string of toxics")
            state.toxics.replace(toxics.check_query({"toxic": spec}))
        except (InvalidInput, ToxicError) as exc:
            return _error(400, str(exc))
        log.info("toxics changed: %s", spec or "none")
        return JSONResponse([t.to_json() for t in state.toxics.toxics])
    response = await toxics_api.toxics_request(
        request, state.toxics, request.path_params.get("toxic")
    )
    if request.method != "GET" and response.status_code < 300:
        log.info("toxics changed: %d now", len(state.toxics.toxics))
    return response


async def health(request: Request) -> Response:
    return JSONResponse(
        {
            "status": "ok",
            "version": __version__,
            "apps": sorted(APPS),
            "sessions": request.app.state.sessions,
            "webrtc_jitter_release": request.app.state.config.jitter_release,
            "tokens_issued": request.app.state.tokens.issued,
            **loop_health(request),  # its loop lag and CPU (server_mock/health.py)
            **drop_stale.COUNTERS.health(request.app.state.config.drop_stale),
        }
    )


async def http_app(request: Request) -> Response:
    owner, alias = request.path_params["owner"], request.path_params["alias"]
    path = request.path_params.get("path", "").strip("/")
    app = APPS.get(alias) if owner == OWNER else None
    if app is None:
        return _error(
            404,
            f"no app {owner}/{alias} on this mock (apps: mock/"
            + ", mock/".join(sorted(APPS))
            + ")",
        )
    if alias == "wma" and path in wma_routes.PATHS:
        return await wma_routes.handle(request, path)
    if path in ("openapi.json", "asyncapi.json") and request.method == "GET":
        return _metadata(request, alias, app, path)
    if request.method != "POST":
        return _error(405, "use POST")
    if not request.app.state.tokens.key_ok(request.headers.get("authorization")):
        return _error(401, "missing or invalid 'Authorization: Key …' header")
    config: MockConfig = request.app.state.config
    try:
        faults = Faults.for_session(lambda: config.faults, request.query_params)
        toxics.check_query(request.query_params)  # applied by the byte-stream wrapper
        body = await _json_body(request)
        if path == "stream" and app.sse is not None:
            setting = network.enter(request.app.state.network, request.query_params)
            events = app.sse(body)
            await faults.slow_start()
            live, close = _byte_session(request.app.state, request.scope, "sse", setting)
            response = sse.sse_response(_closing(events, close), faults, f"sse {request.url.path}")
            response.headers[SESSION_HEADER] = live.id
            return response
        if path == "" and app.run is not None:
            await faults.slow_start()
            await faults.delay()
            return JSONResponse(await app.run(body))
    except (FaultParamError, ToxicError, NetworkError) as exc:  # the query: a bad request
        log.warning("http %s: bad fault parameter: %s", request.url.path, exc)
        return _error(400, str(exc))
    except InvalidInput as exc:
        log.warning("http %s: bad input: %s", request.url.path, exc)
        return _error(422, str(exc))
    except Exception as exc:
        log.warning("http %s: app error: %s", request.url.path, exc)
        return _error(500, f"{type(exc).__name__}: {exc}")
    return _error(404, f"mock/{alias} serves no HTTP route /{path}")


def _metadata(request: Request, alias: str, app: MockApp, path: str) -> Response:
    """The app's OpenAPI (and, for a WMA app, AsyncAPI) document: server_mock/openapi.py."""
    from server_mock import openapi

    if path == "asyncapi.json":
        doc = openapi.asyncapi(alias)
        return JSONResponse(doc) if doc else _error(404, f"mock/{alias} publishes no AsyncAPI")
    timeout = request.app.state.config.session_timeout_s
    return JSONResponse(openapi.openapi(alias, app, version=__version__, session_timeout_s=timeout))


# -- WebSocket -------------------------------------------------------------------------
async def _deny(websocket: WebSocket, status: int, detail: str) -> None:
    log.warning("ws %s: refused (%d): %s", websocket.url.path, status, detail)
    try:
        await websocket.send_denial_response(_error(status, detail))
    except RuntimeError:  # server without the denial extension: plain 403
        await websocket.close(1008)


async def ws_app(websocket: WebSocket) -> None:
    owner, alias = websocket.path_params["owner"], websocket.path_params["alias"]
    path = websocket.path_params.get("path", "").strip("/")
    label = f"ws /{owner}/{alias}/{path}"
    app = APPS.get(alias) if owner == OWNER else None
    route = app.realtime.get(path) if app else None
    raw = app.raw_ws.get(path) if app else None
    if route is None and raw is None:
        await _deny(websocket, 403, f"{owner}/{alias} serves no WebSocket at /{path}")
        return
    state = websocket.app.state
    config: MockConfig = state.config
    if not state.tokens.allows(websocket.headers, websocket.query_params):
        await _deny(websocket, 401, "missing, invalid or expired credentials")
        return
    try:
        faults = Faults.for_session(lambda: config.faults, websocket.query_params)
        max_buffering = parse_max_buffering(websocket.query_params.get("max_buffering"))
        toxics.check_query(websocket.query_params)
        release = jitter_release_of(websocket)
        stale = drop_stale.of(websocket.query_params, config.drop_stale)
        setting = network.enter(websocket.app.state.network, websocket.query_params)
    except ValueError as exc:
        await _deny(websocket, 400, str(exc))
        return
    signals = raw == "yolo" or alias in WEBRTC_APPS  # a WebRTC session: its peer impaired
    close_live: Callable[[], None]
    if signals:
        live = state.live_sessions.open("webrtc", f"/{owner}/{alias}/{path}", setting)
        close_live = functools.partial(state.live_sessions.close, live)
    else:  # its TCP connection's toxics
        kind = "realtime" if route is not None else "ws"
        live, close_live = _byte_session(state, websocket.scope, kind, setting)
    state.sessions += 1
    try:
        await faults.slow_start()
        await websocket.accept(headers=[(SESSION_HEADER.encode(), live.id.encode())])
        if route is not None:
            timings = config.timings or websocket.query_params.get("timings") in ("1", "true")
            session = RealtimeSession(
                websocket,
                faults=faults,
                max_message_bytes=config.max_message_bytes,
                session_timeout_s=config.session_timeout_s,
                timings=timings,
                label=label,
            )
            await session.start()
            await run_route(route, session, max_buffering)
        elif raw == "echo":
            await ws.serve_echo(websocket, faults, config.max_message_bytes, label)
        elif raw == "yolo":
            from server_mock import webrtc

            channel = webrtc.JsonTextChannel(websocket, label)
            await webrtc.serve_yolo(channel, faults, release, stale)
            with contextlib.suppress(Exception):
                await websocket.close(1000)
    finally:
        state.sessions -= 1
        setting.close()
        close_live()


def _byte_session(
    state: Any, scope: Any, kind: str, setting: SessionNetwork
) -> tuple[LiveSession, Callable[[], None]]:
    """A realtime, ws or SSE session, listed at /_mock/sessions, whose own network (PUT
    /_mock/sessions/{id}/network) shapes its TCP connection. Returns it and its close,
    which also runs if the connection is lost first (an SSE client gone mid-stream)."""
    live = state.live_sessions.open(kind, scope.get("path", ""), setting)
    connection = state.connections.of(scope)
    unshape = network.shape_connection(setting, connection)
    closed = False

    def close() -> None:
        nonlocal closed
        if closed:
            return
        closed = True
        unshape()
        state.live_sessions.close(live)
        if connection is not None and close in connection.on_lost:
            connection.on_lost.remove(close)

    if connection is not None:
        connection.on_lost.append(close)
    return live, close


_T = TypeVar("_T")


async def _closing(events: AsyncIterator[_T], close: Callable[[], None]) -> AsyncIterator[_T]:
    """`events`, then `close()` when the stream ends, fails or is cancelled."""
    try:
        async for event in events:
            yield event
    finally:
        close()


def create_app(config: MockConfig | None = None) -> Starlette:
    config = config or MockConfig()
    app = Starlette(
        routes=[
            Route("/health", health),
            Route("/tokens/", tokens, methods=["POST"]),
            Route("/_mock/faults", faults_admin, methods=["GET", "PUT"]),
            Route("/_mock/network", network.network_admin, methods=["GET", "PUT"]),
            Route("/_mock/sessions", live_sessions.sessions_admin),
            Route(
                "/_mock/sessions/{session}/network",
                live_sessions.session_network_admin,
                methods=["GET", "PUT"],
            ),
            Route("/_mock/toxics", toxics_admin, methods=["GET", "POST", "PUT"]),
            Route("/_mock/toxics/{toxic}", toxics_admin, methods=["GET", "POST", "DELETE"]),
            Route("/tokens", tokens, methods=["POST"]),
            Route("/{owner}/{alias}", http_app, methods=["GET", "POST"]),
            Route("/{owner}/{alias}/{path:path}", http_app, methods=["GET", "POST"]),
            WebSocketRoute("/{owner}/{alias}/{path:path}", ws_app),
        ]
    )
    app.state.config = config
    app.state.tokens = TokenStore(config.key, config.token_ttl_s)
    app.state.wma_rest = wma_routes.RestSessions()
    app.state.sessions = 0
    app.state.live_sessions = live_sessions.LiveSessions()
    app.state.toxics = ToxicSet(config.toxics)
    app.state.connections = toxics.ToxicConnections()  # by peer: a session's own toxics
    app.state.network = network.server_setting(config.network, app.state.toxics)
    return app
