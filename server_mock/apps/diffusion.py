"""`mock/diffusion`: a fake image model with progress over SSE and PNGs over realtime.

Input: `prompt` (str), `width`/`height` (16..2048, default 256), `steps` (1..500,
default 8), `step_ms` (simulated compute per step, default 20), `seed` (int).
"""

from __future__ import annotations

import asyncio
import base64
import time
import zlib
from collections.abc import AsyncIterator
from typing import Any

from server_mock.apps.validate import InvalidInput, integer, number
from server_mock.images import encode_png, gradient_image
from server_mock.realtime import AppError, RealtimeRoute


def parse(data: dict[str, Any]) -> dict[str, Any]:
    prompt = data.get("prompt", "")
    if not isinstance(prompt, str):
        raise InvalidInput(f"field 'prompt' must be a string, got {type(prompt).__name__}")
    seed = data.get("seed")
    if seed is None:
        seed = zlib.crc32(prompt.encode())
    elif isinstance(seed, bool) or not isinstance(seed, int):
        raise InvalidInput(f"field 'seed' must be an integer, got {type(seed).__name__}")
    return {
        "prompt": prompt,
        "seed": seed,
        "width": integer(data, "width", 256, 16, 2048),
        "height": integer(data, "height", 256, 16, 2048),
        "steps": integer(data, "steps", 8, 1, 500),
        "step_ms": number(data, "step_ms", 20, 0, 10_000),
    }


def render(params: dict[str, Any], progress: float = 1.0) -> bytes:
    return encode_png(gradient_image(params["width"], params["height"], params["seed"], progress))


async def generate(params: dict[str, Any]) -> AsyncIterator[tuple[int, bytes | None]]:
    """Yield (step, None) for each step, then (steps, png)."""
    for step in range(1, params["steps"] + 1):
        if params["step_ms"]:
            await asyncio.sleep(params["step_ms"] / 1000)
        yield step, None
    yield params["steps"], await asyncio.to_thread(render, params)


def sse_events(data: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
    """Validate first (InvalidInput → HTTP 422), then stream progress and the result."""
    params = parse(data)
    return _sse_events(params)


async def _sse_events(params: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
    started = time.monotonic()
    async for step, png in generate(params):
        if png is None:
            yield {
                "type": "progress",
                "step": step,
                "steps": params["steps"],
                "progress": round(step / params["steps"], 4),
            }
        else:
            yield {
                "type": "result",
                "images": [
                    {
                        "url": "data:image/png;base64," + base64.b64encode(png).decode(),
                        "width": params["width"],
                        "height": params["height"],
                        "content_type": "image/png",
                    }
                ],
                "seed": params["seed"],
                "prompt": params["prompt"],
                "timings": {"inference": round(time.monotonic() - started, 6)},
            }


async def run(data: dict[str, Any]) -> dict[str, Any]:
    """Plain `POST /mock/diffusion`: the final result only."""
    params = parse(data)
    result: dict[str, Any] = {}
    async for event in _sse_events(params):
        result = event
    result.pop("type", None)
    return result


async def _realtime(batch: list[dict[str, Any]]) -> dict[str, Any]:
    try:
        params = parse(batch[0])
    except InvalidInput as exc:
        raise AppError(str(exc)) from None
    recv_ns = time.monotonic_ns()
    png = b""
    async for _, png_or_none in generate(params):
        png = png_or_none or png
    return {
        "image": {
            "content": png,
            "content_type": "image/png",
            "width": params["width"],
            "height": params["height"],
        },
        "seed": params["seed"],
        "request_id": batch[0].get("request_id"),
        "server_recv_ns": recv_ns,
        "server_send_ns": time.monotonic_ns(),
    }


REALTIME_ROUTES = {
    "realtime": RealtimeRoute(mode="unary", handler=_realtime),
}
