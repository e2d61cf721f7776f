"""A Toxiproxy-compatible subset of its HTTP API, over one `ToxicSet` per proxy.

    GET    /proxies                         {name: proxy}
    GET    /proxies/{proxy}                 {name, listen, upstream, enabled, toxics}
    GET    /proxies/{proxy}/toxics          [toxic, ...]
    POST   /proxies/{proxy}/toxics          create (409 if the name exists)
    GET    /proxies/{proxy}/toxics/{toxic}
    POST   /proxies/{proxy}/toxics/{toxic}  update (attributes merge, as Toxiproxy does)
    DELETE /proxies/{proxy}/toxics/{toxic}  204
    POST   /reset                           remove every toxic
    GET    /version

Errors are `{"error": "...", "status": N}` as Toxiproxy sends them. `toxics_request` is
the routing-free core, so the mock serves the same toxic endpoints at `/_mock/toxics`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app import __version__
from app.core.network.toxics import ToxicError
from app.core.network.toxicset import ToxicConflict, ToxicMissing, ToxicSet

_BODY_MAX = 64 * 1024


def _error(status: int, text: str) -> JSONResponse:
    return JSONResponse({"error": text, "status": status}, status_code=status)


async def _body(request: Request) -> object:
    raw = await request.body()
    if len(raw) > _BODY_MAX:
        raise ToxicError(f"request body is over {_BODY_MAX} bytes")
    try:
        return json.loads(raw or b"{}")
    except (ValueError, RecursionError) as exc:
        raise ToxicError(f"request body is not valid JSON: {exc}") from None


async def toxics_request(request: Request, toxics: ToxicSet, name: str | None) -> Response:
    """GET/POST a toxic list (`name` None) or GET/POST/DELETE one toxic."""
    try:
        if name is None:
            if request.method == "GET":
                return JSONResponse([t.to_json() for t in toxics.toxics])
            return JSONResponse(toxics.create(await _body(request)).to_json())
        if request.method == "GET":
            return JSONResponse(toxics.get(name).to_json())
        if request.method == "DELETE":
            toxics.remove(name)
            return Response(status_code=204)
        return JSONResponse(toxics.update(name, await _body(request)).to_json())
    except ToxicMissing as exc:
        return _error(404, str(exc))
    except ToxicConflict as exc:
        return _error(409, str(exc))
    except ToxicError as exc:
        return _error(400, str(exc))


def create_api(
    proxies: dict[str, Callable[[], dict[str, Any]]], sets: dict[str, ToxicSet]
) -> Starlette:
    """The API over named proxies: `proxies[name]()` describes one, `sets[name]` its toxics."""

    def _set(request: Request) -> tuple[str, ToxicSet | None]:
        name = request.path_params["proxy"]
        return name, sets.get(name)

    def _describe(name: str) -> dict[str, Any]:
        return {**proxies[name](), "toxics": [t.to_json() for t in sets[name].toxics]}

    async def all_proxies(request: Request) -> Response:
        return JSONResponse({name: _describe(name) for name in proxies})

    async def one_proxy(request: Request) -> Response:
        name, toxics = _set(request)
        if toxics is None:
            return _error(404, f"proxy {name[:64]!r} not found")
        return JSONResponse(_describe(name))

    async def toxic_list(request: Request) -> Response:
        name, toxics = _set(request)
        if toxics is None:
            return _error(404, f"proxy {name[:64]!r} not found")
        return await toxics_request(request, toxics, None)

    async def one_toxic(request: Request) -> Response:
        name, toxics = _set(request)
        if toxics is None:
            return _error(404, f"proxy {name[:64]!r} not found")
        return await toxics_request(request, toxics, request.path_params["toxic"])

    async def reset(request: Request) -> Response:
        for toxics in sets.values():
            toxics.replace([])
        return Response(status_code=204)

    async def version(request: Request) -> Response:
        return Response(f"rtprobe {__version__}", media_type="text/plain")

    return Starlette(
        routes=[
            Route("/proxies", all_proxies, methods=["GET"]),
            Route("/proxies/{proxy}", one_proxy, methods=["GET"]),
            Route("/proxies/{proxy}/toxics", toxic_list, methods=["GET", "POST"]),
            Route("/proxies/{proxy}/toxics/{toxic}", one_toxic, methods=["GET", "POST", "DELETE"]),
            Route("/reset", reset, methods=["POST"]),
            Route("/version", version, methods=["GET"]),
        ]
    )
