"""The mock server: fal-like realtime, WebSocket, SSE and WebRTC apps on 127.0.0.1."""

from server_mock.app import APPS, create_app
from server_mock.config import FaultConfig, MockConfig
from server_mock.server import MockServer

__all__ = ["APPS", "FaultConfig", "MockConfig", "MockServer", "create_app"]
