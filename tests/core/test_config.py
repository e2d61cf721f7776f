"""RunConfig: one place for the run's credentials and headers, whatever the transport."""

from __future__ import annotations

import pytest

from app.core.config import RunConfig
from app.core.targets import resolve
from app.core.transports.wsbase import Credentials, WsOptions


def test_websocket_options_carry_the_runs_credentials_and_headers() -> None:
    cfg = RunConfig(
        target=resolve("realtime", "mock/echo", base_url="http://127.0.0.1:9"),
        credentials=Credentials(key="sekrit-123", use_jwt=False),
        headers={"X-A": "1"},
        ws=WsOptions(max_buffering=4),
    )
    ws = cfg.websocket_options()
    assert ws.credentials == Credentials(key="sekrit-123", use_jwt=False)
    assert dict(ws.headers) == {"X-A": "1"} and ws.max_buffering == 4
    assert "sekrit-123" not in repr(cfg) + repr(
        ws
    )  # the key never shows in a repr (logs, tracebacks)


def test_credentials_in_the_websocket_options_are_refused() -> None:
    target = resolve("sse", "mock/echo", base_url="http://127.0.0.1:9")
    with pytest.raises(ValueError, match="belong to the run"):
        RunConfig(target=target, ws=WsOptions(credentials=Credentials(key="k")))
    with pytest.raises(ValueError, match="belong to the run"):
        RunConfig(target=target, ws=WsOptions(headers={"X-A": "1"}))
