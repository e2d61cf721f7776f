"""The mock server: fal-like realtime, WebSocket, SSE and WebRTC apps on 127.0.0.1.

The names below load on first use (PEP 562), so importing one small module of the
mock (its fault schema, say) does not pull in uvicorn, starlette and every app.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from server_mock.app import APPS, create_app
    from server_mock.config import FaultConfig, MockConfig
    from server_mock.server import MockServer

_WHERE = {
    "APPS": "server_mock.app",
    "create_app": "server_mock.app",
    "FaultConfig": "server_mock.config",
    "MockConfig": "server_mock.config",
    "MockServer": "server_mock.server",
}

__all__ = ["APPS", "FaultConfig", "MockConfig", "MockServer", "create_app"]


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module 'server_mock' has no attribute {name!r}")
    return getattr(importlib.import_module(where), name)
